//! Charts as SVG text: a line chart and a grouped bar chart, each with a
//! title, axis labels with units, ticks and a legend. Every string from the
//! data is XML-escaped. The output depends only on the input (no clock, no
//! random ids), so a run writes the same bytes twice.
//!
//! **Why drawn here and not with `plotters`** (which the design names;
//! checked against plotters-svg 0.3's backend, issue #25): its SVG backend
//! writes only `svg`, `rect`, `line`, `polyline`, `polygon`, `circle`,
//! `text` and `image` elements, and turns text only by multiples of 90°.
//! Every chart here carries a `<title>` and `role="img"` for screen readers,
//! six of the eight give each bar, cell or point a `<title>` tooltip with its
//! value (the pages per week, the noisy templates, the interruptions per
//! person, the response times, the heat map's cells and the KPI panels'
//! points), and the two with
//! long category labels (weeks, templates) slant them at −35° to stay
//! legible. plotters could draw the shapes, but not those; the PNG copies
//! are rasterised by resvg either way.

pub mod png;
pub mod report;
pub mod whatif;

use std::fmt::Write;

use crate::core::text::escape;

const W: f64 = 760.0;
const H: f64 = 420.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 50.0;
const BOTTOM: f64 = 95.0;
const FONT: &str = "DejaVu Sans, Verdana, Arial, sans-serif";

/// Colours for series, in order (colour-blind safe: Okabe–Ito).
pub const PALETTE: [&str; 6] = [
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9",
];

/// One line of a line chart.
#[derive(Debug, Clone)]
pub struct Line {
    /// Legend text.
    pub name: String,
    /// Points (x, y), in x order.
    pub points: Vec<(f64, f64)>,
}

/// A marked point with a label (e.g. a knee).
#[derive(Debug, Clone)]
pub struct Mark {
    /// Where.
    pub at: (f64, f64),
    /// What to write beside it.
    pub label: String,
}

/// Round tick steps (1, 2, 5 × 10ⁿ) covering `[lo, hi]` in about `n` steps.
fn ticks(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    let span = (hi - lo).max(1e-9);
    let raw = span / n.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let first = (lo / step).floor();
    (0..50)
        .map(|k| (((first + k as f64) * step) * 1e9).round() / 1e9)
        // Up to the first tick at or above `hi`, so the axis covers it.
        .take_while(|v| *v - step < hi - step * 1e-9)
        .collect()
}

fn num(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{}", v.round() as i64)
    } else {
        let t = format!("{v:.2}");
        t.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

fn header(out: &mut String, title: &str) {
    header_h(out, title, H);
}

/// The SVG header for a chart `h` high.
fn header_h(out: &mut String, title: &str, h: f64) {
    let _ = write!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{h}" viewBox="0 0 {W} {h}" font-family="{FONT}" font-size="12" role="img"><title>{t}</title><rect width="{W}" height="{h}" fill="#ffffff"/><text x="{cx}" y="26" text-anchor="middle" font-size="16" font-weight="bold">{t}</text>"##,
        t = escape(title),
        cx = W / 2.0
    );
}

/// Axes, grid, tick labels and axis titles; returns the y tick values.
fn axes(out: &mut String, x_label: &str, y_label: &str, y_max: f64) -> Vec<f64> {
    axes_below(out, x_label, y_label, y_max, 0.0)
}

/// [`axes`] with the x axis title `below` further down (under slanted
/// labels).
fn axes_below(out: &mut String, x_label: &str, y_label: &str, y_max: f64, below: f64) -> Vec<f64> {
    let (x0, x1, y0, y1) = (LEFT, W - RIGHT, H - BOTTOM, TOP);
    let yt = ticks(0.0, y_max.max(1.0), 5);
    let top = yt.last().copied().unwrap_or(1.0).max(1e-9);
    for v in &yt {
        let y = y0 - (v / top) * (y0 - y1);
        let _ = write!(
            out,
            r##"<line x1="{x0}" y1="{y:.1}" x2="{x1}" y2="{y:.1}" stroke="#e0e0e0"/><text x="{tx}" y="{ty:.1}" text-anchor="end">{v}</text>"##,
            tx = x0 - 6.0,
            ty = y + 4.0,
            v = num(*v)
        );
    }
    let _ = write!(
        out,
        r##"<line x1="{x0}" y1="{y0}" x2="{x1}" y2="{y0}" stroke="#333"/><line x1="{x0}" y1="{y0}" x2="{x0}" y2="{y1}" stroke="#333"/><text x="{cx}" y="{xl}" text-anchor="middle">{xt}</text><text transform="translate(18 {cy}) rotate(-90)" text-anchor="middle">{yt}</text>"##,
        cx = (x0 + x1) / 2.0,
        xl = y0 + 40.0 + below,
        cy = (y0 + y1) / 2.0,
        xt = escape(x_label),
        yt = escape(y_label)
    );
    yt
}

