//! The thin browser layer (wasm-bindgen). The worker owns a [`Lab`]: it receives the packed data
//! chunks and trains in short slices so it can answer messages between them. The page calls
//! [`parameters`] for its controls, [`parse_query`] for the URL and [`draw_chart`] on its canvas.
//! All science is in `core` and `experiments`.

use crate::core::backend::Backend;
use crate::core::config::{NoiseKind, RunConfig};
use crate::core::data::Dataset;
use crate::core::evaluation::Reporting;
use crate::core::noise::WrongClassRanking;
use crate::core::packed;
use crate::core::training::{Metrics, Sources, Trainer, reference_ranking};
use crate::experiments::chart::{self, Curve, Frame, Style};
use crate::experiments::estimate::{Estimate, Throughput, duration};
use crate::experiments::{PRESETS, PointResult, Preset, SEEDS, Scale, Sweep, report, spreads, story};
use crate::params;
use crate::web::canvas::Canvas;
use plotters::prelude::*;
use std::sync::Arc;
use wasm_bindgen::prelude::*;

thread_local! {
    static LAST_PANIC: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
    /// How fast this browser trains, as a worker's probe measured it ([`set_probe`]); until one
    /// has, the fitted machine's terms.
    static HERE: std::cell::Cell<Throughput> = const { std::cell::Cell::new(Throughput::BROWSER) };
}

/// The estimate's terms for this host.
fn here() -> Throughput {
    HERE.with(|h| h.get())
}

#[wasm_bindgen(start)]
pub fn start() {
    // A panic aborts the call with an opaque "unreachable" trap; keep its message (and log it
    // with a stack) so the worker can tell the page what went wrong.
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        LAST_PANIC.with(|p| *p.borrow_mut() = Some(info.to_string()));
    }));
}

/// The message of the last Rust panic, if any (the worker reads it when a call traps).
#[wasm_bindgen]
pub fn take_panic_message() -> Option<String> {
    LAST_PANIC.with(|p| p.borrow_mut().take())
}

#[wasm_bindgen]
extern "C" {
    /// `performance.now()` of whichever global runs us (page or worker).
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn performance_now() -> f64;
}

/// Seconds, at `performance.now()`'s resolution (`Date.now()` has only milliseconds).
pub(crate) fn clock() -> f64 {
    performance_now() / 1000.0
}

