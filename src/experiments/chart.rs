//! Charts drawn with plotters against any `DrawingBackend`: SVG files natively, the page's canvas
//! in the browser. Our runs are lines with dots; the paper's published points are triangle markers
//! in the same colour.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// A curve of `(x, y)` points; `y` is a fraction for accuracies.
#[derive(Clone, Debug, PartialEq)]
pub struct Curve {
    pub label: String,
    pub points: Vec<(f64, f64)>,
    pub color: RGBColor,
    pub style: Style,
    /// Error bars `(x, low, high)`: the range over a point's seeds (none for a single run).
    pub bars: Vec<(f64, f64, f64)>,
}

/// How a curve is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// Our measurements: a line, with dots while there are few points.
    Line,
    /// The paper's published points: triangles.
    Paper,
    /// Single events on a curve (where early stopping would stop): crosses, no line.
    Marker,
}

/// Distinguishable colours for series in order, safe for colour-blind readers: the Okabe-Ito
/// palette (Okabe and Ito 2008) without its yellow (too faint on white), then grey.
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),   // blue
    RGBColor(230, 159, 0),   // orange
    RGBColor(0, 158, 115),   // bluish green
    RGBColor(213, 94, 0),    // vermillion
    RGBColor(204, 121, 167), // reddish purple
    RGBColor(86, 180, 233),  // sky blue
    RGBColor(0, 0, 0),       // black
    RGBColor(127, 127, 127), // grey
];

pub fn color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// Axis ranges and labels of one chart.
#[derive(Clone, Debug)]
pub struct Frame {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    /// `None`: fitted to the data. A sweep gives its swept values, so the axis is right before
    /// the first point arrives.
    pub x_range: Option<(f64, f64)>,
    /// `None`: fitted to the data.
    pub y_range: Option<(f64, f64)>,
    /// y values are fractions shown as percentages (accuracies); otherwise plain numbers (loss).
    pub y_percent: bool,
    /// Multiplies text sizes, margins and line widths (the page's `devicePixelRatio`).
    pub scale: f64,
    /// Names for x = 0, 1, 2, ... when the x axis is categorical (models, batch sizes); empty
    /// for a numeric axis.
    pub x_names: Vec<String>,
}

/// Where the data landed in backend pixels, so a caller can map a pointer back to data values,
/// and the tick labels drawn (for text alternatives and tests).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct PlotMapping {
    pub x_range: (f64, f64),
    pub y_range: (f64, f64),
    pub pixels_x: (i32, i32),
    pub pixels_y: (i32, i32),
    pub x_labels: Vec<String>,
    pub y_labels: Vec<String>,
    /// The legend is under the chart (no corner of the plot was clear for it).
    pub legend_below: bool,
}

/// Decimals that keep neighbouring tick labels apart on an axis spanning `span`: plotters puts
/// at most 10 labels on it, so ticks are at least a tenth of the span apart.
pub fn decimals(span: f64) -> usize {
    // (A span just under a power of ten, 0.998 with padding, still has ticks a tenth apart.)
    if span.is_finite() && span > 0.0 { (-(span / 10.0).log10() - 0.01).ceil().clamp(0.0, 12.0) as usize } else { 0 }
}

/// A tick label for `v` on an axis spanning `span`: `90%`, `91.5%`, `2.305`, `20` (never `20.0`).
pub fn tick_label(v: f64, span: f64, percent: bool) -> String {
    if percent { format!("{:.*}%", decimals(span * 100.0), v * 100.0) } else { format!("{:.*}", decimals(span), v) }
}

/// Where a chart's legend goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Legend {
    /// A corner of the plot that its box leaves every curve clear of.
    Corner(Corner),
    /// A strip under the chart: no corner is clear (curves across the whole plot, or a phone's
    /// plot too small for the box).
    Below,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Corner {
    LowerRight,
    LowerLeft,
    UpperRight,
    UpperLeft,
}

