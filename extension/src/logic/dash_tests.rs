use super::*;
use swipy_shared::LabelSource;

fn attr(svg: &str, tag_start: &str, name: &str) -> Vec<String> {
    svg.match_indices(tag_start)
        .filter_map(|(i, _)| {
            let rest = &svg[i..];
            let end = rest.find('>')?;
            let tag = &rest[..end];
            let key = format!(" {name}=\"");
            let a = tag.find(&key)? + key.len();
            let b = tag[a..].find('"')?;
            Some(tag[a..a + b].to_owned())
        })
        .collect()
}

#[test]
fn the_roc_curve_runs_from_bottom_left_to_top_right_inside_the_frame() {
    let f = Frame::default();
    let svg = roc_svg(&[[0.5, 0.8], [0.1, 0.4], [f64::NAN, 0.2], [0.2, 1.5]], &f);
    assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
    let pts = attr(&svg, "<polyline", "points");
    assert_eq!(pts.len(), 1);
    let coords: Vec<(f64, f64)> = pts[0]
        .split(' ')
        .map(|p| {
            let (x, y) = p.split_once(',').expect("x,y");
            (x.parse().expect("x"), y.parse().expect("y"))
        })
        .collect();
    // (0,0), (0.1,0.4), (0.2,1.0 clamped), (0.5,0.8), (1,1); the NaN point is dropped.
    assert_eq!(coords.len(), 5);
    assert_eq!(attr(&svg, "<polyline", "data-points"), ["5"]);
    assert_eq!(coords[0], (30.0, 210.0), "(0,0) is the bottom-left corner");
    assert_eq!(coords[4], (290.0, 30.0), "(1,1) is the top-right corner");
    assert_eq!(coords[1], (30.0 + 0.1 * 260.0, 30.0 + 0.6 * 180.0));
    for (x, y) in &coords {
        assert!((30.0..=290.0).contains(x) && (30.0..=210.0).contains(y));
    }
    assert!(
        coords.windows(2).all(|w| w[0].0 <= w[1].0),
        "x never goes back"
    );
}

#[test]
fn auc_of_the_drawn_curve() {
    assert!((auc(&roc_points(&[])) - 0.5).abs() < 1e-12, "diagonal");
    assert!(
        (auc(&roc_points(&[[0.0, 1.0]])) - 1.0).abs() < 1e-12,
        "perfect"
    );
    let svg = roc_svg(&[[0.0, 1.0]], &Frame::default());
    assert!(svg.contains("AUC 1.00"));
}

#[test]
fn histogram_bars_are_as_tall_as_their_counts_and_sit_in_their_bin() {
    let f = Frame {
        width: 240.0,
        height: 140.0,
        margin: 20.0,
    };
    let h = ScoreHistogram {
        bins: 4,
        liked: vec![0, 1, 2, 4],
        passed: vec![4, 2, 1, 0],
    };
    let bars = histogram_bars(&h, &f);
    assert_eq!(bars.len(), 8);
    let inner_h = 100.0;
    let bin_w = 200.0 / 4.0;
    for b in &bars {
        assert!(
            (b.h - inner_h * f64::from(b.count) / 4.0).abs() < 1e-9,
            "{b:?}"
        );
        assert!(
            (b.y + b.h - 120.0).abs() < 1e-9,
            "bars stand on the axis: {b:?}"
        );
        let bin_left = 20.0 + bin_w * b.index as f64;
        assert!(
            b.x >= bin_left && b.x + b.w <= bin_left + bin_w + 1e-9,
            "{b:?}"
        );
        assert!((b.w - bin_w / 2.0).abs() < 1e-9);
    }
    let svg = histogram_svg(&h, &f);
    assert_eq!(
        attr(&svg, "<rect data-series=\"liked\"", "data-count"),
        ["0", "1", "2", "4"]
    );
    assert_eq!(
        attr(&svg, "<rect data-series=\"passed\"", "data-count"),
        ["4", "2", "1", "0"]
    );
    // An empty histogram draws nothing, without dividing by zero.
    let empty = histogram_bars(&ScoreHistogram::default(), &f);
    assert!(empty.is_empty());
}