fn legend(out: &mut String, names: &[&str]) {
    legend_at(out, names, H - 22.0);
}

/// [`legend`] on the line at `y`.
fn legend_at(out: &mut String, names: &[&str], y: f64) {
    let mut x = LEFT;
    for (i, name) in names.iter().enumerate() {
        let _ = write!(
            out,
            r##"<rect x="{x}" y="{ry}" width="12" height="12" fill="{c}"/><text x="{tx}" y="{y}">{n}</text>"##,
            ry = y - 10.0,
            c = PALETTE[i % PALETTE.len()],
            tx = x + 16.0,
            n = escape(name)
        );
        x += 28.0 + 7.0 * name.chars().count() as f64;
    }
}

/// A line chart.
pub fn line_chart(
    title: &str,
    x_label: &str,
    y_label: &str,
    lines: &[Line],
    mark: Option<&Mark>,
) -> String {
    let mut out = String::new();
    header(&mut out, title);
    let pts = lines.iter().flat_map(|l| l.points.iter());
    let (mut xmin, mut xmax, mut ymax) = (f64::INFINITY, f64::NEG_INFINITY, 0.0f64);
    for &(x, y) in pts {
        xmin = xmin.min(x);
        xmax = xmax.max(x);
        ymax = ymax.max(y);
    }
    if !xmin.is_finite() {
        (xmin, xmax) = (0.0, 1.0);
    }
    if xmax <= xmin {
        xmax = xmin + 1.0;
    }
    let yt = axes(&mut out, x_label, y_label, ymax);
    let top = yt.last().copied().unwrap_or(1.0).max(1e-9);
    let (x0, x1, y0, y1) = (LEFT, W - RIGHT, H - BOTTOM, TOP);
    let px = |x: f64| x0 + (x - xmin) / (xmax - xmin) * (x1 - x0);
    let py = |y: f64| y0 - y / top * (y0 - y1);
    for v in ticks(xmin, xmax, 8) {
        if v < xmin - 1e-9 {
            continue;
        }
        let _ = write!(
            out,
            r##"<line x1="{x:.1}" y1="{y0}" x2="{x:.1}" y2="{yb}" stroke="#333"/><text x="{x:.1}" y="{ty}" text-anchor="middle">{v}</text>"##,
            x = px(v),
            yb = y0 + 5.0,
            ty = y0 + 18.0,
            v = num(v)
        );
    }
    for (i, l) in lines.iter().enumerate() {
        let c = PALETTE[i % PALETTE.len()];
        let d: Vec<String> = l
            .points
            .iter()
            .map(|&(x, y)| format!("{:.1},{:.1}", px(x), py(y)))
            .collect();
        let _ = write!(
            out,
            r#"<polyline fill="none" stroke="{c}" stroke-width="2" points="{}"/>"#,
            d.join(" ")
        );
        for &(x, y) in &l.points {
            let _ = write!(
                out,
                r#"<circle cx="{:.1}" cy="{:.1}" r="3" fill="{c}"/>"#,
                px(x),
                py(y)
            );
        }
    }
    if let Some(m) = mark {
        let (x, y) = (px(m.at.0), py(m.at.1));
        let _ = write!(
            out,
            r##"<circle cx="{x:.1}" cy="{y:.1}" r="7" fill="none" stroke="#000" stroke-width="2"/><text x="{tx:.1}" y="{ty:.1}" font-weight="bold">{l}</text>"##,
            tx = (x + 10.0).min(W - RIGHT - 160.0),
            ty = (y + 20.0).min(H - BOTTOM - 6.0),
            l = escape(&m.label)
        );
    }
    let names: Vec<&str> = lines.iter().map(|l| l.name.as_str()).collect();
    legend(&mut out, &names);
    out.push_str("</svg>\n");
    out
}

