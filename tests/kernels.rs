//! The CPU convolution kernels against Burn's stock convolutions on random inputs: the output and
//! the gradients of input, weight and bias, for the layer shapes the model uses and a few others.

use burn::prelude::*;
use burn::tensor::Distribution;
use burn::tensor::module::{conv_transpose2d, conv2d};
use burn::tensor::ops::{ConvOptions, ConvTransposeOptions};
use facade_studio::kernels::{self, Path};

/// One layer to compare: input `[n, ci, h, w]`, `co` outputs, `k`×`k` kernel, stride, padding.
#[derive(Debug, Clone, Copy)]
struct Case {
    n: usize,
    ci: usize,
    h: usize,
    w: usize,
    co: usize,
    k: usize,
    stride: usize,
    pad: usize,
    bias: bool,
}

const fn case(n: usize, ci: usize, hw: [usize; 2], co: usize, ksp: [usize; 3], bias: bool) -> Case {
    Case {
        n,
        ci,
        h: hw[0],
        w: hw[1],
        co,
        k: ksp[0],
        stride: ksp[1],
        pad: ksp[2],
        bias,
    }
}

const CASES: [Case; 10] = [
    case(1, 3, [16, 16], 8, [4, 2, 1], true), // the generator's first layer
    case(2, 6, [13, 9], 5, [4, 2, 1], false), // odd sizes, batch 2, no bias
    case(1, 16, [2, 2], 16, [4, 2, 1], false), // the bottleneck: every tap but a few in the padding
    case(1, 8, [11, 12], 4, [4, 1, 1], true), // the discriminator's stride-1 layers
    case(2, 4, [10, 10], 7, [3, 1, 1], true), // a 3×3 layer
    case(1, 5, [9, 7], 3, [1, 1, 0], true),   // 1×1
    case(1, 2, [40, 70], 3, [4, 2, 1], true), // blocks in parallel
    case(1, 128, [66, 66], 4, [4, 2, 1], true), // the input gradient in several column blocks
    case(2, 6, [11, 9], 1, [4, 1, 1], true),  // the discriminator's head: one output channel
    case(1, 3, [10, 7], 1, [4, 2, 1], false), // one channel at stride 2
];

fn random<const D: usize>(shape: [usize; D], device: &Device) -> Tensor<D> {
    Tensor::random(shape, Distribution::Normal(0.0, 1.0), device)
}

/// Largest difference relative to the reference's largest magnitude (at least 1).
fn rel_diff<const D: usize>(ours: Tensor<D>, stock: Tensor<D>) -> f32 {
    assert_eq!(ours.dims(), stock.dims(), "shapes differ");
    let scale = stock.clone().abs().max().into_scalar::<f32>().max(1.0);
    (ours - stock).abs().max().into_scalar::<f32>() / scale
}

/// Runs `ours` and `stock` on the same leaves, compares the outputs and every gradient.
fn compare(
    c: Case,
    weight_shape: [usize; 4],
    bias_len: usize,
    ours: impl Fn(Tensor<4>, Tensor<4>, Option<Tensor<1>>) -> Tensor<4>,
    stock: impl Fn(Tensor<4>, Tensor<4>, Option<Tensor<1>>) -> Tensor<4>,
) {
    let device = Device::flex().autodiff();
    let x = random([c.n, c.ci, c.h, c.w], &device);
    let w = random(weight_shape, &device);
    let b = c.bias.then(|| random([bias_len], &device));
    assert_eq!(
        kernels::path(&x, &w),
        Path::FastAutodiff,
        "{c:?}: the kernels must run"
    );
    assert_eq!(
        kernels::path(&x.clone().inner(), &w.clone().inner()),
        Path::Fast
    );

    let leaves = || {
        (
            x.clone().require_grad(),
            w.clone().require_grad(),
            b.clone().map(|b| b.require_grad()),
        )
    };
    let (x1, w1, b1) = leaves();
    let (x2, w2, b2) = leaves();
    let y1 = ours(x1.clone(), w1.clone(), b1.clone());
    let y2 = stock(x2.clone(), w2.clone(), b2.clone());
    assert!(
        rel_diff(y1.clone(), y2.clone()) < 1e-5,
        "{c:?}: outputs differ"
    );
    // The inference path (plain Flex tensors) gives the same output.
    let y0 = ours(
        x.clone().inner(),
        w.clone().inner(),
        b.clone().map(|b| b.inner()),
    );
    assert!(
        rel_diff(y0, y2.clone().inner()) < 1e-5,
        "{c:?}: inference output differs"
    );

    let r = random(y1.dims(), &device);
    let g1 = (y1 * r.clone()).sum().backward();
    let g2 = (y2 * r).sum().backward();
    let dx = rel_diff(x1.grad(&g1).expect("dx"), x2.grad(&g2).expect("stock dx"));
    let dw = rel_diff(w1.grad(&g1).expect("dw"), w2.grad(&g2).expect("stock dw"));
    assert!(dx < 1e-5, "{c:?}: input gradients differ by {dx}");
    assert!(dw < 1e-5, "{c:?}: weight gradients differ by {dw}");
    if let (Some(b1), Some(b2)) = (b1, b2) {
        let db = rel_diff(b1.grad(&g1).expect("db"), b2.grad(&g2).expect("stock db"));
        assert!(db < 1e-5, "{c:?}: bias gradients differ by {db}");
    }
}

