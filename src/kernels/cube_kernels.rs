//! The GPU kernels of our own, in CubeCL: a convolution's forward pass as a tiled matrix product
//! ([`super::tiled`]; the tile sizes — 64 positions × 64 output channels × 16 deep, 16 × 16
//! units of 4 × 4 values — are written out as numbers here and match `tiled.rs`'s constants), and
//! the decoder's phase interleaving and its adjoint ([`super::phases`]).

use burn::backend::wgpu::CubeTensor;
use burn::tensor::Shape;
use cubecl::prelude::*;

/// A new contiguous tensor of `shape` on `like`'s device, with its float type: a kernel's output.
pub fn empty_like(like: &CubeTensor, shape: Shape) -> CubeTensor {
    let client = like.client.clone();
    let handle = client.empty(shape.num_elements() * like.dtype.size());
    CubeTensor::new_contiguous(client, like.device.clone(), shape, handle, like.dtype)
}

/// The launch of a kernel with one unit per value, `total` of them, writing a tensor like
/// `like`: its cubes, their size and the float type to compile it for.
pub fn one_unit_per_value(like: &CubeTensor, total: usize) -> (CubeCount, CubeDim, ElemType) {
    let dim = CubeDim::new(&like.client, total);
    let cubes = cubecl::calculate_cube_count_elemwise(&like.client, total, dim);
    (
        cubes,
        dim,
        burn::backend::cubecl::dtype_to_elem_type(like.dtype),
    )
}

/// One cube: the output tile of positions `CUBE_POS_X · 64 ..` and channels `CUBE_POS_Y · 64 ..`.
/// Unit (tx, ty) accumulates positions `tx + 16 i` and channels `ty + 16 j` (i, j < 4), so that
/// neighbouring units read neighbouring shared-memory values and write neighbouring outputs.
#[cube(launch)]
pub fn tiled_conv2d_kernel<F: Float>(
    x: &Tensor<F>,
    w: &Tensor<F>,
    bias: &Tensor<F>,
    out: &mut Tensor<F>,
    stride: usize,
    pad: usize,
    #[define(F)] _dtype: ElemType,
) {
    let tx = UNIT_POS_X as usize;
    let ty = UNIT_POS_Y as usize;
    let unit = ty * 16 + tx;
    let m0 = CUBE_POS_X as usize * 64;
    let c0 = CUBE_POS_Y as usize * 64;

    let (cin, h, wid) = (x.shape(1), x.shape(2), x.shape(3));
    let (cout, kh, kw) = (w.shape(0), w.shape(2), w.shape(3));
    let (oh, ow) = (out.shape(2), out.shape(3));
    let plane = oh * ow;
    let m_total = out.shape(0) * plane;
    let taps = kh * kw;
    let k_total = cin * taps;

    let mut a_tile = Shared::<[F]>::new_slice(1024usize);
    let mut b_tile = Shared::<[F]>::new_slice(1024usize);
    let mut acc = Array::<F>::new(16usize);
    #[unroll]
    for i in 0..16usize {
        acc[i] = F::new(0.0);
    }

    // The sum runs over k = (ky · kw + kx) · cin + ci, the kernel tap outermost. Each unit keeps
    // the (ci, kx, ky) of the depth it loads next as counters moved on by additions: no division
    // in the loop. Depth k is inside the sum while ky < kh.
    // Columns: this unit loads position m0 + unit % 64 at depths unit / 64 + 4 i of each step.
    let load_m = m0 + unit % 64;
    let load_ok = load_m < m_total;
    let sample = load_m / plane;
    let in_plane = load_m % plane;
    let y0 = (in_plane / ow * stride) as i32 - pad as i32;
    let x0 = (in_plane % ow * stride) as i32 - pad as i32;
    let x_base = sample * x.stride(0);
    let (mut a_ci, mut a_kx, mut a_ky) = advance(0usize, 0usize, 0usize, unit / 64, cin, kw);
    // Weights: this unit loads depth unit % 16 of each step, for channels unit / 16 + 16 j.
    let load_k = unit % 16;
    let (mut b_ci, mut b_kx, mut b_ky) = advance(0usize, 0usize, 0usize, load_k, cin, kw);

    let mut k0 = 0usize;
    while k0 < k_total {
        #[unroll]
        for i in 0..4usize {
            let mut v = F::new(0.0);
            let iy = y0 + a_ky as i32;
            let ix = x0 + a_kx as i32;
            if load_ok
                && a_ky < kh
                && iy >= 0
                && ix >= 0
                && (iy as usize) < h
                && (ix as usize) < wid
            {
                v = x[x_base
                    + a_ci * x.stride(1)
                    + iy as usize * x.stride(2)
                    + ix as usize * x.stride(3)];
            }
            a_tile[(unit / 64 + 4 * i) * 64 + unit % 64] = v;
            let (ci, kx, ky) = advance(a_ci, a_kx, a_ky, 4usize, cin, kw);
            a_ci = ci;
            a_kx = kx;
            a_ky = ky;
        }
        let w_base = b_ci * w.stride(1) + b_ky * w.stride(2) + b_kx * w.stride(3);
        #[unroll]
        for j in 0..4usize {
            let nn = unit / 16 + 16 * j;
            let co = c0 + nn;
            let mut v = F::new(0.0);
            if co < cout && b_ky < kh {
                v = w[co * w.stride(0) + w_base];
            }
            b_tile[load_k * 64 + nn] = v;
        }
        let (ci, kx, ky) = advance(b_ci, b_kx, b_ky, 16usize, cin, kw);
        b_ci = ci;
        b_kx = kx;
        b_ky = ky;
        sync_cube();

        multiply_tiles(&a_tile, &b_tile, &mut acc, tx, ty);
        sync_cube();
        k0 += 16;
    }

    #[unroll]
    for i in 0..4usize {
        let m = m0 + tx + 16 * i;
        if m < m_total {
            let sample = m / plane;
            let in_plane = m % plane;
            #[unroll]
            for j in 0..4usize {
                let co = c0 + ty + 16 * j;
                if co < cout {
                    out[(sample * cout + co) * plane + in_plane] = acc[i * 4 + j] + bias[co];
                }
            }
        }
    }
}

