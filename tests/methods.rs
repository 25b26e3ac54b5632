//! The training methods and the memorisation views on real MNIST with real burn training:
//! every method trains on every kind of noise, and a published claim holds here: at heavy
//! symmetric noise forward correction with the true T and co-teaching beat plain cross-entropy.

mod common;

use label_noise_lab::core::backend::Backend;
use label_noise_lab::core::config::{NoiseKind, RunConfig};
use label_noise_lab::core::evaluation::{LOSS_BINS, Reporting};
use label_noise_lab::core::method::{Method, Transition};
use label_noise_lab::core::model::Architecture;
use label_noise_lab::core::noise::LabelDistribution;
use label_noise_lab::core::training::{RunSummary, Trainer, system_clock};
use std::ops::ControlFlow;
use strum::VariantArray;

fn train(config: &RunConfig) -> RunSummary {
    let mut trainer = Trainer::new(config, common::sources(), None, Backend::default(), system_clock).unwrap();
    trainer.run(|_| ControlFlow::Continue(()))
}

#[test]
fn every_method_trains_on_diluted_flipped_and_other_image_noise() {
    let base = RunConfig { model: Architecture::Mlp1, width: 64, clean: 2_000, alpha: 4.0, epochs: 2, seed: 3, ..RunConfig::default() };
    for &method in Method::VARIANTS {
        for noise in [NoiseKind::Uniform, NoiseKind::Pair, NoiseKind::Fashion] {
            let transition = if noise == NoiseKind::Fashion { Transition::Estimated } else { Transition::Known };
            let config = RunConfig { method, noise, epsilon: 0.3, transition, ..base.clone() };
            let run = train(&config);
            // Floors well under what each reached when written (66-91%): a method that stops
            // learning fails, not one that is a few points worse. Estimated forward correction on
            // Fashion noise reached only 42.5%: each digit is 4% of the records here, so dropping
            // the top 3% of p_i (the anchor rule) drops most true digits of class i, and the
            // anchors are uncertain Fashion images; a weakness of the method, shown as it is.
            let floor = if method == Method::Forward && noise == NoiseKind::Fashion { 0.3 } else { 0.5 };
            assert!(run.test_accuracy > floor, "{}: {}", config.label(), run.test_accuracy);
            let estimated = method == Method::Forward && transition == Transition::Estimated;
            assert_eq!(run.epochs, if estimated { 4 } else { 2 }, "{}: estimated forward trains a plain run first", config.label());
            assert_eq!(run.transition_estimate.is_some(), estimated);
            assert_eq!(run.history.iter().filter(|m| m.estimating).count(), if estimated { 2 } else { 0 });
            let last = run.history.last().unwrap();
            let m = &last.memorisation;
            // The sample: 5,000 examples, or the whole set when smaller.
            assert!(m.right_labels + m.wrong_labels == run.train_examples.min(5_000) && m.wrong_labels > 0, "{}: {m:?}", config.label());
            assert!((m.wrong_given + m.wrong_true + m.wrong_other - 1.0).abs() < 1e-9);
            let h = &last.loss_histogram;
            assert_eq!((h.right.len(), h.right.iter().sum::<u32>() as usize, h.wrong.iter().sum::<u32>() as usize), (LOSS_BINS, m.right_labels, m.wrong_labels));
            assert_eq!(last.keep_threshold.is_some(), method == Method::Coteach);
            if method == Method::Coteach {
                // The kept examples are cleaner than the batch: the small-loss trick at work.
                let precision = last.kept_precision.unwrap();
                assert!(precision > 1.0 - run_wrong_share(&run), "{}: kept precision {precision}", config.label());
            }
            // The held-out noisy split is judged at every epoch end; the stop is one of them.
            let stop = run.early_stop.as_ref().unwrap();
            assert!(stop.end_of_epoch && !stop.estimating && stop.held_out_accuracy.is_some(), "{stop:?}");
        }
    }
}

/// The wrong-label share of the run's training sample at its last report.
fn run_wrong_share(run: &RunSummary) -> f64 {
    let m = &run.history.last().unwrap().memorisation;
    m.wrong_labels as f64 / (m.right_labels + m.wrong_labels) as f64
}

