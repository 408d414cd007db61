//! Small logistic regressions fitted by Newton's method: Platt calibration of a part's
//! out-of-fold scores and the non-negative stacking of the parts' logits into P(like).

use crate::linalg::{sigmoid, softplus};

/// Solves the small dense system `a·x = b` (Gaussian elimination, partial pivoting).
fn solve_small(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let k = b.len();
    for col in 0..k {
        let piv = (col..k).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[piv][col].abs() < 1e-300 {
            return None;
        }
        a.swap(col, piv);
        b.swap(col, piv);
        let (top, below) = a.split_at_mut(col + 1);
        let pivot = &top[col];
        for (r, row) in below.iter_mut().enumerate() {
            let f = row[col] / pivot[col];
            for (x, p) in row[col..].iter_mut().zip(&pivot[col..]) {
                *x -= f * p;
            }
            b[col + 1 + r] -= f * b[col];
        }
    }
    let mut x = vec![0.0; k];
    for r in (0..k).rev() {
        let s: f64 = (r + 1..k).map(|c2| a[r][c2] * x[c2]).sum();
        x[r] = (b[r] - s) / a[r][r];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}

/// Logistic regression on a few features: `σ(x·β + β₀)` fitted to (soft) targets `t` by
/// Newton's method with a backtracking line search, penalty `ridge/2·|β|²` (bias free), and
/// `β ≥ 0`: a feature whose weight would go negative is dropped and the rest refitted.
/// Converges on separable or constant inputs too. Returns `(β, β₀)`.
pub(super) fn logreg_nonneg(x: &[Vec<f64>], t: &[f64], ridge: f64) -> (Vec<f64>, f64) {
    let k = x.first().map_or(0, Vec::len);
    let mut active: Vec<bool> = vec![true; k];
    loop {
        let idx: Vec<usize> = (0..k).filter(|&j| active[j]).collect();
        let (beta, b0) = logreg_newton(x, t, ridge, &idx);
        let mut full = vec![0.0; k];
        for (j, v) in idx.iter().zip(&beta) {
            full[*j] = *v;
        }
        match idx.iter().zip(&beta).find(|(_, v)| **v < 0.0) {
            Some((&j, _)) => active[j] = false,
            None => return (full, b0),
        }
    }
}

fn logreg_newton(x: &[Vec<f64>], t: &[f64], ridge: f64, idx: &[usize]) -> (Vec<f64>, f64) {
    let k = idx.len();
    // θ = [β over idx…, β₀].
    let mut theta = vec![0.0; k + 1];
    let mean_t = t.iter().sum::<f64>() / t.len().max(1) as f64;
    theta[k] = (mean_t.clamp(1e-6, 1.0 - 1e-6) / (1.0 - mean_t.clamp(1e-6, 1.0 - 1e-6))).ln();
    let logit = |th: &[f64], row: &[f64]| -> f64 {
        idx.iter()
            .enumerate()
            .map(|(a, &j)| th[a] * row[j])
            .sum::<f64>()
            + th[k]
    };
    let objective = |th: &[f64]| -> f64 {
        let data: f64 = x
            .iter()
            .zip(t)
            .map(|(row, &ti)| {
                let s = logit(th, row);
                softplus(s) - ti * s
            })
            .sum();
        data + 0.5 * ridge * th[..k].iter().map(|v| v * v).sum::<f64>()
    };
    let mut f = objective(&theta);
    for _ in 0..100 {
        let mut g = vec![0.0; k + 1];
        let mut h = vec![vec![0.0; k + 1]; k + 1];
        for (row, &ti) in x.iter().zip(t) {
            let p = sigmoid(logit(&theta, row));
            let r = p - ti;
            let w = (p * (1.0 - p)).max(1e-12);
            let xt: Vec<f64> = idx.iter().map(|&j| row[j]).chain([1.0]).collect();
            for a in 0..=k {
                g[a] += r * xt[a];
                for b in 0..=k {
                    h[a][b] += w * xt[a] * xt[b];
                }
            }
        }
        for a in 0..k {
            g[a] += ridge * theta[a];
            h[a][a] += ridge;
        }
        h[k][k] += 1e-9;
        let Some(step) = solve_small(h, g) else {
            break;
        };
        let mut lr = 1.0;
        let mut moved = false;
        for _ in 0..40 {
            let cand: Vec<f64> = theta.iter().zip(&step).map(|(a, d)| a - lr * d).collect();
            let fc = objective(&cand);
            if fc.is_finite() && fc <= f {
                moved = fc < f;
                theta = cand;
                f = fc;
                break;
            }
            lr *= 0.5;
        }
        if !moved || step.iter().map(|v| (v * lr).abs()).sum::<f64>() < 1e-10 {
            break;
        }
    }
    let b0 = theta.pop().unwrap_or(0.0);
    (theta, b0)
}

/// Platt's smoothed targets for labels `y`.
fn platt_targets(y: &[f64]) -> Vec<f64> {
    let npos = y.iter().filter(|&&v| v > 0.5).count() as f64;
    let nneg = y.len() as f64 - npos;
    let hi = (npos + 1.0) / (npos + 2.0);
    let lo = 1.0 / (nneg + 2.0);
    y.iter().map(|&v| if v > 0.5 { hi } else { lo }).collect()
}

/// Platt scaling `p = σ(a·s + b)` on smoothed targets, `a ≥ 0`: a score that ranks
/// held-out rows no better than chance gets `a = 0` (the prior).
pub(super) fn platt(scores: &[f64], y: &[f64]) -> (f64, f64) {
    let x: Vec<Vec<f64>> = scores.iter().map(|&s| vec![s]).collect();
    let (a, b) = logreg_nonneg(&x, &platt_targets(y), 1e-6);
    (a[0], b)
}
