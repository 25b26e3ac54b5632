//! Hooks for the benchmark and the tests, built only with the `bench` feature (`./build.sh test`
//! and `./build.sh bench` build that wasm beside the page's, which has none of this).

use super::bindings::{Lab, clock, js_error};
use crate::bench;
use crate::core::backend::Backend;
use crate::core::config::RunConfig;
use crate::core::training::Trainer;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

/// The figures the browser's table measures, in order: `tests/hooks/bench.js` asks its worker for
/// them, so a workload added to `bench.rs` is measured in the browser too. A step whose warm-up
/// is longer than the standard one (the default step after 3,000 steps, ~20 s in one call, past
/// the worker watchdog's 12 s of silence) is left to the native table.
#[wasm_bindgen]
pub fn bench_kinds() -> Vec<String> {
    let steps = bench::workloads().into_iter().enumerate().filter(|(_, w)| w.sampling.warmup <= bench::Sampling::STEP_SAMPLES.warmup).map(|(k, _)| format!("steps:{k}"));
    let epochs = (0..bench::epoch_workloads().len()).map(|k| format!("epoch:{k}"));
    // `memory` is the first memory workload (`memory:0`), as the runner names it.
    let memory = (0..bench::memory_workloads().len()).map(|k| if k == 0 { "memory".to_string() } else { format!("memory:{k}") });
    ["gemm".to_string()].into_iter().chain(steps).chain(["products".to_string(), "offsets".to_string()]).chain(epochs).chain(memory).collect()
}

/// Panics on purpose, so the test suite can see that a panic in the worker reaches the page as a
/// clear error and that Reset recovers.
#[wasm_bindgen]
pub fn crash_test(message: &str) {
    panic!("crash test: {message}");
}

#[wasm_bindgen]
impl Lab {
    /// One benchmark figure as JSON (see `bench.rs`): `gemm`, `products` (each matrix product of
    /// the MLP2 step alone), `offsets` (the same product at chosen page offsets), `steps:K` or
    /// `epoch:K` (the K-th workload), or `memory[:K]` (wasm memory after building alpha = 100 on
    /// all 60,000 images, plainly or with co-teaching: `bench::memory_workloads`).
    pub fn bench(&mut self, kind: &str) -> Result<String, JsError> {
        self.trainer = None;
        let sources = self.sources(&RunConfig::default())?;
        let b = Backend::default();
        let value = match kind.split_once(':') {
            None if kind == "offsets" => serde_json::to_value(bench::page_offsets(clock, 20)).map_err(js_error)?,
            None if kind == "products" => serde_json::to_value(bench::step_products(b, clock).map_err(js_error)?).map_err(js_error)?,
            None if kind == "gemm" => {
                serde_json::json!({ "gemm_gflops": bench::gemm_gflops(b, clock).map_err(js_error)? })
            }
            // `memory` or `memory:K`: wasm memory after building the K-th memory workload
            // (wasm memory only grows, so `memory:1` after `memory` is the larger of the two).
            None | Some(("memory", _)) if kind.starts_with("memory") => {
                let (_, config) = pick(bench::memory_workloads(), kind.strip_prefix("memory:").unwrap_or("0"))?;
                let mut trainer = Trainer::new(&config, sources, None, b, clock).map_err(js_error)?;
                for _ in 0..20 {
                    trainer.step();
                }
                let bytes = wasm_bindgen::memory().unchecked_into::<js_sys::WebAssembly::Memory>().buffer().unchecked_into::<js_sys::ArrayBuffer>().byte_length();
                serde_json::json!({ "wasm_memory_mb": bytes as f64 / 1e6, "examples": trainer.training_set().examples.len() })
            }
            Some(("steps", k)) => {
                let workload = pick(bench::workloads(), k)?;
                serde_json::to_value(bench::steps(&workload, &sources, b, clock).map_err(js_error)?).map_err(js_error)?
            }
            Some(("epoch", k)) => {
                let (name, config) = pick(bench::epoch_workloads(), k)?;
                serde_json::to_value(bench::epoch(name, &config, &sources, b, clock).map_err(js_error)?).map_err(js_error)?
            }
            _ => return Err(JsError::new(&format!("unknown benchmark {kind:?}"))),
        };
        Ok(value.to_string())
    }
}

/// The `k`-th of a benchmark's workloads.
fn pick<T>(list: Vec<T>, k: &str) -> Result<T, JsError> {
    list.into_iter().nth(k.parse::<usize>().unwrap_or(usize::MAX)).ok_or_else(|| JsError::new("no such workload"))
}
