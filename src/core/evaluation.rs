//! When a run evaluates, and on what. Evaluation competes with training for the one thread a run
//! has, so the page's live curve is budgeted: points on small fixed subsamples, spaced so that
//! they cost about [`QUICK_SHARE`] of the run, and the full test set at epoch ends as often as
//! [`FULL_SHARE`] allows (and always at the end). The schedule counts training samples,
//! not seconds, so a run's curve has the same points on every machine and every reload.

use serde::{Deserialize, Serialize};

/// Clean test images in a full evaluation, and training examples in the full training sample.
pub const FULL_TEST: usize = 10_000;
pub const FULL_TRAIN: usize = 5_000;
/// A live point's subsamples: every fifth test image, and the first examples of the training sample.
pub const QUICK_TEST_STRIDE: usize = 5;
pub const QUICK_TEST: usize = FULL_TEST / QUICK_TEST_STRIDE;
pub const QUICK_TRAIN: usize = 1_000;
/// Records of the held-out noisy split (for the early-stopping point) at a full and a live point:
/// early stopping is judged at full points (epoch ends), as a practitioner checks a validation
/// split once per epoch, so live points keep their budget for a smooth curve.
pub const FULL_HELD_OUT: usize = crate::core::noise::HELD_OUT;
pub const QUICK_HELD_OUT: usize = 0;
/// Images one evaluation runs through the network.
pub const QUICK_IMAGES: usize = QUICK_TEST + QUICK_TRAIN + QUICK_HELD_OUT;
pub const FULL_IMAGES: usize = FULL_TEST + FULL_TRAIN + FULL_HELD_OUT;

/// Evaluating one image costs about this many training samples: a forward pass against a
/// forward and a backward pass (twice the work) at a larger, more efficient batch. Measured
/// with `label-noise-lab bench` (MLP2 w256, natively: 5.6 us per image against 15.6 us per sample).
pub const EVAL_COST: f64 = 0.36;
/// The shares of a live run's time that its quick points and its full evaluations may take.
pub const QUICK_SHARE: f64 = 0.03;
pub const FULL_SHARE: f64 = 0.03;

/// Training samples between live points: a quick evaluation's cost over [`QUICK_SHARE`].
pub const LIVE_SPACING: usize = ((QUICK_IMAGES as f64) * EVAL_COST / QUICK_SHARE) as usize;
/// Training samples between full evaluations at epoch ends (the last one is always full).
pub const FULL_SPACING: usize = ((FULL_IMAGES as f64) * EVAL_COST / FULL_SHARE) as usize;

/// How often a run reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reporting {
    /// Once, at the end: the full test set.
    Final,
    /// At the end, and at the epoch where early stopping stops: the latest whose accuracy on the
    /// held-out noisy split, checked at every epoch end, is within one standard error of the
    /// best. What a figure's point keeps. That epoch's network is kept until the end and only
    /// then evaluated (before: a full report at every epoch within reach so far, most of a
    /// small clean set's time). Runs without a split (n above 58,000) report once, at the end,
    /// as with `Final`.
    EarlyStop,
    /// At the end of every epoch, in full (the CLI's default).
    #[default]
    Epochs,
    /// At epoch ends and every `k` steps, in full (the CLI's `--report-every k`).
    EverySteps(usize),
    /// The page's curve: quick points from the first seconds on, full ones within the budget.
    Live,
}

/// What one report evaluates.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Eval {
    /// [`QUICK_TEST`] test images and [`QUICK_TRAIN`] training examples.
    Quick,
    /// [`FULL_TEST`] test images and [`FULL_TRAIN`] training examples.
    #[default]
    Full,
}

impl Eval {
    /// (test images, training examples, held-out records) evaluated, before clipping to what
    /// the run has.
    pub fn images(self) -> (usize, usize, usize) {
        match self {
            Eval::Quick => (QUICK_TEST, QUICK_TRAIN, QUICK_HELD_OUT),
            Eval::Full => (FULL_TEST, FULL_TRAIN, FULL_HELD_OUT),
        }
    }
}

/// The state a schedule keeps between reports: samples at the last report and full evaluation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    pub reporting: Reporting,
    next_due: usize,
    last_full: usize,
}

impl Schedule {
    pub fn new(reporting: Reporting) -> Self {
        Self { reporting, next_due: LIVE_SPACING / 8, last_full: 0 }
    }

    /// Whether to report after step number `step` (1-based) ended with `samples` trained in all;
    /// call [`Schedule::reported`] after evaluating.
    pub fn due(&self, step: usize, samples: usize, end_of_epoch: bool, last: bool) -> Option<Eval> {
        match self.reporting {
            _ if last => Some(Eval::Full),
            // EarlyStop's other reports depend on the network: the trainer asks for them.
            Reporting::Final | Reporting::EarlyStop => None,
            Reporting::Epochs => end_of_epoch.then_some(Eval::Full),
            Reporting::EverySteps(k) => (end_of_epoch || (k > 0 && step.is_multiple_of(k))).then_some(Eval::Full),
            Reporting::Live if end_of_epoch && samples - self.last_full >= FULL_SPACING => Some(Eval::Full),
            Reporting::Live => (samples >= self.next_due).then_some(Eval::Quick),
        }
    }