/// One 16-deep step of a tiled product: `acc[4 i + j] += a[d][ra + 16 i] · b[d][rb + 16 j]` over
/// the depths d of the two 16 × 64 tiles in shared memory (rows `ra + 16 i` of the first operand,
/// `rb + 16 j` of the second: the unit's 4 × 4 values).
#[cube]
fn multiply_tiles<F: Float>(
    a_tile: &Shared<[F]>,
    b_tile: &Shared<[F]>,
    acc: &mut Array<F>,
    ra: usize,
    rb: usize,
) {
    #[unroll]
    for d in 0..16usize {
        let mut a = Array::<F>::new(4usize);
        let mut b = Array::<F>::new(4usize);
        #[unroll]
        for i in 0..4usize {
            a[i] = a_tile[d * 64 + ra + 16 * i];
            b[i] = b_tile[d * 64 + rb + 16 * i];
        }
        #[unroll]
        for i in 0..4usize {
            #[unroll]
            for j in 0..4usize {
                acc[i * 4 + j] += a[i] * b[j];
            }
        }
    }
}

/// The depth `by` further on from (ci, kx, ky) in the order of the sum (input channel fastest,
/// then kernel column, then kernel row).
#[cube]
fn advance(
    ci: usize,
    kx: usize,
    ky: usize,
    by: usize,
    cin: usize,
    kw: usize,
) -> (usize, usize, usize) {
    let mut ci = ci + by;
    let mut kx = kx;
    let mut ky = ky;
    while ci >= cin {
        ci -= cin;
        kx += 1;
        if kx == kw {
            kx = 0;
            ky += 1;
        }
    }
    (ci, kx, ky)
}