impl Corner {
    /// (on the right, at the top)
    fn sides(self) -> (bool, bool) {
        match self {
            Corner::LowerRight => (true, false),
            Corner::LowerLeft => (false, false),
            Corner::UpperRight => (true, true),
            Corner::UpperLeft => (false, true),
        }
    }
}

/// The first corner (lower right, lower left, upper right, upper left: accuracy-vs-epoch curves
/// leave the lower right empty, accuracy-vs-alpha curves the lower left) where a legend box of
/// `size` (shares of the plot's width and height) covers no point and no line of the curves.
fn legend_place(curves: &[Curve], (x0, x1): (f64, f64), (y0, y1): (f64, f64), size: (f64, f64)) -> Legend {
    let unit = |&(x, y): &(f64, f64)| ((x - x0) / (x1 - x0).max(1e-12), (y - y0) / (y1 - y0).max(1e-12));
    // Points, and for lines the way between them: a line across a corner covers it too.
    let mut samples = Vec::new();
    for c in curves {
        let points: Vec<(f64, f64)> = c.points.iter().map(unit).collect();
        samples.extend(&points);
        if c.style == Style::Line {
            for w in points.windows(2) {
                samples.extend((1..16).map(|i| i as f64 / 16.0).map(|t| (w[0].0 + t * (w[1].0 - w[0].0), w[0].1 + t * (w[1].1 - w[0].1))));
            }
        }
    }
    let (w, h) = (size.0 + 0.03, size.1 + 0.03); // the box keeps a few pixels from the edges
    let clear = |(right, top): (bool, bool)| !samples.iter().any(|&(x, y)| (if right { x > 1.0 - w } else { x < w }) && (if top { y > 1.0 - h } else { y < h }));
    [Corner::LowerRight, Corner::LowerLeft, Corner::UpperRight, Corner::UpperLeft].into_iter().find(|c| size.0 < 0.95 && size.1 < 0.9 && clear(c.sides())).map_or(Legend::Below, Legend::Corner)
}

