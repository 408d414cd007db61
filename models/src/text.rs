//! Multilingual text encoder (multilingual-e5-small): tokenizer + ONNX graph that pools
//! and L2-normalises in-graph (`sentence_embedding`). A graph that returns token states
//! (`[batch, seq, hidden]`) instead is pooled here (masked mean + L2).

use std::path::Path;
use std::sync::Mutex;

use ort::session::Session;
use ort::value::TensorRef;

use crate::error::{Error, Result};
use crate::runtime::{create_session, Device, ModelSource};

/// Text prefix the e5 family expects for symmetric similarity.
pub const QUERY_PREFIX: &str = "query: ";
/// Longest token sequence fed to the model.
pub const MAX_TOKENS: usize = 512;
/// Padding token id (`<pad>` of XLM-R).
pub const PAD_ID: i64 = 1;
/// End-of-sequence token id (`</s>` of XLM-R), kept last when truncating.
pub const EOS_ID: i64 = 2;
/// Texts per inference call.
pub const TEXT_BATCH: usize = 32;

/// The text encoder: tokenizer plus one session (the inference owner, behind a mutex).
pub struct TextEncoder {
    tokenizer: tokenizers::Tokenizer,
    session: Mutex<Session>,
    output: String,
    dim: usize,
    /// Execution provider in use.
    pub provider: &'static str,
}

impl std::fmt::Debug for TextEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextEncoder")
            .field("dim", &self.dim)
            .field("provider", &self.provider)
            .finish()
    }
}

impl TextEncoder {
    /// Loads `model.onnx` and `tokenizer.json` from `dir`.
    pub fn load(dir: &Path, device: Device, threads: usize) -> Result<Self> {
        let model = dir.join("model.onnx");
        let tok = dir.join("tokenizer.json");
        for p in [&model, &tok] {
            if !p.is_file() {
                return Err(Error::ModelMissing {
                    id: dir_id(dir),
                    path: p.clone(),
                });
            }
        }
        let tokenizer = tokenizers::Tokenizer::from_file(&tok)
            .map_err(|e| Error::Tokenizer(format!("{}: {e}", tok.display())))?;
        let (session, provider) =
            create_session(ModelSource::File(&model), device, threads, "text encoder")?;
        let output = pick_output(&session, &["sentence_embedding", "last_hidden_state"])?;
        let mut enc = Self {
            tokenizer,
            session: Mutex::new(session),
            output,
            dim: 0,
            provider,
        };
        // Probe once: fixes the embedding size and fails early on a broken model.
        let probe = enc.embed(&[String::new()])?;
        enc.dim = probe.first().map(Vec::len).unwrap_or(0);
        Ok(enc)
    }

    /// Embedding size.
    pub fn dim(&self) -> usize {
        self.dim
    }

    fn tokenize(&self, text: &str) -> Result<Vec<i64>> {
        let full = format!("{QUERY_PREFIX}{text}");
        let enc = self
            .tokenizer
            .encode(full.as_str(), true)
            .map_err(|e| Error::Tokenizer(e.to_string()))?;
        let mut ids: Vec<i64> = enc.get_ids().iter().map(|&i| i64::from(i)).collect();
        if ids.len() > MAX_TOKENS {
            ids.truncate(MAX_TOKENS - 1);
            ids.push(EOS_ID);
        }
        if ids.is_empty() {
            ids.push(EOS_ID);
        }
        Ok(ids)
    }