#[test]
fn convolutions_match_burns_forward_and_backward() {
    for c in CASES {
        let (s, p) = ([c.stride; 2], [c.pad; 2]);
        compare(
            c,
            [c.co, c.ci, c.k, c.k],
            c.co,
            |x, w, b| kernels::conv2d(x, w, b, s, p),
            |x, w, b| conv2d(x, w, b, ConvOptions::new(s, p, [1, 1], 1)),
        );
    }
}

#[test]
fn transposed_convolutions_match_burns_forward_and_backward() {
    for c in CASES {
        let (s, p) = ([c.stride; 2], [c.pad; 2]);
        compare(
            c,
            [c.ci, c.co, c.k, c.k],
            c.co,
            |x, w, b| kernels::conv_transpose2d(x, w, b, s, p),
            |x, w, b| conv_transpose2d(x, w, b, ConvTransposeOptions::new(s, p, [0, 0], [1, 1], 1)),
        );
    }
}

#[test]
fn a_frozen_weight_gets_no_gradient_and_the_input_still_does() {
    // The discriminator's weights are frozen during the generator's step: only dx flows.
    let device = Device::flex().autodiff();
    let x = random([1, 3, 8, 8], &device);
    let w = random([4, 3, 4, 4], &device);
    let options = ConvOptions::new([2, 2], [1, 1], [1, 1], 1);
    let (x1, x2) = (x.clone().require_grad(), x.require_grad());
    let g1 = kernels::conv2d(x1.clone(), w.clone(), None, [2, 2], [1, 1])
        .sum()
        .backward();
    let g2 = conv2d(x2.clone(), w.clone(), None, options)
        .sum()
        .backward();
    assert!(w.grad(&g1).is_none(), "a frozen weight got a gradient");
    let dx = x1.grad(&g1).expect("input gradient");
    assert!(dx.clone().abs().sum().into_scalar::<f32>() > 1.0);
    assert!(rel_diff(dx, x2.grad(&g2).expect("stock dx")) < 1e-5);
}

/// The normalisation written with tensor operations (Burn differentiates it).
fn norm_reference(x: Tensor<4>, gamma: Tensor<1>, beta: Tensor<1>, per_sample: bool) -> Tensor<4> {
    let [n, c, h, w] = x.dims();
    let flat = x.clone().reshape([n, c, h * w]);
    let (mut mean, mut mean_sq) = (flat.clone().mean_dim(2), flat.square().mean_dim(2));
    if !per_sample {
        mean = mean.mean_dim(0);
        mean_sq = mean_sq.mean_dim(0);
    }
    let rows = if per_sample { n } else { 1 };
    let mean = mean.reshape([rows, c, 1, 1]);
    let var = mean_sq.reshape([rows, c, 1, 1]) - mean.clone().square();
    let scale = (var + 1e-5).sqrt().recip() * gamma.reshape([1, c, 1, 1]);
    let shift = beta.reshape([1, c, 1, 1]) - mean * scale.clone();
    x * scale + shift
}

#[test]
fn normalisation_matches_the_tensor_formula_forward_and_backward() {
    let device = Device::flex().autodiff();
    for (shape, per_sample) in [
        ([2, 3, 5, 7], true),
        ([3, 4, 6, 6], false),
        ([1, 8, 1, 1], false),
        ([1, 2, 16, 16], true),
    ] {
        // Activations far from zero mean, as after a convolution.
        let x = random(shape, &device) * 3.0 + 1.5;
        let gamma = random([shape[1]], &device);
        let beta = random([shape[1]], &device);
        let leaves = || {
            (
                x.clone().require_grad(),
                gamma.clone().require_grad(),
                beta.clone().require_grad(),
            )
        };
        let ((x1, g1, b1), (x2, g2, b2)) = (leaves(), leaves());
        let ours =
            kernels::norm(x1.clone(), &g1, &b1, per_sample, 1e-5).expect("the kernel runs on Flex");
        let reference = norm_reference(x2.clone(), g2.clone(), b2.clone(), per_sample);
        let what = format!("{shape:?} per sample {per_sample}");
        assert!(
            rel_diff(ours.clone(), reference.clone()) < 1e-4,
            "{what}: outputs differ"
        );
        // Rendering: on a tensor others still hold (a new output) and on one nothing else holds
        // (normalised in place).
        let (g0, b0) = (gamma.clone().inner(), beta.clone().inner());
        let shared = kernels::norm(x.clone().inner(), &g0, &b0, per_sample, 1e-5).expect("Flex");
        let alone = Tensor::<4>::from_data(x.to_data(), &Device::flex());
        let in_place = kernels::norm(alone, &g0, &b0, per_sample, 1e-5).expect("Flex");
        for (how, y) in [("shared", shared), ("in place", in_place)] {
            let d = rel_diff(y, reference.clone().inner());
            assert!(d < 1e-4, "{what}, {how}: inference output differs by {d}");
        }

        let r = random(shape, &device);
        let (gr1, gr2) = (
            (ours * r.clone()).sum().backward(),
            (reference * r).sum().backward(),
        );
        let dx = rel_diff(
            x1.grad(&gr1).expect("dx"),
            x2.grad(&gr2).expect("reference dx"),
        );
        let dg = rel_diff(
            g1.grad(&gr1).expect("dgamma"),
            g2.grad(&gr2).expect("reference dgamma"),
        );
        let db = rel_diff(
            b1.grad(&gr1).expect("dbeta"),
            b2.grad(&gr2).expect("reference dbeta"),
        );
        assert!(
            dx < 1e-3 && dg < 1e-4 && db < 1e-4,
            "{what}: gradients differ: dx {dx} dgamma {dg} dbeta {db}"
        );
    }
}

