//! Normalisation with batch or per-sample (instance) statistics and a learned per-channel scale
//! and shift, forward and backward, on `[n, c, plane]` slices, each pass one sweep over the
//! planes (the stock path chains about ten element-wise tensor operations, each with its own
//! intermediate and backward step).

use rayon::prelude::*;

/// The layout of the normalised activations.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NormShape {
    pub n: usize,
    pub c: usize,
    /// Values per channel plane (`h · w`).
    pub plane: usize,
    /// Statistics per sample and channel (instance norm) rather than per channel (batch norm).
    pub per_sample: bool,
    pub eps: f64,
}

impl NormShape {
    fn len(&self) -> usize {
        self.n * self.c * self.plane
    }

    /// The statistics group of plane `i` (`i = sample · c + channel`).
    fn group(&self, i: usize) -> usize {
        if self.per_sample { i } else { i % self.c }
    }

    /// Values per group.
    fn group_len(&self) -> f64 {
        (self.plane * if self.per_sample { 1 } else { self.n }) as f64
    }

    /// Sums `f(plane index, plane)` plane by plane in parallel, then per group.
    fn group_sums(&self, f: impl Fn(usize, &[f32]) -> f64 + Sync, x: &[f32]) -> Vec<f64> {
        let per_plane: Vec<f64> = x
            .par_chunks(self.plane)
            .enumerate()
            .map(|(i, p)| f(i, p))
            .collect();
        let groups = if self.per_sample {
            self.n * self.c
        } else {
            self.c
        };
        let mut sums = vec![0.0; groups];
        for (i, s) in per_plane.iter().enumerate() {
            sums[self.group(i)] += s;
        }
        sums
    }

    /// Mean and 1/σ of each group: the mean first, then the mean squared deviation from it (two
    /// passes, so a group of equal values has variance exactly 0).
    fn stats(&self, x: &[f32]) -> Vec<(f32, f32)> {
        let count = self.group_len();
        let means: Vec<f32> = self
            .group_sums(|_, p| lane_sum(p, |v| v), x)
            .iter()
            .map(|s| (s / count) as f32)
            .collect();
        let squares = self.group_sums(
            |i, p| {
                let mean = means[self.group(i)];
                lane_sum(p, |v| (v - mean) * (v - mean))
            },
            x,
        );
        means
            .iter()
            .zip(&squares)
            .map(|(&mean, sq)| (mean, (1.0 / (sq / count + self.eps).sqrt()) as f32))
            .collect()
    }
}

/// `Σ f(v)` in eight f32 lanes (vectorised) over runs of 4096 values, each run's lanes added up
/// in f64.
fn lane_sum(p: &[f32], f: impl Fn(f32) -> f32) -> f64 {
    let mut total = 0.0f64;
    for run in p.chunks(4096) {
        let mut acc = [0.0f32; 8];
        let mut lanes = run.chunks_exact(8);
        for c in &mut lanes {
            for k in 0..8 {
                acc[k] += f(c[k]);
            }
        }
        for &v in lanes.remainder() {
            acc[0] += f(v);
        }
        total += acc.iter().map(|&v| v as f64).sum::<f64>();
    }
    total
}

/// `x ← γ · (x − μ) / σ + β` per channel (on a tensor nothing else holds).
pub fn forward_in_place(s: &NormShape, x: &mut [f32], gamma: &[f32], beta: &[f32]) {
    check(s, x.len(), gamma.len(), beta.len());
    let stats = s.stats(x);
    x.par_chunks_mut(s.plane).enumerate().for_each(|(i, p)| {
        let (mean, inv) = stats[s.group(i)];
        let scale = inv * gamma[i % s.c];
        let shift = beta[i % s.c] - mean * scale;
        p.iter_mut().for_each(|v| *v = *v * scale + shift);
    });
}

/// The gradients `(dx, dγ, dβ)` given the input `x` and the output's gradient `dy`:
/// `dx = γ/σ · (dy − mean(dy) − x̂ · mean(dy · x̂))` over each statistics group,
/// `dγ = Σ dy · x̂`, `dβ = Σ dy` over each channel.
pub fn backward(
    s: &NormShape,
    x: &[f32],
    gamma: &[f32],
    dy: &[f32],
) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    check(s, x.len(), gamma.len(), gamma.len());
    assert_eq!(dy.len(), x.len(), "norm: output gradient size");
    let stats = s.stats(x);
    let sums: Vec<[f64; 2]> = dy
        .par_chunks(s.plane)
        .zip(x.par_chunks(s.plane))
        .enumerate()
        .map(|(i, (d, p))| {
            let (mean, inv) = stats[s.group(i)];
            let sum_dy = d.iter().map(|&v| v as f64).sum();
            let sum_dy_xhat = d
                .iter()
                .zip(p)
                .map(|(&d, &v)| (d * (v - mean) * inv) as f64)
                .sum();
            [sum_dy, sum_dy_xhat]
        })
        .collect();
    let (mut dgamma, mut dbeta) = (vec![0.0f64; s.c], vec![0.0f64; s.c]);
    let mut group = vec![[0.0f64; 2]; stats.len()];
    for (i, [a, b]) in sums.iter().enumerate() {
        dbeta[i % s.c] += a;
        dgamma[i % s.c] += b;
        group[s.group(i)][0] += a;
        group[s.group(i)][1] += b;
    }
    let count = s.group_len();
    let mut dx = vec![0.0; x.len()];
    dx.par_chunks_mut(s.plane)
        .zip(dy.par_chunks(s.plane).zip(x.par_chunks(s.plane)))
        .enumerate()
        .for_each(|(i, (out, (d, p)))| {
            let (mean, inv) = stats[s.group(i)];
            let [sum_dy, sum_dy_xhat] = group[s.group(i)];
            let (mean_dy, mean_dy_xhat) = ((sum_dy / count) as f32, (sum_dy_xhat / count) as f32);
            let k = gamma[i % s.c] * inv;
            out.iter_mut()
                .zip(d.iter().zip(p))
                .for_each(|(o, (&d, &v))| {
                    *o = k * (d - mean_dy - (v - mean) * inv * mean_dy_xhat);
                });
        });
    let to_f32 = |v: Vec<f64>| v.into_iter().map(|v| v as f32).collect();
    (dx, to_f32(dgamma), to_f32(dbeta))
}

fn check(s: &NormShape, x_len: usize, gamma_len: usize, beta_len: usize) {
    assert!(s.plane > 0 && s.c > 0, "norm: empty planes");
    assert_eq!(x_len, s.len(), "norm: input size");
    assert_eq!(gamma_len, s.c, "norm: scale length");
    assert_eq!(beta_len, s.c, "norm: shift length");
}