/// A grouped bar chart: one group per category, one bar per series.
pub fn bar_chart(
    title: &str,
    x_label: &str,
    y_label: &str,
    categories: &[String],
    series: &[(String, Vec<f64>)],
) -> String {
    let mut out = String::new();
    let (x0, x1, y0, y1) = (LEFT, W - RIGHT, H - BOTTOM, TOP);
    let n = categories.len().max(1) as f64;
    let group = (x1 - x0) / n;
    let (slant, below) = slanted(categories, group);
    header_h(&mut out, title, H + below);
    let ymax = series
        .iter()
        .flat_map(|(_, v)| v.iter().copied())
        .fold(0.0, f64::max);
    let yt = axes_below(&mut out, x_label, y_label, ymax, below);
    let top = yt.last().copied().unwrap_or(1.0).max(1e-9);
    let bar = (group * 0.8) / series.len().max(1) as f64;
    for (ci, cat) in categories.iter().enumerate() {
        let gx = x0 + group * ci as f64 + group * 0.1;
        for (si, (_, values)) in series.iter().enumerate() {
            let v = values.get(ci).copied().unwrap_or(0.0);
            let h = v / top * (y0 - y1);
            let _ = write!(
                out,
                r#"<rect x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}" fill="{c}"><title>{t}: {v}</title></rect>"#,
                x = gx + bar * si as f64,
                y = y0 - h,
                w = (bar - 1.0).max(1.0),
                c = PALETTE[si % PALETTE.len()],
                t = escape(cat),
                v = num(v)
            );
        }
        if slant {
            category_label(&mut out, cat, gx + group * 0.4, y0, true);
        } else {
            let label: String = if cat.chars().count() > 24 {
                cat.chars().take(23).chain(std::iter::once('…')).collect()
            } else {
                cat.clone()
            };
            let _ = write!(
                out,
                r#"<text x="{x:.1}" y="{y}" text-anchor="middle" font-size="11">{l}</text>"#,
                x = gx + group * 0.4,
                y = y0 + 16.0,
                l = escape(&label)
            );
        }
    }
    let names: Vec<&str> = series.iter().map(|(n, _)| n.as_str()).collect();
    legend_at(&mut out, &names, H - 22.0 + below);
    out.push_str("</svg>\n");
    out
}

/// Whether category labels that would not fit side by side in groups of
/// `group` px are slanted, and the room that takes below the chart.
fn slanted(categories: &[String], group: f64) -> (bool, f64) {
    let widest = categories
        .iter()
        .map(|c| c.chars().count().min(28))
        .max()
        .unwrap_or(0);
    let slant = widest as f64 * 7.0 > group * 0.95;
    (
        slant,
        if slant {
            4.2 * widest as f64 + 10.0
        } else {
            0.0
        },
    )
}

/// One category's label under its bar at `cx`: slanted (running left of
/// the bar, cut to what fits before the chart's left edge), or level.
fn category_label(out: &mut String, cat: &str, cx: f64, y0: f64, slant: bool) {
    // About 6 px per character at 10 px, times cos 35° across.
    let room = if slant {
        (((cx - 4.0) / (6.0 * 0.82)) as usize).clamp(4, 28)
    } else {
        28
    };
    let label: String = if cat.chars().count() > room {
        cat.chars()
            .take(room - 1)
            .chain(std::iter::once('…'))
            .collect()
    } else {
        cat.to_string()
    };
    if slant {
        let _ = write!(
            out,
            r#"<text transform="translate({cx:.1} {y}) rotate(-35)" text-anchor="end" font-size="10">{l}</text>"#,
            y = y0 + 12.0,
            l = escape(&label)
        );
    } else {
        let _ = write!(
            out,
            r#"<text x="{cx:.1}" y="{y}" text-anchor="middle" font-size="11">{l}</text>"#,
            y = y0 + 16.0,
            l = escape(&label)
        );
    }
}

