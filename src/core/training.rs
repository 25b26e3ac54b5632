//! Our own training loop (burn-train does not run in a browser). A [`Trainer`] advances one batch
//! per [`Trainer::step`], so a native caller can loop and a Web Worker can yield between batches;
//! [`Trainer::run`] streams reports to a callback that can stop the run early.

use crate::core::backend::Backend;
use crate::core::config::{LrSchedule, RunConfig};
use crate::core::data::{CLASSES, Dataset, PIXELS};
use crate::core::evaluation::{Eval, FULL_HELD_OUT, LossHistogram, Memorisation, QUICK_TEST_STRIDE, Reporting, Schedule};
use crate::core::method::{Loss, Method, Transition, anchor_transition, keep_fraction, transition_tensor};
use crate::core::model::Classifier;
use crate::core::noise::{Example, ImageRef, TrainingSet, WrongClassRanking};
use crate::core::seed::{Stream, mix, rng};
use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::prelude::*;
use burn::tensor::activation::log_softmax;
use rand::{RngExt, SeedableRng, rngs::ChaCha12Rng, seq::SliceRandom};
use serde::{Deserialize, Serialize};
use std::ops::ControlFlow;
use std::sync::Arc;

#[cfg(feature = "checkpoint")]
mod checkpoint;
#[cfg(feature = "checkpoint")]
pub use checkpoint::ConfigDifferences;

/// The usual MNIST normalisation (mean and std of training pixels / 255).
pub const PIXEL_MEAN: f32 = 0.1307;
pub const PIXEL_STD: f32 = 0.3081;
/// Training examples evaluated for the train-set accuracies at a full report.
pub const TRAIN_SAMPLE: usize = crate::core::evaluation::FULL_TRAIN;
const EVAL_BATCH: usize = 1_000;
/// Training examples whose predictions the anchor-point estimate of `T` searches (Patrini et al.
/// search the whole training set; a fixed sample keeps it within memory at alpha = 100).
pub const ANCHOR_SAMPLE: usize = 20_000;

/// The images a run draws from.
#[derive(Clone)]
pub struct Sources {
    pub mnist: Arc<Dataset>,
    pub fashion: Option<Arc<Dataset>>,
}

/// What a report says; `epoch` is fractional for reports inside an epoch.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    pub epoch: f64,
    pub step: usize,
    pub end_of_epoch: bool,
    /// Accuracy on clean test images: all 10,000, or every fifth for a quick live point.
    pub test_accuracy: f64,
    /// What this point evaluated: the quick subsamples or everything (see [`Eval`]).
    pub eval: Eval,
    /// How many test images `test_accuracy` is measured on.
    pub test_images: usize,
    /// `confusion[true][predicted]` over those test images: the matrix during training.
    pub confusion: [[u32; CLASSES]; CLASSES],
    /// Accuracy against the labels the network was given, on a fixed sample of training examples
    /// (5,000, or its first 1,000 for a quick live point).
    pub train_accuracy: f64,
    /// On the sampled noisy examples that have a true class: predictions equal to that class.
    pub noisy_true_accuracy: Option<f64>,
    /// On the sampled noisy examples: predictions equal to their noisy label (memorisation).
    pub noisy_label_accuracy: Option<f64>,
    /// The same sample split by right and wrong labels (see [`Memorisation`]).
    pub memorisation: Memorisation,
    /// The sample's losses against their given labels, right and wrong labels apart.
    pub loss_histogram: LossHistogram,
    /// Accuracy against the given labels on the held-out noisy split, at full points; `None` at
    /// live points and when the run has no split (n above 58,000).
    pub held_out_accuracy: Option<f64>,
    /// Where early stopping on that split would have stopped so far: the latest report within
    /// one standard error of the best held-out accuracy (the plain first run of estimated
    /// forward correction does not count).
    pub early_stop_epoch: Option<f64>,
    /// Co-teaching: the loss below which the current keep fraction of the sample falls, and the
    /// share of the kept examples (since the previous report) whose labels are right.
    pub keep_threshold: Option<f64>,
    pub kept_precision: Option<f64>,
    /// Estimated forward correction's first run (plain cross-entropy, to estimate `T`).
    pub estimating: bool,
    /// Mean training loss since the previous report.
    pub loss: f64,
    /// Training samples per second since the previous report, end to end: the time spent
    /// evaluating (this report included) counts.
    pub samples_per_sec: f64,
    pub elapsed_secs: f64,
}

/// The outcome of a finished (or stopped) run; what `--json` prints.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunSummary {
    pub config: RunConfig,
    pub backend: String,
    pub test_accuracy: f64,
    pub epochs: usize,
    /// Training samples per second over the whole run, evaluation included.
    pub samples_per_sec: f64,
    pub train_examples: usize,
    pub parameters: usize,
    pub history: Vec<Metrics>,
    pub confusion: [[u64; CLASSES]; CLASSES],
    /// The generator's `T[class][label]` over the training set, when the noisy images are digits.
    pub transition: Option<[[f64; CLASSES]; CLASSES]>,
    /// Forward correction's anchor-point estimate of it.
    pub transition_estimate: Option<[[f64; CLASSES]; CLASSES]>,
    /// The report early stopping on the held-out noisy split would have kept.
    pub early_stop: Option<Metrics>,
    /// What a figure's point keeps of this run (its CSV row; the page's figures read it too).
    pub point: PointReading,
    pub fingerprints: Fingerprints,
}

