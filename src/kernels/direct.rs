//! A convolution with a single output channel (the discriminator's head) computed straight from
//! the input, without the column matrix: that matrix holds one value per tap for every output
//! value (4096 at the head of the ngf-32 model, 15 MB for one 30 × 30 map), so building it
//! costs far more than the two flops per value the product then does with it.
//!
//! Every pass here is a sum over the taps `(c, ky, kx)` of the kernel of shifted rows: output
//! row `oy` reads input row `oy·s + ky − p` of channel `c` from column `kx − p` on.

use rayon::prelude::*;

use super::geometry::Geometry;
use super::simd;

/// Whether `g` is computed here rather than through the column matrix.
pub fn covers(g: &Geometry) -> bool {
    g.c_out == 1
}

/// One tap's share of one output row: the input row it reads (if inside the image), the output
/// columns `lo..hi` that read inside it, and the input column the first of them reads.
struct Span {
    iy: usize,
    lo: usize,
    hi: usize,
    first: usize,
}

impl Span {
    /// The input values the span reads or writes from `first` on (every `stride`-th of them).
    fn reach(&self, g: &Geometry) -> usize {
        (self.hi - self.lo - 1) * g.stride[1] + 1
    }
}

fn span(g: &Geometry, oy: usize, ky: usize, kx: usize) -> Option<Span> {
    let iy = Geometry::source(oy, ky, g.stride[0], g.pad[0], g.h)?;
    let ow = g.out_hw()[1];
    let [lo, hi] = g.inside(kx, 0, ow);
    (hi > lo).then(|| Span {
        iy,
        lo,
        hi,
        first: lo * g.stride[1] + kx - g.pad[1],
    })
}

/// The weight of tap `(c, ky, kx)` (weight `[1, ci, kh, kw]`).
fn tap(g: &Geometry, w: &[f32], c: usize, ky: usize, kx: usize) -> f32 {
    w[(c * g.kh + ky) * g.kw + kx]
}

/// `y += Σ_taps w · shifted x` (`y [n, 1, oh, ow]`), output rows in parallel.
pub fn forward(g: &Geometry, x: &[f32], w: &[f32], y: &mut [f32]) {
    let [oh, ow] = g.out_hw();
    assert_eq!(y.len(), g.batch * oh * ow, "conv: output size");
    y.par_chunks_mut(ow.max(1))
        .enumerate()
        .for_each(|(row, out)| {
            let (b, oy) = (row / oh, row % oh);
            let sample = &x[b * g.in_len()..][..g.in_len()];
            simd::wide(|| {
                for (ky, kx) in taps(g) {
                    let Some(s) = span(g, oy, ky, kx) else {
                        continue;
                    };
                    for c in 0..g.c_in {
                        let plane = &sample[c * g.h * g.w..][..g.h * g.w];
                        let line = &plane[s.iy * g.w + s.first..][..s.reach(g)];
                        gather_axpy(
                            &mut out[s.lo..s.hi],
                            tap(g, w, c, ky, kx),
                            line,
                            g.stride[1],
                        );
                    }
                }
            });
        });
}

/// `dx += Σ_taps w · dY shifted back` (`dx [n, ci, h, w]`), input channels in parallel.
pub fn input_grad(g: &Geometry, dy: &[f32], w: &[f32], dx: &mut [f32]) {
    let [oh, ow] = g.out_hw();
    assert_eq!(dx.len(), g.batch * g.in_len(), "conv: input gradient size");
    dx.par_chunks_mut((g.h * g.w).max(1))
        .enumerate()
        .for_each(|(i, plane)| {
            let (b, c) = (i / g.c_in, i % g.c_in);
            let grad = &dy[b * oh * ow..][..oh * ow];
            simd::wide(|| {
                for (ky, kx) in taps(g) {
                    let k = tap(g, w, c, ky, kx);
                    for oy in 0..oh {
                        let Some(s) = span(g, oy, ky, kx) else {
                            continue;
                        };
                        let line = &mut plane[s.iy * g.w + s.first..][..s.reach(g)];
                        let row = &grad[oy * ow + s.lo..oy * ow + s.hi];
                        scatter_axpy(line, k, row, g.stride[1]);
                    }
                }
            });
        });
}

/// `dW[c, ky, kx] = Σ_samples Σ_positions dY · shifted x`, input channels in parallel.
pub fn weight_grad(g: &Geometry, x: &[f32], dy: &[f32]) -> Vec<f32> {
    let [oh, ow] = g.out_hw();
    let mut dw = vec![0.0; g.taps()];
    dw.par_chunks_mut((g.kh * g.kw).max(1))
        .enumerate()
        .for_each(|(c, out)| {
            simd::wide(|| {
                for (t, (ky, kx)) in taps(g).enumerate() {
                    let mut sum = 0.0f64;
                    for b in 0..g.batch {
                        let plane = &x[(b * g.c_in + c) * g.h * g.w..][..g.h * g.w];
                        let grad = &dy[b * oh * ow..][..oh * ow];
                        for oy in 0..oh {
                            let Some(s) = span(g, oy, ky, kx) else {
                                continue;
                            };
                            let line = &plane[s.iy * g.w + s.first..][..s.reach(g)];
                            let row = &grad[oy * ow + s.lo..oy * ow + s.hi];
                            sum += dot(row, line, g.stride[1]) as f64;
                        }
                    }
                    out[t] = sum as f32;
                }
            });
        });
    dw
}

/// `out[i] += k · src[i·stride]` (the stride-1 case as plain slices, so that it vectorises).
fn gather_axpy(out: &mut [f32], k: f32, src: &[f32], stride: usize) {
    if stride == 1 {
        out.iter_mut().zip(src).for_each(|(o, v)| *o += k * v);
    } else {
        let src = src.iter().step_by(stride);
        out.iter_mut().zip(src).for_each(|(o, v)| *o += k * v);
    }
}

/// `out[i·stride] += k · src[i]`.
fn scatter_axpy(out: &mut [f32], k: f32, src: &[f32], stride: usize) {
    if stride == 1 {
        out.iter_mut().zip(src).for_each(|(o, v)| *o += k * v);
    } else {
        let out = out.iter_mut().step_by(stride);
        out.zip(src).for_each(|(o, v)| *o += k * v);
    }
}

/// `Σ a[i] · b[i·stride]` in eight f32 lanes.
fn dot(a: &[f32], b: &[f32], stride: usize) -> f32 {
    let mut lanes = [0.0f32; 8];
    if stride == 1 {
        let (a8, b8) = (a.chunks_exact(8), b.chunks_exact(8));
        let tail: f32 = a8
            .remainder()
            .iter()
            .zip(b8.remainder())
            .map(|(x, y)| x * y)
            .sum();
        for (x, y) in a8.zip(b8) {
            for k in 0..8 {
                lanes[k] += x[k] * y[k];
            }
        }
        return lanes.iter().sum::<f32>() + tail;
    }
    for (i, (x, y)) in a.iter().zip(b.iter().step_by(stride)).enumerate() {
        lanes[i % 8] += x * y;
    }
    lanes.iter().sum()
}

/// The kernel's `(ky, kx)` pairs, row by row.
fn taps(g: &Geometry) -> impl Iterator<Item = (usize, usize)> + use<> {
    let (kh, kw) = (g.kh, g.kw);
    (0..kh).flat_map(move |ky| (0..kw).map(move |kx| (ky, kx)))
}
