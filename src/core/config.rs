//! One run's typed configuration, its defaults and its limits. The names, help and text forms of
//! these fields (the CLI's flags, the URL's parameters, the page's controls) are `params`' table.

use crate::core::data::TRAIN_IMAGES;
use crate::core::method::{Method, Transition};
use crate::core::model::Architecture;
use crate::core::noise::{Flip, MAX_ALPHA, Noise, NoiseSpec, NoisyImages, Order};
use crate::core::optim::OptimizerKind;
use serde::{Deserialize, Serialize};
use std::ops::RangeInclusive;

/// The allowed values of each numeric field: [`RunConfig::validate`] checks them, and the
/// parameter table shows them to the CLI's help and the page's controls.
pub mod limits {
    use super::*;
    pub const WIDTH: RangeInclusive<u64> = 1..=2048;
    pub const CLEAN: RangeInclusive<u64> = 1..=TRAIN_IMAGES as u64;
    pub const ALPHA: RangeInclusive<f64> = 0.0..=MAX_ALPHA;
    pub const DELTA: RangeInclusive<f64> = 0.0..=1.0;
    /// The flip rate of symmetric, pair and asymmetric noise.
    pub const EPSILON: RangeInclusive<f64> = 0.0..=1.0;
    /// Label smoothing's `a` and bootstrapping's `beta`.
    pub const SHARE: RangeInclusive<f64> = 0.0..=1.0;
    /// Generalized cross-entropy's `q`: above 0 (an open bound; 0 is cross-entropy), at most 1.
    pub const GCE_Q: RangeInclusive<f64> = 0.0..=1.0;
    /// Co-teaching's `T_k`, in epochs.
    pub const FORGET_EPOCHS: RangeInclusive<f64> = 0.0..=1000.0;
    /// Above 0 (an open bound), at most the end.
    pub const LR: RangeInclusive<f64> = 0.0..=10.0;
    pub const BATCH: RangeInclusive<u64> = 1..=4096;
    pub const EPOCHS: RangeInclusive<u64> = 1..=1000;
    /// Below 2^53, so that JavaScript keeps a seed exact.
    pub const SEED: RangeInclusive<u64> = 0..=(1 << 53) - 1;
}

/// The kind of noisy examples (the `noise` parameter).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, strum::EnumString, strum::IntoStaticStr, strum::VariantNames, strum::VariantArray)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase", ascii_case_insensitive)]
pub enum NoiseKind {
    Uniform,
    Structured,
    Fashion,
    White,
    /// Flips of the clean examples' labels at rate `epsilon` (the later literature's noise).
    Symmetric,
    Pair,
    Asymmetric,
}

impl NoiseKind {
    /// Whether this kind relabels the clean examples (rate `epsilon`) instead of adding
    /// `alpha * n` noisy ones.
    pub fn is_flip(self) -> bool {
        matches!(self, Self::Symmetric | Self::Pair | Self::Asymmetric)
    }
}

