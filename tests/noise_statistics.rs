//! The noisy labels follow the documented distributions: Pearson chi-square goodness-of-fit tests
//! per true class, on 600,000 noisy labels over real MNIST images. The seeds are fixed, so the
//! tests are deterministic; each also shows it would reject a wrong distribution.

mod common;

use label_noise_lab::core::noise::{LabelDistribution, Noise, NoiseSpec, NoisyImages, Order, TrainingSet, WrongClassRanking};

/// Critical value of chi-square with 9 degrees of freedom at p = 0.001.
const CHI2_9DF_P001: f64 = 27.877;
/// With 8 degrees of freedom (a label of probability zero drops out).
const CHI2_8DF_P001: f64 = 26.124;

/// Passes when the statistic is below the critical value for its degrees of freedom.
fn fits((stat, df): (f64, usize)) -> bool {
    stat < if df == 9 { CHI2_9DF_P001 } else { CHI2_8DF_P001 }
}

/// Chi-square statistic and degrees of freedom per true class of the noisy labels against
/// `q(. | class)`. A label of probability zero must never occur (infinite statistic otherwise).
fn chi_square(set: &TrainingSet, q: &LabelDistribution) -> Vec<(f64, usize)> {
    let mut counts = [[0u64; 10]; 10];
    for e in set.noisy_examples() {
        counts[e.true_label.unwrap() as usize][e.label as usize] += 1;
    }
    (0..10)
        .map(|y| {
            let total: u64 = counts[y].iter().sum();
            let mut df = 9;
            let stat = (0..10)
                .map(|j| {
                    let expected = total as f64 * q.0[y][j];
                    if expected == 0.0 {
                        df -= 1;
                        if counts[y][j] == 0 { 0.0 } else { f64::INFINITY }
                    } else {
                        (counts[y][j] as f64 - expected).powi(2) / expected
                    }
                })
                .sum();
            (stat, df)
        })
        .collect()
}

fn build(noise: Noise, ranking: Option<&WrongClassRanking>, seed: u64) -> TrainingSet {
    let spec = NoiseSpec { clean: 60_000, alpha: 10.0, noise, noisy_images: NoisyImages::Reused };
    TrainingSet::build(&spec, seed, &common::mnist().train.labels, None, ranking).unwrap()
}

fn some_ranking() -> WrongClassRanking {
    // A fixed confusion-like matrix (the real one comes from a trained model; see training tests).
    let mut m = [[0u64; 10]; 10];
    for (y, row) in m.iter_mut().enumerate() {
        for (j, v) in row.iter_mut().enumerate() {
            *v = ((y * 31 + j * 17) % 23) as u64;
        }
    }
    WrongClassRanking::from_confusion(&m)
}

#[test]
fn uniform_noise_is_uniform_over_all_ten_classes() {
    let set = build(Noise::Uniform, None, 11);
    assert_eq!(set.noisy_examples().len(), 600_000);
    for (y, stat) in chi_square(&set, &LabelDistribution::uniform()).into_iter().enumerate() {
        assert!(fits(stat), "class {y}: chi-square {stat:?}");
    }
}

#[test]
fn structured_noise_matches_its_distribution_for_every_order_and_delta() {
    let ranking = some_ranking();
    for order in [Order::Confusion, Order::Reverse, Order::Random] {
        for delta in [0.25, 0.5, 1.0] {
            let set = build(Noise::Structured { delta, order }, Some(&ranking), 5);
            let stats = chi_square(&set, &set.labels);
            for (y, stat) in stats.into_iter().enumerate() {
                assert!(fits(stat), "{order:?} delta {delta} class {y}: chi-square {stat:?}");
            }
            // The expected distribution itself is the documented one for that order.
            let used = match order {
                Order::Confusion => ranking.clone(),
                Order::Reverse => ranking.reversed(),
                Order::Random => WrongClassRanking::random(5),
            };
            assert_eq!(set.labels, LabelDistribution::structured(delta, 10.0, &used).unwrap());
            // Power: the same labels are far from uniform.
            let against_uniform = chi_square(&set, &LabelDistribution::uniform());
            assert!(against_uniform.iter().all(|s| s.0 > 10.0 * CHI2_9DF_P001), "{order:?} {delta}: {against_uniform:?}");
        }
    }
    // delta = 0 is uniform noise.
    let set = build(Noise::Structured { delta: 0.0, order: Order::Confusion }, Some(&ranking), 5);
    assert_eq!(set.labels, LabelDistribution::uniform());
}

