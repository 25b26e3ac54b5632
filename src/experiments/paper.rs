//! The paper's numbers, read off its published figures (`reference/rolnick2017-figures.json`,
//! a copy of the team's shared reference), so charts can show them beside our runs.

use serde_json::Value;
use std::sync::OnceLock;

pub const FIGURES_JSON: &str = include_str!("../../reference/rolnick2017-figures.json");

pub fn figures() -> &'static Value {
    static FIGURES: OnceLock<Value> = OnceLock::new();
    FIGURES.get_or_init(|| serde_json::from_str(FIGURES_JSON).expect("the bundled reference is valid JSON"))
}

/// One published curve: points `(x, accuracy as a fraction)`.
#[derive(Clone, Debug, PartialEq)]
pub struct PaperSeries {
    pub label: String,
    pub points: Vec<(f64, f64)>,
}

/// Reads `figure.series` against `figure.<x_key>`; percentages become fractions (a figure whose
/// `units` say "fractions" is already in fractions).
pub fn series(figure: &str, x_key: &str, series: &str) -> Option<PaperSeries> {
    let fig = figures().get(figure)?;
    let per_unit = if fig.get("units").and_then(Value::as_str).is_some_and(|u| u.starts_with("fractions")) { 1.0 } else { 100.0 };
    let xs = fig.get(x_key)?.as_array()?;
    let ys = fig.get(series)?.as_array()?;
    let points = xs
        .iter()
        .zip(ys)
        .filter_map(|(x, y)| {
            let y = y.as_f64()?;
            Some((x.as_f64()?, y / per_unit))
        })
        .collect();
    Some(PaperSeries { label: format!("paper {series}"), points })
}

/// The paper's clean examples needed for `target_percent` accuracy at `alpha` (its clean-set
/// figure's table), if it gives one.
pub fn clean_examples_needed(alpha: f64, target_percent: f64) -> Option<f64> {
    let table = figures().get("mnist_clean_set_size")?.get("clean_examples_needed")?;
    let targets = table.get("target_accuracy")?.as_array()?;
    let i = targets.iter().position(|t| t.as_f64() == Some(target_percent))?;
    table.get(format!("alpha_{alpha}"))?.as_array()?.get(i)?.as_f64()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_uniform_noise_figure() {
        let mlp1 = series("mnist_uniform_noise", "alpha", "MLP1").unwrap();
        assert_eq!(mlp1.points.len(), 11);
        assert_eq!(mlp1.points[0], (0.0, 0.982));
        assert_eq!(series("mnist_batch_size", "alpha", "H_alpha").unwrap().points[1], (10.0, 0.992));
        assert_eq!((clean_examples_needed(0.0, 90.0), clean_examples_needed(50.0, 90.0), clean_examples_needed(20.0, 60.0)), (Some(450.0), Some(10200.0), Some(830.0)));
        assert_eq!((clean_examples_needed(5.0, 90.0), clean_examples_needed(0.0, 95.0)), (None, None));
        assert!(series("nope", "alpha", "MLP1").is_none());
    }

    #[test]
    fn bundled_copy_matches_the_shared_reference() {
        // The shared folder sits beside the repo on team machines and in CI.
        let shared = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/reference/rolnick2017-figures.json");
        // In CI it must be there: a check that silently passes is no check.
        match std::fs::read_to_string(shared) {
            Ok(text) => assert_eq!(text, FIGURES_JSON, "reference/ is out of date: copy ../shared/reference/ again"),
            Err(e) => assert!(std::env::var_os("CI").is_none(), "CI without ../shared/reference: {e}"),
        }
    }
}