pub(crate) fn js_error(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

/// The parameter table (see `params`): each parameter's name, help, kind, allowed values and
/// default, as JSON. The page builds its controls from it.
#[wasm_bindgen]
pub fn parameters() -> String {
    serde_json::to_string(&params::describe()).expect("the table serializes")
}

/// The series colours as `[[r, g, b], ...]`: the page's charts, runs and heatmap use the same
/// palette as the native SVG charts (`chart::PALETTE`).
#[wasm_bindgen]
pub fn palette() -> String {
    serde_json::to_string(&chart::PALETTE.map(|RGBColor(r, g, b)| [r, g, b])).expect("numbers serialize")
}

/// `{config, notices, query, estimate, verdict}` for a URL query: always a valid configuration,
/// and what it would cost to train in this browser.
#[wasm_bindgen]
pub fn parse_query(query: &str) -> String {
    let (config, notices) = params::from_query(query);
    describe(config, notices)
}

fn describe(config: RunConfig, notices: Vec<String>) -> String {
    let here = here();
    let estimate = Estimate::of(&config, Reporting::Live, here);
    let verdict = estimate.verdict(here);
    let speed = here.relative_speed(&Throughput::BROWSER);
    serde_json::json!({ "config": config, "notices": notices, "query": params::to_query(&config), "estimate": estimate, "time": duration(estimate.seconds), "verdict": verdict, "speed": speed })
        .to_string()
}

/// Seconds per training step of the default model in this thread, measured in ~0.1-0.3 s on
/// synthetic images (a worker calls it when it starts; the page passes it to [`set_probe`]).
#[wasm_bindgen]
pub fn probe_speed() -> Result<f64, JsError> {
    crate::experiments::probe::seconds_per_step(Backend::default(), clock).map_err(js_error)
}

/// From now on, estimates in this thread are for a host whose [`probe_speed`] was
/// `secs_per_step`; returns its speed against the machine the estimate was fitted on.
#[wasm_bindgen]
pub fn set_probe(secs_per_step: f64) -> f64 {
    let here = Throughput::BROWSER.at_probe(secs_per_step);
    HERE.with(|h| h.set(here));
    here.relative_speed(&Throughput::BROWSER)
}

/// `42 s`, `12 min`: how the page writes a duration (the same words as the estimate).
#[wasm_bindgen(js_name = duration)]
pub fn duration_text(secs: f64) -> String {
    duration(secs)
}

/// [`parse_query`] after a control changed `name` to `value` (see [`params::from_query_changed`]).
#[wasm_bindgen]
pub fn parse_change(query: &str, name: &str, value: &str) -> String {
    let (config, notices) = params::from_query_changed(query, name, value);
    describe(config, notices)
}

fn figure(name: &str, scale: &str) -> Result<Sweep, JsError> {
    let preset: Preset = params::choice("preset", name).map_err(js_error)?;
    let scale: Scale = params::choice("scale", scale).map_err(js_error)?;
    Ok(preset.sweep(scale))
}

/// A figure preset (`uniform`, `structured`, ...) at scale `quick` or `full` with its first
/// `seeds` seeds (all three if not given), as JSON: its title, axis, note, series (with the
/// paper's points where it published them) and every point's URL query, for the page to run in
/// parallel workers.
#[wasm_bindgen]
pub fn preset(name: &str, scale: &str, seeds: Option<usize>) -> Result<String, JsError> {
    let sweep = figure(name, scale)?;
    let sweep = match seeds {
        Some(n) => sweep.with_seeds(n),
        None => sweep,
    };
    let series: Vec<_> = sweep.series.iter().map(|s| serde_json::json!({ "label": s.label, "paper": s.paper.as_ref().map(|p| &p.points) })).collect();
    let points: Vec<_> = sweep
        .points()
        .iter()
        // Each point's estimated seconds: the page trains the longest first, so that the last
        // points to finish are short ones and no worker idles long at the end.
        .map(|p| {
            let seconds = Estimate::of(&p.config, sweep.reporting, here()).seconds;
            serde_json::json!({ "series": p.series, "x": p.x, "seed": p.config.seed, "query": params::to_query(&p.config), "label": p.config.label(), "seconds": seconds })
        })
        .collect();
    Ok(serde_json::json!({
        "name": sweep.name, "title": sweep.title, "axis": sweep.axis.parameter(), "note": sweep.note,
        "values": sweep.values, "series": series, "points": points, "reporting": sweep.reporting, "seeds": sweep.seeds.len(), "all_seeds": SEEDS.len(),
        "presets": PRESETS.iter().map(|p| p.name()).collect::<Vec<_>>(),
    })
    .to_string())
}

/// The guided story's sections (`story.html`): each one's control (`{name, values, value}`, or
/// null for a single run) and the run behind each value as a URL query (one for a single run).
#[wasm_bindgen]
pub fn story_sections() -> Result<String, JsError> {
    let sections = story::SECTIONS
        .iter()
        .map(|s| {
            let values = if s.control.is_some() { s.values } else { &[""] };
            let runs = values.iter().map(|v| s.config(v, story::PAGE_SEED).map(|c| params::to_query(&c))).collect::<Result<Vec<_>, _>>()?;
            let control = s.control.map(|name| serde_json::json!({ "name": name, "values": s.values, "value": s.value }));
            Ok(serde_json::json!({ "id": s.id, "control": control, "runs": runs }))
        })
        .collect::<Result<Vec<_>, String>>()
        .map_err(js_error)?;
    Ok(serde_json::Value::from(sections).to_string())
}

/// A full-scale figure's results (`csv`, as `label-noise-lab sweep` writes them) as the mean and
/// range over seeds of every point it has: `[{series, x, mean, min, max, runs}]`. Rows of points
/// the figure does not have (another recipe, a stray seed) are left out.
#[wasm_bindgen]
pub fn full_scale_spreads(name: &str, csv: &str) -> Result<String, JsError> {
    let sweep = figure(name, "full")?;
    let rows = crate::experiments::from_csv(csv).map_err(js_error)?;
    let results: Vec<PointResult> = sweep.matching(&rows).0.into_iter().map(|(_, r)| r).collect();
    Ok(serde_json::to_string(&spreads(&results))?)
}

/// The points of a figure (as [`preset`] lists them) that a CSV written by `label-noise-lab
/// sweep` or `report` (on this machine or a cluster) has results for: `{points: {query:
/// {test_accuracy, epochs, samples_per_sec}}, strays}`, strays being rows of no point shown.
#[wasm_bindgen]
pub fn import_csv(name: &str, scale: &str, seeds: usize, csv: &str) -> Result<String, JsError> {
    let sweep = figure(name, scale)?.with_seeds(seeds);
    let rows = crate::experiments::from_csv(csv).map_err(js_error)?;
    let (matched, strays) = sweep.matching(&rows);
    let points: serde_json::Map<String, serde_json::Value> = matched
        .iter()
        .map(|(p, r)| (params::to_query(&p.config), serde_json::json!({ "test_accuracy": r.test_accuracy, "epochs": r.epochs, "samples_per_sec": r.samples_per_sec, "imported": true })))
        .collect();
    Ok(serde_json::json!({ "points": points, "strays": strays }).to_string())
}

/// A figure's finished points as the page sends them (`[{series, x, seed, test_accuracy}]`,
/// `series` its label).
fn finished(results_json: &str) -> Result<Vec<PointResult>, JsError> {
    #[derive(serde::Deserialize)]
    struct Finished {
        series: String,
        x: f64,
        seed: u64,
        test_accuracy: f64,
    }
    let finished: Vec<Finished> = serde_json::from_str(results_json).map_err(js_error)?;
    Ok(finished.into_iter().map(|f| PointResult { series: f.series, x: f.x, test_accuracy: f.test_accuracy, seed: f.seed, ..Default::default() }).collect())
}

/// The curves of a figure's summary chart from its finished points, exactly as the native SVG
/// draws them: the mean over the seeds with bars from the lowest to the highest, and the paper's
/// points. JSON for [`draw_chart`].
#[wasm_bindgen]
pub fn sweep_curves(name: &str, scale: &str, results_json: &str) -> Result<String, JsError> {
    let sweep = figure(name, scale)?;
    let (_, curves) = chart::sweep_summary(&sweep, &finished(results_json)?);
    let curves: Vec<_> =
        curves.iter().map(|c| serde_json::json!({ "label": c.label, "color": [c.color.0, c.color.1, c.color.2], "points": c.points, "paper": c.style == Style::Paper, "bars": c.bars })).collect();
    Ok(serde_json::Value::from(curves).to_string())
}

/// The paper's claim for a figure and its checks on the finished points (the first `seeds`
/// seeds), as the report computes them: `{claim, verdict, details, checks: [{text, mark}]}`.
/// At the quick scale, given the full scale's CSV (the lab's committed results), also the same
/// checks set beside the full scale's, as REPRODUCTION-quick.md does: `agreement` ("as at full
/// scale: 7 of 7 checks") and `as_full: [{text, mark}]`.
#[wasm_bindgen]
pub fn sweep_checks(name: &str, scale: &str, seeds: usize, results_json: &str, full_csv: Option<String>) -> Result<String, JsError> {
    let sweep = figure(name, scale)?.with_seeds(seeds);
    let results = finished(results_json)?;
    let checks = report::checks(&sweep, &results);
    let (verdict, details) = report::verdict_line(&sweep, &results, &checks);
    let as_full = match full_csv.filter(|_| scale == "quick") {
        Some(csv) => {
            let full = figure(name, "full")?;
            let rows = full.results_of(crate::experiments::from_csv(&csv).map_err(js_error)?);
            report::as_at_full_scale(&checks, &full, &rows)
        }
        None => Vec::new(),
    };
    let listed =
        |checks: &[report::Check], mark: fn(&report::Check) -> &'static str| -> Vec<serde_json::Value> { checks.iter().map(|c| serde_json::json!({ "text": c.text(), "mark": mark(c) })).collect() };
    Ok(serde_json::json!({
        "claim": report::claim(&sweep.name),
        "verdict": verdict,
        "details": details,
        "checks": listed(&checks, report::Check::mark),
        "agreement": report::agreement(&as_full),
        "as_full": listed(&as_full, report::as_full_mark),
    })
    .to_string())
}

/// The trainer living in the Web Worker.
#[wasm_bindgen]
pub struct Lab {
    /// The data as it streams in: one copy, shared with the running trainer (a chunk that arrives
    /// while a run holds the data copies it once; runs never see their data change).
    mnist: Arc<Dataset>,
    fashion: Arc<Dataset>,
    ranking: Option<WrongClassRanking>,
    pub(crate) trainer: Option<Trainer>,
}

#[wasm_bindgen]
impl Lab {
    #[wasm_bindgen(constructor)]
    pub fn new() -> Lab {
        Lab { mnist: Arc::default(), fashion: Arc::default(), ranking: None, trainer: None }
    }

    /// Adds one packed chunk (gzip as fetched) of dataset `mnist` or `fashion`; chunks of a split
    /// arrive in order.
    pub fn add_chunk(&mut self, dataset: &str, file: &str, bytes: &[u8]) -> Result<(), JsError> {
        let chunk = packed::decode(bytes, file).map_err(js_error)?;
        let target = match dataset {
            "mnist" => &mut self.mnist,
            "fashion" => &mut self.fashion,
            other => return Err(JsError::new(&format!("unknown dataset {other:?}"))),
        };
        packed::append(Arc::make_mut(target), chunk).map_err(js_error)
    }

    pub(crate) fn sources(&self, config: &RunConfig) -> Result<Sources, JsError> {
        if self.mnist.test.is_empty() {
            return Err(JsError::new("the MNIST test set has not loaded"));
        }
        // Only a Fashion run holds Fashion-MNIST, so the others never pin a copy mid-stream.
        let fashion = (config.noise == NoiseKind::Fashion && !self.fashion.train.is_empty()).then(|| self.fashion.clone());
        Ok(Sources { mnist: self.mnist.clone(), fashion })
    }

    /// MNIST training images loaded so far (chunks arrive in order, so these are a prefix).
    pub fn train_images_loaded(&self) -> usize {
        self.mnist.train.len()
    }

    /// How many leading MNIST training images the run of `query` needs, of `total`.
    pub fn train_images_needed(query: &str, total: usize) -> usize {
        params::from_query(query).0.noise_spec().mnist_images_needed(total)
    }

    /// Starts a run from a URL query; returns the summary of what will train as JSON. The worker
    /// calls it once [`Lab::train_images_needed`] images have arrived. `reporting`: `live` for the
    /// lab's curve, or what a figure's point does (its preset's `reporting`, see [`Reporting`]).
    pub fn start(&mut self, query: &str, total_train_images: usize, reporting: &str) -> Result<String, JsError> {
        let reporting: Reporting = serde_json::from_value(serde_json::Value::from(reporting)).map_err(|_| JsError::new(&format!("unknown reporting {reporting:?}")))?;
        let (config, _) = params::from_query(query);
        let (needed, loaded) = (config.noise_spec().mnist_images_needed(total_train_images), self.train_images_loaded());
        if loaded < needed {
            return Err(JsError::new(&format!("this run needs {needed} MNIST training images; {loaded} have loaded")));
        }
        let sources = self.sources(&config)?;
        if config.noise_spec().needs_ranking() && self.ranking.is_none() {
            self.ranking = Some(reference_ranking(&sources, Backend::default(), clock).map_err(js_error)?);
        }
        let trainer = Trainer::new(&config, sources, self.ranking.as_ref(), Backend::default(), clock).map_err(js_error)?.reporting(reporting);
        let info = serde_json::json!({
            "config": config,
            "label": config.label(),
            "train_examples": trainer.training_set().examples.len(),
            "steps_per_epoch": trainer.steps_per_epoch(),
            "samples": trainer.samples_planned(),
            "epochs": trainer.total_epochs(),
        });
        self.trainer = Some(trainer);
        Ok(info.to_string())
    }

    /// Trains for about `budget_ms` (at least one batch), or to the end of the current epoch
    /// with `to_epoch_end`; returns the reports made, as JSON.
    pub fn train_for(&mut self, budget_ms: f64, to_epoch_end: bool) -> Result<String, JsError> {
        let trainer = self.trainer.as_mut().ok_or_else(|| JsError::new("no run started"))?;
        let until = clock() + budget_ms / 1000.0;
        let epoch = trainer.epochs_done();
        let mut reports: Vec<Metrics> = Vec::new();
        while !trainer.is_done() {
            reports.extend(trainer.step());
            if clock() >= until || (to_epoch_end && trainer.epochs_done() > epoch) {
                break;
            }
        }
        serde_json::to_string(&reports).map_err(js_error)
    }

    /// Training samples of the current run so far.
    pub fn samples_trained(&self) -> usize {
        self.trainer.as_ref().map_or(0, |t| t.samples_trained())
    }

    /// Completed epochs of the current run.
    pub fn epochs_done(&self) -> usize {
        self.trainer.as_ref().map_or(0, |t| t.epochs_done())
    }

    /// `count` training examples of the current run for the gallery, 787 bytes each: the given
    /// label, the true label (255: none, e.g. Fashion-MNIST or white noise), 1 if noisy, then
    /// 784 pixels.
    pub fn gallery(&self, count: usize) -> Vec<u8> {
        let Some(trainer) = &self.trainer else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (example, pixels) in trainer.gallery(count) {
            out.extend([example.label, example.true_label.unwrap_or(255), example.noisy as u8]);
            out.extend(pixels);
        }
        out
    }

    /// Up to `count` test images (784 bytes each) of true class `actual` that the current model
    /// predicts as `predicted`: one cell of the confusion matrix, shown.
    pub fn test_examples(&self, actual: u8, predicted: u8, count: usize) -> Result<Vec<u8>, JsError> {
        let trainer = self.trainer.as_ref().ok_or_else(|| JsError::new("no run to ask: train one first"))?;
        if actual > 9 || predicted > 9 {
            return Err(JsError::new("classes are 0..9"));
        }
        Ok(trainer.test_examples(actual, predicted, count).into_iter().flat_map(|(_, pixels)| pixels).collect())
    }

    /// The ten class probabilities the current model gives a drawn digit (784 bytes, 0..255,
    /// white on black like MNIST).
    pub fn classify(&self, pixels: &[u8]) -> Result<Vec<f32>, JsError> {
        let trainer = self.trainer.as_ref().ok_or_else(|| JsError::new("no run to ask: train one first"))?;
        if pixels.len() != 784 {
            return Err(JsError::new(&format!("a drawing is 28x28 = 784 pixels (got {})", pixels.len())));
        }
        Ok(trainer.classify(pixels).to_vec())
    }

    /// The first dense layer's input weights of up to `count` units, 784 each, flat (empty for the
    /// conv nets): the perceptron's ten class templates, an MLP's first hidden units.
    pub fn input_templates(&self, count: usize) -> Vec<f32> {
        self.trainer.as_ref().and_then(|t| t.input_templates(count)).map(|t| t.concat()).unwrap_or_default()
    }

    pub fn progress(&self) -> f64 {
        self.trainer.as_ref().map_or(0.0, |t| t.progress())
    }

    pub fn is_done(&self) -> bool {
        self.trainer.as_ref().is_none_or(|t| t.is_done())
    }

    /// The finished run's summary (with the test confusion matrix) as JSON.
    pub fn summary(&self) -> Result<String, JsError> {
        let trainer = self.trainer.as_ref().ok_or_else(|| JsError::new("no run started"))?;
        serde_json::to_string(&trainer.summary()).map_err(js_error)
    }

    pub fn stop(&mut self) {
        self.trainer = None;
    }
}

impl Default for Lab {
    fn default() -> Self {
        Self::new()
    }
}

/// Draws runs (`[{label, color:[r,g,b], points:[[x,y],...]}]`) on a canvas whose pixel size the
/// page has already scaled by `devicePixelRatio`; returns the pixel mapping and tick labels (JSON).
/// `y_percent`: the values are fractions shown as percentages (accuracies, not the loss).
/// `x_min`/`x_max` (a sweep's range) widen the x axis beyond the points drawn so far; `x_names`
/// label a categorical axis's x = 0, 1, 2, ...
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub fn draw_chart(
    canvas: web_sys::HtmlCanvasElement,
    title: &str,
    x_label: &str,
    y_label: &str,
    y_percent: bool,
    scale: f64,
    curves_json: &str,
    x_min: Option<f64>,
    x_max: Option<f64>,
    x_names: Option<Vec<String>>,
) -> Result<String, JsError> {
    #[derive(serde::Deserialize)]
    struct JsCurve {
        label: String,
        color: [u8; 3],
        points: Vec<(f64, f64)>,
        #[serde(default)]
        paper: bool,
        /// Single events (early-stopping points): crosses.
        #[serde(default)]
        marker: bool,
        #[serde(default)]
        bars: Vec<(f64, f64, f64)>,
    }
    let curves: Vec<JsCurve> = serde_json::from_str(curves_json).map_err(js_error)?;
    let curves: Vec<Curve> = curves
        .into_iter()
        .map(|c| Curve {
            label: c.label,
            points: c.points,
            color: RGBColor(c.color[0], c.color[1], c.color[2]),
            style: if c.paper {
                Style::Paper
            } else if c.marker {
                Style::Marker
            } else {
                Style::Line
            },
            bars: c.bars,
        })
        .collect();
    let backend = Canvas::new(canvas).ok_or_else(|| JsError::new("no 2D context on the chart canvas"))?;
    let frame = Frame {
        title: title.into(),
        x_label: x_label.into(),
        y_label: y_label.into(),
        x_range: x_min.zip(x_max).filter(|(a, b)| a.is_finite() && b.is_finite()),
        y_range: None,
        y_percent,
        scale,
        x_names: x_names.unwrap_or_default(),
    };
    let mapping = chart::draw(&backend.into_drawing_area(), &frame, &curves).map_err(js_error)?;
    serde_json::to_string(&mapping).map_err(js_error)
}
