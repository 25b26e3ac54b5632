//! The science, free of text parsing, wasm and the DOM: MNIST and its packed web chunks, the
//! paper's noisy training sets, the models, optimizers, training and evaluation, and the typed
//! configuration of one run.

pub mod backend;
pub mod config;
pub mod conv;
pub mod data;
pub mod evaluation;
pub mod method;
pub mod model;
pub mod noise;
pub mod optim;
pub mod packed;
pub mod pool;
pub mod seed;
pub mod training;
