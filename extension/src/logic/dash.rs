//! The dashboard's pure parts: SVG charts (ROC curve, score histogram, counts per day), HTML
//! fragments for the profile list and the metrics, and the JSONL export. Everything the
//! dashboard shows is built here as text and tested natively; the glue only inserts it.

use std::fmt::Write as _;

use serde_json::Value;
use swipy_shared::{DayCounts, Metrics, ProfileItem, ScoreHistogram, Stats, Verdict};

/// Chart size and margins (SVG user units).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Frame {
    pub width: f64,
    pub height: f64,
    pub margin: f64,
}

impl Default for Frame {
    fn default() -> Self {
        Self {
            width: 320.0,
            height: 240.0,
            margin: 30.0,
        }
    }
}

impl Frame {
    fn inner_w(&self) -> f64 {
        (self.width - 2.0 * self.margin).max(1.0)
    }
    fn inner_h(&self) -> f64 {
        (self.height - 2.0 * self.margin).max(1.0)
    }
    /// Data (0..1, 0..1) → SVG coordinates (y grows downwards).
    pub fn to_svg(&self, x: f64, y: f64) -> (f64, f64) {
        (
            self.margin + x.clamp(0.0, 1.0) * self.inner_w(),
            self.margin + (1.0 - y.clamp(0.0, 1.0)) * self.inner_h(),
        )
    }
}

/// HTML/XML text escape (for text and attribute values).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn n(x: f64) -> String {
    // Two decimals are plenty for pixels; no "-0".
    let r = (x * 100.0).round() / 100.0;
    if r == 0.0 {
        "0".into()
    } else {
        format!("{r}")
    }
}

fn axes(f: &Frame, x_label: &str, y_label: &str) -> String {
    let (x0, y0) = f.to_svg(0.0, 0.0);
    let (x1, y1) = f.to_svg(1.0, 1.0);
    format!(
        r##"<g class="axes" stroke="#888" fill="none"><line x1="{x0}" y1="{y0}" x2="{x1}" y2="{y0}"/><line x1="{x0}" y1="{y0}" x2="{x0}" y2="{y1}"/></g><text x="{}" y="{}" font-size="11" text-anchor="middle">{}</text><text x="10" y="{}" font-size="11" text-anchor="middle" transform="rotate(-90 10 {})">{}</text>"##,
        n((x0 + x1) / 2.0),
        n(f.height - 6.0),
        escape(x_label),
        n((y0 + y1) / 2.0),
        n((y0 + y1) / 2.0),
        escape(y_label),
        x0 = n(x0),
        y0 = n(y0),
        x1 = n(x1),
        y1 = n(y1),
    )
}

/// ROC points sorted for drawing: finite, clamped to [0,1], from (0,0) to (1,1), ordered by
/// false-positive rate then true-positive rate.
pub fn roc_points(points: &[[f64; 2]]) -> Vec<(f64, f64)> {
    let mut v: Vec<(f64, f64)> = points
        .iter()
        .filter(|p| p[0].is_finite() && p[1].is_finite())
        .map(|p| (p[0].clamp(0.0, 1.0), p[1].clamp(0.0, 1.0)))
        .collect();
    v.push((0.0, 0.0));
    v.push((1.0, 1.0));
    v.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    v.dedup();
    v
}

/// Area under the drawn curve (trapezoids), to print beside it.
pub fn auc(points: &[(f64, f64)]) -> f64 {
    points
        .windows(2)
        .map(|w| (w[1].0 - w[0].0) * (w[1].1 + w[0].1) / 2.0)
        .sum()
}

