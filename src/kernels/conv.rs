//! A 2-D convolution and its two gradients as matrix products over column blocks, on plain
//! `f32` slices in Burn's layouts (`x [n, ci, h, w]`, weight `[co, ci, kh, kw]`, `y [n, co, oh, ow]`).
//!
//! - output:          `Y = b + W · C(x)`       (per block of output positions)
//! - input gradient:  `dx = b + col2im(Wᵀ · dY)`  (`b` zero for a gradient: a transposed
//!   convolution's bias)
//! - weight gradient: `dW = Σ dY · C(x)ᵀ`       (accumulated in place over blocks and samples)
//!
//! A layer with a single output channel skips the column matrix (`super::direct`). A
//! transposed convolution is the same three products with the roles of input and output
//! exchanged (see `super::flex`), so these kernels serve both layer kinds.

use rayon::prelude::*;

use super::direct;
use super::geometry::{Geometry, Source, col2im, im2col, lead};

/// `y = bias + W · C(x)` (the bias per output channel, none: zero).
pub fn forward(g: &Geometry, x: &[f32], weight: &[f32], bias: Option<&[f32]>) -> Vec<f32> {
    check(g, x.len(), weight.len(), None);
    let (positions, taps) = (g.positions(), g.taps());
    let mut y = start(g.batch, g.c_out, positions, bias);
    if direct::covers(g) {
        direct::forward(g, x, weight, &mut y);
        return y;
    }
    let out = Shared::new(&mut y);
    over_blocks(
        g,
        &Source::new(g, x),
        0,
        || (),
        |(), cols, blk, par| {
            let width = blk.p1 - blk.p0;
            let lhs = View::rows(weight, 0, g.c_out, taps, taps);
            let rhs = View::rows(cols, 0, taps, width, lead(width));
            // SAFETY: each block writes only its own columns p0..p1 of every output row.
            unsafe {
                matmul(
                    out,
                    blk.b * g.out_len() + blk.p0,
                    positions,
                    lhs,
                    rhs,
                    bias.is_some(),
                    par,
                )
            };
        },
        |(), ()| (),
    );
    y
}

/// `dx = bias + col2im(Wᵀ · dY)` (the bias per input channel: a transposed convolution's; none:
/// zero). Blocks run one after another (neighbouring blocks add onto the same input pixels); the
/// matrix product and `col2im` (by channel) use every thread.
pub fn input_grad(g: &Geometry, dy: &[f32], weight: &[f32], bias: Option<&[f32]>) -> Vec<f32> {
    check(g, g.batch * g.in_len(), weight.len(), Some(dy.len()));
    let (positions, taps) = (g.positions(), g.taps());
    let mut dx = start(g.batch, g.c_in, g.h * g.w, bias);
    if direct::covers(g) {
        direct::input_grad(g, dy, weight, &mut dx);
        return dx;
    }
    for blk in blocks(g, 1, BIG_BLOCK_BYTES) {
        let width = blk.p1 - blk.p0;
        let lhs = View::columns(weight, taps, g.c_out, taps);
        let rhs = View::rows(dy, blk.b * g.out_len() + blk.p0, g.c_out, width, positions);
        with_columns(taps * lead(width), |cols| {
            let par = gemm::Parallelism::Rayon(0);
            // SAFETY: `cols` is borrowed mutably here.
            unsafe { matmul(Shared::new(cols), 0, lead(width), lhs, rhs, false, par) };
            col2im(
                g,
                cols,
                blk.p0,
                blk.p1,
                &mut dx[blk.b * g.in_len()..][..g.in_len()],
            );
        });
    }
    dx
}

/// `dW = Σ_samples Σ_blocks dY · C(x)ᵀ`, `[co, ci, kh, kw]`.
pub fn weight_grad(g: &Geometry, x: &[f32], dy: &[f32]) -> Vec<f32> {
    check(g, x.len(), g.c_out * g.taps(), Some(dy.len()));
    if direct::covers(g) {
        return direct::weight_grad(g, x, dy);
    }
    let (positions, taps) = (g.positions(), g.taps());
    over_blocks(
        g,
        &Source::new(g, x),
        g.c_out * taps,
        || vec![0.0; g.c_out * taps],
        |dw, cols, blk, par| {
            let width = blk.p1 - blk.p0;
            let lhs = View::rows(dy, blk.b * g.out_len() + blk.p0, g.c_out, width, positions);
            let rhs = View::columns(cols, width, taps, lead(width));
            // SAFETY: `dw` is this worker's own accumulator.
            unsafe { matmul(Shared::new(dw), 0, taps, lhs, rhs, true, par) };
        },
        add,
    )
}

