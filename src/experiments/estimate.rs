//! What a run will cost before it starts: examples, memory and time, evaluation included. The
//! browser figures are fitted to runs pressed in the real page; `./build.sh bench` prints the
//! estimate beside the measured wall time for a spread of configurations.

use crate::core::config::{NoiseKind, RunConfig};
use crate::core::data::PIXELS;
use crate::core::evaluation::{FULL_HELD_OUT, FULL_TEST, QUICK_HELD_OUT, QUICK_TEST, QUICK_TRAIN, Reporting, Schedule};
use crate::core::method::{Method, Transition};
use crate::core::model::Architecture;
use crate::core::noise::{Example, Order};
use crate::core::training::{ANCHOR_SAMPLE, TRAIN_SAMPLE};
use serde::Serialize;

/// What a run does, counted before it starts: each term is multiplied by a coefficient of
/// [`Throughput`] and the products add up to the wall time. The page's benchmark records these
/// terms beside each run's wall time, so the coefficients are fitted to exactly what they scale.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Work {
    /// Matrix-multiply flops of training the dense layers (forward, backward; the reference
    /// perceptron's too).
    pub train_flops: f64,
    /// Flops of the conv layers, training and evaluation: burn-flex runs them at its own pace.
    pub conv_flops: f64,
    /// Conv outputs (before pooling) computed in training and in evaluation: the per-output
    /// work (im2col, bias, ReLU, pooling) costs about the same in a forward pass as in a training
    /// step (measured: a conv net's evaluated image costs 0.66-0.95 of a trained sample).
    pub conv_outputs: f64,
    /// Matrix-multiply flops of evaluation (forward passes only).
    pub eval_flops: f64,
    /// Optimizer steps: launching the step's kernels, allocation.
    pub steps: f64,
    /// Parameters updated, summed over steps: the optimizer's element-wise update (Adam's moments).
    pub parameter_updates: f64,
    /// White-noise images drawn from their seeds (784 normal draws each) as they are trained on.
    pub white_images: f64,
    /// Records of the training set, built and shuffled once per run.
    pub records: f64,
}

/// How fast one thread works: the seconds each unit of [`Work`] costs.
#[derive(Clone, Copy, Debug)]
pub struct Throughput {
    pub train_flops_per_sec: f64,
    pub conv_flops_per_sec: f64,
    pub secs_per_conv_output: f64,
    pub eval_flops_per_sec: f64,
    pub secs_per_step: f64,
    pub secs_per_parameter_update: f64,
    pub secs_per_white_image: f64,
    pub secs_per_record: f64,
    /// Starting a run: the model, the gallery, the first messages.
    pub secs_per_run: f64,
    /// What [`crate::experiments::probe::seconds_per_step`] took when these coefficients were
    /// measured: another host's probe against it scales them all ([`Throughput::at_probe`]).
    pub probe_secs_per_step: f64,
    pub name: &'static str,
}