/// The ROC curve as SVG: axes, the chance diagonal and the curve
/// (`polyline[data-swipy="roc-line"]`, `data-points` = number of points).
pub fn roc_svg(points: &[[f64; 2]], f: &Frame) -> String {
    let pts = roc_points(points);
    let mut line = String::new();
    for (i, (x, y)) in pts.iter().enumerate() {
        let (sx, sy) = f.to_svg(*x, *y);
        if i > 0 {
            line.push(' ');
        }
        let _ = write!(line, "{},{}", n(sx), n(sy));
    }
    let (dx0, dy0) = f.to_svg(0.0, 0.0);
    let (dx1, dy1) = f.to_svg(1.0, 1.0);
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-label="ROC curve">{axes}<line data-swipy="roc-chance" x1="{dx0}" y1="{dy0}" x2="{dx1}" y2="{dy1}" stroke="#bbb" stroke-dasharray="4 3"/><polyline data-swipy="roc-line" data-points="{np}" points="{line}" fill="none" stroke="#5b4fe0" stroke-width="2"/><text x="{tx}" y="{ty}" font-size="12" text-anchor="end">AUC {auc:.2}</text></svg>"##,
        w = n(f.width),
        h = n(f.height),
        axes = axes(f, "false positive rate", "true positive rate"),
        dx0 = n(dx0),
        dy0 = n(dy0),
        dx1 = n(dx1),
        dy1 = n(dy1),
        np = pts.len(),
        tx = n(f.width - f.margin),
        ty = n(f.height - f.margin - 6.0),
        auc = auc(&pts),
    )
}

/// One bar of a chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub series: &'static str,
    pub index: usize,
    pub count: u32,
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

/// Bars of the score histogram: per bin a liked bar (left half) and a passed bar (right
/// half), heights relative to the largest count.
pub fn histogram_bars(hist: &ScoreHistogram, f: &Frame) -> Vec<Bar> {
    let bins = hist.liked.len().max(hist.passed.len()).max(1);
    let max = hist
        .liked
        .iter()
        .chain(hist.passed.iter())
        .copied()
        .max()
        .unwrap_or(0)
        .max(1);
    let bin_w = f.inner_w() / bins as f64;
    let mut bars = Vec::new();
    for (series, counts, offset) in [("liked", &hist.liked, 0.0), ("passed", &hist.passed, 0.5)] {
        for (i, c) in counts.iter().enumerate() {
            let h = f.inner_h() * f64::from(*c) / f64::from(max);
            bars.push(Bar {
                series,
                index: i,
                count: *c,
                x: f.margin + bin_w * (i as f64 + offset),
                y: f.margin + f.inner_h() - h,
                w: bin_w / 2.0,
                h,
            });
        }
    }
    bars
}

fn bars_svg(bars: &[Bar], color: impl Fn(&str) -> &'static str) -> String {
    let mut s = String::new();
    for b in bars {
        let _ = write!(
            s,
            r#"<rect data-series="{}" data-bin="{}" data-count="{}" x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}: {}</title></rect>"#,
            b.series,
            b.index,
            b.count,
            n(b.x),
            n(b.y),
            n(b.w),
            n(b.h),
            color(b.series),
            b.series,
            b.count
        );
    }
    s
}

fn legend(f: &Frame, items: &[(&str, &str)]) -> String {
    let mut s = String::new();
    let mut x = f.margin;
    for (name, color) in items {
        let _ = write!(
            s,
            r#"<rect x="{}" y="6" width="10" height="10" fill="{color}"/><text x="{}" y="15" font-size="11">{}</text>"#,
            n(x),
            n(x + 13.0),
            escape(name)
        );
        x += 14.0 + 7.0 * name.len() as f64 + 10.0;
    }
    s
}

/// The score histogram of liked vs passed profiles as SVG.
pub fn histogram_svg(hist: &ScoreHistogram, f: &Frame) -> String {
    let bars = histogram_bars(hist, f);
    let color = |s: &str| if s == "liked" { "#1fae6b" } else { "#e4455a" };
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-label="score histogram">{legend}{axes}{bars}</svg>"#,
        w = n(f.width),
        h = n(f.height),
        legend = legend(f, &[("liked", "#1fae6b"), ("passed", "#e4455a")]),
        axes = axes(f, "P(like)", "profiles"),
        bars = bars_svg(&bars, color),
    )
}

/// Series of the counts chart, in stacking order.
const COUNT_SERIES: [(&str, &str); 4] = [
    ("likes_user", "#1fae6b"),
    ("nopes_user", "#e4455a"),
    ("likes_auto", "#7fd8ab"),
    ("nopes_auto", "#f2a0aa"),
];