/// Sums two partial results of the same size.
fn add(mut a: Vec<f32>, b: Vec<f32>) -> Vec<f32> {
    assert_eq!(a.len(), b.len(), "partial sums of different sizes");
    a.iter_mut().zip(&b).for_each(|(a, b)| *a += b);
    a
}

/// The values a layer's output `[n, channels, plane]` starts from before the products add onto
/// it: `bias[c]` throughout channel `c`, or zero without a bias (the bias then costs no pass of
/// its own over the output).
fn start(n: usize, channels: usize, plane: usize, bias: Option<&[f32]>) -> Vec<f32> {
    let Some(bias) = bias else {
        return vec![0.0; n * channels * plane];
    };
    assert_eq!(bias.len(), channels, "conv: bias length");
    let mut y = Vec::with_capacity(n * channels * plane);
    for _ in 0..n {
        for &b in bias {
            y.extend(std::iter::repeat_n(b, plane));
        }
    }
    y
}

/// `db[c] = Σ dY[·, c, ·]` for `dy` laid out `[n, channels, plane]`.
pub fn bias_grad(dy: &[f32], channels: usize, plane: usize) -> Vec<f32> {
    assert_eq!(
        dy.len() % (channels * plane).max(1),
        0,
        "conv: output gradient size"
    );
    let sums: Vec<f64> = dy
        .par_chunks(plane.max(1))
        .map(|row| row.iter().map(|&v| v as f64).sum())
        .collect();
    (0..channels)
        .map(|c| sums.iter().skip(c).step_by(channels).sum::<f64>() as f32)
        .collect()
}

fn check(g: &Geometry, x_len: usize, w_len: usize, dy_len: Option<usize>) {
    assert_eq!(x_len, g.batch * g.in_len(), "conv: input size");
    assert_eq!(w_len, g.c_out * g.taps(), "conv: weight size");
    if let Some(len) = dy_len {
        assert_eq!(len, g.batch * g.out_len(), "conv: output gradient size");
    }
}

/// Output positions `p0..p1` of sample `b`.
#[derive(Debug, Clone, Copy)]
struct Block {
    b: usize,
    p0: usize,
    p1: usize,
}

/// Runs `body` on every block of output positions with the block's columns of `source` (filled
/// by `im2col` into a buffer of its own) and a per-worker accumulator of `acc_len` values (made
/// by `init`, combined by `merge`). With at least as many blocks as threads, and accumulators
/// small enough to have one per thread, the blocks run in parallel, each matrix product on one
/// thread; otherwise they run one after another with `im2col` and the matrix product spread
/// over the threads.
fn over_blocks<A: Send>(
    g: &Geometry,
    source: &Source,
    acc_len: usize,
    init: impl Fn() -> A + Sync + Send,
    body: impl Fn(&mut A, &mut [f32], Block, gemm::Parallelism) + Sync + Send,
    merge: impl Fn(A, A) -> A + Sync + Send,
) -> A {
    let threads = rayon::current_num_threads();
    let blocks = blocks(g, threads, BLOCK_BYTES);
    let run = |acc: &mut A, blk: Block, parallelism| {
        with_columns(g.taps() * lead(blk.p1 - blk.p0), |cols| {
            let parallel = matches!(parallelism, gemm::Parallelism::Rayon(_));
            im2col(g, source, blk.b, blk.p0, blk.p1, cols, parallel);
            body(acc, cols, blk, parallelism)
        });
    };
    let small = acc_len * 4 * threads <= ACCUMULATOR_BYTES;
    if threads > 1 && blocks.len() >= threads && small {
        // One share of consecutive blocks per thread, so there are `threads` accumulators.
        blocks
            .par_chunks(blocks.len().div_ceil(threads))
            .map(|share| {
                let mut acc = init();
                share
                    .iter()
                    .for_each(|&blk| run(&mut acc, blk, gemm::Parallelism::None));
                acc
            })
            .reduce_with(&merge)
            .unwrap_or_else(init)
    } else {
        let mut acc = init();
        for blk in blocks {
            run(&mut acc, blk, gemm::Parallelism::Rayon(0));
        }
        acc
    }
}

