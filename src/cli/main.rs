//! `label-noise-lab`: run one configuration, sweep a paper preset, benchmark, or pack the data
//! for the web page. Data comes from `MNIST_DIR` (and `FASHION_MNIST_DIR` for Fashion noise).

use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use label_noise_lab::bench;
use label_noise_lab::core::backend::Backend;
use label_noise_lab::core::config::{LrSchedule, NoiseKind, RunConfig};
use label_noise_lab::core::data::Dataset;
use label_noise_lab::core::evaluation::Reporting;
use label_noise_lab::core::noise::WrongClassRanking;
use label_noise_lab::core::optim::OptimizerKind;
use label_noise_lab::core::packed;
use label_noise_lab::core::training::{Metrics, RunSummary, Sources, TrainError, Trainer, reference_ranking, system_clock};
use label_noise_lab::experiments::chart;
use label_noise_lab::experiments::estimate::{Estimate, Throughput, Verdict};
use label_noise_lab::experiments::report::count;
use label_noise_lab::experiments::{PRESETS, Point, PointResult, Preset, Scale, Sweep, from_csv, to_csv};
use label_noise_lab::params::{self, Kind, PARAMETERS};
use plotters::prelude::*;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

#[derive(Parser)]
#[command(name = "label-noise-lab", version, about = "Deep learning is robust to massive label noise: train MLPs on MNIST with noisy labels")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train one configuration and print its metrics.
    Run(RunArgs),
    /// Run a preset that mirrors one of the paper's figures; writes CSV and an SVG chart.
    Sweep(SweepArgs),
    /// Run every preset (reusing finished points in --out) and write REPRODUCTION.md.
    Report(ReportArgs),
    /// Combine the CSVs of `sweep --shard I/K` runs into the sweep's CSV and SVG.
    Merge(MergeArgs),
    /// Training throughput of MLP2 (width 256, batch 128) and the time of one 60,000-example epoch.
    Bench(BenchArgs),
    /// Write the packed data chunks and manifest.json the web page fetches.
    Pack {
        #[arg(long, default_value = "www/data")]
        out: PathBuf,
    },
}

/// The run parameters: one flag per row of the parameter table (`params::PARAMETERS`), so the
/// flags are the page's URL parameters with the same help, ranges and defaults.
#[derive(Default)]
struct ConfigArgs {
    /// (name, text) of every flag given.
    given: Vec<(&'static str, String)>,
}

impl ConfigArgs {
    fn config(&self) -> Result<RunConfig, String> {
        let mut config = RunConfig::default();
        for (name, value) in &self.given {
            params::set(&mut config, name, value).map_err(|e| format!("--{e}"))?;
        }
        params::follow_defaults(&mut config, |name| self.given.iter().any(|(n, _)| *n == name));
        config.validate()?;
        Ok(config)
    }
}

/// What `--help` says of a parameter: its help, allowed values and default.
fn flag_help(p: &params::Parameter) -> String {
    let values = match p.kind {
        Kind::Choice { choices } => choices.join(" | "),
        Kind::Integer { min, max } => format!("{min}..{max}"),
        Kind::Real { min, max, min_open: false } => format!("{min}..{max}"),
        Kind::Real { min, max, min_open: true } => format!("({min}, {max}]"),
        Kind::Flag => "a switch".into(),
    };
    let default = match p.follows {
        Some(_) => p.defaults_by_leader().iter().map(|(leader, d)| format!("{d} {leader}")).collect::<Vec<_>>().join(", "),
        None => p.default_text(),
    };
    format!("{}: {values} [default: {default}]", p.help)
}

impl clap::Args for ConfigArgs {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        cmd.args(PARAMETERS.iter().map(|p| {
            let arg = clap::Arg::new(p.name).long(p.name).help(flag_help(p));
            // `--h-alpha` alone switches it on.
            if matches!(p.kind, Kind::Flag) { arg.num_args(0..=1).default_missing_value("true").value_name("BOOL") } else { arg.value_name("VALUE") }
        }))
    }
    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        Self::augment_args(cmd)
    }
}

impl clap::FromArgMatches for ConfigArgs {
    fn from_arg_matches(matches: &clap::ArgMatches) -> Result<Self, clap::Error> {
        let given = PARAMETERS.iter().filter_map(|p| matches.get_one::<String>(p.name).map(|v| (p.name, v.clone()))).collect();
        Ok(ConfigArgs { given })
    }
    fn update_from_arg_matches(&mut self, matches: &clap::ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(matches)?;
        Ok(())
    }
}