    /// L2-normalised embeddings of `texts` (each prefixed with `"query: "`), in order.
    /// Texts are batched by similar length; an empty text is valid input.
    pub fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>> {
        let _t = crate::stats::time(crate::stats::Stage::Text);
        let tokens: Vec<Vec<i64>> = texts
            .iter()
            .map(|t| self.tokenize(t))
            .collect::<Result<_>>()?;
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| tokens[i].len());
        let mut out: Vec<Vec<f32>> = vec![Vec::new(); texts.len()];
        for chunk in order.chunks(TEXT_BATCH) {
            let seq = chunk.iter().map(|&i| tokens[i].len()).max().unwrap_or(1);
            let b = chunk.len();
            let mut ids = vec![PAD_ID; b * seq];
            let mut mask = vec![0i64; b * seq];
            for (r, &i) in chunk.iter().enumerate() {
                for (c, &t) in tokens[i].iter().enumerate() {
                    ids[r * seq + c] = t;
                    mask[r * seq + c] = 1;
                }
            }
            let rows = self.run(&ids, &mask, b, seq)?;
            for (r, &i) in chunk.iter().enumerate() {
                out[i] = rows[r].clone();
            }
        }
        Ok(out)
    }

    fn run(&self, ids: &[i64], mask: &[i64], b: usize, seq: usize) -> Result<Vec<Vec<f32>>> {
        let shape = vec![b as i64, seq as i64];
        let ids_t = TensorRef::from_array_view((shape.clone(), ids))
            .map_err(|e| Error::ort("text input", e))?;
        let mask_t =
            TensorRef::from_array_view((shape, mask)).map_err(|e| Error::ort("text input", e))?;
        let mut session = self.session.lock().unwrap_or_else(|p| p.into_inner());
        let outputs = session
            .run(ort::inputs!["input_ids" => ids_t, "attention_mask" => mask_t])
            .map_err(|e| Error::ort("text encoder", e))?;
        let value = outputs
            .get(&self.output)
            .ok_or_else(|| Error::InvalidModel(format!("no output `{}`", self.output)))?;
        let (shape, data) = value
            .try_extract_tensor::<f32>()
            .map_err(|e| Error::ort("text output", e))?;
        let dims: Vec<usize> = shape.iter().map(|&d| d.max(0) as usize).collect();
        let mut rows = Vec::with_capacity(b);
        match dims.as_slice() {
            [bb, h] if *bb == b => {
                for r in 0..b {
                    rows.push(l2_normalize(data[r * h..(r + 1) * h].to_vec()));
                }
            }
            [bb, s, h] if *bb == b && *s == seq => {
                for r in 0..b {
                    let mut acc = vec![0f32; *h];
                    let mut n = 0f32;
                    for t in 0..seq {
                        if mask[r * seq + t] == 1 {
                            n += 1.0;
                            let base = (r * seq + t) * h;
                            for (a, v) in acc.iter_mut().zip(&data[base..base + h]) {
                                *a += v;
                            }
                        }
                    }
                    if n > 0.0 {
                        acc.iter_mut().for_each(|a| *a /= n);
                    }
                    rows.push(l2_normalize(acc));
                }
            }
            _ => {
                return Err(Error::InvalidModel(format!(
                    "text encoder output has shape {dims:?}"
                )))
            }
        }
        Ok(rows)
    }
}

/// Scales `v` to unit length (a zero vector stays zero).
pub fn l2_normalize(mut v: Vec<f32>) -> Vec<f32> {
    let n: f32 = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if n > 0.0 && n.is_finite() {
        v.iter_mut().for_each(|x| *x /= n);
    }
    v
}

/// Cosine similarity of two vectors (0 when either is zero).
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let (mut ab, mut aa, mut bb) = (0f32, 0f32, 0f32);
    for (x, y) in a.iter().zip(b) {
        ab += x * y;
        aa += x * x;
        bb += y * y;
    }
    if aa <= 0.0 || bb <= 0.0 {
        0.0
    } else {
        ab / (aa.sqrt() * bb.sqrt())
    }
}

pub(crate) fn pick_output(session: &Session, names: &[&str]) -> Result<String> {
    for n in names {
        if session.outputs().iter().any(|o| o.name() == *n) {
            return Ok((*n).to_string());
        }
    }
    let have: Vec<&str> = session.outputs().iter().map(|o| o.name()).collect();
    Err(Error::InvalidModel(format!(
        "expected an output named one of {names:?}, model has {have:?}"
    )))
}

pub(crate) fn dir_id(dir: &Path) -> String {
    dir.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}