/// `out [n, co, 2h, 2w]` from the phase convolution's `y [n, 4·co, h + 1, w + 1]`: output
/// (2y + a, 2x + b) of channel o is phase (a, b)'s value at (y + a, x + b). One unit per output.
#[cube(launch)]
pub fn interleave_phases_kernel<F: Float>(
    y: &Tensor<F>,
    out: &mut Tensor<F>,
    #[define(F)] _dtype: ElemType,
) {
    let (co, oh, ow) = (out.shape(1), out.shape(2), out.shape(3));
    let total = out.shape(0) * co * oh * ow;
    let i = ABSOLUTE_POS;
    if i < total {
        let ox = i % ow;
        let oy = i / ow % oh;
        let o = i / (ow * oh) % co;
        let sample = i / (ow * oh * co);
        let (a, b) = (oy % 2, ox % 2);
        let channel = 4 * o + 2 * a + b;
        out[i] = y[sample * y.stride(0)
            + channel * y.stride(1)
            + (oy / 2 + a) * y.stride(2)
            + (ox / 2 + b) * y.stride(3)];
    }
}

/// The adjoint of [`interleave_phases_kernel`]: `out [n, 4·co, h + 1, w + 1]` from
/// `g [n, co, 2h, 2w]`, each phase's value at (py, px) the interleaved value it went to, zero
/// where it went nowhere (the phase's row or column outside the picture).
#[cube(launch)]
pub fn deinterleave_phases_kernel<F: Float>(
    g: &Tensor<F>,
    out: &mut Tensor<F>,
    #[define(F)] _dtype: ElemType,
) {
    let (channels, ph, pw) = (out.shape(1), out.shape(2), out.shape(3));
    let (h, w) = (ph - 1, pw - 1);
    let total = out.shape(0) * channels * ph * pw;
    let i = ABSOLUTE_POS;
    if i < total {
        let px = i % pw;
        let py = i / pw % ph;
        let channel = i / (pw * ph) % channels;
        let sample = i / (pw * ph * channels);
        let (o, a, b) = (channel / 4, channel / 2 % 2, channel % 2);
        let mut v = F::new(0.0);
        if py >= a && px >= b && py - a < h && px - b < w {
            v = g[sample * g.stride(0)
                + o * g.stride(1)
                + (2 * (py - a) + a) * g.stride(2)
                + (2 * (px - b) + b) * g.stride(3)];
        }
        out[i] = v;
    }
}

/// Normalisation of `x [n, c, h, w]` in one launch: one cube of 256 units per channel of each
/// sample (`per_sample`) or per channel over the batch, summing values and squares through
/// shared memory, then writing `(x − mean) / √(var + eps) · gamma + beta` to `out` (through
/// its strides: any layout). The variance is E[x²] − mean², as the tensor-operation form computes it.
#[cube(launch)]
pub fn norm_kernel<F: Float>(
    x: &Tensor<F>,
    gamma: &Tensor<F>,
    beta: &Tensor<F>,
    out: &mut Tensor<F>,
    eps: f32,
    #[comptime] per_sample: bool,
    #[define(F)] _dtype: ElemType,
) {
    let row = norm_row(x, per_sample);
    let (mean, inv) = norm_stats(x, &row, eps);
    let scale = gamma[row.channel] * inv;
    let shift = beta[row.channel] - mean * scale;
    let (s0, s1, s2, s3) = (out.stride(0), out.stride(1), out.stride(2), out.stride(3));
    let mut j = UNIT_POS as usize;
    while j < row.count {
        out[row.at(s0, s1, s2, s3, j)] = x[row.index(x, j)] * scale + shift;
        j += 256;
    }
}