fn day_value(d: &DayCounts, series: &str) -> u32 {
    match series {
        "likes_user" => d.likes_user,
        "nopes_user" => d.nopes_user,
        "likes_auto" => d.likes_auto,
        "nopes_auto" => d.nopes_auto,
        _ => 0,
    }
}

/// Stacked bars per day (user likes/nopes, auto likes/nopes), the last `max_days` days.
pub fn counts_bars(days: &[DayCounts], f: &Frame, max_days: usize) -> Vec<Bar> {
    let days = &days[days.len().saturating_sub(max_days)..];
    let total = |d: &DayCounts| d.likes_user + d.nopes_user + d.likes_auto + d.nopes_auto;
    let max = days.iter().map(total).max().unwrap_or(0).max(1);
    let slot = f.inner_w() / days.len().max(1) as f64;
    let mut bars = Vec::new();
    for (i, d) in days.iter().enumerate() {
        let mut base = f.margin + f.inner_h();
        for (series, _) in COUNT_SERIES {
            let c = day_value(d, series);
            let h = f.inner_h() * f64::from(c) / f64::from(max);
            base -= h;
            bars.push(Bar {
                series,
                index: i,
                count: c,
                x: f.margin + slot * i as f64 + slot * 0.1,
                y: base,
                w: slot * 0.8,
                h,
            });
        }
    }
    bars
}

/// Labels per day as stacked SVG bars, with the first and last day under the axis.
pub fn counts_svg(days: &[DayCounts], f: &Frame, max_days: usize) -> String {
    let bars = counts_bars(days, f, max_days);
    let shown = &days[days.len().saturating_sub(max_days)..];
    let color = |s: &str| {
        COUNT_SERIES
            .iter()
            .find(|(n, _)| *n == s)
            .map_or("#999", |(_, c)| c)
    };
    let mut ticks = String::new();
    if let (Some(first), Some(last)) = (shown.first(), shown.last()) {
        let y = n(f.height - f.margin + 14.0);
        let _ = write!(
            ticks,
            r#"<text x="{}" y="{y}" font-size="10">{}</text><text x="{}" y="{y}" font-size="10" text-anchor="end">{}</text>"#,
            n(f.margin),
            escape(&first.day),
            n(f.width - f.margin),
            escape(&last.day)
        );
    }
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-label="labels per day">{legend}{axes}{bars}{ticks}</svg>"#,
        w = n(f.width),
        h = n(f.height),
        legend = legend(
            f,
            &[
                ("you ♥", "#1fae6b"),
                ("you ✕", "#e4455a"),
                ("auto ♥", "#7fd8ab"),
                ("auto ✕", "#f2a0aa")
            ]
        ),
        axes = axes(f, "", "labels"),
        bars = bars_svg(&bars, color),
    )
}

fn pct(x: Option<f64>) -> String {
    x.map(|v| format!("{:.0}%", v * 100.0))
        .unwrap_or_else(|| "–".into())
}

fn verdict_word(v: Option<Verdict>) -> &'static str {
    match v {
        Some(Verdict::Like) => "like",
        Some(Verdict::Superlike) => "super like",
        Some(Verdict::Nope) => "nope",
        None => "unlabelled",
    }
}

