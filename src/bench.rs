//! Speed measurements shared by the native CLI (`label-noise-lab bench`) and the browser worker
//! (`www/bench.html`), so both report the same workloads measured the same way. Figures, not
//! pass/fail: `./build.sh bench` prints them.

use crate::backend::Backend;
use crate::config::RunConfig;
use crate::data::{CLASSES, PIXELS};
use crate::model::Architecture;
use crate::optim::OptimizerKind;
use crate::training::{Clock, Sources, Trainer};
use burn::prelude::*;
use serde::Serialize;

/// The standard training workloads: MLP2 width 256 batch 128 first (the reference), then MLP1,
/// the perceptron, and batches 32 and 256. SGD, as in the issue's reference figures.
pub fn workloads() -> Vec<(&'static str, RunConfig)> {
    let mlp2 = RunConfig { model: Architecture::Mlp2, width: 256, batch: 128, clean: 60_000, alpha: 0.0, optimizer: OptimizerKind::Sgd, lr: 0.05, epochs: 1, seed: 1, ..RunConfig::default() };
    vec![
        ("MLP2 w256 b128", mlp2.clone()),
        ("MLP1 w256 b128", RunConfig { model: Architecture::Mlp1, ..mlp2.clone() }),
        ("perceptron b128", RunConfig { model: Architecture::Perceptron, ..mlp2.clone() }),
        ("MLP2 w256 b32", RunConfig { batch: 32, ..mlp2.clone() }),
        ("MLP2 w256 b256", RunConfig { batch: 256, ..mlp2 }),
    ]
}

/// Matrix-multiply flops of one training sample: forward and weight gradients for every layer,
/// input gradients for all but the first (about 1.2 MFLOP for MLP2 width 256).
pub fn flops_per_sample(config: &RunConfig) -> f64 {
    let mut sizes = vec![PIXELS];
    sizes.extend(std::iter::repeat_n(config.width, config.model.hidden_layers()));
    sizes.push(CLASSES);
    let weights: Vec<f64> = sizes.windows(2).map(|w| (w[0] * w[1]) as f64).collect();
    let all: f64 = weights.iter().sum();
    6.0 * all - 2.0 * weights[0]
}

#[derive(Clone, Debug, Serialize)]
pub struct StepFigure {
    pub workload: String,
    pub samples_per_sec: f64,
    /// The same rate in matmul GFLOP/s (see [`flops_per_sample`]).
    pub gflops: f64,
}

/// Training steps only (batch assembly included, evaluation excluded), after `warmup` steps;
/// at most what fits in one epoch.
pub fn steps(name: &str, config: &RunConfig, sources: &Sources, backend: Backend, clock: Clock, warmup: usize, steps: usize) -> Result<StepFigure, String> {
    let mut trainer = Trainer::new(config, sources.clone(), None, backend, clock).map_err(|e| e.to_string())?;
    // Stay inside the first epoch: its last step evaluates, and after it the run is over.
    let steps = steps.min(trainer.steps_per_epoch().saturating_sub(warmup + 1)).max(1);
    for _ in 0..warmup {
        trainer.step();
    }
    let t0 = clock();
    for _ in 0..steps {
        trainer.step();
    }
    let rate = (steps * config.batch) as f64 / (clock() - t0);
    Ok(StepFigure { workload: name.into(), samples_per_sec: rate, gflops: rate * flops_per_sample(config) / 1e9 })
}

/// The ceiling: a plain f32 matrix multiply of the MLP's biggest shape (128x784 by 784x256) on
/// the same backend and build, in GFLOP/s.
pub fn gemm_gflops(backend: Backend, clock: Clock, reps: usize) -> Result<f64, String> {
    let device = backend.device()?;
    let a = Tensor::<2>::ones([128, PIXELS], &device);
    let b = Tensor::<2>::ones([PIXELS, 256], &device);
    let run = || a.clone().matmul(b.clone()).into_data();
    for _ in 0..5 {
        run();
    }
    let t0 = clock();
    for _ in 0..reps {
        run();
    }
    Ok(2.0 * 128.0 * PIXELS as f64 * 256.0 * reps as f64 / (clock() - t0) / 1e9)
}

#[derive(Clone, Debug, Serialize)]
pub struct EpochFigure {
    pub workload: String,
    pub examples: usize,
    pub total_ms: f64,
    pub train_ms: f64,
    pub eval_ms: f64,
    /// Training samples/s over the whole epoch (batch assembly, noise and shuffling included).
    pub samples_per_sec: f64,
    pub test_accuracy: f64,
}

/// One full epoch end to end: building the noisy set, shuffling, batch assembly from `u8`
/// pixels, training, and the evaluation on the 10,000 test images (plus a training sample).
pub fn epoch(name: &str, config: &RunConfig, sources: &Sources, backend: Backend, clock: Clock) -> Result<EpochFigure, String> {
    let t0 = clock();
    let mut trainer = Trainer::new(config, sources.clone(), None, backend, clock).map_err(|e| e.to_string())?;
    let mut train_end = t0;
    while !trainer.is_done() {
        if trainer.progress() >= 1.0 - 1.0 / trainer.steps_per_epoch() as f64 {
            train_end = clock();
        }
        trainer.step();
    }
    let total = clock() - t0;
    let examples = trainer.training_set().examples.len();
    Ok(EpochFigure {
        workload: name.into(),
        examples,
        total_ms: total * 1000.0,
        train_ms: (train_end - t0) * 1000.0,
        eval_ms: (total - (train_end - t0)) * 1000.0,
        samples_per_sec: examples as f64 / (train_end - t0),
        test_accuracy: trainer.history().last().map_or(0.0, |m| m.test_accuracy),
    })
}

/// The two end-to-end epochs the issue names: 60,000 clean examples, and alpha = 20 on n = 5,000.
pub fn epoch_workloads() -> Vec<(&'static str, RunConfig)> {
    let (_, mlp2) = workloads().remove(0);
    vec![("epoch: 60,000 clean", mlp2.clone()), ("epoch: n=5,000 alpha=20 (105,000)", RunConfig { clean: 5_000, alpha: 20.0, ..mlp2 })]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mlp2_costs_the_issues_1_2_mflop_per_sample() {
        let mlp2 = &workloads()[0].1;
        let mflop = flops_per_sample(mlp2) / 1e6;
        assert!((mflop - 1.21).abs() < 0.01, "{mflop}");
        assert!(flops_per_sample(&workloads()[2].1) < flops_per_sample(mlp2));
    }
}