impl Throughput {
    /// burn-flex in one browser worker (wasm simd128) on the 2-core machine (Intel Xeon, idle),
    /// fitted to runs pressed in the real page, Train to Done: `BENCH_PARTS=fit node
    /// tests/bench/run.mjs` then `node tests/bench/fit.mjs` (21 short runs, the conv nets'
    /// included, one of them a Conv4 run long enough for training to outweigh its evaluations,
    /// 2026-12-05, after the vectorised pooling: each within 0.87-1.15 of its fit, the MLPs'
    /// 0.96-1.05). `probe_secs_per_step` is the median over their pages of the probe as the page
    /// takes it (the median of its settled blocks), 7.10 ms a step (the pages: 6.33-7.37); the page
    /// scales every term by its own worker's probe.
    /// Terms per activation, per image (batch assembly) and per report were tried and came out
    /// as zero: the flops and step terms carry them, so they are not counted. The conv flops
    /// and conv outputs come out of one fit together (the two conv nets differ in their
    /// proportion): only their sum is meant, not a rate of either alone.
    /// `./build.sh bench` checks the fit on other runs ("estimate vs actual").
    pub const BROWSER: Throughput = Throughput {
        train_flops_per_sec: 30.4e9,
        conv_flops_per_sec: 15.0e9,
        secs_per_conv_output: 3.0e-9,
        eval_flops_per_sec: 20.8e9,
        secs_per_step: 0.044e-3,
        secs_per_parameter_update: 3.9e-9,
        secs_per_white_image: 16.1e-6,
        secs_per_record: 1.4e-6,
        secs_per_run: 0.35,
        probe_secs_per_step: 7.10e-3,
        name: "in this browser",
    };
    /// burn-flex natively, one thread: not fitted (it only decides the CLI's warnings, and the
    /// CLI does not probe); the browser's terms scaled by the native/wasm ratios of
    /// `label-noise-lab bench` (about 3x); its conv terms solve the conv nets' native training
    /// steps (`label-noise-lab bench`, Conv4 w128 and Conv2 at batch 128: 5,296 and 7,813
    /// samples/s, 2026-12-03). Its probe: the unit test's, on the same machine.
    pub const NATIVE: Throughput = Throughput {
        train_flops_per_sec: 86e9,
        conv_flops_per_sec: 64.4e9,
        secs_per_conv_output: 4.3e-9,
        eval_flops_per_sec: 80e9,
        secs_per_step: 0.06e-3,
        secs_per_parameter_update: 1e-9,
        secs_per_white_image: 5e-6,
        secs_per_record: 0.36e-6,
        // No page: no gallery, no messages.
        secs_per_run: 0.05,
        probe_secs_per_step: 3.1e-3,
        name: "natively",
    };

    /// The same terms on a host whose probe took `probe_secs_per_step`: every term costs that
    /// much more (or less) time. A probe that measured nothing usable (not a positive number)
    /// leaves them as they are, and a factor past 100x either way is taken as a broken clock.
    pub fn at_probe(self, probe_secs_per_step: f64) -> Throughput {
        let slower = probe_secs_per_step / self.probe_secs_per_step;
        if !(0.01..=100.0).contains(&slower) {
            return self;
        }
        Throughput {
            train_flops_per_sec: self.train_flops_per_sec / slower,
            conv_flops_per_sec: self.conv_flops_per_sec / slower,
            secs_per_conv_output: self.secs_per_conv_output * slower,
            eval_flops_per_sec: self.eval_flops_per_sec / slower,
            secs_per_step: self.secs_per_step * slower,
            secs_per_parameter_update: self.secs_per_parameter_update * slower,
            secs_per_white_image: self.secs_per_white_image * slower,
            secs_per_record: self.secs_per_record * slower,
            secs_per_run: self.secs_per_run * slower,
            probe_secs_per_step,
            name: self.name,
        }
    }

    /// This host's speed against the one the coefficients were measured on (0.5: half as fast).
    pub fn relative_speed(&self, reference: &Throughput) -> f64 {
        reference.probe_secs_per_step / self.probe_secs_per_step
    }

    /// Seconds for `work`.
    pub fn seconds(&self, work: &Work) -> f64 {
        work.train_flops / self.train_flops_per_sec
            + work.conv_flops / self.conv_flops_per_sec
            + work.conv_outputs * self.secs_per_conv_output
            + work.eval_flops / self.eval_flops_per_sec
            + work.steps * self.secs_per_step
            + work.parameter_updates * self.secs_per_parameter_update
            + work.white_images * self.secs_per_white_image
            + work.records * self.secs_per_record
            + self.secs_per_run
    }
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
    /// Evaluations the run will make, quick and full (see [`crate::core::evaluation`]).
    pub evaluations: (usize, usize),
    /// What the run does, in the units [`Throughput`] prices.
    pub work: Work,
    pub memory_mb: f64,
    /// Wall time from start to the final report: set-up, training and evaluation.
    pub seconds: f64,
    /// Of which evaluation.
    pub eval_seconds: f64,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(tag = "verdict", content = "message", rename_all = "lowercase")]
pub enum Verdict {
    Fine,
    Warn(String),
    Refuse(String),
}