/// Draws `curves` into `area`. Errors are returned as text so every backend reports alike.
pub fn draw<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, frame: &Frame, curves: &[Curve]) -> Result<PlotMapping, String> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    area.fill(&WHITE).map_err(err)?;
    // Points and the ends of their error bars: the axes hold both.
    let all = || curves.iter().flat_map(|c| c.points.iter().copied().chain(c.bars.iter().flat_map(|&(x, lo, hi)| [(x, lo), (x, hi)])));
    let (mut x0, mut x1) = all().map(|p| p.0).chain(frame.x_range.into_iter().flat_map(|(a, b)| [a, b])).fold((f64::MAX, f64::MIN), |(a, b), x| (a.min(x), b.max(x)));
    if x0 > x1 {
        (x0, x1) = (0.0, 1.0);
    }
    if x0 == x1 {
        x1 = x0 + 1.0;
    }
    let (y0, y1) = frame.y_range.unwrap_or_else(|| {
        let (lo, hi) = all().fold((f64::MAX, f64::MIN), |(a, b), p: (f64, f64)| (a.min(p.1), b.max(p.1)));
        if lo > hi {
            return (0.0, 1.0);
        }
        // At least 10 points of accuracy (or a tenth of the loss) tall: a first point or a flat
        // curve is not blown up into hundredths of a percent.
        let min_span = if frame.y_percent { 0.1 } else { 0.1 * hi.abs().max(0.1) };
        let (mid, span) = ((lo + hi) / 2.0, (hi - lo).max(min_span));
        let (mut lo, mut hi) = (mid - span / 2.0, mid + span / 2.0);
        if frame.y_percent {
            // Accuracies stay within 0..100%: slide the window rather than cross either end.
            (lo, hi) = if hi > 1.0 { (lo - (hi - 1.0), 1.0) } else { (lo, hi) };
            (lo, hi) = if lo < 0.0 { (0.0, (hi - lo).min(1.0)) } else { (lo, hi) };
        }
        let top = hi + 0.05 * span;
        ((lo - 0.05 * span).max(0.0), if frame.y_percent { top.min(1.0) } else { top })
    });
    // Categories get half a slot either side, so the end labels are not cut.
    let pad = if frame.x_names.is_empty() { (x1 - x0) * 0.02 } else { 0.5 };
    let k = frame.scale.max(0.5);
    let px = |v: f64| (v * k).round() as u32;
    let line = px(2.0);
    // The title shrinks to fit a narrow chart (a phone): about 0.55 em per character; in whole
    // pixels, since each new size is a font strike the browser loads (see web/canvas.rs).
    let (width, height) = area.dim_in_pixel();
    let title_size = (18.0 * k).min(width as f64 / (0.55 * frame.title.chars().count().max(1) as f64)).max(9.0 * k).floor();
    // The legend: its box measured in the backend's font, against the plot's size (the area
    // less the margins, label areas and title), placed where it hides nothing.
    let font = TextStyle::from(("sans-serif", 12.0 * k).into_font());
    let text_size = |t: &str| area.estimate_text_size(t, &font).unwrap_or((0, 0));
    let texts: Vec<(u32, u32)> = curves.iter().map(|c| text_size(&c.label)).collect();
    // Rows by the font's size (a canvas measures text taller than it draws it). An entry: the
    // curve's glyph, then its label `text_x` in.
    let row = 12.0 * k * 1.35;
    let (inset, text_x) = (px(10.0) as f64, px(36.0) as f64);
    let legend_box = (texts.iter().map(|t| t.0).max().unwrap_or(0) as f64 + text_x + 2.0 * inset, row * texts.len() as f64 + 2.0 * inset);
    let plot = (width as f64 - px(56.0 + 24.0) as f64, height as f64 - px(40.0 + 24.0) as f64 - title_size * 1.4);
    let legend = if curves.is_empty() { Legend::Corner(Corner::LowerRight) } else { legend_place(curves, (x0, x1), (y0, y1), (legend_box.0 / plot.0.max(1.0), legend_box.1 / plot.1.max(1.0))) };
    // Below: entries flow in rows across the width, under the x axis.
    let gap = px(16.0) as f64;
    let mut rows: Vec<Vec<(&Curve, f64)>> = Vec::new();
    if legend == Legend::Below {
        let mut used = 0.0;
        for (curve, t) in curves.iter().zip(&texts) {
            let item = text_x + t.0 as f64;
            if rows.is_empty() || (used + item > width as f64 - 2.0 * gap && !rows.last().is_some_and(Vec::is_empty)) {
                rows.push(Vec::new());
                used = 0.0;
            }
            rows.last_mut().expect("a row").push((curve, gap + used));
            used += item + gap;
        }
    }
    let strip = if legend == Legend::Below { ((rows.len() as f64 + 0.5) * row) as u32 } else { 0 };
    let (area, strip_area) = area.split_vertically(height.saturating_sub(strip));
    let mut chart = ChartBuilder::on(&area)
        .caption(&frame.title, ("sans-serif", title_size))
        .margin(px(12.0))
        .x_label_area_size(px(40.0))
        .y_label_area_size(px(56.0))
        .build_cartesian_2d(x0 - pad..x1 + pad, y0..y1)
        .map_err(err)?;
    // The formatters also record what they label (plotters may ask twice for a value).
    let (x_labels, y_labels) = (std::cell::RefCell::new(Vec::new()), std::cell::RefCell::new(Vec::new()));
    let record = |labels: &std::cell::RefCell<Vec<(f64, String)>>, v: f64, text: String| {
        let mut labels = labels.borrow_mut();
        if !labels.iter().any(|(x, _)| *x == v) {
            labels.push((v, text.clone()));
        }
        text
    };
    let (x_span, y_span) = (x1 - x0 + 2.0 * pad, y1 - y0);
    chart
        .configure_mesh()
        // Tick labels at least ~1.8 rows apart: at most N labels are never closer than the
        // axis over N - 1. A short plot (a legend below it) gets fewer, but a 0-100% axis of
        // ~155 px still steps by 20% (asking for ~2.5 rows gave it 0% and 50% alone).
        .y_labels(((plot.1 - strip as f64) / (1.8 * row) + 1.0).floor().clamp(3.0, 10.0) as usize)
        .x_desc(&frame.x_label)
        .y_desc(&frame.y_label)
        .light_line_style(RGBColor(235, 235, 235))
        .label_style(("sans-serif", 12.0 * k))
        .axis_desc_style(("sans-serif", 13.0 * k))
        .x_label_formatter(&|x| {
            let name = |i: f64| frame.x_names.get(i as usize).cloned().unwrap_or_default();
            // Ticks land near whole numbers in floating point (0 may come as -5e-17).
            let text = if frame.x_names.is_empty() {
                tick_label(*x, x_span, false)
            } else if (x - x.round()).abs() < 1e-6 && x.round() >= 0.0 {
                name(x.round())
            } else {
                String::new()
            };
            record(&x_labels, *x, text)
        })
        .y_label_formatter(&|y| record(&y_labels, *y, tick_label(*y, y_span, frame.y_percent)))
        .draw()
        .map_err(err)?;
    for curve in curves {
        let c = curve.color;
        if curve.style == Style::Paper {
            chart.draw_series(curve.points.iter().map(|&p| TriangleMarker::new(p, px(6.0) as i32, c.stroke_width(line)))).map_err(err)?;
        } else if curve.style == Style::Marker {
            chart.draw_series(curve.points.iter().map(|&p| Cross::new(p, px(7.0) as i32, c.stroke_width(line)))).map_err(err)?;
        } else {
            chart.draw_series(LineSeries::new(curve.points.iter().copied(), c.stroke_width(line))).map_err(err)?;
            if curve.points.len() <= 40 {
                chart.draw_series(curve.points.iter().map(|&p| Circle::new(p, px(3.0), c.filled()))).map_err(err)?;
            }
            let bar = |&(x, lo, hi): &(f64, f64, f64)| ErrorBar::new_vertical(x, lo, (lo + hi) / 2.0, hi, c.stroke_width(line), px(8.0));
            chart.draw_series(curve.bars.iter().filter(|b| b.2 > b.1).map(bar)).map_err(err)?;
        }
    }
    // Drawn here, not by plotters' series labels: those measure each label again, in the
    // browser through the page's layout (see web/canvas.rs).
    let entry = |on: &DrawingArea<DB, Shift>, curve: &Curve, (x, y): (i32, i32)| -> Result<(), String> {
        let (c, size) = (curve.color.stroke_width(line), px(5.0) as i32);
        let mid = x + px(15.0) as i32;
        match curve.style {
            Style::Paper => on.draw(&TriangleMarker::new((mid, y), size, c)),
            Style::Marker => on.draw(&Cross::new((mid, y), size, c)),
            Style::Line => on.draw(&PathElement::new(vec![(mid - px(10.0) as i32, y), (mid + px(10.0) as i32, y)], c)),
        }
        .map_err(err)?;
        on.draw(&Text::new(curve.label.as_str(), (x + text_x as i32, y), font.clone().pos(Pos::new(HPos::Left, VPos::Center)))).map_err(err)
    };
    match legend {
        Legend::Corner(_) if curves.is_empty() => {}
        Legend::Corner(corner) => {
            let (xs, ys) = chart.plotting_area().get_pixel_range();
            let (base, margin) = (area.get_base_pixel(), px(8.0) as i32);
            let (w, h) = (legend_box.0 as i32, legend_box.1 as i32);
            let (right, top) = corner.sides();
            let left = if right { xs.end - margin - w } else { xs.start + margin } - base.0;
            let upper = if top { ys.start + margin } else { ys.end - margin - h } - base.1;
            let corners = [(left, upper), (left + w, upper + h)];
            area.draw(&Rectangle::new(corners, WHITE.mix(0.85).filled())).map_err(err)?;
            area.draw(&Rectangle::new(corners, RGBColor(200, 200, 200))).map_err(err)?;
            for (i, curve) in curves.iter().enumerate() {
                entry(&area, curve, (left + inset as i32, upper + (inset + row * (0.5 + i as f64)) as i32))?;
            }
        }
        Legend::Below => {
            for (i, items) in rows.iter().enumerate() {
                for &(curve, x) in items {
                    entry(&strip_area, curve, (x as i32, (row * (0.5 + i as f64)) as i32))?;
                }
            }
        }
    }
    let (px_x, px_y) = chart.plotting_area().get_pixel_range();
    area.present().map_err(err)?;
    Ok(PlotMapping {
        x_range: (x0 - pad, x1 + pad),
        y_range: (y0, y1),
        pixels_x: (px_x.start, px_x.end),
        pixels_y: (px_y.start, px_y.end),
        x_labels: sorted_labels(x_labels.into_inner()),
        y_labels: sorted_labels(y_labels.into_inner()),
        legend_below: legend == Legend::Below,
    })
}

