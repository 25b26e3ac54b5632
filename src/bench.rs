//! Speed measurements shared by the native CLI (`label-noise-lab bench`) and the browser worker
//! (`tests/hooks/bench.html`), so both report the same workloads measured the same way. Figures, not
//! pass/fail: `./build.sh bench` prints them.

use crate::core::backend::Backend;
use crate::core::config::{NoiseKind, RunConfig};
use crate::core::data::{CLASSES, PIXELS};
use crate::core::method::Method;
use crate::core::model::Architecture;
use crate::core::optim::OptimizerKind;
use crate::core::training::{Clock, Sources, Trainer};
use burn::prelude::*;
use serde::Serialize;

/// A training step to time: its name in the tables, the run it steps through, and how it is
/// sampled (in samples; [`steps`] turns them into steps of the run's batch).
#[derive(Clone, Debug)]
pub struct Workload {
    pub name: &'static str,
    pub config: RunConfig,
    pub sampling: Sampling,
}

impl Workload {
    /// Sampled as [`Sampling::STEP_SAMPLES`], or [`Sampling::CONV_STEP_SAMPLES`] for a conv net.
    fn new(name: &'static str, config: RunConfig) -> Workload {
        let sampling = if config.model.conv_channels().is_empty() { Sampling::STEP_SAMPLES } else { Sampling::CONV_STEP_SAMPLES };
        Workload { name, config, sampling }
    }
}

/// The standard training workloads: MLP2 width 256 batch 128 first (the reference), then MLP1,
/// the perceptron, and batches 32 and 256. SGD, as in the issue's reference figures; then the
/// page's default run's step (Adam), which the benchmark of a run pressed in the page compares with,
/// the conv nets, the training methods, and last the default step late in a run.
pub fn workloads() -> Vec<Workload> {
    let mlp2 = RunConfig { model: Architecture::Mlp2, width: 256, batch: 128, clean: 60_000, alpha: 0.0, optimizer: OptimizerKind::Sgd, lr: 0.05, epochs: 1, seed: 1, ..RunConfig::default() };
    let adam = RunConfig { clean: 60_000, alpha: 0.0, ..RunConfig::default() };
    vec![
        Workload::new("MLP2 w256 b128", mlp2.clone()),
        Workload::new("MLP1 w256 b128", RunConfig { model: Architecture::Mlp1, ..mlp2.clone() }),
        Workload::new("perceptron b128", RunConfig { model: Architecture::Perceptron, ..mlp2.clone() }),
        Workload::new("MLP2 w256 b32", RunConfig { batch: 32, ..mlp2.clone() }),
        Workload::new("MLP2 w256 b256", RunConfig { batch: 256, ..mlp2.clone() }),
        Workload::new("MLP2 w256 b128 Adam (the page's default)", adam.clone()),
        Workload::new("Conv4 w128 b128", RunConfig { model: Architecture::Conv4, width: 128, ..mlp2.clone() }),
        Workload::new("Conv2 b128", RunConfig { model: Architecture::Conv2, ..mlp2 }),
    ]
    .into_iter()
    // Each training method beside the page's default (`ce`): the same step with its own loss;
    // co-teaching trains two networks.
    .chain([Method::Smoothing, Method::Bootstrap, Method::Gce, Method::Forward, Method::Coteach].map(|method| {
        let label: &'static str = match method {
            Method::Smoothing => "MLP2 w256 b128 Adam smoothing",
            Method::Bootstrap => "MLP2 w256 b128 Adam bootstrap",
            Method::Gce => "MLP2 w256 b128 Adam gce",
            Method::Forward => "MLP2 w256 b128 Adam forward (known T)",
            _ => "MLP2 w256 b128 Adam coteach",
        };
        Workload::new(label, RunConfig { noise: NoiseKind::Symmetric, epsilon: 0.5, method, ..adam.clone() })
    }))
    // The page's default step deep into a run. Adam's moments of weights whose pixel is rarely
    // inked decay for hundreds of steps without a gradient; the steady state after 60 warm-up
    // steps never sees them small, and on Intel a subnormal one halved a pressed run
    // (BENCHMARKS, "Subnormal moments"). Timed after 3,000 steps, inside one epoch of
    // n = 60,000 at alpha = 10. Last, so the indices above (`steps:5`, the methods) keep their
    // workloads.
    .chain(std::iter::once(Workload {
        name: "MLP2 w256 b128 Adam after 3,000 steps",
        sampling: Sampling { warmup: 3_000 * adam.batch, ..Sampling::STEP_SAMPLES },
        config: RunConfig { alpha: 10.0, ..adam },
    }))
    .collect()
}