/// The accuracy a figure's point keeps: early stopping's pick when the run was trained under
/// [`Reporting::EarlyStop`] and had a split to stop on, else the last report's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PointReading {
    pub test_accuracy: f64,
    /// The epoch early stopping kept; `None` when the point is the last report.
    pub stop_epoch: Option<f64>,
}

/// What must be bit-identical wherever a configuration runs (see [`crate::core::seed::fingerprint`]):
/// the training set and the initial weights are integer and RNG work; the final weights also
/// depend on float arithmetic, so they match across reloads on one target, not across targets.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fingerprints {
    pub training_set: String,
    pub initial_weights: String,
    pub final_weights: String,
}

#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error("invalid configuration: {0}")]
    Config(String),
    #[error(transparent)]
    Noise(#[from] crate::core::noise::NoiseError),
    #[error("{0}")]
    Backend(String),
    #[error("checkpoint {0}")]
    Checkpoint(String),
}

/// A portable clock: `std::time::Instant` panics in the browser, so wasm uses `performance.now()`
/// through the caller-supplied function.
pub type Clock = fn() -> f64;

#[cfg(not(target_arch = "wasm32"))]
pub fn system_clock() -> f64 {
    use std::sync::OnceLock;
    static START: OnceLock<std::time::Instant> = OnceLock::new();
    START.get_or_init(std::time::Instant::now).elapsed().as_secs_f64()
}

/// White-noise pixels have MNIST's training-pixel mean and standard deviation (0..255 scale):
/// constants, so a run's noise does not depend on how much of MNIST has streamed in (a test
/// checks them against the real files).
pub const WHITE_NOISE_MEAN: f32 = 33.3184;
pub const WHITE_NOISE_STD: f32 = 78.5675;

/// `u8` pixels as the network's input: scaled to 0..1, then standardised with MNIST's moments.
fn normalise(pixels: &[u8], out: &mut [f32]) {
    // One multiply-add per pixel rather than a 256-entry lookup table (or two divisions): it
    // vectorises (simd128 has no gather); batch assembly was ~6% of a native training step.
    let scale = 1.0 / (255.0 * PIXEL_STD);
    let shift = -PIXEL_MEAN / PIXEL_STD;
    for (o, &p) in out.iter_mut().zip(pixels) {
        *o = p as f32 * scale + shift;
    }
}

/// Turns virtual examples into input tensors: `u8` pixels normalised, white noise generated
/// from its seed.
struct ImageSource {
    sources: Sources,
    white_seed: u64,
    white_mean: f32,
    white_std: f32,
}

impl ImageSource {
    fn new(sources: Sources, seed: u64) -> Self {
        Self { sources, white_seed: mix(seed ^ Stream::WhiteNoise as u64), white_mean: WHITE_NOISE_MEAN, white_std: WHITE_NOISE_STD }
    }

    fn fill(&self, image: ImageRef, out: &mut [f32]) {
        let pixels = match image {
            ImageRef::Mnist(i) => self.sources.mnist.train.image(i as usize),
            ImageRef::MnistTest(i) => self.sources.mnist.test.image(i as usize),
            ImageRef::Fashion(i) => self.sources.fashion.as_ref().expect("checked when the set was built").train.image(i as usize),
            ImageRef::White(s) => {
                // Gaussian pixels with MNIST's mean and std (0..255 scale), Box-Muller in pairs.
                let mut r = ChaCha12Rng::seed_from_u64(mix(self.white_seed ^ s as u64));
                for pair in out.chunks_mut(2) {
                    let (u1, u2): (f32, f32) = (1.0 - r.random::<f32>(), r.random());
                    let radius = (-2.0 * u1.ln()).sqrt() * self.white_std;
                    let angle = std::f32::consts::TAU * u2;
                    for (v, z) in pair.iter_mut().zip([radius * angle.cos(), radius * angle.sin()]) {
                        *v = ((self.white_mean + z) / 255.0 - PIXEL_MEAN) / PIXEL_STD;
                    }
                }
                return;
            }
        };
        normalise(pixels, out);
    }

    fn batch(&self, images: impl ExactSizeIterator<Item = ImageRef>, device: &Device) -> Tensor<2> {
        let n = images.len();
        let mut data = vec![0f32; n * PIXELS];
        for (image, out) in images.zip(data.chunks_mut(PIXELS)) {
            self.fill(image, out);
        }
        Tensor::from_data(TensorData::new(data, [n, PIXELS]), device)
    }
}

/// Co-teaching's second network.
struct Peer {
    model: Option<Classifier>,
    optimizer: ModuleOptimizer,
}

/// Early stopping's pick while it is not yet evaluated: the network at the latest epoch end whose
/// held-out check came within reach of the best so far, and its report's training-side fields
/// as they stood then.
struct Candidate {
    model: Classifier,
    at: Metrics,
}

