//! Quality measures of held-out scores: ROC-AUC, ROC points and log-loss.

/// ROC-AUC with ties counted half.
pub fn roc_auc(scores: &[f64], y: &[f64]) -> f64 {
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let npos = y.iter().filter(|&&v| v > 0.5).count() as f64;
    let nneg = y.len() as f64 - npos;
    if npos == 0.0 || nneg == 0.0 {
        return 0.5;
    }
    // Average ranks over ties.
    let mut rank_sum_pos = 0.0;
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && scores[idx[j + 1]] == scores[idx[i]] {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        for &k in &idx[i..=j] {
            if y[k] > 0.5 {
                rank_sum_pos += avg;
            }
        }
        i = j + 1;
    }
    (rank_sum_pos - npos * (npos + 1.0) / 2.0) / (npos * nneg)
}

/// ROC points `[fpr, tpr]` (at most ~100, starting at `[0,0]`, ending at `[1,1]`).
pub fn roc_points(scores: &[f64], y: &[f64]) -> Vec<[f64; 2]> {
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let npos = y.iter().filter(|&&v| v > 0.5).count().max(1) as f64;
    let nneg = (y.len() as f64 - y.iter().filter(|&&v| v > 0.5).count() as f64).max(1.0);
    let mut pts = vec![[0.0, 0.0]];
    let (mut tp, mut fp) = (0.0, 0.0);
    let step = (idx.len() / 100).max(1);
    for (n, w) in idx.iter().enumerate() {
        if y[*w] > 0.5 {
            tp += 1.0;
        } else {
            fp += 1.0;
        }
        let last_of_tie = n + 1 == idx.len() || scores[idx[n + 1]] != scores[*w];
        if last_of_tie && ((n + 1) % step == 0 || n + 1 == idx.len()) {
            pts.push([fp / nneg, tp / npos]);
        }
    }
    pts
}

pub(super) fn log_loss(p: &[f64], y: &[f64]) -> f64 {
    let n = p.len().max(1) as f64;
    p.iter()
        .zip(y)
        .map(|(&pi, &yi)| {
            let pi = pi.clamp(1e-15, 1.0 - 1e-15);
            -(yi * pi.ln() + (1.0 - yi) * (1.0 - pi).ln())
        })
        .sum::<f64>()
        / n
}