impl Estimate {
    /// The cost of `config` reporting as `reporting` does, at `speed`.
    pub fn of(config: &RunConfig, reporting: Reporting, speed: Throughput) -> Estimate {
        let noisy = config.noise_spec().noisy_count();
        let train_examples = config.clean + noisy;
        // H_alpha trains on the clean images only, with the noise folded into the targets.
        let per_epoch = if config.h_alpha { config.clean } else { train_examples };
        let batch = config.batch.clamp(1, per_epoch.max(1));
        // Estimated forward correction trains a plain run first (and searches its anchors);
        // co-teaching trains two networks on every batch.
        let estimated = config.method == Method::Forward && config.transition == Transition::Estimated;
        let epochs = config.epochs * if estimated { 2 } else { 1 };
        let networks = if config.method == Method::Coteach { 2.0 } else { 1.0 };
        let steps = (per_epoch as u64).div_ceil(batch as u64) * epochs as u64;
        let samples = (per_epoch * epochs) as f64;

        let (quick, full) = Schedule::count(reporting, per_epoch, batch, epochs);
        let sample = TRAIN_SAMPLE.min(per_epoch);
        let anchors = if estimated { ANCHOR_SAMPLE.max(TRAIN_SAMPLE).min(per_epoch) } else { 0 };
        // The held-out split at full reports, and under early stopping at every epoch's end.
        let held_out = config.noise_spec().held_out_len().min(FULL_HELD_OUT);
        let checks = if reporting == Reporting::EarlyStop { epochs * held_out } else { 0 };
        let eval_images = (quick * (QUICK_TEST + QUICK_TRAIN.min(sample) + QUICK_HELD_OUT) + full * (FULL_TEST + sample + held_out) + checks + anchors) as f64;
        let (model, width) = (config.model, config.width);
        let eval = Work {
            eval_flops: eval_images * (model.forward_flops(width) - model.conv_flops()),
            conv_flops: eval_images * model.conv_flops(),
            conv_outputs: eval_images * model.conv_outputs() as f64,
            ..Work::default()
        };
        let trained = samples * networks;
        let mut work = Work {
            train_flops: trained * (model.training_flops(width) - model.conv_training_flops()),
            conv_flops: eval.conv_flops + trained * model.conv_training_flops(),
            conv_outputs: eval.conv_outputs + trained * model.conv_outputs() as f64,
            steps: steps as f64,
            parameter_updates: networks * steps as f64 * config.model.parameters(config.width) as f64,
            records: train_examples as f64,
            // H_alpha trains on the clean images only.
            white_images: if config.noise == NoiseKind::White && !config.h_alpha { samples * noisy as f64 / train_examples as f64 } else { 0.0 },
            ..eval
        };
        // Structured noise in a ranked order first trains the reference perceptron (one epoch on
        // 10,000 clean images, batch 128).
        if config.noise == NoiseKind::Structured && config.order != Order::Random {
            work.train_flops += 10_000.0 * Architecture::Perceptron.training_flops(0);
            work.steps += 79.0;
        }
        let seconds = speed.seconds(&work);
        // The evaluation's terms priced as the run's are (without the run's start-up).
        let eval_seconds = speed.seconds(&eval) - speed.secs_per_run;

        // Pixels (u8) of MNIST, plus Fashion-MNIST when its images are the noise; virtual examples
        // and their shuffled order; weights, gradients and two Adam moments; a batch's activations.
        let activations = config.model.activations(config.width);
        let images = 70_000.0 * (PIXELS + 1) as f64 * if config.noise == NoiseKind::Fashion { 2.0 } else { 1.0 };
        let examples = train_examples as f64 * (std::mem::size_of::<Example>() + 4) as f64;
        let model = networks * config.model.parameters(config.width) as f64 * 4.0 * 4.0;
        let batch_bytes = networks * batch as f64 * activations as f64 * 4.0 * 3.0;
        let memory_mb = (images + examples + model + batch_bytes) / 1e6 + 30.0; // + code and runtime

        Estimate { train_examples, steps, evaluations: (quick, full), work, memory_mb, seconds, eval_seconds }
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
        let e = Estimate::of(&default, Reporting::Live, Throughput::BROWSER);
        assert_eq!(e.train_examples, 210_000);
        assert!(e.seconds > 10.0 && e.seconds < 300.0, "{e:?}");
        assert_eq!(e.verdict(Throughput::BROWSER), Verdict::Fine);

        // alpha = 100, n = 60,000, batch 1: hours for 5 epochs (a warning), days for 500 (refused).
        let absurd = RunConfig { alpha: 100.0, clean: 60_000, batch: 1, ..RunConfig::default() };
        let e = Estimate::of(&absurd, Reporting::Live, Throughput::BROWSER);
        assert_eq!(e.train_examples, 6_060_000);
        assert!(e.memory_mb < 400.0, "{e:?}");
        assert!(matches!(e.verdict(Throughput::BROWSER), Verdict::Warn(m) if m.ends_with(" h and 186 MB in this browser")), "{:?}", e.verdict(Throughput::BROWSER));
        let absurd = RunConfig { epochs: 500, ..absurd };
        assert!(matches!(Estimate::of(&absurd, Reporting::Live, Throughput::BROWSER).verdict(Throughput::BROWSER), Verdict::Refuse(m) if m.contains("days")));

        // Big but possible: a warning with the estimate.
        let long = RunConfig { alpha: 50.0, clean: 60_000, epochs: 10, ..RunConfig::default() };
        assert!(matches!(Estimate::of(&long, Reporting::Live, Throughput::BROWSER).verdict(Throughput::BROWSER), Verdict::Warn(m) if m.contains("min") || m.contains(" h")));

        let wide = RunConfig { width: 2048, model: crate::core::model::Architecture::Mlp4, batch: 4096, ..RunConfig::default() };
        assert!(Estimate::of(&wide, Reporting::Live, Throughput::BROWSER).memory_mb > Estimate::of(&default, Reporting::Live, Throughput::BROWSER).memory_mb);
    }