pub struct Trainer {
    config: RunConfig,
    backend: Backend,
    device: Device,
    train_device: Device,
    images: ImageSource,
    set: TrainingSet,
    /// Indices into `set.examples` visited by an epoch (all of them, or only the clean ones
    /// with H_alpha), reshuffled at the start of every epoch.
    order: Vec<u32>,
    position: usize,
    epoch: usize,
    step: usize,
    model: Option<Classifier>,
    optimizer: ModuleOptimizer,
    loss: Loss,
    peer: Option<Peer>,
    /// Co-teaching's tau: the share of wrong labels (known: the lab made them).
    forget_rate: f64,
    /// Co-teaching since the previous report: kept examples with right labels, and all kept.
    kept: (usize, usize),
    /// Runs of `epochs` epochs: two for estimated forward correction (plain, then corrected).
    phases: usize,
    /// Step and epoch at which the current phase began.
    phase_start: (usize, usize),
    transition_estimate: Option<[[f64; CLASSES]; CLASSES]>,
    /// Soft targets per true class for H_alpha: p(label | class) with one clean copy per alpha noisy.
    soft_targets: Option<[[f32; CLASSES]; CLASSES]>,
    /// A seeded shuffle of the epoch's examples: its head is the evaluation sample
    /// ([`TRAIN_SAMPLE`]), and up to [`ANCHOR_SAMPLE`] of it the anchor-point search's.
    train_sample: Vec<u32>,
    held_out: Vec<Example>,
    /// The best held-out accuracy of the current phase.
    best_held_out: Option<f64>,
    /// Under [`Reporting::EarlyStop`]: the report early stopping would keep, until evaluated.
    candidate: Option<Candidate>,
    schedule: Schedule,
    clock: Clock,
    started: f64,
    // Since the previous report:
    loss_sum: f64,
    loss_steps: usize,
    samples: usize,
    busy_secs: f64,
    total_samples: usize,
    /// Time inside `step` and its evaluations (a paused run is not busy).
    total_busy_secs: f64,
    history: Vec<Metrics>,
    initial_weights: String,
}

impl Trainer {
    /// Builds the noisy training set and a freshly initialised model. `ranking` is the wrong-class
    /// order for structured noise in confusion or reverse order (see [`reference_ranking`]).
    pub fn new(config: &RunConfig, sources: Sources, ranking: Option<&WrongClassRanking>, backend: Backend, clock: Clock) -> Result<Self, TrainError> {
        config.validate().map_err(TrainError::Config)?;
        let set = TrainingSet::build(&config.noise_spec(), config.seed, &sources.mnist.train.labels, sources.fashion.as_ref().map(|f| f.train.len()), ranking)?;
        let device = backend.device().map_err(TrainError::Backend)?;
        let train_device = device.clone().autodiff();
        let model = Classifier::new(config.model, config.width, &train_device, config.seed);
        let initial_weights = model.fingerprint();
        let epoch_len = if config.h_alpha { set.clean } else { set.examples.len() };
        let soft_targets = config.h_alpha.then(|| set.labels.with_clean(config.alpha).map(|row| row.map(|p| p as f32)));
        let estimated = config.method == Method::Forward && config.transition == Transition::Estimated;
        let mut pick = rng(config.seed, Stream::TrainSample);
        let mut train_sample: Vec<u32> = (0..epoch_len as u32).collect();
        train_sample.shuffle(&mut pick);
        train_sample.truncate(if estimated { ANCHOR_SAMPLE.max(TRAIN_SAMPLE) } else { TRAIN_SAMPLE });
        let loss = match config.method {
            Method::Ce | Method::Coteach => Loss::CrossEntropy,
            Method::Smoothing => Loss::Smoothing { a: config.smoothing },
            Method::Bootstrap => Loss::Bootstrap { beta: config.bootstrap_beta },
            Method::Gce => Loss::Gce { q: config.gce_q },
            // Estimated: plain cross-entropy first; `T-hat` replaces it after that run.
            Method::Forward if estimated => Loss::CrossEntropy,
            Method::Forward => {
                let t = set.transition.ok_or_else(|| TrainError::Config("forward correction with the known transition needs noisy images that are digits".into()))?;
                Loss::Forward { transition: Box::new(transition_tensor(&t, &train_device)) }
            }
        };
        let peer = (config.method == Method::Coteach)
            .then(|| Peer { model: Some(Classifier::new(config.model, config.width, &train_device, mix(config.seed ^ Stream::PeerInit as u64))), optimizer: config.optimizer.build() });
        let held_out = set.held_out(&config.noise_spec(), config.seed, &sources.mnist.train.labels, sources.fashion.as_ref().map(|f| f.train.len()));
        Ok(Self {
            config: config.clone(),
            backend,
            device,
            train_device,
            images: ImageSource::new(sources, config.seed),
            order: (0..epoch_len as u32).collect(),
            position: epoch_len, // forces a shuffle before the first step
            epoch: 0,
            step: 0,
            model: Some(model),
            initial_weights,
            optimizer: config.optimizer.build(),
            loss,
            peer,
            forget_rate: set.wrong_label_share(),
            kept: (0, 0),
            phases: if estimated { 2 } else { 1 },
            phase_start: (0, 0),
            transition_estimate: None,
            soft_targets,
            train_sample,
            held_out,
            best_held_out: None,
            candidate: None,
            schedule: Schedule::new(Reporting::default()),
            clock,
            started: clock(),
            loss_sum: 0.0,
            loss_steps: 0,
            samples: 0,
            busy_secs: 0.0,
            total_samples: 0,
            total_busy_secs: 0.0,
            history: Vec::new(),
            set,
        })
    }

