//! REPRODUCTION.md: our sweep results beside the paper's numbers, figure by figure, with the
//! shape checks the paper's claims come down to. `label-noise-lab report` runs the sweeps (or
//! reuses their CSVs) and writes it; the discussion is ours, in `reproduction/notes/discussion.md`.

use crate::experiments::paper;
use crate::experiments::{PointResult, Scale, Spread, Sweep, spreads};
use std::fmt::Write;

const DISCUSSION: &str = include_str!("../../reproduction/notes/discussion.md");

/// The mean over the seeds of `series` at `x`.
fn at(results: &[PointResult], series: &str, x: f64) -> Option<f64> {
    spread_at(results, series, x).map(|s| s.mean)
}

fn spread_at(results: &[PointResult], series: &str, x: f64) -> Option<Spread> {
    let runs: Vec<PointResult> = results.iter().filter(|r| r.series == series && r.x == x).cloned().collect();
    spreads(&runs).pop()
}

/// A table cell: the mean in percent, with half the range over the seeds when there are several.
fn cell(results: &[PointResult], series: &str, x: f64) -> String {
    match spread_at(results, series, x) {
        Some(s) if s.runs > 1 => format!("{:.1} ± {:.1}", s.mean * 100.0, (s.max - s.min) * 50.0),
        other => pct(other.map(|s| s.mean)),
    }
}

fn pct(v: Option<f64>) -> String {
    v.map_or("–".into(), |v| format!("{:.1}", v * 100.0))
}

/// The smallest clean-set size reaching `target` accuracy on a curve `(n, accuracy)`, linearly
/// interpolated in log n between the points around the crossing (None if never reached).
pub fn clean_needed(curve: &[(f64, f64)], target: f64) -> Option<f64> {
    let mut sorted = curve.to_vec();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let first = sorted.iter().position(|&(_, acc)| acc >= target)?;
    if first == 0 {
        return Some(sorted[0].0);
    }
    let ((n0, a0), (n1, a1)) = (sorted[first - 1], sorted[first]);
    let t = (target - a0) / (a1 - a0);
    Some((n0.ln() + t * (n1.ln() - n0.ln())).exp())
}

/// One check of a paper's claim against our results: what was compared, with the numbers, and
/// whether it holds (`None`: a measurement shown for the record, not a test).
#[derive(Clone, Debug, PartialEq)]
pub struct Check {
    /// What is compared ("mlp1 over the perceptron at alpha=100"): the same words at both scales.
    pub what: String,
    /// The numbers, or why there are none yet.
    pub result: String,
    pub holds: Option<bool>,
    /// Not judged yet: its points are missing (a verdict with such checks is provisional).
    pub waits: bool,
    pub kind: Kind,
}

/// What a check tests: the shape of the paper's claim (an ordering, a trend: the quick scale
/// must give the full scale's), or our numbers against the paper's.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kind {
    Shape,
    PaperNumbers,
}

impl Check {
    pub fn text(&self) -> String {
        format!("{}: {}", self.what, self.result)
    }

    /// Its outcome in words: holds, does not hold, waits (points missing) or for the record.
    pub fn mark(&self) -> &'static str {
        match self.holds {
            Some(true) => "holds",
            Some(false) => "does not hold",
            None if self.waits => "waits",
            None => "for the record",
        }
    }
}

/// A check that cannot be judged yet: one of its points is not trained.
fn waits(what: &str) -> Check {
    Check { what: what.into(), result: "not trained yet; judged when trained".into(), holds: None, waits: true, kind: Kind::Shape }
}

/// The check `what` on `points`: judged by `judge` (the numbers, and whether it holds) once they
/// are all trained, else waiting for them.
fn judge<T>(what: &str, points: Option<T>, judge: impl FnOnce(T) -> (String, bool)) -> Option<Check> {
    Some(points.map_or_else(
        || waits(what),
        |p| {
            let (numbers, holds) = judge(p);
            Check { what: what.into(), result: numbers, holds: Some(holds), waits: false, kind: Kind::Shape }
        },
    ))
}

/// A figure's verdict on the paper's claim, from its checks.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Verdict {
    Reproduced,
    Partly,
    NotReproduced,
    /// No check could be made (points missing).
    Open,
}

impl Verdict {
    pub fn text(self) -> &'static str {
        match self {
            Verdict::Reproduced => "reproduced",
            Verdict::Partly => "partly reproduced",
            Verdict::NotReproduced => "not reproduced",
            Verdict::Open => "not checked",
        }
    }
}

/// A figure's verdict in words, and what it rests on: ("claim reproduced", "7 of 7 checks hold;
/// 48 runs trained"), as the report and the page's figure panel say it.
pub fn verdict_line(sweep: &Sweep, results: &[PointResult], checks: &[Check]) -> (String, String) {
    let (held, tested) = (checks.iter().filter(|c| c.holds == Some(true)).count(), checks.iter().filter(|c| c.holds.is_some()).count());
    let word = match verdict(checks) {
        Verdict::Open => "not checked (points missing)".to_string(),
        v => format!("claim {}", v.text()),
    };
    let judged = match (tested, waiting(checks)) {
        (0, 0) => "no check could be judged".to_string(),
        (0, n) => checks_wait(n, "missing points"),
        _ => format!("{held} of {tested} checks hold{}", provisional(checks)),
    };
    (word, format!("{judged}; {} trained", trained(sweep, results)))
}

