//! A run saved between two steps and resumed in another process. A full-scale sweep point can
//! train for hours (Conv4 at alpha = 100: 18.2M samples, ~3.6 h on one core at 1,400 samples/s), longer than a work session or a
//! cluster's pre-emption window; without this it could never finish. The resumed run is the same
//! run: same batches, same weights bit for bit (a test stops one and compares).
//!
//! Layout of a checkpoint directory: `step-<N>/` holds `state.json`, `model.bpk`, `optimizer.bpk`
//! (and co-teaching's `peer-*.bpk`, early stopping's unevaluated pick `candidate.bpk`); `latest`
//! names the newest complete one. It is written before `latest` moves, so a process killed
//! mid-save leaves the previous checkpoint intact.

use super::*;
use burn::store::{BurnpackStore, ModuleSnapshot};
use std::path::Path;

/// The settings in which two configurations differ as runs: (name, first's value, second's).
pub type ConfigDifferences = fn(&RunConfig, &RunConfig) -> Vec<(&'static str, String, String)>;

/// Everything of a [`Trainer`] that is not rebuilt from its configuration.
#[derive(Serialize, Deserialize)]
struct State {
    config: RunConfig,
    /// Checked on resume: a checkpoint of another data set or noise code is refused.
    training_set: String,
    epoch: usize,
    position: usize,
    step: usize,
    phase_start: (usize, usize),
    kept: (usize, usize),
    transition_estimate: Option<[[f64; CLASSES]; CLASSES]>,
    best_held_out: Option<Best>,
    /// The training-side fields of early stopping's unevaluated pick (its network in `candidate.bpk`).
    #[serde(default)]
    candidate: Option<Metrics>,
    schedule: Schedule,
    loss_sum: f64,
    loss_steps: usize,
    samples: usize,
    busy_secs: f64,
    total_samples: usize,
    total_busy_secs: f64,
    elapsed_secs: f64,
    history: Vec<Metrics>,
}

/// The best held-out accuracy; checkpoints saved before 2026-12-06 hold it with a history index.
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum Best {
    Accuracy(f64),
    WithIndex(f64, usize),
}

impl Best {
    fn accuracy(self) -> f64 {
        let (Best::Accuracy(a) | Best::WithIndex(a, _)) = self;
        a
    }
}

fn fail(what: &Path, e: impl std::fmt::Display) -> TrainError {
    TrainError::Checkpoint(format!("{}: {e}", what.display()))
}

fn store(path: &Path) -> BurnpackStore {
    BurnpackStore::from_file(path).auto_extension(false).overwrite(true)
}

impl Trainer {
    /// Saves the run as it is now under `dir` (see the module's layout), replacing older saves.
    pub fn save_checkpoint(&self, dir: &Path) -> Result<(), TrainError> {
        let name = format!("step-{}", self.step);
        let at = dir.join(&name);
        std::fs::create_dir_all(&at).map_err(|e| fail(&at, e))?;
        let state = State {
            config: self.config.clone(),
            training_set: self.set.fingerprint(),
            epoch: self.epoch,
            position: self.position,
            step: self.step,
            phase_start: self.phase_start,
            kept: self.kept,
            transition_estimate: self.transition_estimate,
            best_held_out: self.best_held_out.map(Best::Accuracy),
            candidate: self.candidate.as_ref().map(|c| c.at.clone()),
            schedule: self.schedule,
            loss_sum: self.loss_sum,
            loss_steps: self.loss_steps,
            samples: self.samples,
            busy_secs: self.busy_secs,
            total_samples: self.total_samples,
            total_busy_secs: self.total_busy_secs,
            elapsed_secs: (self.clock)() - self.started,
            history: self.history.clone(),
        };
        let json = serde_json::to_vec(&state).map_err(|e| fail(&at, e))?;
        std::fs::write(at.join("state.json"), json).map_err(|e| fail(&at, e))?;
        let model = self.model.as_ref().expect("model is always put back");
        model.save_into(&mut store(&at.join("model.bpk"))).map_err(|e| fail(&at, e))?;
        self.optimizer.save(at.join("optimizer.bpk")).map_err(|e| fail(&at, e))?;
        if let Some(candidate) = &self.candidate {
            candidate.model.save_into(&mut store(&at.join("candidate.bpk"))).map_err(|e| fail(&at, e))?;
        }
        if let Some(peer) = &self.peer {
            peer.model.as_ref().expect("peer is always put back").save_into(&mut store(&at.join("peer-model.bpk"))).map_err(|e| fail(&at, e))?;
            peer.optimizer.save(at.join("peer-optimizer.bpk")).map_err(|e| fail(&at, e))?;
        }
        // Only now does `latest` move (a rename is atomic), then older saves go.
        let pointer = dir.join("latest.tmp");
        std::fs::write(&pointer, &name).map_err(|e| fail(&pointer, e))?;
        std::fs::rename(&pointer, dir.join("latest")).map_err(|e| fail(dir, e))?;
        for entry in std::fs::read_dir(dir).map_err(|e| fail(dir, e))?.flatten() {
            let file = entry.file_name();
            if file.to_string_lossy().starts_with("step-") && file != name.as_str() {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
        Ok(())
    }

    /// The run saved under `dir` continued from where it was saved; this trainer unchanged when
    /// `dir` holds no checkpoint. `self` must be freshly built from the same configuration:
    /// `differences(saved, now)` names the settings in which two configurations are other runs
    /// (`params::differences`: those that apply to either; core does not know the table), and
    /// any refuses the checkpoint.
    pub fn resume(mut self, dir: &Path, differences: ConfigDifferences) -> Result<Self, TrainError> {
        let Ok(name) = std::fs::read_to_string(dir.join("latest")) else { return Ok(self) };
        let at = dir.join(name.trim());
        let json = std::fs::read(at.join("state.json")).map_err(|e| fail(&at, e))?;
        let state: State = serde_json::from_slice(&json).map_err(|e| fail(&at, e))?;
        let differences = differences(&state.config, &self.config);
        if !differences.is_empty() {
            let named: Vec<String> = differences.iter().map(|(name, saved, now)| format!("{name} {saved}, not {now}")).collect();
            return Err(fail(&at, format!("was saved by another configuration ({}); delete it to start over", named.join(", "))));
        }
        if state.training_set != self.set.fingerprint() {
            return Err(fail(&at, "does not match this training set (other data or noise code); delete it to start over"));
        }
        // Early stopping reads the held-out split at every epoch's end: continued from a run
        // that skipped those checks, it could keep a later epoch than it would have.
        let checked_every_epoch = matches!(state.schedule.reporting, Reporting::EarlyStop | Reporting::Epochs | Reporting::EverySteps(_));
        if self.schedule.reporting == Reporting::EarlyStop && !self.held_out.is_empty() && !checked_every_epoch {
            let saved = state.schedule.reporting;
            return Err(fail(&at, format!("was saved reporting {saved:?}, without the held-out checks early stopping reads at every epoch's end; delete it to start over")));
        }
        let load_model = |model: &mut Classifier, file: &str| model.load_from(&mut store(&at.join(file))).map(|_| ()).map_err(|e| fail(&at.join(file), e));
        let mut model = self.model.take().expect("fresh trainer");
        load_model(&mut model, "model.bpk")?;
        self.model = Some(model);
        self.optimizer = self.config.optimizer.build().load(at.join("optimizer.bpk")).map_err(|e| fail(&at, e))?;
        if let Some(peer) = self.peer.as_mut() {
            let mut model = peer.model.take().expect("fresh trainer");
            load_model(&mut model, "peer-model.bpk")?;
            peer.model = Some(model);
            peer.optimizer = self.config.optimizer.build().load(at.join("peer-optimizer.bpk")).map_err(|e| fail(&at, e))?;
        }
        // Estimated forward correction past its plain run trains with its estimate.
        if let Some(estimate) = state.transition_estimate {
            self.loss = Loss::Forward { transition: Box::new(transition_tensor(&estimate, &self.train_device)) };
        }
        // The order of the current epoch: every shuffle so far, replayed (the next step shuffles
        // when the saved epoch had ended).
        let shuffles = if state.position >= self.order.len() { state.epoch } else { state.epoch + 1 };
        for epoch in 0..shuffles {
            shuffle_for_epoch(&mut self.order, self.config.seed, epoch);
        }
        let mut schedule = state.schedule;
        schedule.reporting = self.schedule.reporting;
        self.schedule = schedule;
        (self.epoch, self.position, self.step, self.phase_start, self.kept) = (state.epoch, state.position, state.step, state.phase_start, state.kept);
        // Early stopping's pick, for a run that stops early (one resumed otherwise has no use for it).
        if let Some(at) = state.candidate.filter(|_| self.schedule.reporting == Reporting::EarlyStop) {
            let mut model = Classifier::new(self.config.model, self.config.width, &self.device, self.config.seed);
            load_model(&mut model, "candidate.bpk")?;
            self.candidate = Some(Candidate { model, at });
        }
        self.best_held_out = state.best_held_out.map(Best::accuracy);
        (self.transition_estimate, self.history) = (state.transition_estimate, state.history);
        (self.loss_sum, self.loss_steps, self.samples, self.busy_secs) = (state.loss_sum, state.loss_steps, state.samples, state.busy_secs);
        (self.total_samples, self.total_busy_secs) = (state.total_samples, state.total_busy_secs);
        self.started = (self.clock)() - state.elapsed_secs;
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::Best;

    /// A checkpoint saved before the best held-out accuracy lost its history index still resumes.
    #[test]
    fn the_best_held_out_accuracy_reads_in_both_layouts() {
        let read = |json: &str| serde_json::from_str::<Option<Best>>(json).unwrap().map(Best::accuracy);
        assert_eq!(read("[0.5,3]"), Some(0.5));
        assert_eq!(read("0.25"), Some(0.25));
        assert_eq!(read("null"), None);
    }
}