    /// When to evaluate (see [`Reporting`]); at every epoch's end unless told otherwise.
    pub fn reporting(mut self, reporting: Reporting) -> Self {
        self.schedule = Schedule::new(reporting);
        self
    }

    /// Training samples of the whole run.
    pub fn samples_planned(&self) -> usize {
        self.order.len() * self.total_epochs()
    }

    /// Epochs of the whole run: twice `epochs` for estimated forward correction.
    pub fn total_epochs(&self) -> usize {
        self.config.epochs * self.phases
    }

    /// Whether this is estimated forward correction's first, plain run.
    fn estimating(&self) -> bool {
        self.phases > 1 && self.phase_start.1 == 0
    }

    /// Training samples so far.
    pub fn samples_trained(&self) -> usize {
        self.total_samples
    }

    /// Completed epochs.
    pub fn epochs_done(&self) -> usize {
        self.epoch
    }

    pub fn training_set(&self) -> &TrainingSet {
        &self.set
    }

    pub fn steps_per_epoch(&self) -> usize {
        self.order.len().div_ceil(self.config.batch)
    }

    pub fn is_done(&self) -> bool {
        self.epoch >= self.total_epochs()
    }

    pub fn history(&self) -> &[Metrics] {
        &self.history
    }

    pub fn progress(&self) -> f64 {
        // At an epoch's end the position still points past the order (the next step reshuffles):
        // that epoch is already counted.
        let within = if self.position >= self.order.len() { 0.0 } else { self.position as f64 / self.order.len() as f64 };
        ((self.epoch as f64 + within) / self.total_epochs() as f64).min(1.0)
    }

    /// Epochs into the current phase, fractional.
    fn phase_epochs(&self) -> f64 {
        let within = if self.position >= self.order.len() { 0.0 } else { self.position as f64 / self.order.len() as f64 };
        (self.epoch - self.phase_start.1) as f64 + within
    }

    /// The rate of the next step, by the run's [`LrSchedule`].
    pub fn learning_rate(&self) -> f64 {
        match self.config.lr_schedule {
            LrSchedule::Constant => self.config.lr,
            LrSchedule::Linear => {
                let total = (self.steps_per_epoch() * self.config.epochs).max(1) as f64;
                self.config.lr * (1.0 - (self.step - self.phase_start.0) as f64 / total).max(0.0)
            }
        }
    }

    /// Trains on one batch. Returns a report when the schedule (see [`Reporting`]) says one is due.
    pub fn step(&mut self) -> Option<Metrics> {
        if self.is_done() {
            return None;
        }
        if self.position >= self.order.len() {
            shuffle_for_epoch(&mut self.order, self.config.seed, self.epoch);
            self.position = 0;
        }
        let t0 = (self.clock)();
        let end = (self.position + self.config.batch).min(self.order.len());
        let batch: Vec<Example> = self.order[self.position..end].iter().map(|&i| self.set.examples[i as usize]).collect();
        self.position = end;

        let inputs = self.images.batch(batch.iter().map(|e| e.image), &self.train_device);
        let mut targets = vec![0f32; batch.len() * CLASSES];
        for (e, row) in batch.iter().zip(targets.chunks_mut(CLASSES)) {
            match (&self.soft_targets, e.true_label) {
                (Some(soft), Some(y)) => row.copy_from_slice(&soft[y as usize]),
                _ => row[e.label as usize] = 1.0,
            }
        }
        let targets = Tensor::<2>::from_data(TensorData::new(targets, [batch.len(), CLASSES]), &self.train_device);

        let lr = self.learning_rate();
        let model = self.model.take().expect("model is always put back");
        // Only co-teaching keeps a share of the batch.
        let keep = if self.peer.is_some() { self.keep_share() } else { 1.0 };
        match self.peer.as_mut() {
            None => {
                let loss = self.loss.per_example(model.forward(inputs), targets).mean();
                self.loss_sum += loss.clone().into_scalar::<f32>() as f64;
                let grads = GradientsParams::from_grads(loss.backward(), &model);
                self.model = Some(self.optimizer.step(lr, model, grads));
            }
            Some(peer) => {
                // Co-teaching: each network learns from the examples its peer finds easiest.
                let peer_model = peer.model.take().expect("peer is always put back");
                let own = self.loss.per_example(model.forward(inputs.clone()), targets.clone());
                let theirs = self.loss.per_example(peer_model.forward(inputs), targets);
                let n = batch.len();
                let kept = ((keep * n as f64).round() as usize).clamp(1, n);
                let for_peer = smallest(&values(&own), kept);
                let for_self = smallest(&values(&theirs), kept);
                for mask in [&for_peer, &for_self] {
                    self.kept.0 += batch.iter().zip(mask).filter(|(e, k)| **k && e.true_label == Some(e.label)).count();
                    self.kept.1 += kept;
                }
                let own = (own * mask(&for_self, &self.train_device)).sum().div_scalar(kept as f64);
                let theirs = (theirs * mask(&for_peer, &self.train_device)).sum().div_scalar(kept as f64);
                self.loss_sum += own.clone().into_scalar::<f32>() as f64;
                let mut grads = (own + theirs).backward();
                let own_grads = GradientsParams::from_module(&mut grads, &model);
                let peer_grads = GradientsParams::from_module(&mut grads, &peer_model);
                peer.model = Some(peer.optimizer.step(lr, peer_model, peer_grads));
                self.model = Some(self.optimizer.step(lr, model, own_grads));
            }
        }

        self.loss_steps += 1;
        self.samples += batch.len();
        self.total_samples += batch.len();
        self.step += 1;

        let end_of_epoch = self.position >= self.order.len();
        if end_of_epoch {
            self.epoch += 1;
        }
        // Early stopping's check: the whole held-out split at every epoch's end (a report that
        // follows reuses it rather than evaluating the split twice).
        let checked = (end_of_epoch && self.schedule.reporting == Reporting::EarlyStop && !self.estimating()).then(|| self.held_out_accuracy(&self.valid_model(), FULL_HELD_OUT)).flatten();
        if let Some(a) = checked {
            // Within reach of the best, this epoch becomes early stopping's pick. It is evaluated
            // only if it is still the pick at the end: a slowly improving network is within reach
            // at most epochs, and a full report at each cost small clean sets most of their time.
            let best = self.note_held_out(a);
            if a >= self.held_out_floor(best) {
                self.candidate = Some(Candidate { model: self.valid_model(), at: Metrics { held_out_accuracy: Some(a), ..self.so_far(true) } });
            }
        }
        let last = end_of_epoch && self.is_done();
        if last {
            // The pick at an earlier epoch goes into the history before the last report; at this
            // one, the last report is its report.
            if let Some(c) = self.candidate.take().filter(|c| c.at.step < self.step) {
                self.record_candidate(c);
            }
        }
        let report = self.schedule.due(self.step, self.total_samples, end_of_epoch, last).map(|eval| {
            self.schedule.reported(self.total_samples, eval);
            self.report(end_of_epoch, eval, t0, checked.filter(|_| eval == Eval::Full))
        });
        if end_of_epoch && self.estimating() && self.epoch == self.config.epochs {
            self.start_corrected_run();
        }
        if report.is_none() {
            let secs = (self.clock)() - t0;
            self.busy_secs += secs;
            self.total_busy_secs += secs;
        }
        report
    }