#[derive(Args)]
struct RunArgs {
    #[command(flatten)]
    config: ConfigArgs,
    /// Print one JSON object (the summary with its per-epoch history) as the last line of stdout.
    #[arg(long)]
    json: bool,
    /// Also report every N training steps.
    #[arg(long = "report-every")]
    report_every: Option<usize>,
    /// CPU backend: flex | ndarray.
    #[arg(long, default_value = "flex", value_parser = parse_backend)]
    backend: Backend,
    /// Write the accuracy curves to this SVG file.
    #[arg(long)]
    chart: Option<PathBuf>,
    /// Start even a run estimated to take more than a day or too much memory.
    #[arg(long)]
    force: bool,
}

/// Which figure's points, and where their CSV lives: `sweep` trains them, `merge` combines the
/// shards that trained them (so it is given the same).
#[derive(Args)]
struct FigureArgs {
    /// The figure.
    #[arg(long, default_value = "uniform", value_parser = clap::builder::PossibleValuesParser::new(<label_noise_lab::experiments::Preset as strum::VariantNames>::VARIANTS))]
    preset: String,
    #[arg(long, default_value = "quick", value_parser = clap::builder::PossibleValuesParser::new(<label_noise_lab::experiments::Scale as strum::VariantNames>::VARIANTS))]
    scale: String,
    /// Only these series, comma separated (e.g. mlp1,mlp2).
    #[arg(long, value_delimiter = ',')]
    series: Vec<String>,
    /// Only the first N of the preset's seeds (1-3; every figure has three).
    #[arg(long, default_value_t = 3)]
    seeds: usize,
    /// Folder of the CSV (a merge: the shards' CSVs) and the SVG.
    #[arg(long, default_value = "results")]
    out: PathBuf,
}

impl FigureArgs {
    fn sweep(&self) -> Result<Sweep, String> {
        Ok(chosen_sweep(&self.preset, &self.scale, &self.series)?.with_seeds(self.seeds))
    }
}

#[derive(Args)]
struct SweepArgs {
    #[command(flatten)]
    figure: FigureArgs,
    #[command(flatten)]
    compute: Compute,
    /// Override the preset's epochs (for a faster look).
    #[arg(long)]
    epochs: Option<usize>,
    /// Override the preset's clean-set size (not for the clean-size preset).
    #[arg(long)]
    clean: Option<usize>,
    /// Override the preset's learning rate (not for the learning-rate preset).
    #[arg(long)]
    lr: Option<f64>,
    /// Override the preset's batch size (not for the batch-size preset): for a recipe search.
    #[arg(long)]
    batch: Option<usize>,
    /// Override the preset's hidden-layer width: for a recipe search.
    #[arg(long)]
    width: Option<usize>,
    /// Override the preset's optimizer (its default rate unless `--lr` is given): for a recipe search.
    #[arg(long, value_parser = parse_optimizer)]
    optimizer: Option<OptimizerKind>,
    /// Override the preset's learning-rate schedule (linear or constant): for a recipe search.
    #[arg(long = "lr-schedule", value_parser = parse_schedule)]
    lr_schedule: Option<LrSchedule>,
    /// Only these values of the swept parameter, comma separated (e.g. 0,20,50,100: a long
    /// series' telling points first).
    #[arg(long, value_delimiter = ',')]
    values: Vec<f64>,
    /// Override the preset's minimum training samples per point (for a faster look).
    #[arg(long = "min-samples")]
    min_samples: Option<usize>,
    /// Run only shard I of K (1-based): every K-th point from the I-th, written to
    /// `{preset}-{scale}.shard-I-of-K.csv`; `merge` combines the shards (a Slurm job array or GNU
    /// parallel runs one shard per task).
    #[arg(long, value_parser = parse_shard)]
    shard: Option<(usize, usize)>,
}

impl SweepArgs {
    /// The run parameters these flags set for every series, as (parameter, text) in the order
    /// the settings line names them.
    fn overrides(&self) -> Vec<(&'static str, String)> {
        [
            ("epochs", self.epochs.map(|e| e.to_string())),
            ("clean", self.clean.map(|n| n.to_string())),
            ("optimizer", self.optimizer.map(|o| <&str>::from(o).to_string())),
            ("lr", self.lr.map(|lr| lr.to_string())),
            ("lr-schedule", self.lr_schedule.map(|s| <&str>::from(s).to_string())),
            ("batch", self.batch.map(|b| b.to_string())),
            ("width", self.width.map(|w| w.to_string())),
        ]
        .into_iter()
        .filter_map(|(name, text)| Some((name, text?)))
        .collect()
    }
}

/// How `sweep` and `report` train their points.
#[derive(Args, Clone, Copy)]
struct Compute {
    /// Points trained at once (one thread each).
    #[arg(long, default_value_t = 2)]
    jobs: usize,
    #[arg(long, default_value = "flex", value_parser = parse_backend)]
    backend: Backend,
    /// Seconds between two saves of a point in training (under `{preset}-{scale}.checkpoints/`
    /// beside its CSV): a stopped sweep resumes a long point where it was saved.
    #[arg(long = "checkpoint-every", default_value_t = 600.0)]
    checkpoint_every: f64,
}