/// The largest sets the page allows, alpha = 100 on all 60,000 images (6.06 million examples),
/// trained plainly and with co-teaching (two networks): what the memory figures measure.
pub fn memory_workloads() -> Vec<(&'static str, RunConfig)> {
    let largest = RunConfig { clean: 60_000, alpha: 100.0, ..workloads()[0].config.clone() };
    vec![("alpha=100, n=60,000", largest.clone()), ("alpha=100, n=60,000, coteach", RunConfig { method: Method::Coteach, ..largest })]
}

/// Matrix-multiply flops of one training sample (see [`Architecture::training_flops`]); twice
/// that for co-teaching's two networks.
pub fn flops_per_sample(config: &RunConfig) -> f64 {
    let networks = if config.method == Method::Coteach { 2.0 } else { 1.0 };
    networks * config.model.training_flops(config.width)
}

/// How the training-step and GEMM rates are sampled: after a warm-up, in equal blocks whose
/// median is the figure. The median of blocks is the steady state the issue asks for: V8 compiles
/// hot wasm functions with its optimising tier in the background a while after they first run,
/// and a shared machine has bursts of other work; a single long timing mixes both in.
#[derive(Clone, Copy, Debug)]
pub struct Sampling {
    pub warmup: usize,
    pub blocks: usize,
    pub per_block: usize,
}

impl Sampling {
    /// Training steps, counted in samples so that every batch size fits in the first epoch of
    /// 60,000: 7,680 warm-up samples, then 8 blocks of 6,400 (at batch 128: 60 steps, 8 x 50).
    pub const STEP_SAMPLES: Sampling = Sampling { warmup: 7_680, blocks: 8, per_block: 6_400 };
    /// The conv nets' steps cost 5-50x an MLP's: 1,280 warm-up samples, then 5 blocks of 1,280.
    pub const CONV_STEP_SAMPLES: Sampling = Sampling { warmup: 1_280, blocks: 5, per_block: 1_280 };
    /// Matrix products: 5 warm-up products, then 10 blocks of 20 (for the ceiling, 5 warm-up
    /// blocks).
    pub const GEMM: Sampling = Sampling { warmup: 5, blocks: 10, per_block: 20 };