/// The normalisation's backward pass in one launch, a cube per statistics group as
/// [`norm_kernel`]: the statistics again, then the sums of `dy` and of `dy · x̂` (written per
/// group to `sum_dy` and `sum_dy_xhat`, from which the caller adds up the scale's and the
/// shift's gradients), then `dx = γ/σ · (dy − mean(dy) − x̂ · mean(dy · x̂))` to `dx`.
#[allow(clippy::too_many_arguments)]
#[cube(launch)]
pub fn norm_backward_kernel<F: Float>(
    x: &Tensor<F>,
    gamma: &Tensor<F>,
    dy: &Tensor<F>,
    dx: &mut Tensor<F>,
    sum_dy: &mut Tensor<F>,
    sum_dy_xhat: &mut Tensor<F>,
    eps: f32,
    #[comptime] per_sample: bool,
    #[define(F)] _dtype: ElemType,
) {
    let row = norm_row(x, per_sample);
    let (mean, inv) = norm_stats(x, &row, eps);
    let unit = UNIT_POS as usize;
    let mut d_sum = F::new(0.0);
    let mut dxhat_sum = F::new(0.0);
    let mut i = unit;
    while i < row.count {
        let d = dy[row.index(dy, i)];
        d_sum += d;
        dxhat_sum += d * (x[row.index(x, i)] - mean) * inv;
        i += 256;
    }
    let (d_total, dxhat_total) = cube_sums::<F>(d_sum, dxhat_sum, unit);
    if unit == 0 {
        sum_dy[CUBE_POS] = d_total;
        sum_dy_xhat[CUBE_POS] = dxhat_total;
    }
    let count: usize = row.count;
    let n = F::cast_from(count as u32);
    let (mean_d, mean_dxhat) = (d_total / n, dxhat_total / n);
    let k = gamma[row.channel] * inv;
    let (s0, s1, s2, s3) = (dx.stride(0), dx.stride(1), dx.stride(2), dx.stride(3));
    let mut j = unit;
    while j < row.count {
        let xhat = (x[row.index(x, j)] - mean) * inv;
        dx[row.at(s0, s1, s2, s3, j)] = k * (dy[row.index(dy, j)] - mean_d - xhat * mean_dxhat);
        j += 256;
    }
}

/// The statistics group a cube of the normalisation kernels works on: channel `channel` of
/// samples `first ..` (`count` values in all, planes of `plane` values `width` wide).
#[derive(CubeType, Clone, Copy)]
pub struct NormRow {
    first: usize,
    channel: usize,
    plane: usize,
    width: usize,
    count: usize,
}

#[cube]
impl NormRow {
    /// Where value `j` of the group lies in `t` (through its strides).
    fn index<F: Float>(&self, t: &Tensor<F>, j: usize) -> usize {
        self.at(t.stride(0), t.stride(1), t.stride(2), t.stride(3), j)
    }

    /// Where value `j` of the group lies in a tensor of strides `s0 .. s3`.
    fn at(&self, s0: usize, s1: usize, s2: usize, s3: usize, j: usize) -> usize {
        let p = j % self.plane;
        (self.first + j / self.plane) * s0
            + self.channel * s1
            + p / self.width * s2
            + p % self.width * s3
    }
}

/// This cube's statistics group in `x [n, c, h, w]`: cube `CUBE_POS` is channel `CUBE_POS % c`
/// of sample `CUBE_POS / c` (`per_sample`) or channel `CUBE_POS` of every sample.
#[cube]
fn norm_row<F: Float>(x: &Tensor<F>, #[comptime] per_sample: bool) -> NormRow {
    let channels = x.shape(1);
    let width = x.shape(3);
    let plane = x.shape(2) * width;
    let row = CUBE_POS;
    let mut first = 0usize;
    let mut samples = x.shape(0);
    let mut channel = row;
    if per_sample {
        first = row / channels;
        samples = 1usize;
        channel = row % channels;
    }
    NormRow {
        first,
        channel,
        plane,
        width,
        count: samples * plane,
    }
}

/// The group's mean and 1 / √(var + eps), var = E[x²] − mean² (at least 0).
#[cube]
fn norm_stats<F: Float>(x: &Tensor<F>, row: &NormRow, eps: f32) -> (F, F) {
    let unit = UNIT_POS as usize;
    let mut sum = F::new(0.0);
    let mut squares = F::new(0.0);
    let mut i = unit;
    while i < row.count {
        let v = x[row.index(x, i)];
        sum += v;
        squares += v * v;
        i += 256;
    }
    let (total, total_sq) = cube_sums::<F>(sum, squares, unit);
    let count: usize = row.count;
    let n = F::cast_from(count as u32);
    let mean = total / n;
    let var = F::max(total_sq / n - mean * mean, F::new(0.0));
    (mean, F::new(1.0) / F::sqrt(var + F::cast_from(eps)))
}

