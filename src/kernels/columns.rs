//! A convolution as its input's columns and one matrix product per sample, written with tensor
//! operations only, so that it runs and differentiates on any device. It is for GPUs where the
//! backend's own convolution has no matrix-product form for the data type: on Burn's wgpu backend
//! with f32 data, autotune can only pick a direct kernel for a dense convolution's forward pass,
//! and that kernel took 65 % of a training step's GPU time on an H200 (docs/speed.md). Chosen
//! with `FACADE_GPU_CONV=columns` only: on the H200 with WGSL and f32 it measured 3.8× slower
//! than the direct kernel at batch 16 (docs/speed.md); it is kept for the f16 / SPIR-V
//! measurement, where the matrix products can use tensor cores.
//!
//! Kernel launches count on a GPU (wgpu spends tens of microseconds on each), so the columns are
//! built from views: a stride-2 convolution with an even kernel becomes a stride-1 one on the
//! space-to-depth input (one copy), and the stride-1 taps are unstrided slices (views) joined by
//! one concatenation along the channels; the weight is rearranged to the same tap-major order.

use burn::prelude::*;
use burn::tensor::ops::PadMode;
use burn::tensor::s;

/// `x [n, c, h, w]` convolved with `weight [co, c, kh, kw]` (groups 1, dilation 1).
pub fn conv2d(
    x: Tensor<4>,
    weight: Tensor<4>,
    bias: Option<Tensor<1>>,
    stride: [usize; 2],
    pad: [usize; 2],
) -> Tensor<4> {
    let [_, c, _, _] = x.dims();
    let [_, ci, _, _] = weight.dims();
    assert_eq!(c, ci, "input channels and the weight's differ");
    let x = match pad {
        [0, 0] => x,
        [py, px] => x.pad((px, px, py, py), PadMode::Constant(0.0)),
    };
    match stride {
        [2, 2] if folds_evenly(&x, &weight) => {
            taps(space_to_depth(x), fold_weight(weight), bias, [1, 1])
        }
        _ => taps(x, weight, bias, stride),
    }
}

/// Whether a stride-2 convolution of the padded `x` folds into a stride-1 one: even kernel and
/// even padded size.
fn folds_evenly(x: &Tensor<4>, weight: &Tensor<4>) -> bool {
    let [_, _, h, w] = x.dims();
    let [_, _, kh, kw] = weight.dims();
    [h, w, kh, kw].iter().all(|d| d % 2 == 0)
}

/// `[n, c, 2h, 2w]` → `[n, 4c, h, w]`, channel `c·4 + 2p + q` holding pixels `(2u + p, 2v + q)`.
fn space_to_depth(x: Tensor<4>) -> Tensor<4> {
    let [n, c, h, w] = x.dims();
    x.reshape([n, c, h / 2, 2, w / 2, 2])
        .permute([0, 1, 3, 5, 2, 4])
        .reshape([n, c * 4, h / 2, w / 2])
}

/// The stride-2 weight `[co, c, 2a + p, 2b + q]` as the stride-1 weight of the space-to-depth
/// input, `[co, c·4 + 2p + q, a, b]`.
fn fold_weight(weight: Tensor<4>) -> Tensor<4> {
    let [co, c, kh, kw] = weight.dims();
    weight
        .reshape([co, c, kh / 2, 2, kw / 2, 2])
        .permute([0, 1, 3, 5, 2, 4])
        .reshape([co, c * 4, kh / 2, kw / 2])
}

/// The convolution of the (already padded) `x` as one matrix product with its columns: a slice
/// per tap (a view at stride 1, a copy otherwise), one concatenation along the channels.
fn taps(x: Tensor<4>, weight: Tensor<4>, bias: Option<Tensor<1>>, stride: [usize; 2]) -> Tensor<4> {
    let [n, c, h, w] = x.dims();
    let [co, _, kh, kw] = weight.dims();
    let ho = (h - kh) / stride[0] + 1;
    let wo = (w - kw) / stride[1] + 1;
    let (sy, sx) = (stride[0] as isize, stride[1] as isize);
    let taps = (0..kh * kw)
        .map(|t| {
            let (ky, kx) = (t / kw, t % kw);
            let rows = ky..ky + stride[0] * (ho - 1) + 1;
            let cols = kx..kx + stride[1] * (wo - 1) + 1;
            match stride {
                [1, 1] => x.clone().slice(s![.., .., rows, cols]),
                _ => x.clone().slice(s![.., .., rows; sy, cols; sx]),
            }
        })
        .collect();
    // Column row t·c + channel: tap-major, so the weight goes to [co, kh, kw, c].
    let columns = Tensor::cat(taps, 1).reshape([n, kh * kw * c, ho * wo]);
    let weight = weight.permute([0, 2, 3, 1]).reshape([co, kh * kw * c]);
    product(weight, columns, bias).reshape([n, co, ho, wo])
}