    /// Runs `work` (one unit per call) and returns (median block rate, rate over all timed units)
    /// in units per second.
    fn rates(self, clock: Clock, mut work: impl FnMut()) -> (f64, f64) {
        for _ in 0..self.warmup {
            work();
        }
        let start = clock();
        let mut blocks: Vec<f64> = (0..self.blocks)
            .map(|_| {
                let t0 = clock();
                for _ in 0..self.per_block {
                    work();
                }
                self.per_block as f64 / (clock() - t0)
            })
            .collect();
        let overall = (self.blocks * self.per_block) as f64 / (clock() - start);
        blocks.sort_by(f64::total_cmp);
        (blocks[blocks.len() / 2], overall)
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct StepFigure {
    pub workload: String,
    /// Steady state: the median of the timed blocks (see [`Sampling`]).
    pub samples_per_sec: f64,
    /// The same rate in matmul GFLOP/s (see [`flops_per_sample`]).
    pub gflops: f64,
    /// Every timed step together, slow blocks included.
    pub overall_samples_per_sec: f64,
}

/// Training steps only (batch assembly included, evaluation excluded), sampled as the workload
/// says. The steps stay inside the first epoch (its last step evaluates).
pub fn steps(workload: &Workload, sources: &Sources, backend: Backend, clock: Clock) -> Result<StepFigure, String> {
    let Workload { name, config, sampling: samples } = workload;
    let mut trainer = Trainer::new(config, sources.clone(), None, backend, clock).map_err(|e| e.to_string())?;
    let sampling = Sampling { warmup: samples.warmup / config.batch, blocks: samples.blocks, per_block: (samples.per_block / config.batch).max(1) };
    let needed = sampling.warmup + sampling.blocks * sampling.per_block;
    if needed >= trainer.steps_per_epoch() {
        return Err(format!("{name}: {needed} steps do not fit in one epoch of {}", trainer.steps_per_epoch()));
    }
    let (steps_per_sec, overall) = sampling.rates(clock, || {
        trainer.step();
    });
    let rate = steps_per_sec * config.batch as f64;
    Ok(StepFigure { workload: name.to_string(), samples_per_sec: rate, gflops: rate * flops_per_sample(config) / 1e9, overall_samples_per_sec: overall * config.batch as f64 })
}

/// The ceiling: a plain f32 matrix multiply of the MLP's biggest shape (128x784 by 784x256) on
/// the same backend and build, in GFLOP/s. Where the operands sit in memory matters (see
/// `alloc.rs`), so every block multiplies freshly allocated operands, and the ceiling is the best
/// block: the rate the product reaches when its operands sit well.
pub fn gemm_gflops(backend: Backend, clock: Clock) -> Result<f64, String> {
    let device = backend.device()?;
    let Sampling { warmup, blocks, per_block } = Sampling::GEMM;
    let mut best: f64 = 0.0;
    for block in 0..warmup + blocks {
        let a = Tensor::<2>::ones([128, PIXELS], &device);
        let b = Tensor::<2>::ones([PIXELS, 256], &device);
        let t0 = clock();
        for _ in 0..per_block {
            a.clone().matmul(b.clone()).into_data();
        }
        if block >= warmup {
            best = best.max(per_block as f64 / (clock() - t0));
        }
    }
    Ok(2.0 * 128.0 * PIXELS as f64 * 256.0 * best / 1e9)
}

/// Every matrix product of one MLP2 width-256 training step at batch 128, each timed alone:
/// (name, GFLOP/s, ms). Forward, then the backward products with transposed operands, as
/// burn's autodiff forms them. Their summed time against the step's shows what the rest costs.
pub fn step_products(backend: Backend, clock: Clock) -> Result<Vec<(String, f64, f64)>, String> {
    let device = backend.device()?;
    let t = |rows: usize, cols: usize| Tensor::<2>::ones([rows, cols], &device);
    // `.transpose()` is a strided view, as in burn's matmul backward.
    let products = [
        ("forward 128x784 * 784x256", t(128, PIXELS), t(PIXELS, 256)),
        ("forward 128x256 * 256x256", t(128, 256), t(256, 256)),
        ("forward 128x256 * 256x10", t(128, 256), t(256, CLASSES)),
        ("weight grad 784x128 (x^T) * 128x256", t(128, PIXELS).transpose(), t(128, 256)),
        ("weight grad 256x128 (h^T) * 128x256", t(128, 256).transpose(), t(128, 256)),
        ("weight grad 256x128 (h^T) * 128x10", t(128, 256).transpose(), t(128, CLASSES)),
        ("input grad 128x10 * 10x256 (W^T)", t(128, CLASSES), t(256, CLASSES).transpose()),
        ("input grad 128x256 * 256x256 (W^T)", t(128, 256), t(256, 256).transpose()),
    ];
    Ok(products
        .into_iter()
        .map(|(name, a, b)| {
            let flops = 2.0 * (a.dims()[0] * a.dims()[1] * b.dims()[1]) as f64;
            let (per_sec, _) = Sampling::GEMM.rates(clock, || {
                a.clone().matmul(b.clone()).into_data();
            });
            (name.to_string(), flops * per_sec / 1e9, 1e3 / per_sec)
        })
        .collect())
}

/// Byte offsets within a 4 KiB page tried by [`page_offsets`].
pub const PAGE_OFFSETS: [usize; 8] = [0, 8, 16, 64, 256, 1024, 2048, 3072];

/// Why the browser build colours big blocks (`alloc.rs`): the 128x784 by 784x256 product straight
/// from the `gemm` crate, called as burn-flex calls it, with the weights W, the input x and the
/// output in regions 4 MiB apart, W at the start of its region and x and the output at each pair
/// of [`PAGE_OFFSETS`] into theirs. Returns (x offset, output offset, GFLOP/s).
pub fn page_offsets(clock: Clock, reps: usize) -> Vec<(usize, usize, f64)> {
    const PAGE: usize = 4096;
    let (m, k, n) = (128, PIXELS, 256);
    // Three regions 4 MiB apart in one arena (each operand fits in one with its offset): their
    // addresses agree in the low 22 bits but for the offsets, as big blocks may by chance.
    let region = 4 << 20;
    let mut arena = vec![1.0f32; (3 * region + PAGE) / 4];
    let first = (arena.as_mut_ptr() as usize).next_multiple_of(PAGE);
    let at = |index: usize, offset: usize| (first + index * region + offset) as *mut f32;
    let mut table = Vec::new();
    for &x_offset in &PAGE_OFFSETS {
        for &out_offset in &PAGE_OFFSETS {
            let (w, x, out) = (at(0, 0), at(1, x_offset), at(2, out_offset));
            // SAFETY: all three lie inside `arena` (a region holds the biggest operand plus 4 KiB).
            let product = || unsafe { gemm::gemm(m, n, k, out, 1, n as isize, false, x, 1, k as isize, w, 1, n as isize, 0.0f32, 1.0f32, false, false, false, gemm::Parallelism::None) };
            product();
            let t0 = clock();
            for _ in 0..reps {
                product();
            }
            table.push((x_offset, out_offset, 2.0 * (m * k * n * reps) as f64 / (clock() - t0) / 1e9));
        }
    }
    drop(arena);
    table
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
    let mlp2 = workloads().remove(0).config;
    vec![("epoch: 60,000 clean", mlp2.clone()), ("epoch: n=5,000 alpha=20 (105,000)", RunConfig { clean: 5_000, alpha: 20.0, ..mlp2 })]
}

#[cfg(test)]
mod tests {
    use super::*;

    thread_local! {
        static NOW: std::cell::Cell<f64> = const { std::cell::Cell::new(0.0) };
    }

    #[test]
    fn sampling_reports_the_median_block_and_the_overall_rate() {
        // A fake clock: the first timed block runs 10x slower (V8 still optimising), one later
        // block 3x slower (another process); the rest take 1 s per unit.
        let clock: Clock = || NOW.with(|t| t.get());
        let sampling = Sampling { warmup: 2, blocks: 5, per_block: 4 };
        let mut done = 0;
        let (median, overall) = sampling.rates(clock, || {
            let timed = done as i64 - sampling.warmup as i64;
            let cost = match timed.div_euclid(sampling.per_block as i64) {
                0 => 10.0,
                3 => 3.0,
                _ => 1.0,
            };
            NOW.with(|t| t.set(t.get() + cost));
            done += 1;
        });
        assert_eq!(done, 2 + 5 * 4);
        assert_eq!(median, 1.0);
        assert!((overall - 20.0 / (4.0 * (10.0 + 3.0 + 3.0))).abs() < 1e-12, "{overall}");
    }

    #[test]
    fn mlp2_costs_the_issues_1_2_mflop_per_sample() {
        let mlp2 = &workloads()[0].config;
        let mflop = flops_per_sample(mlp2) / 1e6;
        assert!((mflop - 1.21).abs() < 0.01, "{mflop}");
        assert!(flops_per_sample(&workloads()[2].config) < flops_per_sample(mlp2));
    }
}