fn sorted_labels(mut labels: Vec<(f64, String)>) -> Vec<String> {
    labels.sort_by(|a, b| a.0.total_cmp(&b.0));
    labels.into_iter().map(|(_, text)| text).collect()
}

/// Accuracy per epoch for several runs (our runs' clean test accuracy).
pub fn accuracy_curves(runs: &[(String, Vec<crate::core::training::Metrics>)]) -> (Frame, Vec<Curve>) {
    let curves = runs
        .iter()
        .enumerate()
        .map(|(i, (label, history))| Curve { label: label.clone(), points: history.iter().map(|m| (m.epoch, m.test_accuracy)).collect(), color: color(i), style: Style::Line, bars: Vec::new() })
        .collect();
    let frame = Frame { title: "Clean test accuracy".into(), x_label: "epoch".into(), y_label: "test accuracy".into(), x_range: None, y_range: None, y_percent: true, scale: 1.0, x_names: Vec::new() };
    (frame, curves)
}

/// A sweep's summary: our mean accuracy over the seeds per series against the swept value, with
/// bars from the lowest to the highest seed, and the paper's points.
pub fn sweep_summary(sweep: &crate::experiments::Sweep, results: &[crate::experiments::PointResult]) -> (Frame, Vec<Curve>) {
    let mut curves = Vec::new();
    // Only the rows of this sweep's points: a file may also hold other seeds, values or recipes.
    let (matched, _) = sweep.matching(results);
    let ours: Vec<_> = matched.into_iter().map(|(_, r)| r).collect();
    let spreads = crate::experiments::spreads(&ours);
    for (i, series) in sweep.series.iter().enumerate() {
        let mut mine: Vec<_> = spreads.iter().filter(|s| s.series == series.label).collect();
        mine.sort_by(|a, b| a.x.total_cmp(&b.x));
        let points = mine.iter().map(|s| (s.x, s.mean)).collect();
        let bars = mine.iter().filter(|s| s.runs > 1).map(|s| (s.x, s.min, s.max)).collect();
        curves.push(Curve { label: format!("ours {}", series.label), points, color: color(i), style: Style::Line, bars });
        if let Some(paper) = &series.paper {
            curves.push(Curve { label: paper.label.clone(), points: paper.points.clone(), color: color(i), style: Style::Paper, bars: Vec::new() });
        }
    }
    let x_range = sweep.values.iter().fold(None, |r: Option<(f64, f64)>, &x| Some(r.map_or((x, x), |(a, b)| (a.min(x), b.max(x)))));
    let frame =
        Frame { title: sweep.title.clone(), x_label: sweep.axis.parameter().into(), y_label: "clean test accuracy".into(), x_range, y_range: None, y_percent: true, scale: 1.0, x_names: Vec::new() };
    (frame, curves)
}

