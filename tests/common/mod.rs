//! Real MNIST for the integration tests, loaded once per test binary from `MNIST_DIR`.
#![allow(dead_code)]

use label_noise_lab::core::data::Dataset;
use label_noise_lab::core::training::Sources;
use std::sync::{Arc, OnceLock};

fn load(var: &str) -> Arc<Dataset> {
    Arc::new(Dataset::from_env(var).unwrap_or_else(|e| panic!("these tests need the real data: {e}")))
}

pub fn mnist() -> Arc<Dataset> {
    static MNIST: OnceLock<Arc<Dataset>> = OnceLock::new();
    MNIST.get_or_init(|| load("MNIST_DIR")).clone()
}

pub fn fashion() -> Arc<Dataset> {
    static FASHION: OnceLock<Arc<Dataset>> = OnceLock::new();
    FASHION.get_or_init(|| load("FASHION_MNIST_DIR")).clone()
}

pub fn sources() -> Sources {
    Sources { mnist: mnist(), fashion: Some(fashion()) }
}

/// `f` of each item, one thread an item, in the items' order. Training is single-threaded: a
/// test binary's last test, training its runs one after another, would leave a core idle.
pub fn in_threads<I: Send, R: Send>(items: impl IntoIterator<Item = I>, f: impl Fn(I) -> R + Sync) -> Vec<R> {
    std::thread::scope(|scope| {
        let f = &f;
        let runs: Vec<_> = items.into_iter().map(|item| scope.spawn(move || f(item))).collect();
        runs.into_iter().map(|run| run.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))).collect()
    })
}