pub fn verdict(checks: &[Check]) -> Verdict {
    let tested: Vec<bool> = checks.iter().filter_map(|c| c.holds).collect();
    match (tested.iter().filter(|&&h| h).count(), tested.len()) {
        (_, 0) => Verdict::Open,
        (k, n) if k == n => Verdict::Reproduced,
        (0, _) => Verdict::NotReproduced,
        _ => Verdict::Partly,
    }
}

/// Checks not judged yet because their points are missing: a verdict with any is provisional
/// and says so.
pub fn waiting(checks: &[Check]) -> usize {
    checks.iter().filter(|c| c.waits).count()
}

/// The seeds the points were run with: "3 seeds" when every point has as many, else the range
/// and how many points have the most (a sweep's later seeds still training).
fn seeds(results: &[PointResult]) -> String {
    let runs: Vec<usize> = spreads(results).iter().map(|s| s.runs).collect();
    let (fewest, most) = (runs.iter().copied().min().unwrap_or(0), runs.iter().copied().max().unwrap_or(0));
    if fewest == most { count(most, "seed") } else { format!("{fewest} to {most} seeds a point: {most} at {} of {} points", runs.iter().filter(|&&n| n == most).count(), runs.len()) }
}

/// How many of the figure's runs (points times seeds) are trained: "11 of 324 runs", or "54 runs" when all are.
fn trained(sweep: &Sweep, results: &[PointResult]) -> String {
    let all = sweep.points().len();
    if results.len() < all { format!("{} of {all} runs", results.len()) } else { count(results.len(), "run") }
}

/// What a verdict line adds when some checks wait for points.
fn provisional(checks: &[Check]) -> String {
    match waiting(checks) {
        0 => String::new(),
        n => format!("; provisional: {}", checks_wait(n, "missing points")),
    }
}

/// "1 check waits for missing points", "2 checks wait for full-scale points".
fn checks_wait(n: usize, what: &str) -> String {
    if n == 1 { format!("1 check waits for {what}") } else { format!("{n} checks wait for {what}") }
}

/// The paper's claim that each figure tests (our wording of the paper's finding).
pub fn claim(figure: &str) -> &'static str {
    match figure {
        "uniform" => {
            "accuracy degrades gracefully with alpha, stays far above chance at alpha = 100, and deeper nets are more robust; the numbers should agree (mean absolute error within 3 points for the MLPs, 5 for the perceptron; Conv4 at least 90% at alpha = 100)"
        }
        "structured" => "structured noise hurts more as delta grows",
        "noise-source" => "noisy examples from another dataset or white noise hurt less than same-dataset images with wrong labels",
        "noisy-images" => "re-used and never-seen noisy images hurt about equally",
        "clean-size" => "the clean examples needed for a given accuracy grow with alpha",
        "batch-size" => "larger batches are more robust to noise, and the infinite-batch loss H_alpha removes most of the damage",
        "learning-rate" => "smaller learning rates degrade more slowly under noise",
        "compare-methods" => {
            "beyond the paper: at heavy symmetric noise, forward correction with the true T (Patrini et al. 2017) and co-teaching (Han et al. 2018) beat plain cross-entropy, which memorises the flipped labels"
        }
        _ => "",
    }
}

/// Mean absolute difference from the paper's points, in points, where both have a value.
fn paper_error(sweep: &Sweep, results: &[PointResult], series: &str) -> Option<(f64, usize)> {
    let paper = sweep.series.iter().find(|s| s.label == series)?.paper.as_ref()?;
    let diffs: Vec<f64> = paper.points.iter().filter_map(|&(x, y)| at(results, series, x).map(|a| (a - y).abs() * 100.0)).collect();
    (!diffs.is_empty()).then(|| (diffs.iter().sum::<f64>() / diffs.len() as f64, diffs.len()))
}

