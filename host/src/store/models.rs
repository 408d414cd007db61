//! What the learning code keeps: the embedding cache and the trained model versions.

use rusqlite::{params, OptionalExtension, TransactionBehavior};
use swipy_shared::protocol::Metrics;

use super::{now_ms, Store, StoreError};

/// A trained model row.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelRow {
    pub version: u32,
    pub created_ms: f64,
    pub metrics: Metrics,
    pub onnx: Vec<u8>,
}

impl Store {
    /// Caches an embedding (`key` = photo sha256 or text hash, `model` = model id).
    pub fn put_embedding(&mut self, key: &str, model: &str, vec: &[f32]) -> Result<(), StoreError> {
        let blob: Vec<u8> = vec.iter().flat_map(|f| f.to_le_bytes()).collect();
        self.conn.execute(
            "INSERT INTO embeddings (key, model, dim, vec, created) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(key, model) DO UPDATE SET dim = excluded.dim, vec = excluded.vec,
                created = excluded.created",
            params![key, model, vec.len() as u32, blob, now_ms()],
        )?;
        Ok(())
    }

    pub fn get_embedding(&self, key: &str, model: &str) -> Result<Option<Vec<f32>>, StoreError> {
        let blob: Option<Vec<u8>> = self
            .conn
            .query_row(
                "SELECT vec FROM embeddings WHERE key = ?1 AND model = ?2",
                [key, model],
                |r| r.get(0),
            )
            .optional()?;
        Ok(blob.map(|b| {
            b.chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect()
        }))
    }

    /// Stores a trained model and makes it the active one; returns its version.
    /// `labels_as_of` (ms) is when the training read its labels: labels stored later count
    /// as new ([`Store::labels_since_model`]).
    pub fn add_model(
        &mut self,
        metrics: &Metrics,
        onnx: &[u8],
        labels_as_of: f64,
    ) -> Result<u32, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute("UPDATE models SET active = 0", [])?;
        tx.execute(
            "INSERT INTO models (created, metrics, onnx, active) VALUES (?1, ?2, ?3, 1)",
            params![labels_as_of, serde_json::to_string(metrics)?, onnx],
        )?;
        let v = tx.last_insert_rowid() as u32;
        tx.commit()?;
        Ok(v)
    }

    pub(super) fn active_model_meta(&self) -> Result<Option<(u32, Metrics)>, StoreError> {
        let row: Option<(u32, String)> = self
            .conn
            .query_row(
                "SELECT version, metrics FROM models WHERE active = 1 ORDER BY version DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        row.map(|(v, m)| Ok((v, serde_json::from_str(&m)?)))
            .transpose()
    }

    /// The active model, if any.
    pub fn active_model(&self) -> Result<Option<ModelRow>, StoreError> {
        let row: Option<(u32, f64, String, Vec<u8>)> = self
            .conn
            .query_row(
                "SELECT version, created, metrics, onnx FROM models WHERE active = 1
                 ORDER BY version DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
        row.map(|(version, created_ms, m, onnx)| {
            Ok(ModelRow {
                version,
                created_ms,
                metrics: serde_json::from_str(&m)?,
                onnx,
            })
        })
        .transpose()
    }
}