    /// Accuracy against the given labels on the first `len` records of the held-out noisy split
    /// (`None` without a split).
    fn held_out_accuracy(&self, model: &Classifier, len: usize) -> Option<f64> {
        let held_out = &self.held_out[..len.min(self.held_out.len())];
        let predictions = self.predict(model, held_out.iter().map(|e| e.image));
        (!held_out.is_empty()).then(|| fraction(held_out.iter().zip(&predictions).filter(|(e, p)| e.label == **p).count(), held_out.len()))
    }

    /// Records a held-out accuracy of the current phase; returns the best so far.
    fn note_held_out(&mut self, accuracy: f64) -> f64 {
        let best = self.best_held_out.map_or(accuracy, |b| b.max(accuracy));
        self.best_held_out = Some(best);
        best
    }

    /// The least held-out accuracy early stopping may keep, the best so far being `best`: one
    /// standard error of the split's accuracy below it. With alpha noisy labels per clean one the
    /// split's accuracy moves only 1/(1+alpha) as much as the test accuracy, so at large alpha
    /// the best of a few epochs is often an early one by chance; of the reports this close to the
    /// best, early stopping keeps the latest.
    fn held_out_floor(&self, best: f64) -> f64 {
        best - (best * (1.0 - best) / self.held_out.len().max(1) as f64).sqrt()
    }

    fn valid_model(&self) -> Classifier {
        self.model.as_ref().expect("model present").valid()
    }

    /// The report early stopping on the held-out noisy split keeps: the latest whose accuracy
    /// there is within one standard error of the best (see [`Self::held_out_floor`]).
    fn kept_report(&self) -> Option<usize> {
        let floor = self.held_out_floor(self.best_held_out?);
        self.history.iter().rposition(|m| !m.estimating && m.held_out_accuracy.is_some_and(|a| a >= floor))
    }

    /// Evaluates (all test images, the whole training sample and held-out split, or the quick
    /// subsamples) and closes the interval since the previous report; `t0` is when the current
    /// step began; `held_out`: the split's accuracy if this model's was just measured.
    fn report(&mut self, end_of_epoch: bool, eval: Eval, t0: f64, held_out: Option<f64>) -> Metrics {
        let mut metrics = self.evaluate(&self.valid_model(), eval, Metrics { held_out_accuracy: held_out, ..self.so_far(end_of_epoch) });
        if let (Some(a), false) = (metrics.held_out_accuracy, metrics.estimating) {
            self.note_held_out(a);
        }
        // The interval's time ends after its evaluation, which counts in its rate.
        let now = (self.clock)();
        self.busy_secs += now - t0;
        self.total_busy_secs += now - t0;
        (metrics.samples_per_sec, metrics.elapsed_secs) = (self.samples as f64 / self.busy_secs.max(1e-9), now - self.started);
        (self.loss_sum, self.loss_steps, self.samples, self.busy_secs, self.kept) = (0.0, 0, 0, 0.0, (0, 0));
        self.record(metrics)
    }

    /// Early stopping's pick, evaluated in full and put in the history (its interval stays open:
    /// the next report's rate and loss run from the previous report, as without it).
    fn record_candidate(&mut self, candidate: Candidate) {
        let metrics = self.evaluate(&candidate.model, Eval::Full, candidate.at);
        self.record(metrics);
    }