/// Calls `f` with a column buffer of `len` values, kept per thread between calls so the
/// buffers are neither allocated nor cleared again for every layer (every value `f` reads it
/// has written first).
fn with_columns<R>(len: usize, f: impl FnOnce(&mut [f32]) -> R) -> R {
    thread_local! {
        static COLUMNS: std::cell::Cell<Vec<f32>> = const { std::cell::Cell::new(Vec::new()) };
    }
    let mut cols = COLUMNS.take();
    if cols.len() < len {
        cols.resize(len, 0.0);
    }
    let out = f(&mut cols[..len]);
    COLUMNS.set(cols);
    out
}

/// The blocks of every sample: columns of at most about `bytes` each, as many per sample as that
/// takes, rounded up to a multiple of `threads` (so that parallel blocks share the work evenly),
/// all of one width but the last, and none narrower than [`MIN_BLOCK`] unless the sample is.
fn blocks(g: &Geometry, threads: usize, bytes: usize) -> Vec<Block> {
    let positions = g.positions();
    let by_memory = (bytes / 4 / g.taps().max(1)).max(MIN_BLOCK);
    let most = positions.div_ceil(MIN_BLOCK).max(1);
    let count = positions
        .div_ceil(by_memory)
        .next_multiple_of(threads.max(1))
        .min(most);
    let block = positions.div_ceil(count.max(1)).max(1);
    (0..g.batch)
        .flat_map(|b| {
            (0..positions).step_by(block).map(move |p0| Block {
                b,
                p0,
                p1: (p0 + block).min(positions),
            })
        })
        .collect()
}

/// Bytes of one column block: small enough to stay in a core's cache between `im2col` and the
/// matrix product that reads it.
const BLOCK_BYTES: usize = 1 << 20;
/// Bytes of one column block of [`input_grad`] (one block at a time, spread over the threads).
const BIG_BLOCK_BYTES: usize = 2 << 20;
/// Bytes of all the per-thread accumulators of one layer together (the extra memory the parallel
/// blocks may take).
const ACCUMULATOR_BYTES: usize = 1 << 20;
/// The fewest positions a block covers (narrower matrix products run slowly).
const MIN_BLOCK: usize = 64;

/// A strided matrix inside a slice: element `(i, j)` is `data[at + i·rs + j·cs]`.
#[derive(Clone, Copy)]
struct View<'a> {
    data: &'a [f32],
    at: usize,
    rows: usize,
    cols: usize,
    rs: usize,
    cs: usize,
}

impl<'a> View<'a> {
    /// Row-major: rows `row_stride` apart.
    fn rows(data: &'a [f32], at: usize, rows: usize, cols: usize, row_stride: usize) -> Self {
        View {
            data,
            at,
            rows,
            cols,
            rs: row_stride,
            cs: 1,
        }
    }

    /// The transpose of a row-major matrix: columns `col_stride` apart.
    fn columns(data: &'a [f32], rows: usize, cols: usize, col_stride: usize) -> Self {
        View {
            data,
            at: 0,
            rows,
            cols,
            rs: 1,
            cs: col_stride,
        }
    }

    /// Panics unless every element lies inside `len` values from the view's start.
    fn assert_inside(&self, len: usize) {
        if self.rows > 0 && self.cols > 0 {
            let last = self.at + (self.rows - 1) * self.rs + (self.cols - 1) * self.cs;
            assert!(last < len, "matmul: view reaches {last}, slice holds {len}");
        }
    }
}

/// A mutable slice several workers may write to, each to places no other worker touches.
#[derive(Clone, Copy)]
struct Shared {
    ptr: *mut f32,
    len: usize,
}

// SAFETY: `Shared` is only a pointer and a length; the callers of `matmul` guarantee that
// concurrent writers touch disjoint elements.
unsafe impl Send for Shared {}
unsafe impl Sync for Shared {}

impl Shared {
    fn new(data: &mut [f32]) -> Shared {
        Shared {
            ptr: data.as_mut_ptr(),
            len: data.len(),
        }
    }
}

