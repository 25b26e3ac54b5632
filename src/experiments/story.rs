//! The guided story's mini-labs (`www/story.html`): the run behind each value of each section's
//! control. They live here, not in the page, so that a native test (`tests/story.rs`) checks
//! that a section's own runs show what its text says, over three seeds; the page keeps the words.

use crate::core::config::RunConfig;
use crate::params;

/// Every section's base run: MLP2, 10,000 clean examples, alpha = 20, one epoch (each default
/// answers within 30 s in the page on a 2-core machine: BENCHMARKS.md, the story's runs); Adam
/// at a rate that stays stable under heavy noise.
const BASE: &[(&str, &str)] = &[("model", "mlp2"), ("width", "256"), ("clean", "10000"), ("alpha", "20"), ("epochs", "1"), ("batch", "128"), ("lr", "0.0005")];

/// The seed of every run the page trains. Its numbers there differ from a native run of the
/// same seed by float rounding, which heavy noise amplifies (batch 32, seed 1: 65.9% natively,
/// 74.8% in Chromium), so the claims rest on the mean over seeds 1-3, not on this one run.
pub const PAGE_SEED: u64 = 1;

/// One section's mini-lab.
pub struct Section {
    pub id: &'static str,
    /// The parameter the reader's control chooses (`None`: the section has one run).
    pub control: Option<&'static str>,
    pub values: &'static [&'static str],
    /// The control's first choice.
    pub value: &'static str,
    /// What the section's text claims, as pairs (worse, better) of values: the mean accuracy
    /// over seeds 1-3 at `better` is above that at `worse`.
    pub claims: &'static [(&'static str, &'static str)],
    /// The run of a value: the settings it changes from [`BASE`].
    settings: fn(&str) -> Vec<(&'static str, String)>,
}

impl Section {
    /// The run behind `value` with seed `seed`.
    pub fn config(&self, value: &str, seed: u64) -> Result<RunConfig, String> {
        let mut config = RunConfig::default();
        let seed = seed.to_string();
        let settings = (self.settings)(value);
        for (name, text) in BASE.iter().map(|&(n, t)| (n, t)).chain(settings.iter().map(|(n, t)| (*n, t.as_str()))).chain([("seed", seed.as_str())]) {
            params::set(&mut config, name, text)?;
        }
        config.validate()?;
        Ok(config)
    }
}

fn set(pairs: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
    pairs.iter().map(|&(n, v)| (n, v.to_string())).collect()
}

/// The sections, in the story's order (`www/chapters.js` gives their titles).
pub const SECTIONS: &[Section] = &[
    Section { id: "baseline", control: None, values: &[], value: "", claims: &[], settings: |_| set(&[("alpha", "0"), ("epochs", "5")]) },
    // The reader guesses the accuracy at alpha = 50 before running it: no claim to check.
    Section {
        id: "uniform",
        control: Some("alpha"),
        values: &["0", "10", "20", "50", "100"],
        value: "50",
        claims: &[],
        settings: |v| set(&[("alpha", v), ("epochs", if v == "0" { "5" } else { "1" })]),
    },
    // Two epochs: after one, MLP4 trails MLP2 (80.4% vs 83.6%, seeds 1-3); after two it leads
    // (88.0 vs 87.3), as at the full scale, but by less than seeds differ (seed 3: 86.9 vs
    // 87.8), as in the paper (94.3 vs 93.9): the text says so.
    Section {
        id: "depth",
        control: Some("model"),
        values: &["perceptron", "mlp1", "mlp2", "mlp4"],
        value: "perceptron",
        claims: &[("perceptron", "mlp1"), ("mlp1", "mlp2"), ("mlp2", "mlp4")],
        settings: |v| set(&[("model", v), ("epochs", "2")]),
    },
    // Delta 0.25 is within a point of delta 0 (84.5 vs 83.6%, seeds 1-3): a weak preference for
    // one wrong class is still nearly uniform noise, so the claims start at 0.5.
    Section {
        id: "structured",
        control: Some("delta"),
        values: &["0", "0.25", "0.5", "0.75", "1"],
        value: "0.5",
        claims: &[("0.5", "0"), ("0.75", "0.5"), ("1", "0.75")],
        settings: |v| set(&[("noise", "structured"), ("delta", v), ("order", "confusion")]),
    },
    Section {
        id: "clean-size",
        control: Some("clean"),
        values: &["1000", "2000", "5000", "10000"],
        value: "2000",
        claims: &[("1000", "2000"), ("2000", "5000"), ("5000", "10000")],
        settings: |v| set(&[("clean", v), ("epochs", if v.parse::<u32>().is_ok_and(|n| n < 5000) { "2" } else { "1" })]),
    },
    // Batch size matters through the noise in each step, so the batches train at a rate where
    // that noise shows (as the report's batch figure does): at 5e-4, batch 512 trails 128
    // (82.5% vs 83.6%); at 1e-3 they rise 70.0 / 81.3 / 82.1 (seeds 1-3). 128 to 512 gains under
    // a point on the mean and seed 1 reverses it (82.3 vs 81.5 natively, 83.0 vs 82.3 in the
    // page), so the text says the step is smaller than a seed's difference.
    Section {
        id: "batch",
        control: Some("batch"),
        values: &["32", "128", "512", "H_alpha"],
        value: "32",
        claims: &[("32", "128"), ("128", "512"), ("512", "H_alpha")],
        settings: |v| match v {
            "H_alpha" => set(&[("h-alpha", "true"), ("epochs", "5"), ("lr", "0.001")]),
            batch => set(&[("batch", batch), ("lr", "0.001")]),
        },
    },
];

/// The section called `id`.
pub fn section(id: &str) -> Option<&'static Section> {
    SECTIONS.iter().find(|s| s.id == id)
}
