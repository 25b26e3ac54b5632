//! The guided story says what its runs show ("deeper networks are more robust", "larger batches
//! see more clean labels per step"): each section's own runs, the ones the page trains, must show
//! it, as the mean over seeds 1-3. Real MNIST, natively (the page's wasm matches to float rounding).

mod common;

use label_noise_lab::core::backend::Backend;
use label_noise_lab::core::training::{Trainer, reference_ranking, system_clock};
use label_noise_lab::experiments::story::{SECTIONS, section};
use std::collections::BTreeMap;
use std::ops::ControlFlow;

/// The section's claims, each (worse, better) pair of its control's values, on seeds 1-3.
fn shows_its_claims(id: &str) {
    let section = section(id).unwrap();
    assert!(!section.claims.is_empty(), "{id} claims nothing");
    let sources = common::sources();
    let ranking = std::sync::OnceLock::new();
    let mut means = BTreeMap::new();
    for value in section.claims.iter().flat_map(|&(a, b)| [a, b]) {
        if means.contains_key(value) {
            continue;
        }
        let accuracies = common::in_threads(1..=3, |seed| {
            let config = section.config(value, seed).unwrap();
            // The reference perceptron's ranking is the same for every run: trained once.
            let ranking = config.noise_spec().needs_ranking().then(|| ranking.get_or_init(|| reference_ranking(&sources, Backend::default(), system_clock).unwrap()));
            let mut trainer = Trainer::new(&config, sources.clone(), ranking, Backend::default(), system_clock).unwrap();
            trainer.run(|_| ControlFlow::Continue(())).test_accuracy
        });
        println!("{id} {value}: {accuracies:?}");
        means.insert(value, accuracies.iter().sum::<f64>() / 3.0);
    }
    for &(worse, better) in section.claims {
        assert!(means[better] > means[worse], "{id}: {better} ({:.4}) should beat {worse} ({:.4}); all: {means:?}", means[better], means[worse]);
    }
}

#[test]
fn deeper_networks_are_more_robust_in_the_depth_section() {
    shows_its_claims("depth");
}

#[test]
fn stronger_structured_noise_hurts_more_in_the_structured_section() {
    shows_its_claims("structured");
}

#[test]
fn more_clean_examples_help_in_the_clean_set_section() {
    shows_its_claims("clean-size");
}

#[test]
fn larger_batches_and_h_alpha_help_in_the_batch_section() {
    shows_its_claims("batch");
}

/// Every value of every control is a run the page can start (a typo in a value is caught here).
#[test]
fn every_value_of_every_section_is_a_valid_run() {
    for s in SECTIONS {
        assert!(s.control.is_none() || s.values.contains(&s.value), "{}: the first choice {:?} is a value", s.id, s.value);
        let values = if s.control.is_some() { s.values } else { &[""] };
        for v in values {
            s.config(v, 1).unwrap_or_else(|e| panic!("{} {v}: {e}", s.id));
        }
        for &(a, b) in s.claims {
            assert!(s.values.contains(&a) && s.values.contains(&b), "{}: a claim names a value the control lacks", s.id);
        }
    }
}