/// One row of `#profiles-list`.
pub fn profile_row(p: &ProfileItem) -> String {
    let thumb = match p.thumb.as_deref() {
        Some(t) if t.starts_with("data:image/") => {
            format!(r#"<img src="{}" alt="" width="48" height="60">"#, escape(t))
        }
        _ => r#"<span class="nothumb"></span>"#.into(),
    };
    let age = p.age.map(|a| format!(", {a}")).unwrap_or_default();
    let label = p.label.map(Verdict::as_str).unwrap_or("");
    let source = p
        .label_source
        .map(|s| format!(" ({})", s.as_str()))
        .unwrap_or_default();
    let bio: String = p.bio.chars().take(140).collect();
    format!(
        r#"<li data-profile-id="{id}" data-label="{label}"{matched}>{thumb}<div class="who"><b>{name}</b>{age}{m}<br><small>{bio}</small></div><span data-field="score">{score}</span><span data-field="label">{lw}{source}</span><span data-field="reason">{reason}</span><span class="relabel"><button type="button" data-relabel="like" aria-pressed="{pl}">♥</button><button type="button" data-relabel="nope" aria-pressed="{pn}">✕</button></span></li>"#,
        id = escape(&p.id),
        matched = if p.matched {
            r#" data-matched="true""#
        } else {
            ""
        },
        name = escape(&p.name),
        age = escape(&age),
        m = if p.matched { " · match" } else { "" },
        bio = escape(&bio),
        score = pct(p.p_like),
        lw = verdict_word(p.label),
        source = escape(&source),
        reason = escape(p.decision_reason.as_deref().unwrap_or("")),
        pl = matches!(p.label, Some(Verdict::Like | Verdict::Superlike)),
        pn = p.label == Some(Verdict::Nope),
    )
}

/// `#metrics` content from `stats.metrics`.
pub fn metrics_html(m: Option<&Metrics>, version: Option<u32>) -> String {
    let Some(m) = m else {
        return "<p>No model yet: label profiles, then train.</p>".into();
    };
    let row = |key: &str, name: &str, v: String| {
        format!(r#"<tr><th>{name}</th><td data-metric="{key}">{v}</td></tr>"#)
    };
    format!(
        "<p>Model v{}</p><table>{}{}{}{}{}{}</table>",
        version.map(|v| v.to_string()).unwrap_or_else(|| "?".into()),
        row(
            "roc_auc",
            "ROC AUC (cross-validated)",
            format!("{:.3}", m.roc_auc)
        ),
        row("accuracy", "accuracy", format!("{:.3}", m.accuracy)),
        row("log_loss", "log loss", format!("{:.3}", m.log_loss)),
        row("n_like", "likes", m.n_like.to_string()),
        row("n_nope", "nopes", m.n_nope.to_string()),
        row("folds", "folds", m.folds.to_string()),
    )
}

/// The dashboard's profile counts, `(element id, text)`: the same numbers, named the same,
/// as the popup and `swipy stats` (profiles, not label events).
pub fn count_cells(s: &Stats) -> [(&'static str, String); 4] {
    [
        ("dash-profiles-today", s.profiles_today.to_string()),
        ("dash-profiles-total", s.profiles.to_string()),
        ("dash-labels-today", s.labels_today.to_string()),
        ("dash-labels-total", s.labels.to_string()),
    ]
}

/// `likes / nopes` balance text.
pub fn balance_text(likes: u32, nopes: u32) -> String {
    let total = likes + nopes;
    if total == 0 {
        return "no labels yet".into();
    }
    let pl = (f64::from(likes) * 100.0 / f64::from(total)).round();
    format!(
        "{likes} likes · {nopes} nopes ({pl:.0} % like, {:.0} % nope)",
        100.0 - pl
    )
}

/// A match rate in words.
pub fn rate_text(matches: u32, likes: u32, rate: Option<f64>) -> String {
    match rate {
        Some(r) => format!("{:.1}% ({matches} of {likes} likes)", r * 100.0),
        None => "no likes yet".into(),
    }
}

/// JSONL export: one line per profile, without the thumbnail.
pub fn export_jsonl(items: &[ProfileItem]) -> String {
    let mut out = String::new();
    for p in items {
        let mut v = serde_json::to_value(p).unwrap_or(Value::Null);
        if let Some(o) = v.as_object_mut() {
            o.remove("thumb");
        }
        out.push_str(&v.to_string());
        out.push('\n');
    }
    out
}

/// Training progress: (value, max, text).
pub fn progress(stage: &str, done: u32, total: u32) -> (f64, f64, String) {
    let total = total.max(1);
    let done = done.min(total);
    (
        f64::from(done),
        f64::from(total),
        format!("{stage}: {done} / {total}"),
    )
}

#[cfg(test)]
#[path = "dash_tests.rs"]
mod tests;