/// `ours` against `stock` on `x` (an autodiff tensor): outputs and input gradients, then the
/// outputs on plain Flex tensors, for a shared input and for one nothing else holds (in place).
fn compare_unary(
    what: &str,
    x: Tensor<4>,
    ours: impl Fn(Tensor<4>) -> Tensor<4>,
    stock: impl Fn(Tensor<4>) -> Tensor<4>,
) {
    let (x1, x2) = (x.clone().require_grad(), x.clone().require_grad());
    let (y1, y2) = (ours(x1.clone()), stock(x2.clone()));
    assert!(
        rel_diff(y1.clone(), y2.clone()) < 1e-6,
        "{what}: outputs differ"
    );
    let r = random(x.dims(), &x.device());
    let (g1, g2) = ((y1 * r.clone()).sum().backward(), (y2 * r).sum().backward());
    let dx = rel_diff(x1.grad(&g1).expect("dx"), x2.grad(&g2).expect("stock dx"));
    assert!(dx < 1e-6, "{what}: gradients differ by {dx}");
    let stock_plain = stock(x.clone().inner());
    let shared = ours(x.clone().inner());
    let alone = ours(Tensor::<4>::from_data(x.to_data(), &Device::flex()));
    assert!(
        rel_diff(shared, stock_plain.clone()) < 1e-6,
        "{what}: shared input"
    );
    assert!(rel_diff(alone, stock_plain) < 1e-6, "{what}: in place");
}

#[test]
fn leaky_relu_and_relu_match_burns_forward_and_backward() {
    use burn::tensor::activation::{leaky_relu, relu};
    let x = random([2, 3, 5, 4], &Device::flex().autodiff());
    compare_unary(
        "leaky ReLU",
        x.clone(),
        |x| kernels::leaky_relu(x, 0.2),
        |x| leaky_relu(x, 0.2),
    );
    compare_unary("ReLU", x, |x| kernels::leaky_relu(x, 0.0), relu);
}

#[test]
fn tanh_matches_burns_forward_and_backward() {
    let x = random([2, 3, 8, 8], &Device::flex().autodiff()) * 3.0;
    compare_unary("tanh", x, kernels::tanh, |x| x.tanh());
}

#[test]
fn cat_relu_matches_relu_of_burns_concatenation_forward_and_backward() {
    use burn::tensor::activation::relu;
    let device = Device::flex().autodiff();
    let a = random([2, 3, 5, 4], &device);
    let b = random([2, 2, 5, 4], &device);
    let (a1, a2) = (a.clone().require_grad(), a.clone().require_grad());
    let (b1, b2) = (b.clone().require_grad(), b.clone().require_grad());
    let ours = kernels::cat_relu(a1.clone(), b1.clone());
    let stock = relu(Tensor::cat(vec![a2.clone(), b2.clone()], 1));
    assert_eq!(ours.dims(), [2, 5, 5, 4]);
    assert!(
        rel_diff(ours.clone(), stock.clone()) < 1e-7,
        "outputs differ"
    );
    let r = random([2, 5, 5, 4], &device);
    let (g1, g2) = (
        (ours * r.clone()).sum().backward(),
        (stock * r).sum().backward(),
    );
    let da = rel_diff(a1.grad(&g1).expect("da"), a2.grad(&g2).expect("stock da"));
    let db = rel_diff(b1.grad(&g1).expect("db"), b2.grad(&g2).expect("stock db"));
    assert!(da < 1e-7 && db < 1e-7, "gradients differ: da {da} db {db}");
    // Only one part tracked: the other gets no gradient and the tracked one still does.
    let frozen = kernels::cat_relu(a.clone(), b1.clone());
    let g = (frozen * random([2, 5, 5, 4], &device)).sum().backward();
    assert!(a.grad(&g).is_none(), "an untracked part got a gradient");
    assert!(b1.grad(&g).is_some(), "the tracked part lost its gradient");
    let plain = kernels::cat_relu(a.clone().inner(), b.clone().inner());
    let stock_plain = relu(Tensor::cat(vec![a.inner(), b.inner()], 1));
    assert!(rel_diff(plain, stock_plain) < 1e-7, "without autodiff");
}