/// A horizontal reference line across a chart (e.g. a target or a cap).
#[derive(Debug, Clone)]
pub struct Reference {
    /// Where, in y units.
    pub y: f64,
    /// Its label.
    pub label: String,
}

/// A stacked bar chart: one bar per category, the series stacked in order;
/// long category labels are slanted. An optional reference line.
pub fn stacked_bar_chart(
    title: &str,
    x_label: &str,
    y_label: &str,
    categories: &[String],
    series: &[(String, Vec<f64>)],
    reference: Option<&Reference>,
) -> String {
    let mut out = String::new();
    let (x0, x1) = (LEFT, W - RIGHT);
    let group = (x1 - x0) / categories.len().max(1) as f64;
    // Labels that would not fit side by side are slanted, with room below.
    let (slant, below) = slanted(categories, group);
    header_h(&mut out, title, H + below);
    let totals: Vec<f64> = (0..categories.len())
        .map(|k| {
            series
                .iter()
                .map(|(_, v)| v.get(k).copied().unwrap_or(0.0))
                .sum()
        })
        .collect();
    let ymax = totals
        .iter()
        .copied()
        .chain(reference.map(|r| r.y))
        .fold(0.0, f64::max);
    let yt = axes_below(&mut out, x_label, y_label, ymax, below);
    let top = yt.last().copied().unwrap_or(1.0).max(1e-9);
    let (y0, y1) = (H - BOTTOM, TOP);
    let n = categories.len().max(1) as f64;
    let every = (n / 24.0).ceil().max(1.0) as usize;
    for (ci, cat) in categories.iter().enumerate() {
        let gx = x0 + group * ci as f64 + group * 0.12;
        let mut base = 0.0;
        for (si, (name, values)) in series.iter().enumerate() {
            let v = values.get(ci).copied().unwrap_or(0.0);
            if v > 0.0 {
                let y_lo = y0 - base / top * (y0 - y1);
                let y_hi = y0 - (base + v) / top * (y0 - y1);
                let _ = write!(
                    out,
                    r#"<rect x="{gx:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}" fill="{c}"><title>{t} — {s}: {v}</title></rect>"#,
                    y = y_hi,
                    w = (group * 0.76).max(1.0),
                    h = (y_lo - y_hi).max(0.0),
                    c = PALETTE[si % PALETTE.len()],
                    t = escape(cat),
                    s = escape(name),
                    v = num(v)
                );
            }
            base += v;
        }
        if ci % every != 0 {
            continue;
        }
        category_label(&mut out, cat, gx + group * 0.38, y0, slant);
    }
    if let Some(r) = reference {
        let y = y0 - r.y / top * (y0 - y1);
        let _ = write!(
            out,
            r##"<line x1="{x0}" y1="{y:.1}" x2="{x1}" y2="{y:.1}" stroke="#000" stroke-width="1.5" stroke-dasharray="6 4"/><text x="{tx}" y="{ty:.1}" text-anchor="end" font-size="11">{l}</text>"##,
            tx = x1 - 4.0,
            ty = y - 5.0,
            l = escape(&r.label)
        );
    }
    let names: Vec<&str> = series.iter().map(|(n, _)| n.as_str()).collect();
    legend_at(&mut out, &names, H - 22.0 + below);
    out.push_str("</svg>\n");
    out
}