    /// A report's training-side fields as they stand now; [`Self::evaluate`] fills in the rest.
    fn so_far(&self, end_of_epoch: bool) -> Metrics {
        Metrics {
            epoch: if end_of_epoch { self.epoch as f64 } else { self.epoch as f64 + self.position as f64 / self.order.len() as f64 },
            step: self.step,
            end_of_epoch,
            kept_precision: (self.kept.1 > 0).then(|| fraction(self.kept.0, self.kept.1)),
            estimating: self.estimating(),
            loss: self.loss_sum / self.loss_steps.max(1) as f64,
            samples_per_sec: self.samples as f64 / self.busy_secs.max(1e-9),
            elapsed_secs: (self.clock)() - self.started,
            ..Metrics::default()
        }
    }

    /// `at` with what `model` makes of the test set, the training sample and (unless `at` has
    /// it) the held-out split. Co-teaching's keep threshold uses the keep share of now.
    fn evaluate(&self, model: &Classifier, eval: Eval, at: Metrics) -> Metrics {
        let test = &self.images.sources.mnist.test;
        let stride = if eval == Eval::Full { 1 } else { QUICK_TEST_STRIDE };
        let test_indices: Vec<u32> = (0..test.len() as u32).step_by(stride).collect();
        let test_predictions = self.predict(model, test_indices.iter().map(|&i| ImageRef::MnistTest(i)));
        let test_accuracy = fraction(test_indices.iter().zip(&test_predictions).filter(|(i, p)| test.labels[**i as usize] == **p).count(), test_indices.len());
        let mut confusion = [[0u32; CLASSES]; CLASSES];
        for (&i, &p) in test_indices.iter().zip(&test_predictions) {
            confusion[test.labels[i as usize] as usize][p as usize] += 1;
        }

        let (_, sample_len, held_out_len) = eval.images();
        let sample_len = sample_len.min(TRAIN_SAMPLE).min(self.train_sample.len());
        let sample: Vec<Example> = self.train_sample[..sample_len].iter().map(|&i| self.set.examples[i as usize]).collect();
        let log_p = self.log_probabilities(model, sample.iter().map(|e| e.image));
        let predictions: Vec<u8> = log_p.iter().map(argmax).collect();
        let losses: Vec<f64> = sample.iter().zip(&log_p).map(|(e, l)| -l[e.label as usize] as f64).collect();
        let noisy: Vec<(&Example, &u8)> = sample.iter().zip(&predictions).filter(|(e, _)| e.noisy).collect();
        let with_true: Vec<&(&Example, &u8)> = noisy.iter().filter(|(e, _)| e.true_label.is_some()).collect();
        let keep_threshold = self.peer.is_some().then(|| {
            let mut sorted = losses.clone();
            sorted.sort_by(f64::total_cmp);
            let keep = self.keep_share();
            sorted.get(((keep * sorted.len() as f64) as usize).min(sorted.len().saturating_sub(1))).copied().unwrap_or(0.0)
        });
        Metrics {
            test_accuracy,
            eval,
            test_images: test_indices.len(),
            confusion,
            train_accuracy: fraction(sample.iter().zip(&predictions).filter(|(e, p)| e.label == **p).count(), sample.len()),
            noisy_true_accuracy: (!with_true.is_empty()).then(|| fraction(with_true.iter().filter(|(e, p)| e.true_label == Some(**p)).count(), with_true.len())),
            noisy_label_accuracy: (!noisy.is_empty()).then(|| fraction(noisy.iter().filter(|(e, p)| e.label == **p).count(), noisy.len())),
            memorisation: Memorisation::of(sample.iter().zip(&predictions).map(|(e, &p)| (e.label, e.true_label, p))),
            loss_histogram: LossHistogram::of(sample.iter().zip(&losses).map(|(e, &l)| (l, e.true_label == Some(e.label)))),
            held_out_accuracy: at.held_out_accuracy.or_else(|| self.held_out_accuracy(model, held_out_len)),
            keep_threshold,
            ..at
        }
    }

    /// Appends a report to the history, with where early stopping would stop so far.
    fn record(&mut self, mut metrics: Metrics) -> Metrics {
        self.history.push(metrics.clone());
        metrics.early_stop_epoch = self.kept_report().map(|i| self.history[i].epoch);
        self.history.last_mut().expect("just pushed").early_stop_epoch = metrics.early_stop_epoch;
        metrics
    }

    /// Estimated forward correction, after its plain run: `T-hat` from the anchor points of that
    /// run's predictions, then a fresh network (the same initial weights) trained with it.
    fn start_corrected_run(&mut self) {
        let model = self.model.as_ref().expect("model present").valid();
        let anchors: Vec<ImageRef> = self.train_sample.iter().map(|&i| self.set.examples[i as usize].image).collect();
        let probabilities: Vec<[f32; CLASSES]> = self.log_probabilities(&model, anchors.into_iter()).iter().map(|l| l.map(f32::exp)).collect();
        let estimate = anchor_transition(&probabilities);
        self.loss = Loss::Forward { transition: Box::new(transition_tensor(&estimate, &self.train_device)) };
        self.transition_estimate = Some(estimate);
        self.model = Some(Classifier::new(self.config.model, self.config.width, &self.train_device, self.config.seed));
        self.optimizer = self.config.optimizer.build();
        self.phase_start = (self.step, self.epoch);
        (self.best_held_out, self.candidate) = (None, None);
    }

