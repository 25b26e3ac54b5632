//! Label Noise Lab: "Deep Learning is Robust to Massive Label Noise" (Rolnick, Veit, Belongie,
//! Shavit, 2017) on real MNIST with burn, natively and in the browser.
//!
//! The layers, each importing only from the ones below it (see ARCHITECTURE.md):
//! - [`web`] (the wasm-bindgen layer) and the CLI (`src/cli/`) are the faces;
//! - [`experiments`]: the paper's figures as sweeps, its numbers, the report, run estimates and
//!   charts;
//! - [`params`]: the one parameter table: names, kinds, ranges, help, text and URL forms;
//! - [`core`]: the science (data, noise, models, optimizers, training, evaluation), free of text
//!   parsing, wasm and the DOM.
//!
//! [`bench`] (feature `bench`) holds the speed measurements, out of the page's wasm.

#[cfg(feature = "bench")]
pub mod bench;
pub mod core;
pub mod experiments;
pub mod params;
pub mod web;
