//! Charts drawn with plotters against any `DrawingBackend`: SVG files natively, the page's canvas
//! in the browser. Our runs are lines with dots; the paper's published points are triangle markers
//! in the same colour.

use plotters::coord::Shift;
use plotters::prelude::*;

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

/// The corner of the plot with the fewest data points, for the legend (accuracy-vs-epoch curves
/// leave the lower right empty; accuracy-vs-alpha curves the lower left).
fn emptiest_corner(curves: &[Curve], (x0, x1): (f64, f64), (y0, y1): (f64, f64)) -> SeriesLabelPosition {
    let points: Vec<(f64, f64)> = curves.iter().flat_map(|c| c.points.iter()).map(|&(x, y)| ((x - x0) / (x1 - x0).max(1e-12), (y - y0) / (y1 - y0).max(1e-12))).collect();
    // The legend covers about 40% of the width and, with several curves, the height.
    let count = |right: bool, top: bool| points.iter().filter(|&&(x, y)| (if right { x > 0.6 } else { x < 0.4 }) && (if top { y > 0.5 } else { y < 0.5 })).count();
    [(SeriesLabelPosition::LowerRight, false, true), (SeriesLabelPosition::LowerLeft, false, false), (SeriesLabelPosition::UpperRight, true, true), (SeriesLabelPosition::UpperLeft, true, false)]
        .into_iter()
        .min_by_key(|&(_, top, right)| count(right, top))
        .map(|(p, _, _)| p)
        .unwrap_or(SeriesLabelPosition::LowerRight)
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
    // The title shrinks to fit a narrow chart (a phone): about 0.55 em per character.
    let width = area.dim_in_pixel().0 as f64;
    let title_size = (18.0 * k).min(width / (0.55 * frame.title.chars().count().max(1) as f64)).max(9.0 * k);
    let mut chart = ChartBuilder::on(area)
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
            chart
                .draw_series(curve.points.iter().map(|&p| TriangleMarker::new(p, px(6.0) as i32, c.stroke_width(line))))
                .map_err(err)?
                .label(&curve.label)
                .legend(move |(x, y)| TriangleMarker::new((x + 10, y), 5, c.stroke_width(line)));
        } else if curve.style == Style::Marker {
            chart
                .draw_series(curve.points.iter().map(|&p| Cross::new(p, px(7.0) as i32, c.stroke_width(line))))
                .map_err(err)?
                .label(&curve.label)
                .legend(move |(x, y)| Cross::new((x + 10, y), 5, c.stroke_width(line)));
        } else {
            chart
                .draw_series(LineSeries::new(curve.points.iter().copied(), c.stroke_width(line)))
                .map_err(err)?
                .label(&curve.label)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(line)));
            if curve.points.len() <= 40 {
                chart.draw_series(curve.points.iter().map(|&p| Circle::new(p, px(3.0), c.filled()))).map_err(err)?;
            }
            let bar = |&(x, lo, hi): &(f64, f64, f64)| ErrorBar::new_vertical(x, lo, (lo + hi) / 2.0, hi, c.stroke_width(line), px(8.0));
            chart.draw_series(curve.bars.iter().filter(|b| b.2 > b.1).map(bar)).map_err(err)?;
        }
    }
    if !curves.is_empty() {
        chart
            .configure_series_labels()
            .position(emptiest_corner(curves, (x0, x1), (y0, y1)))
            .label_font(("sans-serif", 12.0 * k))
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(200, 200, 200))
            .draw()
            .map_err(err)?;
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
    let spreads = crate::experiments::spreads(results);
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
}