/// How the learning rate moves over a run (the `lr-schedule` parameter).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, strum::EnumString, strum::IntoStaticStr, strum::VariantNames, strum::VariantArray)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase", ascii_case_insensitive)]
pub enum LrSchedule {
    /// From `lr` down to zero at the last step: late steps average the label noise out instead
    /// of chasing it (the lab's recipe).
    #[default]
    Linear,
    /// `lr` throughout (the paper's cue: Adadelta, which it cites, is usually run at a constant rate).
    Constant,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct RunConfig {
    pub model: Architecture,
    pub width: usize,
    pub clean: usize,
    pub alpha: f64,
    pub noise: NoiseKind,
    pub delta: f64,
    pub order: Order,
    pub epsilon: f64,
    pub noisy_images: NoisyImages,
    pub optimizer: OptimizerKind,
    pub lr: f64,
    /// Rows and URLs from before the field read as the linear decay they were trained with.
    #[serde(default)]
    pub lr_schedule: LrSchedule,
    pub batch: usize,
    pub epochs: usize,
    pub h_alpha: bool,
    pub method: Method,
    pub smoothing: f64,
    pub bootstrap_beta: f64,
    pub gce_q: f64,
    pub transition: Transition,
    pub forget_epochs: f64,
    pub seed: u64,
}

impl Default for RunConfig {
    fn default() -> Self {
        Self {
            model: Architecture::Mlp2,
            width: 256,
            clean: 10_000,
            alpha: 20.0,
            noise: NoiseKind::Uniform,
            delta: 0.5,
            order: Order::Confusion,
            epsilon: 0.5,
            noisy_images: NoisyImages::Reused,
            optimizer: OptimizerKind::Adam,
            lr: OptimizerKind::Adam.default_lr(),
            lr_schedule: LrSchedule::default(),
            batch: 128,
            epochs: 5,
            h_alpha: false,
            method: Method::Ce,
            smoothing: 0.1,
            bootstrap_beta: 0.95,
            gce_q: 0.7,
            transition: Transition::Known,
            // Han et al.'s T_k. A ramp of 1 epoch was the lab's first choice (its runs are short)
            // and starts dropping before the nets know anything: at 80% flips it fell below plain
            // cross-entropy (n = 5,000, 15 epochs: 40 vs 45%; T_k = 10: 63%).
            forget_epochs: 10.0,
            seed: 1,
        }
    }
}

fn in_range<T: PartialOrd + std::fmt::Display>(name: &str, value: T, range: &RangeInclusive<T>) -> Result<(), String> {
    if range.contains(&value) { Ok(()) } else { Err(format!("{name} must be {}..{} (got {value})", range.start(), range.end())) }
}

impl RunConfig {
    /// Checks ranges and combinations; the message names the parameter and the allowed range.
    pub fn validate(&self) -> Result<(), String> {
        let mut problems: Vec<String> = [
            in_range("width", self.width as u64, &limits::WIDTH),
            in_range("clean", self.clean as u64, &limits::CLEAN),
            in_range("alpha", self.alpha, &limits::ALPHA),
            in_range("delta", self.delta, &limits::DELTA),
            in_range("epsilon", self.epsilon, &limits::EPSILON),
            in_range("smoothing", self.smoothing, &limits::SHARE),
            in_range("bootstrap-beta", self.bootstrap_beta, &limits::SHARE),
            (self.gce_q > *limits::GCE_Q.start() && self.gce_q <= *limits::GCE_Q.end())
                .then_some(())
                .ok_or_else(|| format!("gce-q must be in ({}, {}] (got {})", limits::GCE_Q.start(), limits::GCE_Q.end(), self.gce_q)),
            in_range("forget-epochs", self.forget_epochs, &limits::FORGET_EPOCHS),
            (self.lr > *limits::LR.start() && self.lr <= *limits::LR.end()).then_some(()).ok_or_else(|| format!("lr must be in ({}, {}] (got {})", limits::LR.start(), limits::LR.end(), self.lr)),
            in_range("batch", self.batch as u64, &limits::BATCH),
            in_range("epochs", self.epochs as u64, &limits::EPOCHS),
            limits::SEED.contains(&self.seed).then_some(()).ok_or_else(|| format!("seed must be below 2^53 so JavaScript keeps it exact (got {})", self.seed)),
        ]
        .into_iter()
        .filter_map(Result::err)
        .collect();
        if self.noise == NoiseKind::Structured && self.alpha > 0.0 && self.alpha < 10.0 * self.delta {
            problems.push(format!("structured noise with delta {} needs alpha >= {} (got {})", self.delta, 10.0 * self.delta, self.alpha));
        }
        if self.h_alpha && matches!(self.noise, NoiseKind::Fashion | NoiseKind::White) {
            // H_alpha folds the noisy labels into the targets of the clean MNIST images; images
            // from elsewhere are not MNIST images with other labels, so it has no such reading.
            problems.push(format!("h-alpha is defined for noisy labels on MNIST images (uniform or structured noise), not for {} noise", <&str>::from(self.noise)));
        }
        if self.h_alpha && self.noise.is_flip() {
            problems.push(format!("h-alpha is defined for the paper's diluted sets (alpha), not for {} flips", <&str>::from(self.noise)));
        }
        if self.h_alpha && self.method != Method::Ce {
            problems.push(format!("h-alpha is a cross-entropy target; it does not combine with method {}", <&str>::from(self.method)));
        }
        if self.method == Method::Forward && self.transition == Transition::Known && matches!(self.noise, NoiseKind::Fashion | NoiseKind::White) {
            problems.push(format!("the known transition matrix is over MNIST classes; {} noise images have none (use transition=estimated)", <&str>::from(self.noise)));
        }
        if self.noisy_images == NoisyImages::Novel && matches!(self.noise, NoiseKind::Uniform | NoiseKind::Structured) {
            let needed = self.noise_spec().noisy_count() + self.clean;
            if needed > TRAIN_IMAGES {
                problems.push(format!("novel noisy images: clean + alpha*clean = {needed} exceeds the {TRAIN_IMAGES} MNIST training images"));
            }
        }
        if problems.is_empty() { Ok(()) } else { Err(problems.join("; ")) }
    }

