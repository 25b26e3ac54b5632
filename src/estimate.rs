//! What a run will cost before it starts: examples, memory and time. Deliberately rough (within
//! about 2x): enough to stop a classroom laptop from starting a week-long run by accident.

use crate::config::{NoiseKind, RunConfig};
use crate::data::{CLASSES, PIXELS};
use crate::noise::Example;
use serde::Serialize;

/// How fast one thread trains: matrix-multiply throughput plus a fixed cost per step (optimizer
/// update, batch assembly, the small element-wise kernels).
#[derive(Clone, Copy, Debug)]
pub struct Throughput {
    pub flops_per_sec: f64,
    pub secs_per_step: f64,
    pub name: &'static str,
}

impl Throughput {
    /// burn-flex in one browser thread (wasm simd128), fitted to MLP2 width 256 in the page on a
    /// 2-core machine: batch 1 at 1,090 samples/s, batch 8 at 5,700, batch 128 at 20,800.
    pub const BROWSER: Throughput = Throughput { flops_per_sec: 39e9, secs_per_step: 0.9e-3, name: "in this browser" };
    /// burn-flex natively, one thread, same workload: batch 1 at 1,550 samples/s, 128 at 58,000.
    pub const NATIVE: Throughput = Throughput { flops_per_sec: 130e9, secs_per_step: 0.64e-3, name: "natively" };
}

/// Runs longer than this get a warning first; runs past [`REFUSE_SECS`] or [`REFUSE_MB`] do not start.
pub const WARN_SECS: f64 = 10.0 * 60.0;
pub const REFUSE_SECS: f64 = 24.0 * 3600.0;
/// A browser tab's wasm heap can reach 4 GB, but many devices give a worker far less.
pub const REFUSE_MB: f64 = 1500.0;

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Estimate {
    pub train_examples: usize,
    pub steps: u64,
    pub memory_mb: f64,
    pub seconds: f64,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(tag = "verdict", content = "message", rename_all = "lowercase")]
pub enum Verdict {
    Fine,
    Warn(String),
    Refuse(String),
}

impl Estimate {
    pub fn of(config: &RunConfig, speed: Throughput) -> Estimate {
        let noisy = config.noise_spec().noisy_count();
        let train_examples = config.clean + noisy;
        // H_alpha trains on the clean images only, with the noise folded into the targets.
        let per_epoch = if config.h_alpha { config.clean } else { train_examples };
        let batch = config.batch.max(1) as u64;
        let steps = (per_epoch as u64).div_ceil(batch) * config.epochs as u64;

        let mut layers = vec![PIXELS];
        layers.extend(std::iter::repeat_n(config.width, config.model.hidden_layers()));
        layers.push(CLASSES);
        let params: usize = layers.windows(2).map(|w| w[0] * w[1] + w[1]).sum();
        let activations: usize = layers.iter().sum();
        // Forward 2 flops per weight, backward 4.
        let train_flops = 6.0 * params as f64 * per_epoch as f64 * config.epochs as f64;
        // Each epoch evaluates the 10,000 test images and a 10,000-example training sample.
        let eval_flops = 2.0 * params as f64 * 20_000.0 * config.epochs as f64;
        let seconds = (train_flops + eval_flops) / speed.flops_per_sec + steps as f64 * speed.secs_per_step;

        // Pixels (u8) of MNIST, plus Fashion-MNIST when its images are the noise; virtual examples
        // and their shuffled order; weights, gradients and two Adam moments; a batch's activations.
        let images = 70_000.0 * (PIXELS + 1) as f64 * if config.noise == NoiseKind::Fashion { 2.0 } else { 1.0 };
        let examples = train_examples as f64 * (std::mem::size_of::<Example>() + 4) as f64;
        let model = params as f64 * 4.0 * 4.0;
        let batch_bytes = batch as f64 * activations as f64 * 4.0 * 3.0;
        let memory_mb = (images + examples + model + batch_bytes) / 1e6 + 30.0; // + code and runtime

        Estimate { train_examples, steps, memory_mb, seconds }
    }

    pub fn verdict(&self, speed: Throughput) -> Verdict {
        let what = format!("about {} and {:.0} MB {}", duration(self.seconds), self.memory_mb, speed.name);
        if self.memory_mb > REFUSE_MB {
            Verdict::Refuse(format!("this run would need {what}: more memory than is safe; lower alpha or n"))
        } else if self.seconds > REFUSE_SECS {
            Verdict::Refuse(format!("this run would take {what}; lower the epochs, alpha or n, or raise the batch size"))
        } else if self.seconds > WARN_SECS {
            Verdict::Warn(format!("this run will take {what}"))
        } else {
            Verdict::Fine
        }
    }
}

/// `<1 s`, `42 s`, `12 min`, `3.5 h`, `4 days`.
pub fn duration(secs: f64) -> String {
    if secs < 1.0 {
        "<1 s".into()
    } else if secs < 90.0 {
        format!("{secs:.0} s")
    } else if secs < 90.0 * 60.0 {
        format!("{:.0} min", secs / 60.0)
    } else if secs < 48.0 * 3600.0 {
        format!("{:.1} h", secs / 3600.0)
    } else {
        format!("{:.0} days", secs / 86400.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_run_is_fine_and_absurd_ones_are_stopped() {
        let default = RunConfig::default();
        let e = Estimate::of(&default, Throughput::BROWSER);
        assert_eq!(e.train_examples, 210_000);
        assert!(e.seconds > 10.0 && e.seconds < 300.0, "{e:?}");
        assert_eq!(e.verdict(Throughput::BROWSER), Verdict::Fine);

        // alpha = 100, n = 60,000, batch 1: hours for 5 epochs (a warning), days for 50 (refused).
        let absurd = RunConfig { alpha: 100.0, clean: 60_000, batch: 1, ..RunConfig::default() };
        let e = Estimate::of(&absurd, Throughput::BROWSER);
        assert_eq!(e.train_examples, 6_060_000);
        assert!(e.memory_mb < 400.0, "{e:?}");
        assert!(matches!(e.verdict(Throughput::BROWSER), Verdict::Warn(m) if m.ends_with(" h and 186 MB in this browser")), "{:?}", e.verdict(Throughput::BROWSER));
        let absurd = RunConfig { epochs: 50, ..absurd };
        assert!(matches!(Estimate::of(&absurd, Throughput::BROWSER).verdict(Throughput::BROWSER), Verdict::Refuse(m) if m.contains("days")));

        // Big but possible: a warning with the estimate.
        let long = RunConfig { alpha: 50.0, clean: 60_000, epochs: 10, ..RunConfig::default() };
        assert!(matches!(Estimate::of(&long, Throughput::BROWSER).verdict(Throughput::BROWSER), Verdict::Warn(m) if m.contains("min") || m.contains(" h")));

        let wide = RunConfig { width: 2048, model: crate::model::Architecture::Mlp4, batch: 4096, ..RunConfig::default() };
        assert!(Estimate::of(&wide, Throughput::BROWSER).memory_mb > Estimate::of(&default, Throughput::BROWSER).memory_mb);
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration(0.3), "<1 s");
        assert_eq!(duration(42.0), "42 s");
        assert_eq!(duration(600.0), "10 min");
        assert_eq!(duration(3.5 * 3600.0), "3.5 h");
        assert_eq!(duration(5.0 * 86400.0), "5 days");
    }
}