#[cfg(all(test, feature = "cli"))]
mod tests {
    use super::*;

    #[test]
    fn draws_lines_and_paper_markers_to_svg() {
        let mut svg = String::new();
        {
            let area = SVGBackend::with_string(&mut svg, (640, 400)).into_drawing_area();
            let curves = vec![
                Curve { label: "ours mlp1".into(), points: vec![(0.0, 0.97), (100.0, 0.6)], color: color(0), style: Style::Line, bars: vec![(100.0, 0.55, 0.64)] },
                Curve { label: "paper MLP1".into(), points: vec![(0.0, 0.982), (100.0, 0.697)], color: color(0), style: Style::Paper, bars: Vec::new() },
            ];
            let frame = Frame { title: "t".into(), x_label: "alpha".into(), y_label: "acc".into(), x_range: None, y_range: None, y_percent: true, scale: 1.0, x_names: Vec::new() };
            let mapping = draw(&area, &frame, &curves).unwrap();
            // alpha is labelled 0, 20, 40 ...: integers, not 20.0.
            assert!(mapping.x_labels.contains(&"20".to_string()) && mapping.x_labels.iter().all(|l| !l.contains('.')), "{:?}", mapping.x_labels);
            assert!(mapping.y_labels.iter().all(|l| l.ends_with('%')), "{:?}", mapping.y_labels);
            assert!(mapping.y_range.0 <= 0.55, "the axis holds the error bar's low end: {:?}", mapping.y_range);
        }
        assert!(svg.contains("ours mlp1") && svg.contains("paper MLP1"));
        let first = format!("#{:02X}{:02X}{:02X}", PALETTE[0].0, PALETTE[0].1, PALETTE[0].2);
        assert!(svg.to_uppercase().contains(&first), "series colour is used");
        // The data line itself (the legend's sample is a two-point path): a polyline through 2 points.
        assert!(svg.contains(&format!("<polyline fill=\"none\" opacity=\"1\" stroke=\"{first}\"")), "a line in the series colour");
    }