/// The checks of the paper's claim on this figure's results.
pub fn checks(sweep: &Sweep, results: &[PointResult]) -> Vec<Check> {
    let last = sweep.values.last().copied().unwrap_or(0.0);
    let first = sweep.values.first().copied().unwrap_or(0.0);
    let mut out: Vec<Option<Check>> = Vec::new();
    // A check whose points are missing is listed as waiting, never left out: a figure with
    // half its points must not read as complete.
    let compare = |what: &str, a: Option<f64>, b: Option<f64>| {
        judge(what, a.zip(b), |(x, y)| {
            let d = (x - y) * 100.0;
            (format!("{d:+.1} points ({} vs {})", pct(a), pct(b)), d > 0.0)
        })
    };
    match sweep.name.as_str() {
        "uniform" => {
            for s in &sweep.series {
                let what = format!("{} at alpha={last} far above chance (10%)", s.label);
                out.push(judge(&what, at(results, &s.label, last), |a| (format!("{:.1}%", a * 100.0), a > 0.2)));
                if let Some((mae, n)) = paper_error(sweep, results, &s.label) {
                    let within = if s.label == "perceptron" { 5.0 } else { 3.0 };
                    // An average over part of the curve says little of the whole: judged once
                    // every alpha of the figure has its point.
                    let complete = n == sweep.values.len();
                    let part = if complete { String::new() } else { format!(" of {}; judged when all are trained", sweep.values.len()) };
                    out.push(Some(Check {
                        what: format!("{} against the paper", s.label),
                        result: format!("mean absolute error {mae:.1} points over {n} alphas{part} (target: within {within})"),
                        holds: complete.then_some(mae <= within),
                        waits: !complete,
                        kind: Kind::PaperNumbers,
                    }));
                }
            }
            // Deeper is more robust: each net over the next shallower one the figure has.
            let depth: Vec<&str> = ["perceptron", "mlp1", "mlp2", "mlp4", "conv4"].into_iter().filter(|d| sweep.series.iter().any(|s| s.label == *d)).collect();
            for pair in depth.windows(2) {
                let (shallow, deep) = (pair[0], pair[1]);
                let shallow_name = if shallow == "perceptron" { "the perceptron" } else { shallow };
                out.push(compare(&format!("{deep} over {shallow_name} at alpha={last}"), at(results, deep, last), at(results, shallow, last)));
            }
            // The paper's headline number: shown as open while the point is not trained, never
            // left out (a figure without it must not read as complete).
            if sweep.series.iter().any(|s| s.label == "conv4") {
                let a = at(results, "conv4", last);
                let measured = a.map_or("not trained yet; judged when trained".to_string(), |a| format!("{:.1}%", a * 100.0));
                out.push(Some(Check {
                    what: format!("conv4 at alpha={last}"),
                    result: format!("{measured} (the paper: 91.0%; target: at least 90%)"),
                    holds: a.map(|a| a >= 0.9),
                    waits: a.is_none(),
                    kind: Kind::PaperNumbers,
                }));
            }
        }
        "structured" => {
            for s in &sweep.series {
                out.push(compare(&format!("{}: delta={first} over delta={last} (stronger structure hurts)", s.label), at(results, &s.label, first), at(results, &s.label, last)));
            }
        }
        "batch-size" => {
            // The paper's gap holds at every noisy alpha (5.6 points at alpha = 20, 32 at 50), not only the last.
            for &alpha in sweep.values.iter().filter(|&&a| a > 0.0) {
                out.push(compare(&format!("batch 256 over batch 32 at alpha={alpha}"), at(results, "batch 256", alpha), at(results, "batch 32", alpha)));
            }
            out.push(compare(&format!("H_alpha over batch 32 at alpha={last}"), at(results, "H_alpha", last), at(results, "batch 32", last)));
        }
        "learning-rate" => {
            let (low, high) = (&sweep.series[0].label, &sweep.series[sweep.series.len() - 1].label);
            out.push(compare(&format!("{low} over {high} at alpha={last} (smaller rates degrade more slowly)"), at(results, low, last), at(results, high, last)));
            let drop = |label: &str| at(results, label, first).zip(at(results, label, last)).map(|(a, b)| a - b);
            let what = format!("fall from alpha={first} to alpha={last}, {low} less than {high}");
            out.push(judge(&what, drop(low).zip(drop(high)), |(l, h)| (format!("{:.1} points, {:.1} points", l * 100.0, h * 100.0), l < h)));
        }
        "noise-source" => {
            out.push(compare(&format!("white-noise images over same-dataset images at alpha={last}"), at(results, "white", last), at(results, "mnist", last)));
            out.push(compare(&format!("Fashion-MNIST images over same-dataset images at alpha={last}"), at(results, "fashion", last), at(results, "mnist", last)));
            // The paper: other-dataset images hurt about half as much, white noise barely.
            out.push(compare(&format!("white-noise images over Fashion-MNIST images at alpha={last}"), at(results, "white", last), at(results, "fashion", last)));
            // Noise cannot help: a curve that rises with alpha means the longer training did.
            for s in ["fashion", "white"] {
                let what = format!("{s} at alpha={last} vs alpha={first} (noise cannot help; at most 0.5 points above)");
                out.push(judge(&what, at(results, s, first).zip(at(results, s, last)), |(a, b)| (format!("{} vs {}", pct(Some(b)), pct(Some(a))), b <= a + 0.005)));
            }
        }
        "clean-size" => {
            // The paper's threshold is 90%; 85% beside it for the record.
            let means = spreads(results);
            for (target, judged) in [(0.90, true), (0.85, false)] {
                let mut row = Vec::new();
                let mut needed = Vec::new();
                let mut all_known = true;
                for s in &sweep.series {
                    let curve: Vec<(f64, f64)> = means.iter().filter(|r| r.series == s.label).map(|r| (r.x, r.mean)).collect();
                    // A curve's crossing is known once its points up to the first that reaches
                    // the target are trained (larger n do not move it), or all of them are.
                    let mut known = true;
                    for &x in &sweep.values {
                        match at(results, &s.label, x) {
                            None => known = false,
                            Some(a) if a >= target => {}
                            Some(_) => continue,
                        }
                        break;
                    }
                    all_known &= known;
                    let n = known.then(|| clean_needed(&curve, target)).flatten();
                    needed.push(n);
                    let alpha = s.base.alpha;
                    let paper = paper::clean_examples_needed(alpha, target * 100.0).map_or(String::new(), |p| format!(" (the paper's conv net: {p:.0})"));
                    let ours = match n {
                        Some(n) => format!("{n:.0}"),
                        None if known => "not reached".into(),
                        None => "not trained far enough yet".into(),
                    };
                    row.push(format!("{} {ours}{paper}", s.label));
                }
                // Series are in increasing alpha: each needs more than the one before (or never gets there).
                let grows = needed.windows(2).all(|w| match (w[0], w[1]) {
                    (Some(a), Some(b)) => b > a,
                    (_, None) => true,
                    (None, Some(_)) => false,
                });
                // Unchecked when no curve reaches the target on this grid, or a crossing is not
                // known yet (its points are missing: the check waits).
                let holds = (judged && all_known && needed.iter().any(Option::is_some)).then_some(grows);
                out.push(Some(Check { what: format!("clean examples needed for {:.0}% accuracy", target * 100.0), result: row.join(", "), holds, waits: judged && !all_known, kind: Kind::Shape }));
            }
        }
        "compare-methods" => {
            for method in ["forward", "coteach"] {
                out.push(compare(&format!("{method} over ce at epsilon={last}"), at(results, method, last), at(results, "ce", last)));
            }
            for s in sweep.series.iter().filter(|s| !["ce", "forward", "coteach"].contains(&s.label.as_str())) {
                out.push(at(results, &s.label, last).zip(at(results, "ce", last)).map(|(a, b)| Check {
                    what: format!("{} vs ce at epsilon={last}", s.label),
                    result: format!("{:+.1} points ({} vs {})", (a - b) * 100.0, pct(Some(a)), pct(Some(b))),
                    holds: None,
                    waits: false,
                    kind: Kind::Shape,
                }));
            }
        }
        "noisy-images" => {
            let what = format!("repeated vs novel at alpha={last} (within 2 points counts as equal)");
            out.push(judge(&what, at(results, "repeated", last).zip(at(results, "novel", last)), |(a, b)| {
                let d = (a - b).abs() * 100.0;
                (format!("{} vs {}, {d:.1} points apart", pct(Some(a)), pct(Some(b))), d <= 2.0)
            }));
        }
        _ => {}
    }
    out.into_iter().flatten().collect()
}