/// A heat map of counts: rows × columns, darker for more, with row and
/// column labels, each cell's count in its tooltip, and a legend of the
/// scale.
pub fn heatmap(
    title: &str,
    x_label: &str,
    rows: &[String],
    columns: &[String],
    counts: &[Vec<u64>],
) -> String {
    let mut out = String::new();
    header(&mut out, title);
    let max = counts.iter().flatten().copied().max().unwrap_or(0).max(1);
    let (x0, x1, y0, y1) = (LEFT + 10.0, W - RIGHT, H - BOTTOM, TOP);
    let cw = (x1 - x0) / columns.len().max(1) as f64;
    let ch = (y0 - y1) / rows.len().max(1) as f64;
    let shade = |v: u64| {
        // White to the palette's blue (#0072B2), by share of the maximum.
        let f = v as f64 / max as f64;
        let mix = |a: f64, b: f64| (a + (b - a) * f).round() as u8;
        format!(
            "#{:02x}{:02x}{:02x}",
            mix(255.0, 0.0),
            mix(255.0, 114.0),
            mix(255.0, 178.0)
        )
    };
    for (ri, row) in rows.iter().enumerate() {
        let y = y1 + ch * ri as f64;
        let _ = write!(
            out,
            r#"<text x="{tx:.1}" y="{ty:.1}" text-anchor="end">{l}</text>"#,
            tx = x0 - 6.0,
            ty = y + ch / 2.0 + 4.0,
            l = escape(row)
        );
        for (ci, col) in columns.iter().enumerate() {
            let v = counts.get(ri).and_then(|r| r.get(ci)).copied().unwrap_or(0);
            let _ = write!(
                out,
                r##"<rect x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}" fill="{f}" stroke="#ffffff"><title>{r} {c}: {v}</title></rect>"##,
                x = x0 + cw * ci as f64,
                w = cw,
                h = ch,
                f = shade(v),
                r = escape(row),
                c = escape(col)
            );
        }
    }
    for (ci, col) in columns.iter().enumerate() {
        let _ = write!(
            out,
            r#"<text x="{x:.1}" y="{y:.1}" text-anchor="middle" font-size="10">{l}</text>"#,
            x = x0 + cw * (ci as f64 + 0.5),
            y = y0 + 14.0,
            l = escape(col)
        );
    }
    let _ = write!(
        out,
        r#"<text x="{cx:.1}" y="{y:.1}" text-anchor="middle">{t}</text>"#,
        cx = (x0 + x1) / 2.0,
        y = y0 + 34.0,
        t = escape(x_label)
    );
    // The scale: 0, half and the maximum.
    let ly = H - 22.0;
    for (k, v) in [0, max / 2, max].into_iter().enumerate() {
        let x = LEFT + 110.0 * k as f64;
        let _ = write!(
            out,
            r##"<rect x="{x}" y="{ry}" width="14" height="12" fill="{f}" stroke="#999"/><text x="{tx}" y="{ly}">{v} pages</text>"##,
            ry = ly - 10.0,
            f = shade(v),
            tx = x + 18.0
        );
    }
    out.push_str("</svg>\n");
    out
}

/// One panel of [`panels`]: a series by category (a gap where it has no
/// value) and, where it has one, its target.
#[derive(Debug, Clone)]
pub struct Panel {
    /// Its title, with the unit.
    pub name: String,
    /// One value per category of the chart.
    pub values: Vec<Option<f64>>,
    /// The target, drawn as a dashed line.
    pub target: Option<f64>,
}

