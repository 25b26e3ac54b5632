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
/// Blocks of a few steps, the fastest counted: a step slowed by another tab is not the host's
/// speed, and the first blocks run wasm's baseline code until the optimising compiler has
/// caught up (later on a busy host). So blocks go on until [`SETTLED`] in a row have not
/// beaten the best by 2%, between [`MIN_BLOCKS`] and [`MAX_BLOCKS`] of them.
const STEPS_PER_BLOCK: usize = 3;
const MIN_BLOCKS: usize = 8;
const SETTLED: usize = 5;
const MAX_BLOCKS: usize = 40;

/// Seconds per training step of the default model on this host (the fastest block's mean).
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
    let (mut best, mut since_best) = (f64::INFINITY, 0);
    for block in 1..=MAX_BLOCKS {
        let start = clock();
        for _ in 0..STEPS_PER_BLOCK {
            trainer.step();
        }
        let time = clock() - start;
        since_best = if time < 0.98 * best { 0 } else { since_best + 1 };
        best = best.min(time);
        if block >= MIN_BLOCKS && since_best >= SETTLED {
            break;
        }
    }
    Ok(best / STEPS_PER_BLOCK as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::training::system_clock;

    #[test]
    fn the_probe_runs_without_mnist_and_measures_a_step() {
        // A step of the default model is well under a second on any host that runs the tests,
        // and far more than the microsecond a probe that trained nothing would take.
        let s = seconds_per_step(Backend::default(), system_clock).unwrap();
        assert!((1e-4..1.0).contains(&s), "{s}");
    }
}
