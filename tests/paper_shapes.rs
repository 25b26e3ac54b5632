//! The paper's findings as orderings, on small configurations that train in seconds: deeper nets
//! are more robust, accuracy at large alpha stays well above chance, structured noise hurts more
//! as delta grows, larger batches and H_alpha help. (The full figures: `label-noise-lab report`.)

mod common;

use label_noise_lab::core::backend::Backend;
use label_noise_lab::core::config::{NoiseKind, RunConfig};
use label_noise_lab::core::model::Architecture;
use label_noise_lab::core::noise::{Order, WrongClassRanking};
use label_noise_lab::core::optim::OptimizerKind;
use label_noise_lab::core::training::{Trainer, reference_ranking, system_clock};
use std::ops::ControlFlow;

fn accuracy(config: &RunConfig) -> f64 {
    let sources = common::sources();
    // The reference perceptron's ranking is the same for every run: trained once.
    static RANKING: std::sync::OnceLock<WrongClassRanking> = std::sync::OnceLock::new();
    let ranking = (config.noise == NoiseKind::Structured).then(|| RANKING.get_or_init(|| reference_ranking(&sources, Backend::default(), system_clock).unwrap()));
    let mut trainer = Trainer::new(config, sources, ranking, Backend::default(), system_clock).unwrap();
    trainer.run(|_| ControlFlow::Continue(())).test_accuracy
}

/// The runs' accuracies, trained side by side.
fn accuracies<const N: usize>(configs: [RunConfig; N]) -> [f64; N] {
    common::in_threads(configs, |config| accuracy(&config)).try_into().unwrap()
}

/// The quick presets' recipe, smaller: Adam at lr 1e-4, batch 256, one seed.
fn base(model: Architecture, clean: usize, alpha: f64) -> RunConfig {
    RunConfig { model, width: 128, clean, alpha, optimizer: OptimizerKind::Adam, lr: 1e-4, batch: 256, epochs: 1, seed: 3, ..RunConfig::default() }
}

#[test]
fn deeper_nets_are_more_robust_and_stay_well_above_chance() {
    let [perceptron, mlp2] = accuracies([base(Architecture::Perceptron, 4000, 50.0), base(Architecture::Mlp2, 4000, 50.0)]);
    assert!(mlp2 > perceptron + 0.15, "alpha=50: MLP2 {mlp2} vs perceptron {perceptron}");
    assert!(mlp2 > 0.3, "alpha=50: MLP2 {mlp2} is well above chance (0.1)");
}

#[test]
fn structured_noise_hurts_more_as_delta_grows() {
    let at = |delta| RunConfig { noise: NoiseKind::Structured, delta, order: Order::Confusion, epochs: 3, ..base(Architecture::Mlp1, 2000, 20.0) };
    let [none, half, full] = accuracies([at(0.0), at(0.5), at(1.0)]);
    assert!(none > full + 0.1, "delta 0: {none}, delta 1: {full}");
    assert!(half > full, "delta 0.5: {half}, delta 1: {full}");
}

#[test]
fn larger_batches_smaller_learning_rates_and_h_alpha_help() {
    // Same learning rate and epochs (3 over 102,000 examples, alpha = 50): only the batch differs.
    let at = |batch, lr| RunConfig { batch, lr, epochs: 3, ..base(Architecture::Mlp1, 2000, 50.0) };
    // The infinite-batch loss on the same data, rate, batch and steps: it trains on the 2,000 clean
    // examples only, so 51 times the epochs give batch 256's 306,000 samples.
    let h_alpha = RunConfig { h_alpha: true, batch: 256, lr: 3e-4, epochs: 3 * 51, ..base(Architecture::Mlp1, 2000, 50.0) };
    let [small, large, small_fast, h] = accuracies([at(16, 3e-4), at(256, 3e-4), at(16, 1e-3), h_alpha]);
    assert!(large > small + 0.05, "alpha=50: batch 256 {large} vs batch 16 {small}");
    assert!(small > small_fast + 0.05, "alpha=50, batch 16: lr 3e-4 {small} vs lr 1e-3 {small_fast}");
    assert!(h > large + 0.1, "alpha=50: H_alpha {h} vs batch 256 {large}");
}