/// Small multiples: one line panel per series over the same categories
/// (weeks), two panels a row, each with its own scale, its target as a
/// dashed line, the first and last category under it, and every point's
/// value in its tooltip.
pub fn panels(title: &str, x_label: &str, categories: &[String], panels: &[Panel]) -> String {
    const PANEL_H: f64 = 190.0;
    const GAP: f64 = 30.0;
    let rows = panels.len().div_ceil(2).max(1);
    let h = TOP + rows as f64 * (PANEL_H + GAP) + 30.0;
    let mut out = String::new();
    header_h(&mut out, title, h);
    let pw = (W - LEFT - RIGHT - GAP) / 2.0;
    let n = categories.len();
    for (pi, panel) in panels.iter().enumerate() {
        let (col, row) = (pi % 2, pi / 2);
        let x0 = LEFT + col as f64 * (pw + GAP);
        let x1 = x0 + pw;
        let top = TOP + row as f64 * (PANEL_H + GAP) + 18.0;
        let y0 = top + PANEL_H - 50.0;
        let c = PALETTE[pi % PALETTE.len()];
        let max = panel
            .values
            .iter()
            .flatten()
            .copied()
            .chain(panel.target)
            .fold(0.0f64, f64::max);
        let yt = ticks(0.0, if max > 0.0 { max } else { 1.0 }, 3);
        let ymax = yt.last().copied().unwrap_or(1.0).max(1e-9);
        let py = |v: f64| y0 - v / ymax * (y0 - top);
        let px = |i: usize| {
            if n <= 1 {
                (x0 + x1) / 2.0
            } else {
                x0 + i as f64 / (n - 1) as f64 * (x1 - x0)
            }
        };
        let _ = write!(
            out,
            r##"<text x="{x0}" y="{ty:.1}" font-weight="bold">{t}</text>"##,
            ty = top - 8.0,
            t = escape(&panel.name)
        );
        for v in &yt {
            let _ = write!(
                out,
                r##"<line x1="{x0}" y1="{y:.1}" x2="{x1}" y2="{y:.1}" stroke="#e0e0e0"/><text x="{tx}" y="{ty:.1}" text-anchor="end" font-size="10">{v}</text>"##,
                y = py(*v),
                tx = x0 - 4.0,
                ty = py(*v) + 3.0,
                v = num(*v)
            );
        }
        let _ = write!(
            out,
            r##"<line x1="{x0}" y1="{y0:.1}" x2="{x1}" y2="{y0:.1}" stroke="#333"/>"##
        );
        if let Some(t) = panel.target {
            let _ = write!(
                out,
                r##"<line x1="{x0}" y1="{y:.1}" x2="{x1}" y2="{y:.1}" stroke="#000" stroke-dasharray="5 4"><title>target: {v}</title></line>"##,
                y = py(t),
                v = num(t)
            );
        }
        // The line, broken where a week has no value.
        let mut run: Vec<String> = Vec::new();
        let flush = |run: &mut Vec<String>, out: &mut String| {
            if run.len() > 1 {
                let _ = write!(
                    out,
                    r#"<polyline fill="none" stroke="{c}" stroke-width="2" points="{}"/>"#,
                    run.join(" ")
                );
            }
            run.clear();
        };
        for (i, v) in panel.values.iter().enumerate() {
            match v {
                Some(v) => run.push(format!("{:.1},{:.1}", px(i), py(*v))),
                None => flush(&mut run, &mut out),
            }
        }
        flush(&mut run, &mut out);
        for (i, v) in panel.values.iter().enumerate() {
            if let Some(v) = v {
                let _ = write!(
                    out,
                    r#"<circle cx="{:.1}" cy="{:.1}" r="2.5" fill="{c}"><title>{}: {}</title></circle>"#,
                    px(i),
                    py(*v),
                    escape(categories.get(i).map_or("", String::as_str)),
                    num(*v)
                );
            }
        }
        for (i, anchor) in [(0, "start"), (n.saturating_sub(1), "end")] {
            if let Some(label) = categories.get(i) {
                let _ = write!(
                    out,
                    r#"<text x="{x:.1}" y="{y:.1}" text-anchor="{anchor}" font-size="10">{l}</text>"#,
                    x = if anchor == "start" { x0 } else { x1 },
                    y = y0 + 14.0,
                    l = escape(label)
                );
            }
            if n <= 1 {
                break;
            }
        }
    }
    let _ = write!(
        out,
        r#"<text x="{cx}" y="{y:.1}" text-anchor="middle">{t}</text>"#,
        cx = W / 2.0,
        y = h - 10.0,
        t = escape(x_label)
    );
    out.push_str("</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round() {
        assert_eq!(ticks(0.0, 10.0, 5), vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
        assert_eq!(ticks(0.0, 7.0, 5), vec![0.0, 2.0, 4.0, 6.0, 8.0]);
        assert_eq!(ticks(0.0, 1.0, 5), vec![0.0, 0.2, 0.4, 0.6, 0.8, 1.0]);
    }

    #[test]
    fn text_is_escaped() {
        let svg = bar_chart(
            "t <script>",
            "x",
            "y",
            &["<script>alert(1)</script>".to_string()],
            &[("a&b".into(), vec![1.0])],
        );
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;"));
        assert!(svg.contains("a&amp;b"));
    }
}