    pub fn noise(&self) -> Noise {
        match self.noise {
            NoiseKind::Uniform => Noise::Uniform,
            NoiseKind::Structured => Noise::Structured { delta: self.delta, order: self.order },
            NoiseKind::Fashion => Noise::Fashion,
            NoiseKind::White => Noise::White,
            NoiseKind::Symmetric => Noise::Flip { flip: Flip::Symmetric, epsilon: self.epsilon },
            NoiseKind::Pair => Noise::Flip { flip: Flip::Pair, epsilon: self.epsilon },
            NoiseKind::Asymmetric => Noise::Flip { flip: Flip::Asymmetric, epsilon: self.epsilon },
        }
    }

    pub fn noise_spec(&self) -> NoiseSpec {
        NoiseSpec { clean: self.clean, alpha: self.alpha, noise: self.noise(), noisy_images: self.noisy_images }
    }

    /// A short human label, e.g. `mlp1 alpha=20 uniform`.
    pub fn label(&self) -> String {
        let mut s = if self.noise.is_flip() {
            format!("{} {} eps={}", self.model.name(), <&str>::from(self.noise), self.epsilon)
        } else {
            format!("{} alpha={} {}", self.model.name(), self.alpha, <&str>::from(self.noise))
        };
        if self.noise == NoiseKind::Structured {
            s += &format!(" delta={} {}", self.delta, <&str>::from(self.order));
        }
        if self.h_alpha {
            s += " H_alpha";
        }
        if self.method != Method::Ce {
            s += &format!(" {}", <&str>::from(self.method));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_ranges_and_combinations() {
        let mut c = RunConfig { model: Architecture::Mlp4, alpha: 50.0, noise: NoiseKind::Structured, delta: 0.7, order: Order::Random, h_alpha: true, ..RunConfig::default() };
        assert!(c.validate().is_ok());
        c.alpha = 5.0;
        assert!(c.validate().unwrap_err().contains("needs alpha >= 7"));
        c.alpha = 101.0;
        c.batch = 0;
        let err = c.validate().unwrap_err();
        assert!(err.contains("alpha must be 0..100") && err.contains("batch must be 1..4096"), "{err}");
        let c = RunConfig { lr: 0.0, seed: 1 << 53, ..RunConfig::default() };
        let err = c.validate().unwrap_err();
        assert!(err.contains("lr must be in (0, 10]") && err.contains("seed must be below 2^53"), "{err}");
        let novel = RunConfig { clean: 10_000, alpha: 6.0, noisy_images: NoisyImages::Novel, ..RunConfig::default() };
        assert!(novel.validate().unwrap_err().contains("exceeds the 60000 MNIST training images"));
        let elsewhere = RunConfig { noise: NoiseKind::Fashion, h_alpha: true, ..RunConfig::default() };
        assert!(elsewhere.validate().unwrap_err().contains("h-alpha is defined for noisy labels on MNIST images"));
        let flips = RunConfig { noise: NoiseKind::Pair, h_alpha: true, method: Method::Gce, ..RunConfig::default() };
        let err = flips.validate().unwrap_err();
        assert!(err.contains("not for pair flips") && err.contains("does not combine with method gce"), "{err}");
        let forward = RunConfig { noise: NoiseKind::White, method: Method::Forward, ..RunConfig::default() };
        assert!(forward.validate().unwrap_err().contains("use transition=estimated"));
        assert!(RunConfig { transition: Transition::Estimated, ..forward }.validate().is_ok());
        assert!(RunConfig { gce_q: 0.0, ..RunConfig::default() }.validate().unwrap_err().contains("gce-q must be in (0, 1]"));
    }
}