/// `weight [co, k]` times every sample's `columns [n, k, l]`, plus the bias: `[n, co, l]`.
fn product(weight: Tensor<2>, columns: Tensor<3>, bias: Option<Tensor<1>>) -> Tensor<3> {
    let [n, k, _] = columns.dims();
    let [co, _] = weight.dims();
    let y = weight
        .reshape([1, co, k])
        .expand([n, co, k])
        .matmul(columns);
    match bias {
        Some(b) => y + b.reshape([1, co, 1]),
        None => y,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Distribution;
    use burn::tensor::module::conv2d as burn_conv2d;
    use burn::tensor::ops::ConvOptions;

    fn random<const D: usize>(shape: [usize; D], device: &Device) -> Tensor<D> {
        Tensor::random(shape, Distribution::Normal(0.0, 1.0), device)
    }

    /// Largest difference relative to the reference's largest magnitude (at least 1).
    fn rel_diff<const D: usize>(ours: Tensor<D>, reference: Tensor<D>) -> f32 {
        assert_eq!(ours.dims(), reference.dims(), "shapes differ");
        let scale = reference.clone().abs().max().into_scalar::<f32>().max(1.0);
        (ours - reference).abs().max().into_scalar::<f32>() / scale
    }

    /// Output and the gradients of input, weight and bias against Burn's convolution, for the
    /// model's layer shapes: 4×4 stride 2 (encoder, discriminator), 4×4 stride 1 (discriminator),
    /// 2×2 stride 1 padding 1 (the decoder's phase convolution), odd sizes, batch 2.
    #[test]
    fn matches_burns_convolution_forward_and_backward() {
        let device = Device::flex().autodiff();
        // [n, c, h, w], co, [k, stride, pad]
        let cases = [
            ([2, 3, 16, 12], 5, [4, 2, 1]),
            ([1, 4, 9, 11], 3, [4, 1, 1]),
            ([2, 6, 8, 8], 8, [2, 1, 1]),
            ([1, 2, 7, 5], 1, [3, 1, 0]),
            ([1, 3, 9, 7], 2, [3, 2, 1]),
            ([2, 5, 6, 10], 4, [4, 2, 0]),
        ];
        for (shape, co, [k, stride, pad]) in cases {
            let (x, w, b) = (
                random(shape, &device),
                random([co, shape[1], k, k], &device),
                random([co], &device),
            );
            let leaves = || {
                (
                    x.clone().require_grad(),
                    w.clone().require_grad(),
                    b.clone().require_grad(),
                )
            };
            let ((x1, w1, b1), (x2, w2, b2)) = (leaves(), leaves());
            let ours = conv2d(
                x1.clone(),
                w1.clone(),
                Some(b1.clone()),
                [stride; 2],
                [pad; 2],
            );
            let options = ConvOptions::new([stride; 2], [pad; 2], [1, 1], 1);
            let reference = burn_conv2d(x2.clone(), w2.clone(), Some(b2.clone()), options);
            let case = format!("{shape:?} k{k} s{stride} p{pad}");
            assert!(rel_diff(ours.clone(), reference.clone()) < 1e-5, "{case}");
            let r = random(ours.dims(), &device);
            let g1 = (ours * r.clone()).sum().backward();
            let g2 = (reference * r).sum().backward();
            let diffs = [
                ("dx", rel_diff(x1.grad(&g1).unwrap(), x2.grad(&g2).unwrap())),
                ("dw", rel_diff(w1.grad(&g1).unwrap(), w2.grad(&g2).unwrap())),
                ("db", rel_diff(b1.grad(&g1).unwrap(), b2.grad(&g2).unwrap())),
            ];
            for (name, d) in diffs {
                assert!(d < 1e-5, "{case}: {name} differs by {d}");
            }
        }
    }
}