#[test]
fn the_known_transition_is_h_alphas_target_and_the_estimate_finds_it() {
    // Diluted uniform noise: row y of T is (onehot(y) + alpha / 10) / (1 + alpha), the soft target
    // H_alpha trains the clean image of class y on, so forward correction with T, given a network
    // that predicts the true class, asks of it exactly what H_alpha asks.
    let config = RunConfig { model: Architecture::Mlp1, width: 64, clean: 3_000, alpha: 9.0, epochs: 1, method: Method::Forward, ..RunConfig::default() };
    let trainer = Trainer::new(&config, common::sources(), None, Backend::default(), system_clock).unwrap();
    let t = trainer.training_set().transition.unwrap();
    assert_eq!(t, LabelDistribution::uniform().with_clean(9.0));
    assert!((t[3][3] - 0.19).abs() < 1e-12 && (t[3][4] - 0.09).abs() < 1e-12);

    // Estimated on pair flips at 30%: the anchor points find the flip, roughly (when written: the
    // diagonal 0.56-0.77 against 0.7, the flip 0.17-0.29 against 0.3, mean L1 row error 0.29).
    let config = RunConfig { noise: NoiseKind::Pair, epsilon: 0.3, clean: 10_000, epochs: 2, transition: Transition::Estimated, ..config };
    let run = train(&config);
    let (truth, estimate) = (run.transition.unwrap(), run.transition_estimate.unwrap());
    let error = (0..10).map(|y| (0..10).map(|j| (truth[y][j] - estimate[y][j]).abs()).sum::<f64>()).sum::<f64>() / 10.0;
    assert!(error < 0.4, "mean L1 row error {error}: {estimate:?}");
    let found = (0..10).filter(|&y| (0..10).filter(|&j| j != y).all(|j| estimate[y][(y + 1) % 10] >= estimate[y][j])).count();
    assert!(found >= 8, "the flip is the largest wrong label in only {found} rows: {estimate:?}");
    let off_flip = (0..10).map(|y| (0..10).filter(|&j| j != y && j != (y + 1) % 10).map(|j| estimate[y][j]).sum::<f64>()).sum::<f64>() / 10.0;
    assert!(off_flip < 0.2, "little mass where T has none: {off_flip}");
}

#[test]
fn at_heavy_symmetric_noise_forward_correction_and_co_teaching_beat_cross_entropy() {
    // 70% of 5,000 labels flipped to another class, 15 epochs: plain cross-entropy memorises.
    // When written: ce 67.5 / 67.2 / 69.7, forward 74.0 / 75.4 / 77.4, co-teaching 81.5 / 82.2 /
    // 83.1 (%, seeds 1-3; 84.6 / 77.7 / 71.6 with the old 1-epoch ramp). The claim (Patrini et
    // al. 2017; Han et al. 2018): each method beats cross-entropy on every seed and by at least 4
    // points on average.
    let base = RunConfig { model: Architecture::Mlp1, clean: 5_000, noise: NoiseKind::Symmetric, epsilon: 0.7, epochs: 15, ..RunConfig::default() };
    let seeds = |method| common::in_threads(1..=3, |seed| train(&RunConfig { method, seed, ..base.clone() }).test_accuracy);
    let ce = seeds(Method::Ce);
    for method in [Method::Forward, Method::Coteach] {
        let other = seeds(method);
        assert!(other.iter().zip(&ce).all(|(o, c)| o > c), "{method:?} {other:?} vs ce {ce:?}");
        let margin = (other.iter().sum::<f64>() - ce.iter().sum::<f64>()) / 3.0;
        assert!(margin > 0.04, "{method:?} beats ce by {margin:.3} on average: {other:?} vs {ce:?}");
    }
}

#[test]
fn live_reporting_fills_the_memorisation_views() {
    let config = RunConfig { model: Architecture::Mlp1, width: 64, clean: 10_000, noise: NoiseKind::Symmetric, epsilon: 0.6, epochs: 3, method: Method::Coteach, ..RunConfig::default() };
    let mut trainer = Trainer::new(&config, common::sources(), None, Backend::default(), system_clock).unwrap().reporting(Reporting::Live);
    let run = trainer.run(|_| ControlFlow::Continue(()));
    assert!(run.history.len() >= 3);
    // Live points skip the held-out split; epoch ends judge it.
    assert!(run.history.iter().all(|m| m.held_out_accuracy.is_some() == m.end_of_epoch));
    // Co-teaching's keep fraction ramps down over forget-epochs (10; this run is 3): the threshold falls.
    let first = run.history.first().unwrap().keep_threshold.unwrap();
    let last = run.history.last().unwrap().keep_threshold.unwrap();
    assert!(last < first, "keep threshold {first} -> {last}");
}