/// `n` and the noun, plural unless `n` is 1: "1 run", "3 runs".
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 { format!("1 {noun}") } else { format!("{n} {noun}s") }
}

/// What early stopping did to a figure's runs, in numbers: how many it chose an earlier epoch
/// for, where, and what the last epoch would have read instead (`None` when no run records it);
/// `axis` names the swept parameter.
pub fn early_stopping(results: &[PointResult], axis: &str) -> Option<String> {
    let recorded: Vec<(&PointResult, f64, f64)> = results.iter().filter_map(|r| Some((r, r.stop_epoch?, r.last_accuracy?))).collect();
    if recorded.is_empty() {
        return None;
    }
    let earlier: Vec<&(&PointResult, f64, f64)> = recorded.iter().filter(|(r, stop, _)| *stop < r.epochs as f64).collect();
    let mut text = format!(
        "Early stopping on the held-out noisy split chose an earlier epoch than the last in {} of the {} that {} the split",
        earlier.len(),
        count(recorded.len(), "run"),
        if recorded.len() == 1 { "has" } else { "have" }
    );
    // The run it changed most, either way (at heavy noise a split without signal can also cost).
    if let Some(((worst, stop, last), _)) = earlier.iter().map(|e| (**e, e.0.test_accuracy - e.2)).max_by(|a, b| a.1.abs().total_cmp(&b.1.abs())) {
        let gain = earlier.iter().map(|(r, _, last)| r.test_accuracy - last).sum::<f64>() / earlier.len() as f64;
        let _ = write!(
            text,
            "; there it kept {:+.1} points over the last epoch on average, the most different at {} {axis}={} seed {} (epoch {stop} of {}: {:.1}% against {:.1}%)",
            gain * 100.0,
            worst.series,
            worst.x,
            worst.seed,
            worst.epochs,
            worst.test_accuracy * 100.0,
            last * 100.0
        );
    }
    Some(text + ".")
}

/// The quick scale's shape checks set beside the same checks on the full scale's results: the
/// quick scale (minutes, in the page) must give the full scale's orderings, whether or not the
/// paper's claim holds at either. A check the full scale does not make is left out; one whose full
/// points are not trained waits.
pub fn against_full(quick: &[Check], full: &[Check]) -> Vec<Check> {
    let word = |holds: bool| if holds { "holds" } else { "does not hold" };
    quick
        .iter()
        .filter(|q| q.kind == Kind::Shape)
        .filter_map(|q| {
            let at_quick = q.holds?;
            let f = full.iter().find(|f| f.what == q.what)?;
            if f.waits {
                return Some(Check { result: format!("quick {}, full not trained yet", word(at_quick)), waits: true, holds: None, ..q.clone() });
            }
            let at_full = f.holds?;
            Some(Check { result: format!("quick {}, full {}", word(at_quick), word(at_full)), holds: Some(at_quick == at_full), ..q.clone() })
        })
        .collect()
}

/// One figure's results with its checks, judged once.
struct Judged<'a> {
    sweep: &'a Sweep,
    results: &'a [PointResult],
    checks: Vec<Check>,
    /// At the quick scale: its checks against the full scale's (empty at the full scale, or
    /// without full results).
    as_full: Vec<Check>,
}

