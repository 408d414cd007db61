//! Small dense helpers for training (row-major f32 matrices, deterministic RNG).

/// splitmix64: small deterministic generator (seeded shuffles, tiny-model weights).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Standard normal (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let u1 = self.next_f64().max(1e-300);
        let u2 = self.next_f64();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
    /// Fisher–Yates shuffle.
    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = (self.next_u64() % (i as u64 + 1)) as usize;
            v.swap(i, j);
        }
    }
}

/// Lanes of independent partial sums in [`dot`]: enough to keep the adder busy (4 AVX
/// vectors or 8 SSE vectors), and the same order on every CPU, so results do not depend on
/// which instructions ran.
const LANES: usize = 32;

#[inline(always)]
fn dot_lanes(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0f32; LANES];
    let mut ca = a.chunks_exact(LANES);
    let mut cb = b.chunks_exact(LANES);
    for (x, y) in (&mut ca).zip(&mut cb) {
        for k in 0..LANES {
            acc[k] += x[k] * y[k];
        }
    }
    let mut s = 0f32;
    for part in acc.chunks_exact(8) {
        s += part.iter().sum::<f32>();
    }
    for (x, y) in ca.remainder().iter().zip(cb.remainder()) {
        s += x * y;
    }
    s
}

#[inline(always)]
fn axpy_plain(a: f32, x: &[f32], y: &mut [f32]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += a * xi;
    }
}

/// `out += Σ_r g[r] · row r` (`out += matᵀ g`), rows in order.
#[inline(always)]
fn mat_t_vec_add_plain(mat: &[f32], width: usize, g: &[f32], out: &mut [f32]) {
    for (&gr, row) in g.iter().zip(mat.chunks_exact(width)) {
        axpy_plain(gr, row, out);
    }
}

#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
mod avx2 {
    #[target_feature(enable = "avx2")]
    pub(super) fn mat_t_vec_add(mat: &[f32], width: usize, g: &[f32], out: &mut [f32]) {
        super::mat_t_vec_add_plain(mat, width, g, out)
    }
    #[target_feature(enable = "avx2")]
    pub(super) fn sym_packed_mat_vec(packed: &[f32], n: usize, v: &[f32], out: &mut [f32]) {
        super::sym_packed_mat_vec_plain(packed, n, v, out)
    }
    #[target_feature(enable = "avx2")]
    pub(super) fn dot(a: &[f32], b: &[f32]) -> f32 {
        super::dot_lanes(a, b)
    }
    #[target_feature(enable = "avx2")]
    pub(super) fn axpy(a: f32, x: &[f32], y: &mut [f32]) {
        super::axpy_plain(a, x, y)
    }
}

/// `out = S v` for the symmetric `n×n` matrix `S` stored as its packed lower triangle
/// (row `i` holds `S[i][0..=i]`): each stored entry is read once and serves both its row's
/// sum and its column's, so a step reads half the memory of the full matrix.
pub fn sym_packed_mat_vec(packed: &[f32], n: usize, v: &[f32], out: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if has_avx2() {
        // SAFETY: the CPU supports AVX2 (checked at run time just above).
        #[allow(unsafe_code)]
        return unsafe { avx2::sym_packed_mat_vec(packed, n, v, out) };
    }
    sym_packed_mat_vec_plain(packed, n, v, out)
}

const SYM_LANES: usize = 16;

#[inline(always)]
fn sym_packed_mat_vec_plain(packed: &[f32], n: usize, v: &[f32], out: &mut [f32]) {
    out[..n].iter_mut().for_each(|o| *o = 0.0);
    let mut start = 0;
    for i in 0..n {
        let row = &packed[start..start + i + 1];
        start += i + 1;
        let (off, diag) = (&row[..i], row[i]);
        let vi = v[i];
        let whole = i / SYM_LANES * SYM_LANES;
        let mut acc = [0f32; SYM_LANES];
        for ((oc, sc), xc) in out[..whole]
            .chunks_exact_mut(SYM_LANES)
            .zip(off[..whole].chunks_exact(SYM_LANES))
            .zip(v[..whole].chunks_exact(SYM_LANES))
        {
            for l in 0..SYM_LANES {
                oc[l] += sc[l] * vi;
                acc[l] += sc[l] * xc[l];
            }
        }
        let mut sum: f32 = acc.iter().sum();
        for j in whole..i {
            out[j] += off[j] * vi;
            sum += off[j] * v[j];
        }
        out[i] += sum + diag * vi;
    }
}

#[cfg(target_arch = "x86_64")]
fn has_avx2() -> bool {
    std::is_x86_feature_detected!("avx2")
}

