//! How fast this host trains right now, in a fraction of a second. The browser estimate's
//! coefficients were fitted on one machine ([`BROWSER`], which records what this probe took
//! there); a device twice as slow, or one busy with other work, takes about twice as long for
//! every term, so the page scales them by the probe ([`at_probe`]).
//!
//! [`BROWSER`]: crate::experiments::estimate::Throughput::BROWSER
//! [`at_probe`]: crate::experiments::estimate::Throughput::at_probe

use crate::core::backend::Backend;
use crate::core::config::RunConfig;
use crate::core::data::{CLASSES, Dataset, PIXELS, Split};
use crate::core::evaluation::Reporting;
use crate::core::seed::mix;
use crate::core::training::{Clock, Sources, TrainError, Trainer};
use std::sync::Arc;

/// The page's default model and batch (MLP2 width 256, batch 128, Adam): the matrix products,
/// the element-wise work and the per-step launches of a typical run, in their usual proportion.
/// Timed in blocks of a few steps. The first blocks run wasm's baseline code until the
/// optimising compiler has caught up (later on a busy host), so blocks go on until [`SETTLED`]
/// in a row have not beaten the best by 2%, between [`MIN_BLOCKS`] and [`MAX_BLOCKS`] of them;
/// then the median of those last blocks counts, not the best: on a host kept busy by other work
/// a run gets only its share of a core, and the fastest block finds a stretch with a core to
/// itself (on 2 cores with two busy processes beside the browser the fastest block saw 0.79-1.01
/// of the idle speed while runs took 1.24-1.87x as long; BENCHMARKS.md).
const STEPS_PER_BLOCK: usize = 3;
const MIN_BLOCKS: usize = 8;
const SETTLED: usize = 5;
const MAX_BLOCKS: usize = 40;

/// Seconds per training step of the default model on this host, as a run would get them now.
pub fn seconds_per_step(backend: Backend, clock: Clock) -> Result<f64, TrainError> {
    let config = RunConfig::default();
    // A few batches of synthetic images: their values do not change the work, and no MNIST need
    // have loaded. Enough epochs that the run does not end (and evaluate) within the probe.
    let images = config.batch * 8;
    let pixels = (0..images * PIXELS).map(|i| mix(i as u64) as u8).collect();
    let labels = (0..images).map(|i| (i % CLASSES) as u8).collect();
    let train = Split::new(pixels, labels).expect("labels are classes and pixels match them");
    let test = Split::new(vec![0; PIXELS], vec![0]).expect("one image");
    let sources = Sources { mnist: Arc::new(Dataset { train, test }), fashion: None };
    let config = RunConfig { clean: images, alpha: 0.0, epochs: MAX_BLOCKS * STEPS_PER_BLOCK / 8 + 1, ..config };
    let mut trainer = Trainer::new(&config, sources, None, backend, clock)?.reporting(Reporting::Final);
    let block = settled_block(|| {
        let start = clock();
        for _ in 0..STEPS_PER_BLOCK {
            trainer.step();
        }
        clock() - start
    });
    Ok(block / STEPS_PER_BLOCK as f64)
}

/// Times blocks (`block()` runs one and returns its seconds) until they have settled, and
/// returns the median of the last [`SETTLED`] of them.
fn settled_block(mut block: impl FnMut() -> f64) -> f64 {
    let (mut times, mut best, mut since_best) = (Vec::with_capacity(MAX_BLOCKS), f64::INFINITY, 0);
    while times.len() < MAX_BLOCKS {
        let time = block();
        times.push(time);
        since_best = if time < 0.98 * best { 0 } else { since_best + 1 };
        best = best.min(time);
        if times.len() >= MIN_BLOCKS && since_best >= SETTLED {
            break;
        }
    }
    let mut last = times[times.len() - SETTLED..].to_vec();
    last.sort_by(f64::total_cmp);
    last[SETTLED / 2]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::training::system_clock;

    /// Scripted block times: the probe's statistic, without a clock.
    fn settle(times: &[f64]) -> (f64, usize) {
        let mut blocks = times.iter().copied().chain(std::iter::repeat(*times.last().unwrap()));
        let mut taken = 0;
        let block = settled_block(|| {
            taken += 1;
            blocks.next().unwrap()
        });
        (block, taken)
    }

    #[test]
    fn the_probe_leaves_the_compile_out_and_counts_a_busy_hosts_share() {
        // Idle: slow baseline-code blocks first, then steady at 19 ms with a little jitter.
        let idle = [60.0, 45.0, 30.0, 19.0, 19.2, 19.1, 19.3, 19.0, 19.2, 19.1, 19.4, 19.2];
        let (block, taken) = settle(&idle);
        assert!((19.0..19.3).contains(&block), "{block}");
        assert_eq!(taken, 9, "5 blocks in a row not beating 19 by 2%, after the 4th");
        // Busy: a core to itself now and then (19 ms), most blocks share it (28-30 ms). The best
        // block alone would read the idle speed; the median reads what a run gets.
        let busy = [60.0, 40.0, 19.0, 29.0, 28.0, 19.5, 30.0, 28.5, 29.5, 19.2, 28.0];
        let (block, _) = settle(&busy);
        assert!(block >= 28.0, "{block}");
        // A host that never settles stops at MAX_BLOCKS, still with its recent median.
        let falling: Vec<f64> = (0..60).map(|i| 100.0 * 0.95f64.powi(i)).collect();
        let (block, taken) = settle(&falling);
        assert_eq!(taken, MAX_BLOCKS);
        assert!((falling[MAX_BLOCKS - 3] - block).abs() < 1e-9, "{block}");
    }

    #[test]
    fn the_probe_runs_without_mnist_and_measures_a_step() {
        // A step of the default model is well under a second on any host that runs the tests,
        // and far more than the microsecond a probe that trained nothing would take.
        let s = seconds_per_step(Backend::default(), system_clock).unwrap();
        assert!((1e-4..1.0).contains(&s), "{s}");
    }
}