/// The sums of `a` and of `b` over the cube's 256 units (through shared memory), for every unit.
#[cube]
fn cube_sums<F: Float>(a: F, b: F, unit: usize) -> (F, F) {
    let mut sums_a = Shared::<[F]>::new_slice(256usize);
    let mut sums_b = Shared::<[F]>::new_slice(256usize);
    sums_a[unit] = a;
    sums_b[unit] = b;
    sync_cube();
    let mut half = 128usize;
    while half > 0 {
        if unit < half {
            let (other_a, other_b) = (sums_a[unit + half], sums_b[unit + half]);
            sums_a[unit] += other_a;
            sums_b[unit] += other_b;
        }
        sync_cube();
        half /= 2;
    }
    (sums_a[0], sums_b[0])
}

/// The weight gradient of a convolution as a tiled matrix product: `out [splits, co, k]` (k =
/// input channel × kernel row × kernel column, the weight's own order), each split summing
/// `dy[co, m] · x_col[k, m]` over its `chunk` of the positions m = (sample, output row, output
/// column). A cube of 16 × 16 units computes 64 channels × 64 depths, each unit 4 × 4 values;
/// 16 positions at a time of `dy` and of the input's columns go through shared memory. Each unit
/// loads one position (its counters moved on by additions) and four depths (found once).
#[cube(launch)]
pub fn tiled_weight_grad_kernel<F: Float>(
    x: &Tensor<F>,
    dy: &Tensor<F>,
    out: &mut Tensor<F>,
    kernel: usize,
    stride: usize,
    pad: usize,
    chunk: usize,
    #[define(F)] _dtype: ElemType,
) {
    let tx = UNIT_POS_X as usize;
    let ty = UNIT_POS_Y as usize;
    let unit = ty * 16 + tx;
    let k0 = CUBE_POS_X as usize * 64;
    let c0 = CUBE_POS_Y as usize * 64;
    let split = CUBE_POS_Z as usize;

    let (cin, h, wid) = (x.shape(1), x.shape(2), x.shape(3));
    let (cout, oh, ow) = (dy.shape(1), dy.shape(2), dy.shape(3));
    let plane = oh * ow;
    let m_total = dy.shape(0) * plane;
    let taps = kernel * kernel;
    let k_total = cin * taps;
    let m_start = split * chunk;
    let mut m_end = m_start + chunk;
    if m_end > m_total {
        m_end = m_total;
    }

    // The four depths this unit loads the columns of: k0 + unit / 16 + 16 j.
    let mut load_ci = Array::<usize>::new(4usize);
    let mut load_ky = Array::<usize>::new(4usize);
    let mut load_kx = Array::<usize>::new(4usize);
    #[unroll]
    for j in 0..4usize {
        let k = k0 + unit / 16 + 16 * j;
        load_ci[j] = k / taps;
        load_ky[j] = k % taps / kernel;
        load_kx[j] = k % kernel;
    }
    // The position it loads: m_start + unit % 16, then 16 further at each step.
    let lane = unit % 16;
    let first = m_start + lane;
    let mut sample = first / plane;
    let mut oy = first % plane / ow;
    let mut ox = first % ow;

    let mut a_tile = Shared::<[F]>::new_slice(1024usize);
    let mut b_tile = Shared::<[F]>::new_slice(1024usize);
    let mut acc = Array::<F>::new(16usize);
    #[unroll]
    for i in 0..16usize {
        acc[i] = F::new(0.0);
    }

    let mut m0 = m_start;
    while m0 < m_end {
        let inside = m0 + lane < m_end;
        #[unroll]
        for i in 0..4usize {
            let co = c0 + unit / 16 + 16 * i;
            let mut v = F::new(0.0);
            if inside && co < cout {
                v = dy[sample * dy.stride(0)
                    + co * dy.stride(1)
                    + oy * dy.stride(2)
                    + ox * dy.stride(3)];
            }
            a_tile[lane * 64 + unit / 16 + 16 * i] = v;
        }
        let y0 = (oy * stride) as i32 - pad as i32;
        let x0 = (ox * stride) as i32 - pad as i32;
        #[unroll]
        for j in 0..4usize {
            let kk = unit / 16 + 16 * j;
            let iy = y0 + load_ky[j] as i32;
            let ix = x0 + load_kx[j] as i32;
            let mut v = F::new(0.0);
            if inside
                && k0 + kk < k_total
                && iy >= 0
                && ix >= 0
                && (iy as usize) < h
                && (ix as usize) < wid
            {
                v = x[sample * x.stride(0)
                    + load_ci[j] * x.stride(1)
                    + iy as usize * x.stride(2)
                    + ix as usize * x.stride(3)];
            }
            b_tile[lane * 64 + kk] = v;
        }
        sync_cube();

        multiply_tiles(&a_tile, &b_tile, &mut acc, ty, tx);
        sync_cube();
        m0 += 16;
        ox += 16;
        while ox >= ow {
            ox -= ow;
            oy += 1;
            if oy == oh {
                oy = 0;
                sample += 1;
            }
        }
    }

    #[unroll]
    for i in 0..4usize {
        let co = c0 + ty + 16 * i;
        #[unroll]
        for j in 0..4usize {
            let k = k0 + tx + 16 * j;
            if co < cout && k < k_total {
                out[(split * cout + co) * k_total + k] = acc[i * 4 + j];
            }
        }
    }
}