    #[test]
    fn tick_labels_are_distinct_and_loss_is_never_a_percentage() {
        // The loss of a run whose curve barely moves: 2.31 to 2.29 (once drawn as 2.31, 2.31, 2.30).
        for (lo, hi) in [(2.29, 2.31), (0.05, 1.1), (0.3, 0.31), (1.0, 2.5)] {
            let mut svg = String::new();
            let area = SVGBackend::with_string(&mut svg, (640, 400)).into_drawing_area();
            let curves = vec![Curve { label: "loss".into(), points: vec![(0.0, hi), (1.0, lo)], color: color(0), style: Style::Line, bars: Vec::new() }];
            let frame = Frame { title: "t".into(), x_label: "epoch".into(), y_label: "loss".into(), x_range: None, y_range: None, y_percent: false, scale: 1.0, x_names: Vec::new() };
            let mapping = draw(&area, &frame, &curves).unwrap();
            let labels = &mapping.y_labels;
            assert!(labels.len() >= 3, "{labels:?}");
            assert!(labels.iter().all(|l| !l.contains('%')), "{labels:?}");
            let mut unique = labels.clone();
            unique.dedup();
            assert_eq!(&unique, labels, "distinct labels for {lo}..{hi}");
        }
        // A first point alone: an axis at least 10 points tall, not 29.70% to 29.80%.
        let mut svg = String::new();
        let area = SVGBackend::with_string(&mut svg, (640, 400)).into_drawing_area();
        let frame = Frame { title: "t".into(), x_label: "epoch".into(), y_label: "acc".into(), x_range: None, y_range: None, y_percent: true, scale: 1.0, x_names: Vec::new() };
        let one = vec![Curve { label: "run".into(), points: vec![(0.05, 0.2975)], color: color(0), style: Style::Line, bars: Vec::new() }];
        let mapping = draw(&area, &frame, &one).unwrap();
        assert!(mapping.y_range.1 - mapping.y_range.0 >= 0.1 && mapping.y_range.0 <= 0.2975 && 0.2975 <= mapping.y_range.1, "{:?}", mapping.y_range);
        let top = vec![Curve { label: "run".into(), points: vec![(0.05, 0.99)], color: color(0), style: Style::Line, bars: Vec::new() }];
        assert!(draw(&area, &frame, &top).unwrap().y_range.1 <= 1.0, "never above 100%");
        assert_eq!(tick_label(20.0, 100.0, false), "20");
        assert_eq!(tick_label(0.3, 0.998, false), "0.3", "an epoch axis padded to 0.998");
        assert_eq!(tick_label(0.915, 0.05, true), "91.5%");
        assert_eq!(tick_label(2.3049, 0.02, false), "2.305");
    }