/// `dst[at..] (+)= lhs · rhs`, `dst` row-major with rows `dst_rs` apart. The `gemm` crate (the
/// one Burn's CPU backend uses) does the work; every index it touches is checked first.
///
/// # Safety
/// `dst` must outlive the call, and no one else may read or write the elements it writes.
unsafe fn matmul(
    dst: Shared,
    at: usize,
    dst_rs: usize,
    lhs: View,
    rhs: View,
    accumulate: bool,
    parallelism: gemm::Parallelism,
) {
    let (m, k, n) = (lhs.rows, lhs.cols, rhs.cols);
    assert_eq!(rhs.rows, k, "matmul: inner sizes");
    lhs.assert_inside(lhs.data.len());
    rhs.assert_inside(rhs.data.len());
    let out = View {
        data: &[],
        at,
        rows: m,
        cols: n,
        rs: dst_rs,
        cs: 1,
    };
    out.assert_inside(dst.len);
    if m == 0 || n == 0 {
        return;
    }
    let parallelism = if m * n * k >= 1 << 16 {
        parallelism
    } else {
        gemm::Parallelism::None
    };
    if k == 0 {
        if !accumulate {
            for i in 0..m {
                // SAFETY: row i of the checked output view.
                unsafe {
                    std::slice::from_raw_parts_mut(dst.ptr.add(at + i * dst_rs), n).fill(0.0)
                };
            }
        }
        return;
    }
    // SAFETY: the three views were checked to lie inside their buffers, the caller guarantees
    // that the output elements are ours alone, and the strides are those the checks used.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.ptr.add(at),
            1,
            dst_rs as isize,
            accumulate,
            lhs.data.as_ptr().add(lhs.at),
            lhs.cs as isize,
            lhs.rs as isize,
            rhs.data.as_ptr().add(rhs.at),
            rhs.cs as isize,
            rhs.rs as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            parallelism,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `x [n, ci, h, w]` into `co` channels with a `k` kernel.
    fn geometry(
        x: [usize; 4],
        co: usize,
        k: [usize; 2],
        stride: [usize; 2],
        pad: [usize; 2],
    ) -> Geometry {
        crate::kernels::layer::Layer::plain(x, [co, x[1], k[0], k[1]], stride, pad).geom
    }

    /// The convolution written out as its definition, for comparison.
    fn direct(g: &Geometry, x: &[f32], w: &[f32]) -> Vec<f32> {
        let [oh, ow] = g.out_hw();
        let mut y = vec![0.0; g.batch * g.out_len()];
        for (b, o, oy, ox) in grid4(g.batch, g.c_out, oh, ow) {
            let mut sum = 0.0;
            for (c, ky, kx) in (0..g.c_in)
                .flat_map(|c| (0..g.kh).flat_map(move |ky| (0..g.kw).map(move |kx| (c, ky, kx))))
            {
                let iy = (oy * g.stride[0] + ky) as isize - g.pad[0] as isize;
                let ix = (ox * g.stride[1] + kx) as isize - g.pad[1] as isize;
                if (0..g.h as isize).contains(&iy) && (0..g.w as isize).contains(&ix) {
                    let xi = ((b * g.c_in + c) * g.h + iy as usize) * g.w + ix as usize;
                    sum += x[xi] * w[((o * g.c_in + c) * g.kh + ky) * g.kw + kx];
                }
            }
            y[((b * g.c_out + o) * oh + oy) * ow + ox] = sum;
        }
        y
    }

    fn grid4(
        a: usize,
        b: usize,
        c: usize,
        d: usize,
    ) -> impl Iterator<Item = (usize, usize, usize, usize)> {
        (0..a).flat_map(move |i| {
            (0..b).flat_map(move |j| (0..c).flat_map(move |k| (0..d).map(move |l| (i, j, k, l))))
        })
    }

    fn values(n: usize, seed: u32) -> Vec<f32> {
        (0..n as u32)
            .map(|i| ((i.wrapping_mul(2654435761) ^ seed) % 1000) as f32 / 500.0 - 1.0)
            .collect()
    }

    fn dot(a: &[f32], b: &[f32]) -> f64 {
        assert_eq!(a.len(), b.len());
        a.iter().zip(b).map(|(a, b)| *a as f64 * *b as f64).sum()
    }

    #[test]
    fn forward_is_the_definition_and_the_gradients_are_its_adjoints() {
        let shapes = [
            geometry([2, 3, 9, 7], 4, [4, 4], [2, 2], [1, 1]),
            geometry([1, 2, 5, 8], 3, [3, 2], [1, 2], [1, 0]),
            geometry([1, 4, 30, 30], 2, [4, 4], [1, 1], [2, 2]),
            // One output channel (computed without the column matrix).
            geometry([2, 5, 9, 8], 1, [4, 4], [1, 1], [1, 1]),
            geometry([1, 3, 10, 7], 1, [4, 3], [2, 2], [1, 0]),
        ];
        for g in shapes {
            let x = values(g.batch * g.in_len(), 1);
            let w = values(g.c_out * g.taps(), 2);
            let y = forward(&g, &x, &w, None);
            let expected = direct(&g, &x, &w);
            assert_eq!(y.len(), expected.len());
            let worst = y
                .iter()
                .zip(&expected)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f32::max);
            assert!(worst < 1e-4, "{g:?}: forward off by {worst}");
            // ⟨dY, conv(x, W)⟩ = ⟨input_grad(dY), x⟩ = ⟨weight_grad(x, dY), W⟩.
            let dy = values(y.len(), 3);
            let lhs = dot(&dy, &y);
            let dx = input_grad(&g, &dy, &w, None);
            let via_x = dot(&dx, &x);
            let via_w = dot(&weight_grad(&g, &x, &dy), &w);
            assert!(
                (lhs - via_x).abs() < 1e-3 * lhs.abs().max(1.0),
                "{g:?}: input gradient {via_x} vs {lhs}"
            );
            assert!(
                (lhs - via_w).abs() < 1e-3 * lhs.abs().max(1.0),
                "{g:?}: weight gradient {via_w} vs {lhs}"
            );
            // A bias starts every value of its channel (of the output, or of a transposed
            // convolution's output, the input gradient here).
            let out_bias = values(g.c_out, 4);
            let in_bias = values(g.c_in, 5);
            let y_b = forward(&g, &x, &w, Some(&out_bias));
            let dx_b = input_grad(&g, &dy, &w, Some(&in_bias));
            for (plain, biased, bias) in [(&y, &y_b, &out_bias), (&dx, &dx_b, &in_bias)] {
                assert_eq!(plain.len(), biased.len());
                let plane = plain.len() / g.batch / bias.len();
                for (i, (a, b)) in plain.iter().zip(biased.iter()).enumerate() {
                    let expected = a + bias[i / plane % bias.len()];
                    assert!(
                        (b - expected).abs() < 1e-5,
                        "{g:?}: value {i} is {b}, not {expected}"
                    );
                }
            }
        }
    }

    #[test]
    fn blocks_cover_every_position_once() {
        let g = geometry([2, 64, 64, 64], 8, [4, 4], [2, 2], [1, 1]);
        for (threads, bytes) in [
            (1, BLOCK_BYTES),
            (2, BLOCK_BYTES),
            (3, 1 << 16),
            (1, BIG_BLOCK_BYTES),
        ] {
            let blocks = blocks(&g, threads, bytes);
            let covered: Vec<(usize, usize)> = blocks
                .iter()
                .flat_map(|b| (b.p0..b.p1).map(move |p| (b.b, p)))
                .collect();
            let all: Vec<(usize, usize)> = (0..2)
                .flat_map(|b| (0..g.positions()).map(move |p| (b, p)))
                .collect();
            assert_eq!(covered, all, "threads {threads}, {bytes} bytes");
        }
    }

    #[test]
    fn bias_fills_each_channel_and_its_gradient_sums_per_channel() {
        let y = start(2, 3, 4, Some(&[0.5, -1.0, 2.0]));
        assert_eq!(y.len(), 24);
        assert_eq!(
            &y[..12],
            &[
                0.5, 0.5, 0.5, 0.5, -1.0, -1.0, -1.0, -1.0, 2.0, 2.0, 2.0, 2.0
            ]
        );
        assert_eq!(&y[12..], &y[..12].to_vec()[..]);
        assert_eq!(bias_grad(&y, 3, 4), vec![4.0, -8.0, 16.0]);
        assert_eq!(start(1, 2, 3, None), vec![0.0; 6]);
    }
}