    /// Predicted classes, the argmax on the device (fewer values to read back).
    fn predict(&self, model: &Classifier, images: impl Iterator<Item = ImageRef>) -> Vec<u8> {
        self.forward_chunks(model, images, |logits, out| {
            let classes = logits.argmax(1).into_data().try_into_vec_as::<i64>().expect("argmax gives integers");
            out.extend(classes.into_iter().map(|c| c as u8));
        })
    }

    /// Log-probabilities of every class.
    fn log_probabilities(&self, model: &Classifier, images: impl Iterator<Item = ImageRef>) -> Vec<[f32; CLASSES]> {
        self.forward_chunks(model, images, |logits, out| {
            let values = log_softmax(logits, 1).into_data().iter::<f32>().collect::<Vec<_>>();
            out.extend(values.chunks_exact(CLASSES).map(|row| <[f32; CLASSES]>::try_from(row).expect("ten classes")));
        })
    }

    /// The model's logits on `images` in chunks of [`EVAL_BATCH`], each turned into results by `read`.
    fn forward_chunks<T>(&self, model: &Classifier, images: impl Iterator<Item = ImageRef>, mut read: impl FnMut(Tensor<2>, &mut Vec<T>)) -> Vec<T> {
        let images: Vec<ImageRef> = images.collect();
        let mut out = Vec::with_capacity(images.len());
        for chunk in images.chunks(EVAL_BATCH) {
            read(model.forward(self.images.batch(chunk.iter().copied(), &self.device)), &mut out);
        }
        out
    }

    /// Co-teaching's keep share now (see [`keep_fraction`]).
    fn keep_share(&self) -> f64 {
        keep_fraction(self.phase_epochs(), self.forget_rate, self.config.forget_epochs)
    }

    /// A few training examples as `u8` pixels (white noise clamped to 0..255), noisy ones
    /// included: the first examples of the run's fixed evaluation sample.
    pub fn gallery(&self, count: usize) -> Vec<(Example, Vec<u8>)> {
        let mut buffer = vec![0f32; PIXELS];
        self.train_sample
            .iter()
            .take(count)
            .map(|&i| {
                let e = self.set.examples[i as usize];
                self.images.fill(e.image, &mut buffer);
                let pixels = buffer.iter().map(|v| ((v * PIXEL_STD + PIXEL_MEAN) * 255.0).round().clamp(0.0, 255.0) as u8).collect();
                (e, pixels)
            })
            .collect()
    }

    /// Up to `count` test images (index, pixels) that the current model, whose true class is
    /// `actual`, predicts as `predicted`: the examples behind one cell of the confusion matrix.
    pub fn test_examples(&self, actual: u8, predicted: u8, count: usize) -> Vec<(u32, Vec<u8>)> {
        let model = self.model.as_ref().expect("model present").valid();
        let test = &self.images.sources.mnist.test;
        let of_class: Vec<u32> = (0..test.len() as u32).filter(|&i| test.labels[i as usize] == actual).collect();
        let predictions = self.predict(&model, of_class.iter().map(|&i| ImageRef::MnistTest(i)));
        of_class.iter().zip(predictions).filter(|(_, p)| *p == predicted).take(count).map(|(&i, _)| (i, test.image(i as usize).to_vec())).collect()
    }

    /// The class probabilities the current model gives an image of 784 pixels (0..255, white digit
    /// on black, as MNIST's).
    pub fn classify(&self, pixels: &[u8]) -> [f32; CLASSES] {
        let model = self.model.as_ref().expect("model present").valid();
        let mut input = vec![0f32; PIXELS];
        normalise(pixels, &mut input);
        let logits = model.forward(Tensor::from_data(TensorData::new(input, [1, PIXELS]), &self.device));
        let values: Vec<f32> = burn::tensor::activation::softmax(logits, 1).into_data().iter::<f32>().collect();
        <[f32; CLASSES]>::try_from(values.as_slice()).expect("ten classes")
    }

    /// The first dense layer's input weights of up to `count` units (see [`Classifier::input_templates`]).
    pub fn input_templates(&self, count: usize) -> Option<Vec<Vec<f32>>> {
        self.model.as_ref().and_then(|m| m.input_templates(count))
    }

    /// `matrix[true][predicted]` over the 10,000 test images.
    pub fn confusion_matrix(&self) -> [[u64; CLASSES]; CLASSES] {
        let model = self.model.as_ref().expect("model present").valid();
        let test = &self.images.sources.mnist.test;
        let predictions = self.predict(&model, (0..test.len() as u32).map(ImageRef::MnistTest));
        let mut m = [[0u64; CLASSES]; CLASSES];
        for (&y, &p) in test.labels.iter().zip(&predictions) {
            m[y as usize][p as usize] += 1;
        }
        m
    }

    /// Trains to the end, or until `on_report` breaks.
    pub fn run(&mut self, mut on_report: impl FnMut(&Metrics) -> ControlFlow<()>) -> RunSummary {
        while !self.is_done() {
            if let Some(m) = self.step()
                && on_report(&m).is_break()
            {
                break;
            }
        }
        self.summary()
    }