/// Adam's update of one flattened parameter, one unit per weight (the rule: [`super::adam`]):
/// the new weights and moments into `w_out`, `m_out` and `v_out`. A unit whose new weight is NaN
/// or infinite also writes it to `check[0]`; every unit that writes there writes a non-finite
/// value, so which one lands does not matter.
#[allow(clippy::too_many_arguments)]
#[cube(launch)]
pub fn adam_kernel<F: Float>(
    w: &Tensor<F>,
    g: &Tensor<F>,
    m: &Tensor<F>,
    v: &Tensor<F>,
    w_out: &mut Tensor<F>,
    m_out: &mut Tensor<F>,
    v_out: &mut Tensor<F>,
    check: &mut Tensor<F>,
    lr: f32,
    b1: f32,
    b2: f32,
    c1: f32,
    c2: f32,
    eps: f32,
    #[define(F)] _dtype: ElemType,
) {
    let i = ABSOLUTE_POS;
    if i < w_out.shape(0) {
        let grad = g[i * g.stride(0)];
        let m_new = F::cast_from(b1) * m[i * m.stride(0)] + F::cast_from(1.0 - b1) * grad;
        let v_new = F::cast_from(b2) * v[i * v.stride(0)] + F::cast_from(1.0 - b2) * grad * grad;
        let step = F::cast_from(lr) * (m_new / F::cast_from(c1))
            / (F::sqrt(v_new / F::cast_from(c2)) + F::cast_from(eps));
        let w_new = w[i * w.stride(0)] - step;
        w_out[i] = w_new;
        m_out[i] = m_new;
        v_out[i] = v_new;
        let as_f32 = f32::cast_from(w_new);
        if as_f32.is_nan() || as_f32.is_inf() {
            check[0] = w_new;
        }
    }
}

/// `x [n, c, h, w]` (any strides) copied into the contiguous `out [n, h, w, c]`: channels-last
/// storage ([`super::layout`]). One unit per value.
#[cube(launch)]
pub fn channels_last_kernel<F: Float>(
    x: &Tensor<F>,
    out: &mut Tensor<F>,
    #[define(F)] _dtype: ElemType,
) {
    let (h, w, c) = (out.shape(1), out.shape(2), out.shape(3));
    let i = ABSOLUTE_POS;
    if i < out.shape(0) * h * w * c {
        let channel = i % c;
        let column = i / c % w;
        let row = i / (c * w) % h;
        let sample = i / (c * w * h);
        out[i] = x[sample * x.stride(0)
            + channel * x.stride(1)
            + row * x.stride(2)
            + column * x.stride(3)];
    }
}