/// Dot product with 32 independent accumulators (vectorises well; AVX2 where the CPU has
/// it, the same sums in the same order either way).
#[inline]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    if has_avx2() {
        // SAFETY: the CPU supports AVX2 (checked at run time just above).
        #[allow(unsafe_code)]
        return unsafe { avx2::dot(a, b) };
    }
    dot_lanes(a, b)
}

/// `y += a * x`.
#[inline]
pub fn axpy(a: f32, x: &[f32], y: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if has_avx2() {
        // SAFETY: the CPU supports AVX2 (checked at run time just above).
        #[allow(unsafe_code)]
        return unsafe { avx2::axpy(a, x, y) };
    }
    axpy_plain(a, x, y)
}

/// `out += matᵀ g` for the row-major matrix `mat`, `width` wide: [`axpy`] of each row
/// in order, without a call per row.
pub fn mat_t_vec_add(mat: &[f32], width: usize, g: &[f32], out: &mut [f32]) {
    if width == 0 {
        return;
    }
    #[cfg(target_arch = "x86_64")]
    if has_avx2() {
        // SAFETY: the CPU supports AVX2 (checked at run time just above).
        #[allow(unsafe_code)]
        return unsafe { avx2::mat_t_vec_add(mat, width, g, out) };
    }
    mat_t_vec_add_plain(mat, width, g, out)
}

pub fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// `log(1 + exp(x))`, stable.
pub fn softplus(x: f64) -> f64 {
    if x > 30.0 {
        x
    } else if x < -30.0 {
        x.exp()
    } else {
        x.exp().ln_1p()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_and_axpy_match_plain_sums_at_every_length() {
        let mut rng = Rng::new(3);
        for n in [0usize, 1, 7, 31, 32, 33, 100, 384, 1000] {
            let a: Vec<f32> = (0..n).map(|_| rng.normal() as f32).collect();
            let b: Vec<f32> = (0..n).map(|_| rng.normal() as f32).collect();
            let plain: f64 = a
                .iter()
                .zip(&b)
                .map(|(x, y)| f64::from(*x) * f64::from(*y))
                .sum();
            assert!((f64::from(dot(&a, &b)) - plain).abs() < 1e-4 * (1.0 + n as f64).sqrt());
            assert_eq!(dot(&a, &b), dot_lanes(&a, &b));
            let mut y = b.clone();
            axpy(0.5, &a, &mut y);
            for ((yi, ai), bi) in y.iter().zip(&a).zip(&b) {
                assert_eq!(*yi, bi + 0.5 * ai);
            }
        }
    }

    #[test]
    fn the_transposed_product_is_the_same_sums_as_an_axpy_per_row() {
        let mut rng = Rng::new(4);
        for (rows, width) in [(0usize, 5usize), (3, 1), (17, 33), (40, 128), (9, 384)] {
            let mat: Vec<f32> = (0..rows * width).map(|_| rng.normal() as f32).collect();
            let v: Vec<f32> = (0..width).map(|_| rng.normal() as f32).collect();
            let g: Vec<f32> = (0..rows).map(|_| rng.normal() as f32).collect();
            let mut acc = v.clone();
            mat_t_vec_add(&mat, width, &g, &mut acc);
            let mut expected = v.clone();
            for (r, &gr) in mat.chunks_exact(width).zip(&g) {
                axpy(gr, r, &mut expected);
            }
            assert_eq!(acc, expected, "{rows}×{width}");
        }
    }

    #[test]
    fn the_packed_symmetric_product_equals_the_full_matrix_product() {
        let mut rng = Rng::new(5);
        for n in [0usize, 1, 2, 15, 16, 17, 33, 100, 257] {
            let z: Vec<f64> = (0..n * 8).map(|_| rng.normal()).collect();
            let full: Vec<f64> = (0..n * n)
                .map(|ij| {
                    let (i, j) = (ij / n, ij % n);
                    (0..8).map(|k| z[i * 8 + k] * z[j * 8 + k]).sum()
                })
                .collect();
            let mut packed = Vec::new();
            for i in 0..n {
                packed.extend(full[i * n..=i * n + i].iter().map(|&x| x as f32));
            }
            assert_eq!(packed.len(), n * (n + 1) / 2);
            let v: Vec<f32> = (0..n).map(|_| rng.normal() as f32).collect();
            let mut out = vec![f32::NAN; n];
            sym_packed_mat_vec(&packed, n, &v, &mut out);
            for i in 0..n {
                let exact: f64 = (0..n).map(|j| full[i * n + j] * f64::from(v[j])).sum();
                let scale: f64 = (0..n)
                    .map(|j| (full[i * n + j] * f64::from(v[j])).abs())
                    .sum();
                assert!(
                    (f64::from(out[i]) - exact).abs() <= 1e-5 * (1.0 + scale),
                    "n {n}, row {i}: {} vs {exact}",
                    out[i]
                );
            }
        }
    }
}