/// The whole report for results at `scale`; charts are linked from `results_dir`. `full`: the
/// full scale's results, which a quick report compares its orderings with (empty for a full one).
pub fn markdown(scale: Scale, figures: &[(Sweep, Vec<PointResult>)], full: &[(Sweep, Vec<PointResult>)], results_dir: &str) -> String {
    let scale_name = match scale {
        Scale::Quick => "quick",
        Scale::Full => "full",
    };
    let judged: Vec<Judged> = figures
        .iter()
        .map(|(sweep, results)| {
            let checks = checks(sweep, results);
            let as_full = full.iter().find(|(f, _)| f.name == sweep.name).map_or_else(Vec::new, |(f, rs)| as_at_full_scale(&checks, f, rs));
            Judged { sweep, results, checks, as_full }
        })
        .collect();
    let mut md = String::new();
    let _ = writeln!(md, "# Reproduction report: Deep Learning is Robust to Massive Label Noise\n");
    let _ = writeln!(
        md,
        "Generated by `label-noise-lab report --scale {scale_name}` (do not edit by hand: edit `reproduction/notes/discussion.md` \
         and rerun). Our numbers are clean MNIST test accuracy (%), the mean over the seeds run per point (± half the range when there are several); the paper's are read off its \
         published figures (`reference/rolnick2017-figures.json`, about ±0.3 points; \"–\" where it has no point at that x).\n"
    );
    let _ = writeln!(md, "{DISCUSSION}");
    // Every comparison with the paper below is computed from the CSVs: the verdict of each
    // figure comes from its checks, each a number against a stated threshold.
    let _ = writeln!(md, "## Verdicts\n");
    for Judged { sweep, results, checks, as_full } in &judged {
        let v = verdict(checks).text();
        let as_full = if as_full.is_empty() { String::new() } else { format!("; {}", agreement(as_full)) };
        let _ = writeln!(md, "- {}: {v} ({}, {}{}{as_full})", sweep.title, trained(sweep, results), seeds(results), provisional(checks));
    }
    let _ = writeln!(md);
    for Judged { sweep, results, checks, as_full } in &judged {
        let _ = writeln!(md, "## {}\n", sweep.title);
        let _ = writeln!(md, "![{}]({results_dir}/{}-{scale_name}.svg)\n", sweep.title, sweep.name);
        let _ = writeln!(md, "Settings: {}. Rerun: `label-noise-lab sweep --preset {} --scale {scale_name}`.\n", sweep.note, sweep.name);
        let mut header = format!("| {} |", sweep.axis.parameter());
        let mut rule = "|---|".to_string();
        for s in &sweep.series {
            header += &format!(" ours {} |", s.label);
            rule += "---|";
            if s.paper.is_some() {
                header += &format!(" paper {} |", s.label);
                rule += "---|";
            }
        }
        let _ = writeln!(md, "{header}\n{rule}");
        for &x in &sweep.values {
            let mut row = format!("| {x} |");
            for s in &sweep.series {
                row += &format!(" {} |", cell(results, &s.label, x));
                if let Some(p) = &s.paper {
                    row += &format!(" {} |", pct(p.points.iter().find(|(px, _)| *px == x).map(|(_, y)| *y)));
                }
            }
            let _ = writeln!(md, "{row}");
        }
        if let Some(text) = early_stopping(results, sweep.axis.parameter()) {
            let _ = writeln!(md, "\n{text}");
        }
        let (word, details) = verdict_line(sweep, results, checks);
        let _ = writeln!(md, "\nThe paper's claim: {}.\n\n**Verdict: {word}** ({details}).\n", claim(&sweep.name));
        for c in checks {
            let mark = if c.holds == Some(false) { format!("**{}**", c.mark()) } else { c.mark().to_string() };
            let _ = writeln!(md, "- {}: {mark}", c.text());
        }
        if !as_full.is_empty() {
            let _ = writeln!(md, "\nThe same checks on the full scale's results (`REPRODUCTION.md`), whose orderings the quick scale should give ({}):\n", agreement(as_full));
            for c in as_full {
                let mark = if c.holds == Some(false) { format!("**{}**", as_full_mark(c)) } else { as_full_mark(c).to_string() };
                let _ = writeln!(md, "- {}: {mark}", c.text());
            }
        }
        let _ = writeln!(md);
    }
    md
}

/// The quick scale's `checks` set beside the same checks on the full scale's figure `full` with
/// its `results` ([`against_full`]); none where the full scale has no results yet.
pub fn as_at_full_scale(checks: &[Check], full: &Sweep, results: &[PointResult]) -> Vec<Check> {
    if results.is_empty() { Vec::new() } else { against_full(checks, &self::checks(full, results)) }
}

/// A check of [`against_full`] in words: as at full scale, not as at full scale, or waits.
pub fn as_full_mark(check: &Check) -> &'static str {
    match check.holds {
        Some(true) => "as at full scale",
        Some(false) => "not as at full scale",
        None => "waits",
    }
}