    /// Records a report at `samples`. Live points come at 1/8, 1/4 and 1/2 of the spacing first,
    /// so a slow model's curve still starts to rise within seconds.
    pub fn reported(&mut self, samples: usize, eval: Eval) {
        self.next_due = samples + samples.clamp(LIVE_SPACING / 8, LIVE_SPACING);
        if eval == Eval::Full {
            self.last_full = samples;
        }
    }

    /// (quick, full) evaluations of a whole run of `epochs` epochs of `epoch_len` examples in
    /// batches of `batch`, without stepping through it: what the estimate charges.
    pub fn count(reporting: Reporting, epoch_len: usize, batch: usize, epochs: usize) -> (usize, usize) {
        let (len, batch) = (epoch_len.max(1), batch.clamp(1, epoch_len.max(1)));
        let steps_per_epoch = len.div_ceil(batch);
        // Samples trained after step `s` (1-based) of an epoch, and the step that first reaches `t`.
        let within = |s: usize| (s * batch).min(len);
        let mut schedule = Schedule::new(reporting);
        let (mut quick, mut full) = (0, 0);
        let mut tally = |schedule: &mut Schedule, samples: usize, eval: Eval| {
            schedule.reported(samples, eval);
            if eval == Eval::Full { full += 1 } else { quick += 1 }
        };
        for e in 0..epochs {
            let start = e * len;
            match reporting {
                Reporting::EverySteps(k) if k > 0 => {
                    // Step numbers run on across epochs: multiples of k inside this epoch (not its last step).
                    let (first, last) = (e * steps_per_epoch + 1, (e + 1) * steps_per_epoch - 1);
                    let hits = if last >= first { last / k - (first - 1) / k } else { 0 };
                    for _ in 0..hits {
                        tally(&mut schedule, start, Eval::Full);
                    }
                }
                Reporting::Live => loop {
                    // The first step of this epoch that reaches the due point, if not its last.
                    let need = schedule.next_due.saturating_sub(start);
                    let s = need.div_ceil(batch).max(1);
                    if s >= steps_per_epoch {
                        break;
                    }
                    tally(&mut schedule, start + within(s), Eval::Quick);
                },
                _ => {}
            }
            let end = start + len;
            let step = (e + 1) * steps_per_epoch;
            if let Some(eval) = schedule.due(step, end, true, e + 1 == epochs) {
                tally(&mut schedule, end, eval);
            }
        }
        (quick, full)
    }
}

/// What the network makes of the sampled training examples, split by whether their label is
/// right (the image's class) or wrong (another class, or an image from elsewhere): memorisation is
/// the wrong-label examples predicted as their given label.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Memorisation {
    pub right_labels: usize,
    /// Of the right-label examples: predicted as their label.
    pub right_fitted: f64,
    pub wrong_labels: usize,
    /// Of the wrong-label examples: predicted as the given (wrong) label, as their true class,
    /// or as something else (images from elsewhere have no true class).
    pub wrong_given: f64,
    pub wrong_true: f64,
    pub wrong_other: f64,
}

impl Memorisation {
    /// From (given label, true class, prediction) triples.
    pub fn of(examples: impl Iterator<Item = (u8, Option<u8>, u8)>) -> Self {
        let mut m = Self::default();
        let (mut fitted, mut given, mut truth) = (0usize, 0usize, 0usize);
        for (label, true_label, predicted) in examples {
            if true_label == Some(label) {
                m.right_labels += 1;
                fitted += (predicted == label) as usize;
            } else {
                m.wrong_labels += 1;
                given += (predicted == label) as usize;
                truth += (Some(predicted) == true_label) as usize;
            }
        }
        let share = |k: usize, n: usize| if n == 0 { 0.0 } else { k as f64 / n as f64 };
        m.right_fitted = share(fitted, m.right_labels);
        m.wrong_given = share(given, m.wrong_labels);
        m.wrong_true = share(truth, m.wrong_labels);
        m.wrong_other = if m.wrong_labels == 0 { 0.0 } else { 1.0 - m.wrong_given - m.wrong_true };
        m
    }
}

/// Bins of the per-example loss histogram: `LOSS_BINS` of width `LOSS_BIN_WIDTH` from 0, the last
/// one open (every loss above it).
pub const LOSS_BINS: usize = 32;
pub const LOSS_BIN_WIDTH: f64 = 0.5;

/// Cross-entropy against the given label of the sampled training examples, counted in bins, for
/// right- and wrong-label examples apart: wrong labels keep high losses while a network is not yet
/// memorising them, the reason the small-loss trick (co-teaching) works.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LossHistogram {
    pub bin_width: f64,
    pub right: Vec<u32>,
    pub wrong: Vec<u32>,
}