    /// The memorisation panel's curves (the case that hid the low ones), and a sweep's falling
    /// curves on a desktop and a phone.
    #[test]
    fn the_legend_takes_a_clear_corner_or_goes_below_the_chart() {
        let line =
            |label: &str, i, ys: &[f64]| Curve { label: label.into(), points: ys.iter().enumerate().map(|(x, &y)| (x as f64, y)).collect(), color: color(i), style: Style::Line, bars: Vec::new() };
        let memorisation = vec![
            line("right labels: predicted as given", 0, &[0.81, 0.83, 0.91, 0.93, 0.93]),
            line("wrong labels: predicted as given (memorised)", 1, &[0.03, 0.02, 0.01, 0.02, 0.02]),
            line("wrong labels: predicted as the true class", 2, &[0.80, 0.82, 0.87, 0.89, 0.89]),
            line("wrong labels: something else", 3, &[0.16, 0.16, 0.12, 0.09, 0.09]),
        ];
        let falling = vec![line("ours mlp1", 0, &[0.97, 0.93, 0.9, 0.85, 0.75]), line("ours mlp2", 1, &[0.97, 0.94, 0.92, 0.9, 0.86])];
        let frame = Frame { title: "t".into(), x_label: "x".into(), y_label: "y".into(), x_range: None, y_range: None, y_percent: true, scale: 1.0, x_names: Vec::new() };
        let place = |curves: &[Curve], size: (u32, u32), name: &str| {
            let mut svg = String::new();
            let below = draw(&SVGBackend::with_string(&mut svg, size).into_drawing_area(), &frame, curves).unwrap().legend_below;
            let _ = std::fs::create_dir_all("target/charts");
            std::fs::write(format!("target/charts/legend-{name}.svg"), &svg).unwrap();
            assert!(curves.iter().all(|c| svg.contains(&c.label)), "every label is drawn");
            below
        };
        assert!(place(&memorisation, (640, 400), "memorisation"), "no corner is clear of the curves");
        assert!(!place(&falling, (640, 400), "falling"), "falling curves leave the lower left clear");
        assert!(legend_place(&falling, (0.0, 4.0), (0.7, 1.0), (0.3, 0.2)) == Legend::Corner(Corner::LowerLeft));
        assert!(legend_place(&falling, (0.0, 4.0), (0.7, 1.0), (0.97, 0.2)) == Legend::Below, "a box as wide as the plot");
        assert!(place(&memorisation, (360, 300), "memorisation-phone"));
        // The page's memorisation panel (300 px tall, half a desktop row, its legend below in
        // the page's short labels): still a tick every 20%, not 0% and 50% alone.
        let panel: Vec<Curve> = ["right labels: fitted", "wrong labels: memorised", "wrong labels: true class", "wrong labels: other class", "co-teaching: kept labels right"]
            .iter()
            .zip(memorisation.iter().cycle())
            .enumerate()
            .map(|(i, (label, c))| Curve { label: label.to_string(), color: color(i), ..c.clone() })
            .collect();
        let mut svg = String::new();
        let mapping = draw(&SVGBackend::with_string(&mut svg, (390, 300)).into_drawing_area(), &frame, &panel).unwrap();
        std::fs::write("target/charts/legend-memorisation-panel.svg", &svg).unwrap();
        assert!(mapping.legend_below && mapping.y_labels.len() >= 5, "{:?}", mapping.y_labels);
    }
}
