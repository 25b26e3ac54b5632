//! Label Noise Lab: "Deep Learning is Robust to Massive Label Noise" (Rolnick, Veit, Belongie,
//! Shavit, 2017) on real MNIST with burn, natively and in the browser.
//!
//! The science lives here free of wasm and DOM code: [`data`] (IDX files, packed web chunks),
//! [`noise`] (the paper's noisy training sets), [`model`], [`training`], [`experiments`]
//! (sweeps and the paper's figure presets), [`chart`] (plotters, any backend) and [`paper`]
//! (the published numbers).

// The browser build's allocator; natively only its tests use it.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
mod alloc;
pub mod backend;
pub mod bench;
pub mod chart;
pub mod config;
pub mod data;
pub mod estimate;
pub mod evaluation;
pub mod experiments;
pub mod model;
pub mod noise;
pub mod optim;
pub mod packed;
pub mod paper;
pub mod report;
pub mod seed;
pub mod training;
#[cfg(target_arch = "wasm32")]
pub mod wasm;

// Only in the browser: natively the system allocator already aligns to 16 (see alloc.rs).
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: alloc::Coloured = alloc::Coloured;
