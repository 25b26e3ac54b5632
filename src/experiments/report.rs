//! REPRODUCTION.md: our sweep results beside the paper's numbers, figure by figure, with the
//! shape checks the paper's claims come down to. `label-noise-lab report` runs the sweeps (or
//! reuses their CSVs) and writes it; the discussion is ours, in `reproduction/notes/discussion.md`.

use crate::experiments::{PointResult, Scale, Spread, Sweep, spreads};
use std::fmt::Write;

const DISCUSSION: &str = include_str!("../../reproduction/notes/discussion.md");
/// Where we differ from the paper, written from the committed results of each scale.
const DIFFERENCES_FULL: &str = include_str!("../../reproduction/notes/differences-full.md");
const DIFFERENCES_QUICK: &str = include_str!("../../reproduction/notes/differences-quick.md");

/// Accuracy of `series` at `x`, if that point ran.
/// The mean over the seeds of `series` at `x`.
fn at(results: &[PointResult], series: &str, x: f64) -> Option<f64> {
    spread_at(results, series, x).map(|s| s.mean)
}

fn spread_at(results: &[PointResult], series: &str, x: f64) -> Option<Spread> {
    let runs: Vec<PointResult> = results.iter().filter(|r| r.series == series && r.x == x).cloned().collect();
    spreads(&runs).pop()
}

/// A table cell: the mean in percent, with half the range over the seeds when there are several.
fn cell(results: &[PointResult], series: &str, x: f64) -> String {
    match spread_at(results, series, x) {
        Some(s) if s.runs > 1 => format!("{:.1} ± {:.1}", s.mean * 100.0, (s.max - s.min) * 50.0),
        other => pct(other.map(|s| s.mean)),
    }
}

fn pct(v: Option<f64>) -> String {
    v.map_or("–".into(), |v| format!("{:.1}", v * 100.0))
}

/// The smallest clean-set size reaching `target` accuracy on a curve `(n, accuracy)`, linearly
/// interpolated in log n between the points around the crossing (None if never reached).
pub fn clean_needed(curve: &[(f64, f64)], target: f64) -> Option<f64> {
    let mut sorted = curve.to_vec();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let first = sorted.iter().position(|&(_, acc)| acc >= target)?;
    if first == 0 {
        return Some(sorted[0].0);
    }
    let ((n0, a0), (n1, a1)) = (sorted[first - 1], sorted[first]);
    let t = (target - a0) / (a1 - a0);
    Some((n0.ln() + t * (n1.ln() - n0.ln())).exp())
}

/// One-line checks of the paper's claims on this figure's results.
pub fn findings(sweep: &Sweep, results: &[PointResult]) -> Vec<String> {
    let last = sweep.values.last().copied().unwrap_or(0.0);
    let first = sweep.values.first().copied().unwrap_or(0.0);
    let mut out = Vec::new();
    let compare = |what: &str, a: Option<f64>, b: Option<f64>| {
        if let Some((x, y)) = a.zip(b) {
            let d = (x - y) * 100.0;
            Some(format!("{what}: {d:+.1} points ({} vs {}) — {}", pct(a), pct(b), if d > 0.0 { "as in the paper" } else { "**not** as in the paper" }))
        } else {
            None
        }
    };
    match sweep.name.as_str() {
        "uniform" => {
            for s in &sweep.series {
                if let Some(a) = at(results, &s.label, last) {
                    let chance = if a > 0.2 { "well above chance (10%)" } else { "**near chance**" };
                    out.push(Some(format!("{} at alpha={last}: {:.1}%, {chance}", s.label, a * 100.0)));
                }
            }
            for deep in ["mlp1", "mlp2", "mlp4"] {
                out.push(compare(&format!("{deep} over the perceptron at alpha={last}"), at(results, deep, last), at(results, "perceptron", last)));
            }
        }
        "structured" => {
            for s in &sweep.series {
                out.push(compare(&format!("{}: delta={first} over delta={last} (stronger structure hurts)", s.label), at(results, &s.label, first), at(results, &s.label, last)));
            }
        }
        "batch-size" => {
            out.push(compare(&format!("batch 256 over batch 32 at alpha={last}"), at(results, "batch 256", last), at(results, "batch 32", last)));
            out.push(compare(&format!("H_alpha over batch 32 at alpha={last}"), at(results, "H_alpha", last), at(results, "batch 32", last)));
        }
        "learning-rate" => {
            let (low, high) = (&sweep.series[0].label, &sweep.series[sweep.series.len() - 1].label);
            out.push(compare(&format!("{low} over {high} at alpha={last} (smaller rates degrade more slowly)"), at(results, low, last), at(results, high, last)));
            let drop = |label: &str| at(results, label, first).zip(at(results, label, last)).map(|(a, b)| a - b);
            out.push(drop(low).zip(drop(high)).map(|(l, h)| {
                let verdict = if l < h { "as in the paper" } else { "**not** as in the paper" };
                format!("fall from alpha={first} to alpha={last}: {low} {:.1} points, {high} {:.1} points — {verdict}", l * 100.0, h * 100.0)
            }));
        }
        "noise-source" => {
            out.push(compare(&format!("white-noise images over same-dataset images at alpha={last}"), at(results, "white", last), at(results, "mnist", last)));
            out.push(compare(&format!("Fashion-MNIST images over same-dataset images at alpha={last}"), at(results, "fashion", last), at(results, "mnist", last)));
        }
        "clean-size" => {
            let target = 0.85;
            let mut row = Vec::new();
            for s in &sweep.series {
                let curve: Vec<(f64, f64)> = spreads(results).iter().filter(|r| r.series == s.label).map(|r| (r.x, r.mean)).collect();
                row.push(format!("{} {}", s.label, clean_needed(&curve, target).map_or("not reached".into(), |n| format!("{n:.0}"))));
            }
            out.push(Some(format!("clean examples needed for {:.0}% accuracy: {} (the paper: it grows roughly linearly with alpha)", target * 100.0, row.join(", "))));
        }
        _ => {}
    }
    out.into_iter().flatten().collect()
}