#[test]
fn virtual_sets_have_the_right_size_and_stay_small() {
    let labels = &common::mnist().train.labels;
    let spec = NoiseSpec { clean: 60_000, alpha: 100.0, noise: Noise::Uniform, noisy_images: NoisyImages::Reused };
    let set = TrainingSet::build(&spec, 1, labels, None, None).unwrap();
    assert_eq!((set.examples.len(), set.clean), (6_060_000, 60_000));
    let bytes = set.examples.capacity() * std::mem::size_of_val(&set.examples[0]);
    assert!(bytes < 100 << 20, "alpha=100, n=60,000 takes {} MB", bytes >> 20);
    // Clean examples carry their true labels; noisy same-dataset examples know their true class.
    assert!(set.clean_examples().iter().all(|e| !e.noisy && Some(e.label) == e.true_label));
    assert!(set.noisy_examples().iter().all(|e| e.noisy && e.true_label.is_some()));

    let spec = NoiseSpec { clean: 2_500, alpha: 20.0, noise: Noise::Fashion, noisy_images: NoisyImages::Novel };
    let set = TrainingSet::build(&spec, 1, labels, Some(60_000), None).unwrap();
    assert_eq!(set.examples.len(), 52_500);
}

/// Chi-square of every example's label against row `class` of `t`, over the classes with a
/// nonzero share: (statistic, degrees of freedom). A label of probability zero must never occur.
fn flip_chi_square(set: &TrainingSet, t: &[[f64; 10]; 10]) -> Vec<(f64, usize)> {
    let mut counts = [[0u64; 10]; 10];
    for e in &set.examples {
        counts[e.true_label.unwrap() as usize][e.label as usize] += 1;
    }
    (0..10)
        .map(|y| {
            let total: u64 = counts[y].iter().sum();
            let (mut stat, mut cells) = (0.0, 0usize);
            for j in 0..10 {
                let expected = total as f64 * t[y][j];
                if expected == 0.0 {
                    assert_eq!(counts[y][j], 0, "class {y} got label {j}, which has probability zero");
                } else {
                    stat += (counts[y][j] as f64 - expected).powi(2) / expected;
                    cells += 1;
                }
            }
            (stat, cells.saturating_sub(1))
        })
        .collect()
}

/// Chi-square critical values at p = 0.001 for 0..=9 degrees of freedom.
const CHI2_P001: [f64; 10] = [0.0, 10.828, 13.816, 16.266, 18.467, 20.515, 22.458, 24.322, 26.124, 27.877];

#[test]
fn flipped_labels_follow_their_transition_matrix() {
    use label_noise_lab::core::noise::Flip;
    let labels = &common::mnist().train.labels;
    for (flip, epsilon) in [(Flip::Symmetric, 0.6), (Flip::Symmetric, 0.2), (Flip::Pair, 0.45), (Flip::Asymmetric, 0.4)] {
        let spec = NoiseSpec { clean: 60_000, alpha: 0.0, noise: Noise::Flip { flip, epsilon }, noisy_images: NoisyImages::Reused };
        let set = TrainingSet::build(&spec, 11, labels, None, None).unwrap();
        let t = flip.transition(epsilon);
        assert_eq!(set.transition, Some(t));
        assert_eq!(set.examples.len(), 60_000, "flips relabel the clean set; nothing is added");
        assert!(set.clean_examples().iter().all(|e| Some(e.label) == e.true_label));
        assert!(set.noisy_examples().iter().all(|e| Some(e.label) != e.true_label));
        for (y, (stat, df)) in flip_chi_square(&set, &t).into_iter().enumerate() {
            assert!(stat <= CHI2_P001[df], "{flip:?} eps={epsilon} class {y}: chi2 {stat:.1} with {df} df");
        }
        // The wrong-label share is epsilon (asymmetric: only 2, 3, 5, 6, 7 flip).
        let flipping: f64 = (0..10).map(|y| labels.iter().filter(|&&l| l == y as u8).count() as f64 * (1.0 - t[y][y])).sum::<f64>() / 60_000.0;
        assert!((set.wrong_label_share() - flipping).abs() < 0.01, "{flip:?}: {} vs {flipping}", set.wrong_label_share());
    }
    // The test has power: symmetric eps = 0.2 labels do not fit eps = 0.23.
    let spec = NoiseSpec { clean: 60_000, alpha: 0.0, noise: Noise::Flip { flip: Flip::Symmetric, epsilon: 0.2 }, noisy_images: NoisyImages::Reused };
    let set = TrainingSet::build(&spec, 11, labels, None, None).unwrap();
    let misfits = flip_chi_square(&set, &Flip::Symmetric.transition(0.23)).into_iter().filter(|&(stat, df)| stat > CHI2_P001[df]).count();
    assert!(misfits >= 8, "only {misfits} classes reject the wrong rate");
}