/// "as at full scale: 5 of 6 checks" (and how many wait for full-scale points); empty without any.
pub fn agreement(as_full: &[Check]) -> String {
    let judged = as_full.iter().filter(|c| c.holds.is_some()).count();
    let agree = as_full.iter().filter(|c| c.holds == Some(true)).count();
    let wait = waiting(as_full);
    let waits = |n| checks_wait(n, "full-scale points");
    match (judged, wait) {
        (0, 0) => String::new(),
        (0, w) => format!("as at full scale: {}", waits(w)),
        (j, 0) => format!("as at full scale: {agree} of {}", count(j, "check")),
        (j, w) => format!("as at full scale: {agree} of {}, {}", count(j, "check"), waits(w)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiments::Preset;

    #[test]
    fn clean_needed_interpolates_in_log_n() {
        let curve = [(500.0, 0.5), (1000.0, 0.7), (2000.0, 0.9)];
        assert_eq!(clean_needed(&curve, 0.4), Some(500.0));
        let n = clean_needed(&curve, 0.8).unwrap();
        assert!((n - 1414.2).abs() < 1.0, "{n}");
        assert_eq!(clean_needed(&curve, 0.95), None);
    }

    #[test]
    fn the_report_has_a_table_and_checks_per_figure() {
        let sweep = Preset::Uniform.sweep(Scale::Quick);
        let results: Vec<PointResult> = sweep
            .points()
            .iter()
            .map(|p| PointResult {
                series: sweep.series[p.series].label.clone(),
                x: p.x,
                // Deeper falls slower; seeds 1, 2, 3 one point below, at and above the curve.
                test_accuracy: 0.9 - p.x / 1000.0 * (5 - p.series) as f64 + (p.config.seed as f64 - 2.0) * 0.01,
                epochs: 2,
                train_examples: 1,
                samples_per_sec: 1.0,
                seed: p.config.seed,
                ..Default::default()
            })
            .collect();
        let md = markdown(Scale::Quick, &[(sweep, results)], &[], "results");
        assert!(md.contains("| alpha | ours perceptron | paper perceptron |"), "{md}");
        assert!(md.contains("| 100 | 40.0 ± 1.0 | 40.0 | 50.0 ± 1.0 | 69.7 |"), "{md}");
        assert!(md.contains("- mlp1 over the perceptron at alpha=100: +10.0 points (50.0 vs 40.0): holds"), "{md}");
        assert!(md.contains("- mlp4 over mlp2 at alpha=100: +10.0 points (70.0 vs 60.0): holds"), "{md}");
        // The made-up curves fall several times faster than the paper's: their error checks fail.
        assert!(md.contains("- perceptron against the paper:") && md.contains("**Verdict: claim partly reproduced**"), "{md}");
        assert!(md.contains("![Uniform label noise: test accuracy vs alpha](results/uniform-quick.svg)"));
    }

    #[test]
    fn the_quick_scale_is_judged_by_the_full_scales_orderings() {
        let (quick, full) = (Preset::Uniform.sweep(Scale::Quick), Preset::Uniform.sweep(Scale::Full).with_seeds(1));
        let depth = |series: &str| ["perceptron", "mlp1", "mlp2", "mlp4", "conv4"].iter().position(|d| *d == series).unwrap() as f64;
        let quick_results = results(&quick, |series, alpha| 0.9 - alpha / 1000.0 * (5.0 - depth(series)));
        // At full scale MLP4 falls below MLP2 at alpha = 100; the perceptron's alpha = 100 is not trained.
        let full_results: Vec<PointResult> = results(&full, |series, alpha| if series == "mlp4" && alpha == 100.0 { 0.5 } else { 0.95 - alpha / 1000.0 * (5.0 - depth(series)) })
            .into_iter()
            .filter(|r| !(r.series == "perceptron" && r.x == 100.0))
            .collect();
        let as_full = against_full(&checks(&quick, &quick_results), &checks(&full, &full_results));
        let find = |what: &str| as_full.iter().find(|c| c.what == what).unwrap_or_else(|| panic!("{what}: {as_full:?}"));
        assert_eq!(find("mlp4 over mlp2 at alpha=100").holds, Some(false), "holds at quick, not at full: not as at full scale");
        assert_eq!(find("mlp4 over mlp2 at alpha=100").result, "quick holds, full does not hold");
        assert_eq!(find("mlp2 over mlp1 at alpha=100").holds, Some(true));
        assert!(find("mlp1 over the perceptron at alpha=100").waits, "the full point is missing");
        // Our numbers against the paper's are no ordering: not compared across scales.
        assert!(as_full.iter().all(|c| c.kind == Kind::Shape && !c.what.contains("against the paper")), "{as_full:?}");
        // Both failing is the same ordering; a check the full scale does not make is left out.
        let check = |what: &str, holds| Check { what: what.into(), result: String::new(), holds: Some(holds), waits: false, kind: Kind::Shape };
        let same = against_full(&[check("white over fashion", false), check("only at quick", true)], &[check("white over fashion", false)]);
        assert_eq!((same.len(), same[0].holds), (1, Some(true)), "{same:?}");

        let md = markdown(Scale::Quick, &[(quick.clone(), quick_results.clone())], &[(full.clone(), full_results)], "results");
        assert!(md.contains("(48 runs, 3 seeds; as at full scale: 4 of 5 checks, 2 checks wait for full-scale points)"), "{md}");
        assert!(md.contains("- mlp4 over mlp2 at alpha=100: quick holds, full does not hold: **not as at full scale**"), "{md}");
        // Without full results (a full report, or none committed) nothing is said of them.
        let alone = markdown(Scale::Quick, &[(quick.clone(), quick_results.clone())], &[(full, Vec::new())], "results");
        assert!(!alone.contains("; as at full scale") && !alone.contains("whose orderings the quick scale should give"), "{alone}");
    }

    fn results(sweep: &Sweep, accuracy: impl Fn(&str, f64) -> f64) -> Vec<PointResult> {
        sweep
            .points()
            .iter()
            .map(|p| PointResult {
                series: sweep.series[p.series].label.clone(),
                x: p.x,
                test_accuracy: accuracy(&sweep.series[p.series].label, p.x),
                epochs: 1,
                train_examples: 1,
                samples_per_sec: 1.0,
                seed: p.config.seed,
                ..Default::default()
            })
            .collect()
    }

    #[test]
    fn what_early_stopping_did_is_counted_from_the_rows() {
        let row = |x: f64, stop: Option<f64>, kept: f64, last: Option<f64>| PointResult {
            series: "alpha=10".into(),
            x,
            test_accuracy: kept,
            epochs: 100,
            train_examples: 1,
            samples_per_sec: 1.0,
            seed: 1,
            recipe: None,
            stop_epoch: stop,
            last_accuracy: last,
        };
        assert_eq!(early_stopping(&[row(1000.0, None, 0.9, None)], "clean"), None, "rows from before early stopping say nothing");
        let rows = [row(1000.0, Some(9.0), 0.817, Some(0.434)), row(2000.0, Some(40.0), 0.9, Some(0.875)), row(60000.0, Some(100.0), 0.95, Some(0.95)), row(500.0, None, 0.5, None)];
        assert_eq!(
            early_stopping(&rows, "clean").unwrap(),
            "Early stopping on the held-out noisy split chose an earlier epoch than the last in 2 of the 3 runs that have the split; there it kept +20.4 points over the last epoch on average, the most different at alpha=10 clean=1000 seed 1 (epoch 9 of 100: 81.7% against 43.4%)."
        );
        // Where it cost, the run it cost most is named, not the one it cost least.
        let costs = [row(50.0, Some(1.0), 0.205, Some(0.253)), row(100.0, Some(1.0), 0.24, Some(0.25))];
        assert!(
            early_stopping(&costs, "alpha")
                .unwrap()
                .ends_with("kept -2.9 points over the last epoch on average, the most different at alpha=10 alpha=50 seed 1 (epoch 1 of 100: 20.5% against 25.3%).")
        );
    }

    #[test]
    fn a_claim_that_holds_is_reproduced_and_one_that_does_not_is_not() {
        // Noise source: other-dataset images hurt less than MNIST images with wrong labels.
        let sweep = Preset::NoiseSource.sweep(Scale::Quick);
        let holds = results(&sweep, |series, alpha| match series {
            "mnist" => 0.95 - alpha / 500.0,
            "fashion" => 0.95 - alpha / 5000.0,
            _ => 0.95 - alpha / 10000.0, // white noise barely hurts
        });
        let c = checks(&sweep, &holds);
        assert!(!c.is_empty() && c.iter().all(|c| c.holds == Some(true)), "{c:?}");
        assert_eq!(verdict(&c), Verdict::Reproduced);
        // Other images hurt more than wrong labels, white noise most, and both curves rise.
        let fails = results(&sweep, |series, alpha| match series {
            "mnist" => 0.95,
            "fashion" => 0.88 + alpha / 1000.0,
            _ => 0.86 + alpha / 1000.0,
        });
        assert_eq!(verdict(&checks(&sweep, &fails)), Verdict::NotReproduced);
        assert_eq!(verdict(&checks(&sweep, &[])), Verdict::Open, "no points, no verdict");

        // Uniform: a curve's error against the paper is judged only once every alpha is there.
        let sweep = Preset::Uniform.sweep(Scale::Full).with_seeds(1);
        let paper_of =
            |series: &str, alpha: f64| sweep.series.iter().find(|s| s.label == series).and_then(|s| s.paper.as_ref()).and_then(|p| p.points.iter().find(|q| q.0 == alpha)).map_or(0.5, |q| q.1);
        let exact = results(&sweep, |series, alpha| paper_of(series, alpha));
        let mae = |rs: &[PointResult], series: &str| checks(&sweep, rs).into_iter().find(|c| c.text().starts_with(&format!("{series} against the paper")));
        assert_eq!(mae(&exact, "conv4").unwrap().holds, Some(true), "the whole curve, on the paper's points");
        let partial: Vec<PointResult> = exact.iter().filter(|r| r.series != "conv4" || r.x <= 20.0).cloned().collect();
        let check = mae(&partial, "conv4").unwrap();
        assert_eq!(check.holds, None, "3 of 11 alphas: not judged ({})", check.text());
        assert!(check.text().contains("of 11; judged when all are trained"), "{}", check.text());
        // conv4's error, headline, distance from chance and lead over MLP4 wait.
        assert_eq!((waiting(&checks(&sweep, &partial)), waiting(&checks(&sweep, &exact))), (4, 0), "{:?}", checks(&sweep, &partial));
        let md = markdown(Scale::Full, &[(sweep.clone(), partial.clone())], &[], "results");
        assert!(md.contains("checks hold; provisional: 4 checks wait for missing points; 47 of 55 runs trained).") && md.contains("(47 of 55 runs, 1 seed; provisional: 4 checks wait"), "{md}");
        // A series the figure does not have is not waited for (the quick scale has no Conv4).
        let quick = Preset::Uniform.sweep(Scale::Quick);
        assert_eq!(waiting(&checks(&quick, &results(&quick, |_, alpha| 0.95 - alpha / 300.0))), 0);
        // Later seeds of some points only: the verdict line does not say every point has them.
        let later: Vec<PointResult> = exact.iter().filter(|r| r.series == "mlp1" && r.x <= 10.0).flat_map(|r| [2, 3].map(|seed| PointResult { seed, ..r.clone() })).collect();
        assert_eq!(seeds(&[exact.clone(), later].concat()), "1 to 3 seeds a point: 3 at 2 of 55 points");
        assert_eq!(seeds(&exact), "1 seed");
        let headline = |rs: &[PointResult]| checks(&sweep, rs).into_iter().find(|c| c.text().starts_with("conv4 at alpha=100")).unwrap();
        assert_eq!(headline(&partial).holds, None, "{}", headline(&partial).text());
        assert!(headline(&partial).text().contains("not trained yet"));
        assert_eq!(headline(&exact).holds, Some(true), "{}", headline(&exact).text());

        // Batch size: with H_alpha not trained, the batches' check is judged and H_alpha's waits,
        // listed, not left out (the figure must not read as complete).
        let sweep = Preset::BatchSize.sweep(Scale::Full).with_seeds(1);
        let batches = results(&sweep, |series, alpha| if series == "batch 32" { 0.98 - alpha / 200.0 } else { 0.98 - alpha / 500.0 });
        let no_h: Vec<PointResult> = batches.iter().filter(|r| r.series != "H_alpha").cloned().collect();
        let c = checks(&sweep, &no_h);
        assert_eq!((verdict(&c), waiting(&c), c.len()), (Verdict::Reproduced, 1, 6), "{c:?}");
        assert!(c.iter().any(|c| c.waits && c.text().starts_with("H_alpha over batch 32") && c.text().contains("not trained yet")), "{c:?}");
        let md = markdown(Scale::Full, &[(sweep.clone(), no_h)], &[], "results");
        assert!(md.contains("(5 of 5 checks hold; provisional: 1 check waits for missing points; 30 of 36 runs trained)"), "{md}");
        assert!(md.contains("- Batch size and H_alpha: test accuracy vs alpha: reproduced (30 of 36 runs, 1 seed; provisional: 1 check waits"), "{md}");
        assert!(md.contains("- H_alpha over batch 32 at alpha=50: not trained yet; judged when trained: waits\n"), "{md}");
        assert_eq!(waiting(&checks(&sweep, &batches)), 0);

        // Clean-set size: the needed n must grow with alpha.
        let sweep = Preset::CleanSize.sweep(Scale::Quick);
        let alpha_of = |series: &str| series.trim_start_matches("alpha=").parse::<f64>().unwrap_or(0.0);
        let grows = results(&sweep, |series, n| (0.5 + 0.1 * (n / (10.0 * (1.0 + alpha_of(series)))).ln()).clamp(0.1, 0.99));
        assert_eq!(verdict(&checks(&sweep, &grows)), Verdict::Reproduced, "{:?}", checks(&sweep, &grows));
        let shrinks = results(&sweep, |series, n| (0.5 + 0.1 * (n * (1.0 + alpha_of(series)) / 10.0).ln()).clamp(0.1, 0.99));
        let never = results(&sweep, |_, _| 0.5);
        assert_eq!(verdict(&checks(&sweep, &never)), Verdict::Open, "no curve reaches 90%: nothing to compare");
        assert_eq!(verdict(&checks(&sweep, &shrinks)), Verdict::NotReproduced, "{:?}", checks(&sweep, &shrinks));
        // Points missing above a curve's crossing do not matter; below it, the check waits.
        let sweep = Preset::CleanSize.sweep(Scale::Full).with_seeds(1);
        let grows = results(&sweep, |series, n| (0.5 + 0.1 * (n / (10.0 * (1.0 + alpha_of(series)))).ln()).clamp(0.1, 0.99));
        let crossing = |series: &str| sweep.values.iter().copied().find(|&n| (0.5 + 0.1 * (n / (10.0 * (1.0 + alpha_of(series)))).ln()) >= 0.9).unwrap();
        let above: Vec<PointResult> = grows.iter().filter(|r| r.x <= crossing(&r.series)).cloned().collect();
        assert!(above.len() < grows.len(), "some points left out");
        let c = checks(&sweep, &above);
        assert_eq!((verdict(&c), waiting(&c)), (Verdict::Reproduced, 0), "{c:?}");
        let below: Vec<PointResult> = grows.iter().filter(|r| !(r.series == "alpha=20" && r.x < crossing("alpha=20"))).cloned().collect();
        let c = checks(&sweep, &below);
        assert_eq!((verdict(&c), waiting(&c)), (Verdict::Open, 1), "{c:?}");
        assert!(c[0].text().contains("alpha=20 not trained far enough yet"), "{}", c[0].text());
        let (word, details) = verdict_line(&sweep, &below, &c);
        assert_eq!(word, "not checked (points missing)");
        assert_eq!(details, format!("1 check waits for missing points; {} of 52 runs trained", below.len()));
        assert_eq!(verdict_line(&sweep, &grows, &checks(&sweep, &grows)), ("claim reproduced".to_string(), "1 of 1 checks hold; 52 runs trained".to_string()));

        // Methods: forward correction and co-teaching must beat cross-entropy at the top rate;
        // the other methods are shown for the record.
        let sweep = Preset::CompareMethods.sweep(Scale::Quick);
        let beat = results(&sweep, |series, eps| if series == "ce" { 0.95 - eps / 2.0 } else { 0.95 - eps / 4.0 });
        let c = checks(&sweep, &beat);
        assert_eq!((verdict(&c), c.iter().filter(|c| c.holds.is_none()).count()), (Verdict::Reproduced, 4), "{c:?}");
        let lose = results(&sweep, |series, eps| match series {
            "coteach" => 0.95 - eps,
            "ce" => 0.95 - eps / 2.0,
            _ => 0.95 - eps / 4.0,
        });
        assert_eq!(verdict(&checks(&sweep, &lose)), Verdict::Partly, "forward beats ce, co-teaching loses");
        let ties = results(&sweep, |_, eps| 0.95 - eps / 4.0);
        assert_eq!(verdict(&checks(&sweep, &ties)), Verdict::NotReproduced, "no gain is no win");
    }
}