/// The whole report for results at `scale`; charts are linked from `results_dir`.
pub fn markdown(scale: Scale, figures: &[(Sweep, Vec<PointResult>)], results_dir: &str) -> String {
    let scale_name = match scale {
        Scale::Quick => "quick",
        Scale::Full => "full",
    };
    let mut md = String::new();
    let _ = writeln!(md, "# Reproduction report: Deep Learning is Robust to Massive Label Noise\n");
    let _ = writeln!(
        md,
        "Generated by `label-noise-lab report --scale {scale_name}` (do not edit by hand: edit `reproduction/notes/discussion.md` \
         or `reproduction/notes/differences-{scale_name}.md` and rerun). Our numbers are clean MNIST test accuracy (%), the mean over the seeds run per point (± half the range when there are several); the paper's are read off its \
         published figures (`reference/rolnick2017-figures.json`, about ±0.3 points; \"–\" where it has no point at that x).\n"
    );
    let _ = writeln!(md, "{DISCUSSION}");
    let _ = writeln!(md, "{}", if scale == Scale::Full { DIFFERENCES_FULL } else { DIFFERENCES_QUICK });
    for (sweep, results) in figures {
        let _ = writeln!(md, "## {}\n", sweep.title);
        let _ = writeln!(md, "![{}]({results_dir}/{}-{scale_name}.svg)\n", sweep.title, sweep.name);
        let _ = writeln!(md, "Settings: {}. Rerun: `label-noise-lab sweep --preset {} --scale {scale_name}`.\n", sweep.note, sweep.name);
        let mut header = format!("| {} |", sweep.axis.parameter());
        let mut rule = "|---|".to_string();
        for s in &sweep.series {
            header += &format!(" ours {} |", s.label);
            rule += "---|";
            if s.paper.is_some() {
                header += &format!(" paper {} |", s.label);
                rule += "---|";
            }
        }
        let _ = writeln!(md, "{header}\n{rule}");
        for &x in &sweep.values {
            let mut row = format!("| {x} |");
            for s in &sweep.series {
                row += &format!(" {} |", cell(results, &s.label, x));
                if let Some(p) = &s.paper {
                    row += &format!(" {} |", pct(p.points.iter().find(|(px, _)| *px == x).map(|(_, y)| *y)));
                }
            }
            let _ = writeln!(md, "{row}");
        }
        let checks = findings(sweep, results);
        if !checks.is_empty() {
            let _ = writeln!(md, "\nChecks:\n");
            for c in checks {
                let _ = writeln!(md, "- {c}");
            }
        }
        let _ = writeln!(md);
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiments::Preset;

    #[test]
    fn clean_needed_interpolates_in_log_n() {
        let curve = [(500.0, 0.5), (1000.0, 0.7), (2000.0, 0.9)];
        assert_eq!(clean_needed(&curve, 0.4), Some(500.0));
        let n = clean_needed(&curve, 0.8).unwrap();
        assert!((n - 1414.2).abs() < 1.0, "{n}");
        assert_eq!(clean_needed(&curve, 0.95), None);
    }

    #[test]
    fn the_report_has_a_table_and_checks_per_figure() {
        let sweep = Preset::Uniform.sweep(Scale::Quick);
        let results: Vec<PointResult> = sweep
            .points()
            .iter()
            .map(|p| PointResult {
                series: sweep.series[p.series].label.clone(),
                x: p.x,
                // Seeds 1, 2, 3 one point below, at and above the curve.
                test_accuracy: 0.9 - p.x / 1000.0 * if p.series == 0 { 5.0 } else { 1.0 } + (p.config.seed as f64 - 2.0) * 0.01,
                epochs: 2,
                train_examples: 1,
                samples_per_sec: 1.0,
                seed: p.config.seed,
            })
            .collect();
        let md = markdown(Scale::Quick, &[(sweep, results)], "results");
        assert!(md.contains("| alpha | ours perceptron | paper perceptron |"), "{md}");
        assert!(md.contains("| 100 | 40.0 ± 1.0 | 40.0 | 80.0 ± 1.0 | 69.7 |"), "{md}");
        assert!(md.contains("mlp4 over the perceptron at alpha=100: +40.0 points (80.0 vs 40.0) — as in the paper"), "{md}");
        assert!(md.contains("![Uniform label noise: test accuracy vs alpha](results/uniform-quick.svg)"));
    }
}