impl LossHistogram {
    /// From (loss, label is right) pairs.
    pub fn of(losses: impl Iterator<Item = (f64, bool)>) -> Self {
        let mut h = Self { bin_width: LOSS_BIN_WIDTH, right: vec![0; LOSS_BINS], wrong: vec![0; LOSS_BINS] };
        for (loss, right) in losses {
            let bin = ((loss.max(0.0) / LOSS_BIN_WIDTH) as usize).min(LOSS_BINS - 1);
            if right { h.right[bin] += 1 } else { h.wrong[bin] += 1 }
        }
        h
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Steps through a run the way the trainer does.
    fn walk(reporting: Reporting, epoch_len: usize, batch: usize, epochs: usize) -> Vec<(usize, Eval)> {
        let mut schedule = Schedule::new(reporting);
        let (mut samples, mut step, mut out) = (0, 0, Vec::new());
        for e in 0..epochs {
            let mut position = 0;
            while position < epoch_len {
                let end = (position + batch).min(epoch_len);
                samples += end - position;
                position = end;
                step += 1;
                let end_of_epoch = position == epoch_len;
                if let Some(eval) = schedule.due(step, samples, end_of_epoch, end_of_epoch && e + 1 == epochs) {
                    schedule.reported(samples, eval);
                    out.push((samples, eval));
                }
            }
        }
        out
    }

    #[test]
    fn the_count_matches_a_walk_through_the_run() {
        for reporting in [Reporting::Final, Reporting::Epochs, Reporting::EverySteps(7), Reporting::EverySteps(50), Reporting::Live] {
            for (len, batch, epochs) in [(210_000, 128, 5), (10_000, 128, 30), (1_000, 32, 3), (6_060, 1, 2), (500, 256, 4), (123_457, 100, 3), (2_500, 64, 40)] {
                let points = walk(reporting, len, batch, epochs);
                let counted = (points.iter().filter(|p| p.1 == Eval::Quick).count(), points.iter().filter(|p| p.1 == Eval::Full).count());
                assert_eq!(Schedule::count(reporting, len, batch, epochs), counted, "{reporting:?} {len} {batch} {epochs}");
            }
        }
    }

    #[test]
    fn a_live_curve_starts_early_and_evaluation_stays_within_its_share() {
        // The page's default run: n = 10,000, alpha = 20, batch 128, 5 epochs.
        let points = walk(Reporting::Live, 210_000, 128, 5);
        // Within a quarter of a second at the page's ~24,000 samples/s.
        assert!(points[0].0 <= 6_000, "first point after {} samples", points[0].0);
        assert_eq!(points.last().unwrap(), &(1_050_000, Eval::Full), "the run ends in a full evaluation");
        // A smooth curve: a point every ~1.5 s of the ~45 s this run takes in the browser.
        assert!(points.len() >= 30, "a smooth curve: {} points", points.len());
        for (len, batch, epochs) in [(210_000, 128, 5), (10_000, 128, 30), (1_000, 32, 50), (6_060_000, 128, 1), (2_000, 16, 3)] {
            let (quick, full) = Schedule::count(Reporting::Live, len, batch, epochs);
            let cost = (quick * QUICK_IMAGES + full * FULL_IMAGES) as f64 * EVAL_COST;
            let training = (len * epochs) as f64;
            // The final full evaluation is owed by every run, however short.
            let final_eval = FULL_IMAGES as f64 * EVAL_COST;
            // Within the shares (a little over: points land on step ends), plus the early points.
            let early = 4.0 * QUICK_IMAGES as f64 * EVAL_COST;
            assert!(cost - final_eval <= (QUICK_SHARE + FULL_SHARE) * 1.1 * training + early, "{len} x {epochs}: {quick} quick, {full} full");
        }
        // Full evaluations at epoch ends when the budget allows them.
        assert!(points.iter().filter(|p| p.1 == Eval::Full).count() >= 3);
    }

    #[test]
    fn memorisation_and_loss_histogram_count_what_they_say() {
        // (given, true, predicted): right and fitted; right, missed; wrong memorised; wrong but
        // read as its class; wrong, something else; an image from elsewhere, memorised.
        let m = Memorisation::of([(3, Some(3), 3), (4, Some(4), 1), (7, Some(1), 7), (7, Some(1), 1), (7, Some(1), 2), (5, None, 5)].into_iter());
        assert_eq!((m.right_labels, m.right_fitted, m.wrong_labels), (2, 0.5, 4));
        assert_eq!((m.wrong_given, m.wrong_true, m.wrong_other), (0.5, 0.25, 0.25));
        let h = LossHistogram::of([(0.1, true), (0.3, true), (0.3, false), (99.0, false), (-0.0, true)].into_iter());
        assert_eq!((h.right[0], h.wrong[0], h.wrong[LOSS_BINS - 1]), (3, 1, 1));
        assert_eq!(h.right.iter().chain(&h.wrong).sum::<u32>(), 5);
    }

    #[test]
    fn final_reporting_evaluates_once() {
        assert_eq!(Schedule::count(Reporting::Final, 210_000, 256, 7), (0, 1));
        assert_eq!(Schedule::count(Reporting::Epochs, 210_000, 256, 7), (0, 7));
    }
}