#[derive(Args)]
struct MergeArgs {
    #[command(flatten)]
    figure: FigureArgs,
}

fn parse_shard(text: &str) -> Result<(usize, usize), String> {
    let bad = || format!("{text:?} is not a shard I/K with 1 <= I <= K (e.g. 2/8)");
    let (i, k) = text.split_once('/').ok_or_else(bad)?;
    let (i, k) = (i.trim().parse::<usize>().map_err(|_| bad())?, k.trim().parse::<usize>().map_err(|_| bad())?);
    if (1..=k).contains(&i) { Ok((i, k)) } else { Err(bad()) }
}

#[derive(Args)]
struct ReportArgs {
    #[arg(long, default_value = "full", value_parser = clap::builder::PossibleValuesParser::new(<label_noise_lab::experiments::Scale as strum::VariantNames>::VARIANTS))]
    scale: String,
    /// Folder of the sweeps' CSV and SVG files (finished points there are reused; committed).
    #[arg(long, default_value = "reproduction")]
    out: PathBuf,
    /// The report to write [default: REPRODUCTION.md, or REPRODUCTION-quick.md at the quick scale].
    #[arg(long)]
    doc: Option<PathBuf>,
    /// Only these presets, comma separated.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Train nothing: write the report from the points already in --out (missing ones show "–"
    /// and count as unchecked).
    #[arg(long = "no-train")]
    no_train: bool,
    #[command(flatten)]
    compute: Compute,
}

#[derive(Args)]
struct BenchArgs {
    #[arg(long, default_value = "flex", value_parser = parse_backend)]
    backend: Backend,
    /// Repetitions of every figure (the median is printed, with min and max).
    #[arg(long, default_value_t = 3)]
    repeat: usize,
    /// Also print all figures as one JSON line.
    #[arg(long)]
    json: bool,
}

fn parse_backend(s: &str) -> Result<Backend, String> {
    params::choice("backend", s)
}

fn parse_optimizer(s: &str) -> Result<OptimizerKind, String> {
    params::choice("optimizer", s)
}

fn parse_schedule(s: &str) -> Result<LrSchedule, String> {
    params::choice("lr-schedule", s)
}

/// glibc's malloc hands a freed block over its mmap threshold (128 KiB at first, rising with use)
/// back to the system, and the next training step faults it in again, zeroed: on a Conv2
/// batch-256 sweep point a third of the time went to page faults and memset. Blocks up to
/// 32 MiB (glibc's highest threshold) now come from the heap, and the heap keeps its freed top;
/// a run's memory is then its peak (291 MB for a Conv2 batch-256 run, was 270). Same numbers, 1.65x
/// the speed there (BENCHMARKS.md).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn keep_freed_memory() {
    // SAFETY: mallopt only sets the allocator's parameters; a refused value leaves glibc's.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, i32::MAX);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn keep_freed_memory() {}