#[test]
fn counts_stack_per_day_and_the_busiest_day_fills_the_height() {
    let f = Frame::default();
    let day = |d: &str, lu, nu, la, na| DayCounts {
        day: d.into(),
        likes_user: lu,
        nopes_user: nu,
        likes_auto: la,
        nopes_auto: na,
        ..Default::default()
    };
    let days = vec![
        day("2026-11-01", 9, 9, 9, 9),
        day("2026-11-02", 1, 2, 3, 4),
        day("2026-11-03", 5, 5, 0, 0),
    ];
    let bars = counts_bars(&days, &f, 2);
    assert_eq!(bars.len(), 8, "only the last 2 days");
    let day0: Vec<&Bar> = bars.iter().filter(|b| b.index == 0).collect();
    let top = day0.iter().map(|b| b.y).fold(f64::INFINITY, f64::min);
    assert!(
        (top - 30.0).abs() < 1e-9,
        "10 labels = the tallest day fills the frame"
    );
    // Stacked: each bar starts where the previous ended.
    for w in day0.windows(2) {
        assert!((w[1].y + w[1].h - w[0].y).abs() < 1e-9);
    }
    let svg = counts_svg(&days, &f, 2);
    assert!(
        svg.contains("2026-11-02") && svg.contains("2026-11-03") && !svg.contains("2026-11-01")
    );
}

#[test]
fn profile_rows_escape_what_profiles_say_and_carry_the_selectors() {
    let p = ProfileItem {
        id: "abc123".into(),
        name: "<script>alert(1)</script>".into(),
        age: Some(29),
        bio: "I like \"quotes\" & <b>tags</b>".into(),
        label: Some(Verdict::Nope),
        label_source: Some(LabelSource::Auto),
        p_like: Some(0.314),
        decision_reason: Some("score 0.31 is below the threshold 0.60".into()),
        thumb: Some("data:image/jpeg;base64,AAAA".into()),
        matched: false,
        ..Default::default()
    };
    let row = profile_row(&p);
    assert!(!row.contains("<script>") && !row.contains("<b>tags</b>"));
    assert!(row.contains("&lt;script&gt;") && row.contains("&quot;quotes&quot; &amp;"));
    assert!(row.starts_with(r#"<li data-profile-id="abc123" data-label="nope">"#));
    assert!(row.contains(r#"<span data-field="score">31%</span>"#));
    assert!(row.contains(r#"<span data-field="label">nope (auto)</span>"#));
    assert!(row.contains("below the threshold"));
    assert!(row.contains(r#"<img src="data:image/jpeg;base64,AAAA""#));
    assert!(row.contains(r#"data-relabel="nope" aria-pressed="true""#));
    // Only data: image URLs become <img>.
    let evil = ProfileItem {
        thumb: Some("javascript:alert(1)".into()),
        ..p
    };
    assert!(!profile_row(&evil).contains("<img"));
}

#[test]
fn export_has_one_json_line_per_profile_without_thumbnails() {
    let items = vec![
        ProfileItem {
            id: "a".into(),
            thumb: Some("data:image/jpeg;base64,AAAA".into()),
            ..Default::default()
        },
        ProfileItem {
            id: "b".into(),
            label: Some(Verdict::Like),
            ..Default::default()
        },
    ];
    let text = export_jsonl(&items);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2);
    let b: serde_json::Value = serde_json::from_str(lines[1]).expect("json");
    assert_eq!(b["id"], "b");
    assert_eq!(b["label"], "like");
    assert!(!text.contains("thumb"));
}

#[test]
fn metrics_balance_rates_and_progress_in_words() {
    let m = Metrics {
        roc_auc: 0.8123,
        accuracy: 0.7,
        n_like: 20,
        n_nope: 30,
        folds: 5,
        ..Default::default()
    };
    let html = metrics_html(Some(&m), Some(4));
    assert!(html.contains(r#"<td data-metric="roc_auc">0.812</td>"#));
    assert!(html.contains("Model v4"));
    assert!(metrics_html(None, None).contains("No model"));
    assert_eq!(
        balance_text(1, 3),
        "1 likes · 3 nopes (25 % like, 75 % nope)"
    );
    assert_eq!(balance_text(0, 0), "no labels yet");
    assert_eq!(rate_text(1, 8, Some(0.125)), "12.5% (1 of 8 likes)");
    assert_eq!(progress("cv", 7, 5), (5.0, 5.0, "cv: 5 / 5".into()));
    assert_eq!(progress("embed", 0, 0).1, 1.0);
}

#[test]
fn the_dashboard_counts_are_the_stats_profile_counts() {
    let s = Stats {
        profiles: 120,
        profiles_today: 30,
        labels: 47,
        labels_today: 12,
        ..Stats::default()
    };
    let cells = count_cells(&s);
    assert_eq!(
        cells,
        [
            ("dash-profiles-today", "30".to_owned()),
            ("dash-profiles-total", "120".to_owned()),
            ("dash-labels-today", "12".to_owned()),
            ("dash-labels-total", "47".to_owned()),
        ]
    );
    // Every id is an element of dashboard.html.
    let html = include_str!("../../static/dashboard.html");
    for (id, _) in &cells {
        assert!(html.contains(&format!("id=\"{id}\"")), "{id}");
    }
}