#[test]
fn held_out_records_are_never_trained_on_and_follow_the_runs_label_process() {
    use label_noise_lab::core::noise::{Flip, HELD_OUT};
    use std::collections::HashSet;
    let labels = &common::mnist().train.labels;
    // (noise, noisy images, expected share of wrong labels or images from elsewhere)
    for (noise, noisy_images, wrong) in [
        (Noise::Uniform, NoisyImages::Reused, 0.9 * 4.0 / 5.0),
        (Noise::Uniform, NoisyImages::Novel, 0.9 * 4.0 / 5.0),
        (Noise::Flip { flip: Flip::Symmetric, epsilon: 0.4 }, NoisyImages::Reused, 0.4),
        (Noise::White, NoisyImages::Reused, 4.0 / 5.0),
    ] {
        let spec = NoiseSpec { clean: 3_000, alpha: 4.0, noise, noisy_images };
        let set = TrainingSet::build(&spec, 3, labels, None, None).unwrap();
        let held = set.held_out(&spec, 3, labels, None);
        // Never-seen noisy images leave most of MNIST unused; otherwise the clean pool's rest.
        assert_eq!(held.len(), if noisy_images == NoisyImages::Novel { HELD_OUT } else { 10_000 - 3_000 }, "{noise:?}");
        assert_eq!(held.len(), spec.held_out_len(), "{noise:?}: what estimates and recipes count");
        let trained: HashSet<_> = set.examples.iter().map(|e| e.image).collect();
        assert!(held.iter().all(|e| !trained.contains(&e.image)), "{noise:?} {noisy_images:?}: a held-out image is trained on");
        let share = held.iter().filter(|e| e.true_label != Some(e.label)).count() as f64 / held.len() as f64;
        // 7,000 records or more: a standard error of about 0.005.
        assert!((share - wrong).abs() < 0.04, "{noise:?}: wrong share {share} vs {wrong}");
        assert_eq!(held, set.held_out(&spec, 3, labels, None), "seeded");
    }
    let big = NoiseSpec { clean: 59_000, alpha: 1.0, noise: Noise::Uniform, noisy_images: NoisyImages::Reused };
    let set = TrainingSet::build(&big, 3, labels, None, None).unwrap();
    assert!(set.held_out(&big, 3, labels, None).is_empty() && big.held_out_len() == 0, "no unused images above n = 58,000");
    // Every size the figures use: the split drawn is the one counted.
    for (clean, alpha, noisy_images) in [
        (100, 10.0, NoisyImages::Reused),
        (10_000, 0.0, NoisyImages::Reused),
        (50_000, 1.0, NoisyImages::Reused),
        (58_000, 1.0, NoisyImages::Reused),
        (2_500, 20.0, NoisyImages::Novel),
        (40_000, 0.5, NoisyImages::Novel),
    ] {
        let spec = NoiseSpec { clean, alpha, noise: Noise::Uniform, noisy_images };
        let set = TrainingSet::build(&spec, 5, labels, None, None).unwrap();
        assert_eq!(set.held_out(&spec, 5, labels, None).len(), spec.held_out_len(), "n = {clean}, alpha = {alpha}, {noisy_images:?}");
    }
}