fn main() -> ExitCode {
    keep_freed_memory();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run(args),
        Command::Sweep(args) => sweep(args),
        Command::Report(args) => report(args),
        Command::Merge(args) => merge(args),
        Command::Bench(args) => bench(args),
        Command::Pack { out } => pack(&out),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn load_sources(need_fashion: bool) -> Result<Sources, String> {
    let mnist = Arc::new(Dataset::from_env("MNIST_DIR").map_err(|e| e.to_string())?);
    let fashion = match std::env::var_os("FASHION_MNIST_DIR") {
        Some(_) => Some(Arc::new(Dataset::from_env("FASHION_MNIST_DIR").map_err(|e| e.to_string())?)),
        None if need_fashion => return Err("Fashion-MNIST noise needs FASHION_MNIST_DIR (a folder with its four IDX files)".into()),
        None => None,
    };
    Ok(Sources { mnist, fashion })
}

fn ranking_for(configs: &[&RunConfig], sources: &Sources, backend: Backend) -> Result<Option<WrongClassRanking>, String> {
    if !configs.iter().any(|c| c.noise_spec().needs_ranking()) {
        return Ok(None);
    }
    eprintln!("confusion order: training a reference perceptron on 10,000 clean images ...");
    reference_ranking(sources, backend, system_clock).map(Some).map_err(|e| e.to_string())
}

fn progress_bar(len: u64, template: &str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    bar.set_style(ProgressStyle::with_template(template).unwrap().progress_chars("=> "));
    bar
}

fn describe(m: &Metrics) -> String {
    let pct = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{:.1}%", v * 100.0));
    format!(
        "epoch {:>5.2}  test {:.2}%  train(given) {:.1}%  noisy->true {}  noisy->given {}  loss {:.4}  {:.0} samples/s",
        m.epoch,
        m.test_accuracy * 100.0,
        m.train_accuracy * 100.0,
        pct(m.noisy_true_accuracy),
        pct(m.noisy_label_accuracy),
        m.loss,
        m.samples_per_sec
    )
}

fn run(args: RunArgs) -> Result<(), String> {
    let config = args.config.config()?;
    let reporting = args.report_every.filter(|&k| k > 0).map_or(Reporting::Epochs, Reporting::EverySteps);
    match Estimate::of(&config, reporting, Throughput::NATIVE).verdict(Throughput::NATIVE) {
        Verdict::Fine => {}
        Verdict::Warn(m) => eprintln!("note: {m}"),
        Verdict::Refuse(m) if args.force => eprintln!("warning: {m} (--force given)"),
        Verdict::Refuse(m) => return Err(format!("{m} (pass --force to start it anyway)")),
    }
    let sources = load_sources(config.noise == NoiseKind::Fashion)?;
    let ranking = ranking_for(&[&config], &sources, args.backend)?;
    let mut trainer = Trainer::new(&config, sources, ranking.as_ref(), args.backend, system_clock).map_err(|e| e.to_string())?.reporting(reporting);
    eprintln!(
        "{}: {} training examples ({} clean), {} steps per epoch, backend {}",
        config.label(),
        trainer.training_set().examples.len(),
        trainer.training_set().clean,
        trainer.steps_per_epoch(),
        args.backend.name()
    );
    let bar = progress_bar((trainer.steps_per_epoch() * config.epochs) as u64, "{bar:40} {pos}/{len} steps  {msg}  eta {eta}");
    while !trainer.is_done() {
        if let Some(m) = trainer.step() {
            bar.suspend(|| eprintln!("{}", describe(&m)));
            bar.set_message(format!("test {:.2}%", m.test_accuracy * 100.0));
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    let summary = trainer.summary();
    eprintln!("final clean test accuracy {:.2}%, {:.0} samples/s", summary.test_accuracy * 100.0, summary.samples_per_sec);
    if let Some(path) = &args.chart {
        let (frame, curves) = chart::accuracy_curves(&[(config.label(), summary.history.clone())]);
        draw_svg(path, &frame, &curves)?;
        eprintln!("wrote {}", path.display());
    }
    if args.json {
        println!("{}", serde_json::to_string(&summary).map_err(|e| e.to_string())?);
    } else {
        println!("test_accuracy {:.4}", summary.test_accuracy);
    }
    Ok(())
}

fn draw_svg(path: &Path, frame: &chart::Frame, curves: &[chart::Curve]) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let area = SVGBackend::new(path, (900, 560)).into_drawing_area();
    chart::draw(&area, frame, curves).map(|_| ())
}

/// The preset's sweep at `scale`, with only `series` if any are named.
fn chosen_sweep(preset: &str, scale: &str, series: &[String]) -> Result<Sweep, String> {
    let preset: Preset = params::choice("--preset", preset)?;
    let sweep = preset.sweep(parse_scale(scale)?);
    if series.is_empty() { Ok(sweep) } else { sweep.only_series(series) }
}

fn sweep(args: SweepArgs) -> Result<(), String> {
    let mut sweep = args.figure.sweep()?;
    let (scale, out) = (&args.figure.scale, &args.figure.out);
    if let Some(n) = args.min_samples {
        sweep.min_samples = n;
    }
    let overrides = args.overrides();
    let overridden = |name: &str| overrides.iter().any(|(n, _)| *n == name);
    let mut changed = sweep.series.clone();
    for s in &mut changed {
        for (name, text) in &overrides {
            params::set(&mut s.base, name, text)?;
        }
        // A new optimizer brings its own rate unless `--lr` is given too.
        params::follow_defaults(&mut s.base, |p| overridden(p) || !params::parameter(p).and_then(|q| q.follows).is_some_and(overridden));
    }
    // What the figure compares (its axis, or what its series differ in) cannot be set for all of
    // it: the run would not be the figure it names, nor its settings line true.
    for p in PARAMETERS {
        let Some(flag) = [Some(p.name), p.follows].into_iter().flatten().find(|&f| overridden(f)) else { continue };
        let why = if flag == p.name { String::new() } else { format!(" (--{flag} resets it)") };
        if sweep.axis.parameter() == p.name {
            return Err(format!("--{flag}: the {} figure sweeps {}{why}; choose its points with --values", sweep.name, p.name));
        }
        let mut values: Vec<String> = Vec::new();
        for v in sweep.series.iter().map(|s| p.get(&s.base)) {
            if !values.contains(&v) {
                values.push(v);
            }
        }
        if values.len() > 1 && sweep.series.iter().zip(&changed).any(|(a, b)| p.get(&a.base) != p.get(&b.base)) {
            return Err(format!("--{flag}: the series of the {} figure differ in {} ({}){why}; choose one with --series", sweep.name, p.name, values.join(", ")));
        }
    }
    sweep.series = changed;
    // The preset's settings line (printed, and in the chart) must say what this run changed.
    let flags: Vec<String> = overrides.iter().map(|(name, text)| format!("--{name} {text}")).chain(args.min_samples.map(|n| format!("--min-samples {n}"))).collect();
    if !flags.is_empty() {
        sweep.note = format!("{}; overridden by {}", sweep.note, flags.join(" "));
    }
    let mut points = sweep.points();
    if let Some(bad) = args.values.iter().find(|v| !sweep.values.contains(v)) {
        return Err(format!("--values: {bad} is not a point of {} ({})", sweep.name, sweep.values.iter().map(f64::to_string).collect::<Vec<_>>().join(", ")));
    }
    if !args.values.is_empty() {
        points.retain(|p| args.values.contains(&p.x));
    }
    let stem = format!("{}-{}", sweep.name, scale);
    let file = match args.shard {
        Some((i, k)) => {
            points = points.into_iter().enumerate().filter(|(n, _)| n % k == i - 1).map(|(_, p)| p).collect();
            format!("{stem}.shard-{i}-of-{k}.csv")
        }
        None => format!("{stem}.csv"),
    };
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let csv = out.join(file);
    // The file is the sweep's state (delete it to start over with other settings); its rows of
    // other series or values stay.
    let mut earlier = read_results(&csv)?;
    if flags.is_empty() {
        sweep.adopt_recipes(&mut earlier);
    }
    let missing = missing_points(&sweep, &points, &earlier);
    if missing.len() < points.len() {
        eprintln!("{}: {} of {} points already there (kept; delete the file to retrain them)", csv.display(), points.len() - missing.len(), points.len());
    }
    let whole = chosen_sweep(&args.figure.preset, scale, &[])?;
    let results = train_saving(&csv, (&sweep, &whole), earlier, &missing, Rows::KeepOthers, args.compute)?;
    if args.shard.is_some() {
        print!("{}", to_csv(&results, sweep.axis));
        eprintln!("wrote {} (combine the shards with `label-noise-lab merge`)", csv.display());
        return Ok(());
    }
    let svg = out.join(format!("{stem}.svg"));
    let (frame, curves) = chart::sweep_summary(&sweep, &results);
    draw_svg(&svg, &frame, &curves)?;
    print!("{}", to_csv(&results, sweep.axis));
    eprintln!("wrote {} and {}", csv.display(), svg.display());
    Ok(())
}

/// Reads every `{preset}-{scale}.shard-*-of-K.csv` in `--out`, checks that together they hold each
/// point of the sweep exactly once, and writes `{preset}-{scale}.csv` and its SVG.
fn merge(args: MergeArgs) -> Result<(), String> {
    let sweep = args.figure.sweep()?;
    let (scale, out) = (&args.figure.scale, &args.figure.out);
    let stem = format!("{}-{}", sweep.name, scale);
    let prefix = format!("{stem}.shard-");
    let mut shards: Vec<PathBuf> = std::fs::read_dir(out)
        .map_err(|e| format!("{}: {e}", out.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with(&prefix) && n.ends_with(".csv")))
        .collect();
    shards.sort();
    if shards.is_empty() {
        return Err(format!("no {prefix}*.csv in {}", out.display()));
    }
    let mut found: Vec<PointResult> = Vec::new();
    for path in &shards {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        found.extend(from_csv(&text).map_err(|e| format!("{}: {e}", path.display()))?);
    }
    let mut merged = Vec::new();
    let mut missing = Vec::new();
    for p in sweep.points() {
        let name = format!("{} {}={} seed {}", sweep.series[p.series].label, sweep.axis.parameter(), p.x, p.config.seed);
        let same: Vec<&PointResult> = found.iter().filter(|r| sweep.is_result_of(&p, r)).collect();
        match same.as_slice() {
            [one] => merged.push((*one).clone()),
            [] => missing.push(name),
            _ => return Err(format!("{name} is in more than one shard")),
        }
    }
    if !missing.is_empty() {
        return Err(format!("{} of {} points are in no shard: {}", missing.len(), sweep.points().len(), missing.join(", ")));
    }
    let csv = out.join(format!("{stem}.csv"));
    std::fs::write(&csv, to_csv(&merged, sweep.axis)).map_err(|e| format!("{}: {e}", csv.display()))?;
    let svg = out.join(format!("{stem}.svg"));
    let (frame, curves) = chart::sweep_summary(&sweep, &merged);
    draw_svg(&svg, &frame, &curves)?;
    eprintln!("merged {} shards into {} and {}", shards.len(), csv.display(), svg.display());
    Ok(())
}

/// The rows of a sweep's CSV; none if there is no file yet.
fn read_results(csv: &Path) -> Result<Vec<PointResult>, String> {
    match std::fs::read_to_string(csv) {
        Ok(text) => from_csv(&text).map_err(|e| format!("{}: {e}", csv.display())),
        Err(_) => Ok(Vec::new()),
    }
}

/// The `points` that `rows` hold no result of.
fn missing_points(sweep: &Sweep, points: &[Point], rows: &[PointResult]) -> Vec<Point> {
    points.iter().filter(|p| !rows.iter().any(|r| sweep.is_result_of(p, r))).cloned().collect()
}

/// What [`train_saving`] does with rows of no point of its sweep.
#[derive(Clone, Copy, PartialEq)]
enum Rows {
    /// Keep them (a `sweep` of some series or values into a file others share).
    KeepOthers,
    /// Drop them (the report: each file is one whole figure).
    OnlyPoints,
}

/// Trains `missing` and writes `csv` (the `earlier` rows and the new ones, in the point order of
/// `whole`, the preset's whole figure, so that a sweep of some series and the report write the
/// rows alike) after every finished point, so a stopped run resumes where it was; returns the rows.
fn train_saving(csv: &Path, (sweep, whole): (&Sweep, &Sweep), earlier: Vec<PointResult>, missing: &[Point], rows: Rows, compute: Compute) -> Result<Vec<PointResult>, String> {
    let points = sweep.points();
    let save = |new: &[PointResult]| {
        let mut all: Vec<PointResult> = earlier.iter().chain(new).cloned().collect();
        if rows == Rows::OnlyPoints {
            all.retain(|r| points.iter().any(|p| sweep.is_result_of(p, r)));
        }
        all.sort_by_key(|r| whole.row_order(r));
        std::fs::write(csv, to_csv(&all, sweep.axis)).map_err(|e| format!("{}: {e}", csv.display())).map(|_| all)
    };
    let new = if missing.is_empty() {
        Vec::new()
    } else {
        run_sweep(sweep, missing, compute, &csv.with_extension("checkpoints"), &|so_far| {
            if let Err(e) = save(so_far) {
                eprintln!("{e}");
            }
        })?
    };
    save(&new)
}

/// Where a point's run saves itself while it trains (deleted when it ends).
fn checkpoint_dir(root: &Path, sweep: &Sweep, point: &Point) -> PathBuf {
    let series: String = sweep.series[point.series].label.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
    root.join(format!("{series}-{}{}-seed{}", sweep.axis.parameter(), point.x, point.config.seed))
}

/// Trains one point to its end: resumed from its checkpoint under `root` if a stopped sweep left
/// one, and saved there every `every` seconds (a point can train for hours).
fn train_point(
    sweep: &Sweep,
    point: &Point,
    sources: &Sources,
    ranking: Option<&WrongClassRanking>,
    (backend, every): (Backend, f64),
    root: &Path,
    bar: &ProgressBar,
) -> Result<RunSummary, TrainError> {
    let dir = checkpoint_dir(root, sweep, point);
    let mut trainer = Trainer::new(&point.config, sources.clone(), ranking, backend, system_clock)?.reporting(sweep.reporting).resume(&dir, params::differences)?;
    if trainer.samples_trained() > 0 {
        bar.suspend(|| eprintln!("{}: resumed at {:.1}% from {}", point.config.label(), trainer.progress() * 100.0, dir.display()));
    }
    let mut saved = system_clock();
    while !trainer.is_done() {
        trainer.step();
        if system_clock() - saved > every && !trainer.is_done() {
            trainer.save_checkpoint(&dir)?;
            saved = system_clock();
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir(root); // only once empty
    Ok(trainer.summary())
}

/// Trains `points` of `sweep`, `jobs` at a time (one thread each); results in point order.
/// `finished` sees the results so far after every point (the report saves them, so a stopped
/// sweep resumes where it was); a point in training saves itself under `checkpoints`.
fn run_sweep(sweep: &Sweep, points: &[Point], compute: Compute, checkpoints: &Path, finished: &(dyn Fn(&[PointResult]) + Sync)) -> Result<Vec<PointResult>, String> {
    let Compute { jobs, backend, checkpoint_every } = compute;
    for p in points {
        p.config.validate().map_err(|e| format!("{}: {e}", p.config.label()))?;
    }
    let sources = load_sources(points.iter().any(|p| p.config.noise == NoiseKind::Fashion))?;
    let ranking = ranking_for(&points.iter().map(|p| &p.config).collect::<Vec<_>>(), &sources, backend)?;
    eprintln!("{} ({}): {}, {} at a time\n{}", sweep.title, sweep.name, count(points.len(), "point"), jobs.max(1), sweep.note);

    let bar = progress_bar(points.len() as u64, "{bar:40} {pos}/{len} points  eta {eta}");
    let next = Mutex::new(0usize);
    let results: Mutex<Vec<(usize, PointResult)>> = Mutex::new(Vec::new());
    let failure: Mutex<Option<String>> = Mutex::new(None);
    // Points are independent runs: train them on parallel threads (single-threaded each).
    std::thread::scope(|scope| {
        for _ in 0..jobs.max(1) {
            scope.spawn(|| {
                loop {
                    let i = {
                        let mut n = next.lock().unwrap();
                        *n += 1;
                        *n - 1
                    };
                    let Some(point) = points.get(i) else { break };
                    if failure.lock().unwrap().is_some() {
                        break;
                    }
                    match train_point(sweep, point, &sources, ranking.as_ref(), (backend, checkpoint_every), checkpoints, &bar) {
                        Ok(summary) => {
                            let result = sweep.result(point, &summary);
                            bar.suspend(|| eprintln!("{:>12} {}={:<6} test {:.2}%", result.series, sweep.axis.parameter(), result.x, result.test_accuracy * 100.0));
                            let mut so_far = results.lock().unwrap();
                            so_far.push((i, result));
                            finished(&so_far.iter().map(|(_, r)| r.clone()).collect::<Vec<_>>());
                        }
                        Err(e) => *failure.lock().unwrap() = Some(format!("{}: {e}", point.config.label())),
                    }
                    bar.inc(1);
                }
            });
        }
    });
    bar.finish_and_clear();
    if let Some(e) = failure.into_inner().unwrap() {
        return Err(e);
    }
    let mut results = results.into_inner().unwrap();
    results.sort_by_key(|(i, _)| *i);
    Ok(results.into_iter().map(|(_, r)| r).collect())
}

/// Every preset at one scale: reuses the points already in `out/{preset}-{scale}.csv`, trains
/// the missing ones, writes each CSV and chart, then the report.
fn report(args: ReportArgs) -> Result<(), String> {
    let scale = parse_scale(&args.scale)?;
    let (mut figures, mut full) = (Vec::new(), Vec::new());
    for &preset in PRESETS {
        let name = preset.name();
        if !args.only.is_empty() && !args.only.iter().any(|o| o == name) {
            continue;
        }
        let sweep = preset.sweep(scale);
        let stem = format!("{name}-{}", args.scale);
        let csv = args.out.join(format!("{stem}.csv"));
        let mut earlier = read_results(&csv)?;
        sweep.adopt_recipes(&mut earlier);
        let points: Vec<Point> = sweep.points();
        let missing = missing_points(&sweep, &points, &earlier);
        std::fs::create_dir_all(&args.out).map_err(|e| format!("{}: {e}", args.out.display()))?;
        if args.no_train && !missing.is_empty() {
            eprintln!("{name}: {} of {} points not trained yet (--no-train)", missing.len(), points.len());
        }
        // A figure whose grid changed drops the points it no longer has.
        let results = train_saving(&csv, (&sweep, &sweep), earlier, if args.no_train { &[] } else { &missing }, Rows::OnlyPoints, args.compute)?;
        let (frame, curves) = chart::sweep_summary(&sweep, &results);
        draw_svg(&args.out.join(format!("{stem}.svg")), &frame, &curves)?;
        figures.push((sweep, results));
        // A quick report sets its checks beside the full scale's, from the committed full CSVs
        // (nothing trained for them here).
        if scale == Scale::Quick {
            full.push(full_results(&args.out, preset)?);
        }
    }

    let md = label_noise_lab::experiments::report::markdown(scale, &figures, &full, &args.out.display().to_string());
    let doc = args.doc.unwrap_or_else(|| PathBuf::from(if scale == Scale::Quick { "REPRODUCTION-quick.md" } else { "REPRODUCTION.md" }));
    std::fs::write(&doc, md).map_err(|e| format!("{}: {e}", doc.display()))?;
    eprintln!("wrote {}", doc.display());
    Ok(())
}

/// The full scale's figure of `preset`, with the points its CSV in `out` holds.
fn full_results(out: &Path, preset: Preset) -> Result<(Sweep, Vec<PointResult>), String> {
    let sweep = preset.sweep(Scale::Full);
    let rows = sweep.results_of(read_results(&out.join(format!("{}-full.csv", sweep.name)))?);
    Ok((sweep, rows))
}

fn parse_scale(scale: &str) -> Result<Scale, String> {
    params::choice("--scale", scale)
}

fn bench(args: BenchArgs) -> Result<(), String> {
    let sources = load_sources(false)?;
    let b = args.backend;
    let reps = args.repeat.max(1);
    let spread = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        (v[v.len() / 2], v[0], v[v.len() - 1])
    };
    let (gemm, gmin, gmax) = spread((0..reps).map(|_| bench::gemm_gflops(b, system_clock)).collect::<Result<_, _>>()?);
    let mut json = serde_json::json!({ "backend": b.name(), "gemm_gflops": [gemm, gmin, gmax], "steps": [], "epochs": [] });
    println!("native, backend {}, one thread; median of {reps} (min-max)", b.name());
    println!("{:<34} {:>22} {:>9} {:>10}", "workload", "samples/s", "GFLOP/s", "of GEMM");
    println!("{:<34} {:>22} {:>9.1} {:>10}", "GEMM 128x784 by 784x256 (ceiling)", "", gemm, "100%");
    for workload in bench::workloads() {
        let (name, config) = (workload.name, &workload.config);
        let figures = (0..reps).map(|_| bench::steps(&workload, &sources, b, system_clock)).collect::<Result<Vec<_>, _>>()?;
        let (rate, lo, hi) = spread(figures.iter().map(|f| f.samples_per_sec).collect());
        let gflops = rate * bench::flops_per_sample(config) / 1e9;
        println!("{name:<34} {:>22} {gflops:>9.1} {:>9.0}%", format!("{rate:.0} ({lo:.0}-{hi:.0})"), gflops / gemm * 100.0);
        json["steps"].as_array_mut().unwrap().push(serde_json::json!({ "workload": name, "samples_per_sec": [rate, lo, hi], "gflops": gflops }));
    }
    let products = bench::step_products(b, system_clock)?;
    println!("the matrix products of one MLP2 w256 b128 step, each alone ({:.3} ms together):", products.iter().map(|p| p.2).sum::<f64>());
    for (name, gflops, ms) in &products {
        println!("  {name:<40} {gflops:>6.1} GFLOP/s {ms:>7.3} ms");
    }
    json["products"] = serde_json::to_value(&products).unwrap();
    let offsets = bench::page_offsets(system_clock, 20);
    println!("128x784 by 784x256 (gemm crate), GFLOP/s, weights at page offset 0; rows: input offset, columns: output offset");
    println!("{:>6}{}", "", bench::PAGE_OFFSETS.map(|o| format!("{o:>7}")).concat());
    for row in offsets.chunks(bench::PAGE_OFFSETS.len()) {
        println!("{:>6}{}", row[0].0, row.iter().map(|c| format!("{:>7.1}", c.2)).collect::<String>());
    }
    json["offsets"] = serde_json::to_value(&offsets).unwrap();
    for (name, config) in bench::epoch_workloads() {
        let figures = (0..reps).map(|_| bench::epoch(name, &config, &sources, b, system_clock)).collect::<Result<Vec<_>, _>>()?;
        let (total, lo, hi) = spread(figures.iter().map(|f| f.total_ms).collect());
        let f = &figures[0];
        println!("{name:<34} {:>22} training {:.0} samples/s, evaluation {:.0} ms", format!("{total:.0} ms ({lo:.0}-{hi:.0})"), f.samples_per_sec, f.eval_ms);
        json["epochs"].as_array_mut().unwrap().push(serde_json::to_value(&figures).unwrap());
    }
    // The largest sets the page allows; the peak is after both (each run is dropped before the next).
    for (_, config) in bench::memory_workloads() {
        let mut trainer = Trainer::new(&config, sources.clone(), None, b, system_clock).map_err(|e| e.to_string())?;
        for _ in 0..20 {
            trainer.step();
        }
    }
    if let Some(mb) = peak_rss_mb() {
        println!("peak resident memory (incl. alpha=100, n=60,000, plain and co-teaching): {mb:.0} MB");
        json["peak_rss_mb"] = mb.into();
    }
    if args.json {
        println!("{json}");
    }
    Ok(())
}

fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn pack(out: &Path) -> Result<(), String> {
    let mut datasets = Vec::new();
    for (name, var) in [("mnist", "MNIST_DIR"), ("fashion", "FASHION_MNIST_DIR")] {
        if name == "fashion" && std::env::var_os(var).is_none() {
            eprintln!("FASHION_MNIST_DIR not set: packing MNIST only");
            continue;
        }
        let data = Dataset::from_env(var).map_err(|e| e.to_string())?;
        let entry = packed::write_dataset(out, name, &data).map_err(|e| format!("{}: {e}", out.display()))?;
        eprintln!("{name}: {} chunks, {} bytes gzip", entry.chunks.len(), entry.chunks.iter().map(|c| c.gzip_bytes).sum::<usize>());
        datasets.push(entry);
    }
    let manifest = packed::Manifest { format: String::from_utf8_lossy(packed::MAGIC).into_owned(), datasets };
    let path = out.join("manifest.json");
    std::fs::write(&path, serde_json::to_string_pretty(&manifest).unwrap()).map_err(|e| format!("{}: {e}", path.display()))?;
    eprintln!("wrote {}", path.display());
    Ok(())
}