    #[test]
    fn methods_that_train_more_cost_more() {
        let of = |method, transition| Estimate::of(&RunConfig { method, transition, ..RunConfig::default() }, Reporting::Final, Throughput::BROWSER);
        let ce = of(Method::Ce, Transition::Known);
        assert_eq!(of(Method::Gce, Transition::Known).seconds, ce.seconds, "a different loss, the same work");
        let coteach = of(Method::Coteach, Transition::Known);
        assert!(coteach.seconds > 1.7 * ce.seconds && coteach.seconds < 2.1 * ce.seconds && coteach.memory_mb > ce.memory_mb, "two networks: {} vs {}", coteach.seconds, ce.seconds);
        let estimated = of(Method::Forward, Transition::Estimated);
        assert_eq!(estimated.steps, 2 * ce.steps, "a plain run first");
        assert!(estimated.seconds > 1.9 * ce.seconds);
    }

    #[test]
    fn a_host_twice_as_slow_takes_twice_as_long_for_every_run() {
        let reference = Throughput::BROWSER;
        let slow = reference.at_probe(2.0 * reference.probe_secs_per_step);
        assert!((slow.relative_speed(&reference) - 0.5).abs() < 1e-12);
        let runs = [
            RunConfig::default(),
            RunConfig { model: Architecture::Conv4, width: 128, clean: 2_000, alpha: 5.0, epochs: 1, ..RunConfig::default() },
            RunConfig { noise: NoiseKind::White, model: Architecture::Perceptron, batch: 32, ..RunConfig::default() },
            RunConfig { noise: NoiseKind::Structured, h_alpha: true, ..RunConfig::default() },
        ];
        for config in &runs {
            let (at_reference, at_slow) = (Estimate::of(config, Reporting::Live, reference), Estimate::of(config, Reporting::Live, slow));
            assert!((at_slow.seconds / at_reference.seconds - 2.0).abs() < 1e-9, "{}: {} vs {}", config.label(), at_slow.seconds, at_reference.seconds);
            assert!((at_slow.eval_seconds / at_reference.eval_seconds - 2.0).abs() < 1e-9);
            assert_eq!((at_slow.memory_mb, at_slow.work), (at_reference.memory_mb, at_reference.work), "the work and memory are the run's, not the host's");
        }
        // The same host, and probes that measured nothing: the fitted terms as they are.
        for probe in [reference.probe_secs_per_step, 0.0, -1.0, f64::NAN, f64::INFINITY, 1e3 * reference.probe_secs_per_step] {
            let e = Estimate::of(&runs[0], Reporting::Live, reference.at_probe(probe));
            assert_eq!(e.seconds, Estimate::of(&runs[0], Reporting::Live, reference).seconds, "probe {probe}");
        }
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
