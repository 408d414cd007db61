//! The head as ONNX: `features [batch, D]` → Gemm → Sigmoid → `scores [batch, 5]`, with the
//! layout and metrics in the model's metadata.

use swipy_shared::protocol::Metrics;

use super::{
    Layout, LinearHead, PartMetrics, HEAD_COLUMNS, HEAD_INPUT, HEAD_OUTPUT, META_LAYOUT,
    META_METRICS,
};
use crate::error::{Error, Result};
use crate::onnx::{Attr, Dim, GraphBuilder, FLOAT};

/// Writes the head as ONNX: `features [batch, D]` → Gemm → Sigmoid → `scores [batch, 5]`.
pub fn export_onnx(
    layout: &Layout,
    head: &LinearHead,
    metrics: &Metrics,
    parts: &[PartMetrics],
) -> Result<Vec<u8>> {
    let d = layout.dim();
    if head.w.len() != d * 5 {
        return Err(Error::InvalidModel(
            "head weights do not match the layout".into(),
        ));
    }
    let mut g = GraphBuilder::new("swipy_head");
    g.input(
        HEAD_INPUT,
        FLOAT,
        &[Dim::Named("batch"), Dim::Fixed(d as i64)],
    );
    g.output(HEAD_OUTPUT, FLOAT, &[Dim::Named("batch"), Dim::Fixed(5)]);
    let wf: Vec<f32> = head.w.iter().map(|&v| v as f32).collect();
    let bf: Vec<f32> = head.b.iter().map(|&v| v as f32).collect();
    g.init_f32("W", &[d as i64, 5], &wf);
    g.init_f32("B", &[5], &bf);
    g.node(
        "Gemm",
        &[HEAD_INPUT, "W", "B"],
        &["logits"],
        &[("alpha", Attr::Float(1.0)), ("beta", Attr::Float(1.0))],
    );
    g.node("Sigmoid", &["logits"], &[HEAD_OUTPUT], &[]);
    let layout_json =
        serde_json::to_string(layout).map_err(|e| Error::InvalidModel(e.to_string()))?;
    let metrics_json =
        serde_json::to_string(&serde_json::json!({"combined": metrics, "parts": parts}))
            .map_err(|e| Error::InvalidModel(e.to_string()))?;
    Ok(g.finish(
        "Swipy head: scores = sigmoid(features · W + B); columns p_like, photo, face, text, meta",
        &[
            (META_LAYOUT, layout_json),
            (META_METRICS, metrics_json),
            ("swipy.columns", HEAD_COLUMNS.join(",")),
        ],
    ))
}