    pub fn summary(&self) -> RunSummary {
        let test_accuracy = self.history.last().map_or(0.0, |m| m.test_accuracy);
        let early_stop = match &self.candidate {
            // A run stopped before its end: its pick may not be evaluated yet.
            Some(c) if self.history.last().is_none_or(|m| m.step < c.at.step) => Some(self.evaluate(&c.model, Eval::Full, c.at.clone())),
            _ => self.kept_report().map(|i| self.history[i].clone()),
        };
        let point = match early_stop.as_ref().filter(|_| self.schedule.reporting == Reporting::EarlyStop) {
            Some(m) => PointReading { test_accuracy: m.test_accuracy, stop_epoch: Some(m.epoch) },
            None => PointReading { test_accuracy, stop_epoch: None },
        };
        RunSummary {
            config: self.config.clone(),
            backend: self.backend.name().to_string(),
            test_accuracy,
            epochs: self.epoch,
            samples_per_sec: self.total_samples as f64 / self.total_busy_secs.max(1e-9),
            train_examples: self.set.examples.len(),
            parameters: self.model.as_ref().map_or(0, |m| m.parameter_count()),
            history: self.history.clone(),
            confusion: self.confusion_matrix(),
            transition: self.set.transition,
            transition_estimate: self.transition_estimate,
            early_stop,
            point,
            fingerprints: Fingerprints {
                training_set: self.set.fingerprint(),
                initial_weights: self.initial_weights.clone(),
                final_weights: self.model.as_ref().map_or(String::new(), |m| m.fingerprint()),
            },
        }
    }
}

/// Each epoch reshuffles the previous epoch's order (so a resumed run replays the shuffles).
fn shuffle_for_epoch(order: &mut [u32], seed: u64, epoch: usize) {
    order.shuffle(&mut rng(seed ^ mix(epoch as u64), Stream::Shuffle));
}

fn argmax(row: &[f32; CLASSES]) -> u8 {
    (0..CLASSES).max_by(|&a, &b| row[a].total_cmp(&row[b]).then(b.cmp(&a))).unwrap_or(0) as u8
}

/// A `[batch, 1]` tensor of ones where `keep` holds, zeros elsewhere.
fn mask(keep: &[bool], device: &Device) -> Tensor<2> {
    let ones: Vec<f32> = keep.iter().map(|&k| k as u8 as f32).collect();
    Tensor::from_data(TensorData::new(ones, [keep.len(), 1]), device)
}

/// A tensor's values, read back.
fn values(t: &Tensor<2>) -> Vec<f32> {
    t.clone().into_data().iter::<f32>().collect()
}

/// Which `keep` of `losses` are the smallest (ties to the earlier example).
fn smallest(losses: &[f32], keep: usize) -> Vec<bool> {
    let mut order: Vec<usize> = (0..losses.len()).collect();
    order.sort_by(|&a, &b| losses[a].total_cmp(&losses[b]).then(a.cmp(&b)));
    let mut mask = vec![false; losses.len()];
    for &i in &order[..keep.min(losses.len())] {
        mask[i] = true;
    }
    mask
}

fn fraction(hits: usize, total: usize) -> f64 {
    if total == 0 { 0.0 } else { hits as f64 / total as f64 }
}

/// The wrong-class ranking for structured noise: the test confusion matrix of a perceptron trained
/// for one epoch on 10,000 clean MNIST images (fixed seed, so every run shares it).
pub fn reference_ranking(sources: &Sources, backend: Backend, clock: Clock) -> Result<WrongClassRanking, TrainError> {
    let config = RunConfig {
        model: crate::core::model::Architecture::Perceptron,
        clean: 10_000.min(sources.mnist.train.len()),
        alpha: 0.0,
        noise: crate::core::config::NoiseKind::Uniform,
        epochs: 1,
        seed: 0,
        ..RunConfig::default()
    };
    let mut trainer = Trainer::new(&config, sources.clone(), None, backend, clock)?;
    while !trainer.is_done() {
        trainer.step();
    }
    Ok(WrongClassRanking::from_confusion(&trainer.confusion_matrix()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn white_noise_pixels_have_mnist_moments_and_depend_only_on_their_seed() {
        let source = ImageSource::new(Sources { mnist: Arc::default(), fashion: None }, 7);
        let mut image = vec![0f32; PIXELS];
        let (mut sum, mut squares, mut n) = (0f64, 0f64, 0f64);
        for seed in 0..400 {
            source.fill(ImageRef::White(seed), &mut image);
            for &v in &image {
                let pixel = ((v * PIXEL_STD + PIXEL_MEAN) * 255.0) as f64;
                (sum, squares, n) = (sum + pixel, squares + pixel * pixel, n + 1.0);
            }
        }
        let mean = sum / n;
        let std = (squares / n - mean * mean).sqrt();
        // 313,600 draws: the standard error of the mean is ~0.14, of the std ~0.1.
        assert!((mean - WHITE_NOISE_MEAN as f64).abs() < 0.7, "mean {mean}");
        assert!((std - WHITE_NOISE_STD as f64).abs() < 0.6, "std {std}");
        let again = |seed| {
            let mut out = vec![0f32; PIXELS];
            source.fill(ImageRef::White(seed), &mut out);
            out
        };
        assert_eq!(again(3), again(3));
        assert_ne!(again(3), again(4));
    }
}
