//! Faster CPU paths for the layers a training step spends its time in, forward and backward,
//! plugged in through Burn's extension points (`Tensor::try_into_primitive` and custom autodiff
//! operations) so the model code stays backend-independent:
//!
//! - convolutions, plain and transposed (`conv.rs`, `layer.rs`): column blocks + one `gemm`
//!   product per block, and a backward pass that computes the input and weight gradients
//!   straight from the stored input (no transposed-convolution detour, no large intermediates);
//! - the normalisation (`norm.rs`): one pass forward, one backward (instead of about ten
//!   element-wise tensor operations and their intermediates);
//! - leaky ReLU / ReLU (`activation.rs`): one pass each way;
//! - tanh (`tanh.rs`): vectorised, one pass each way;
//! - the decoder's `relu(cat(skip, x))` (`concat.rs`): one pass each way.
//!
//! They run on Burn's Flex CPU backend (`flex.rs`: with and without autodiff). Every other
//! device (wgpu, …) and every case they do not cover (other float types) takes Burn's own
//! operations, unchanged — except, with `FACADE_GPU_CONV=columns`, the plain convolutions on
//! other devices, as columns + matrix products in tensor operations (`columns.rs`), and
//! one-output-channel layers there (plain and transposed, Burn's own layer forwards included),
//! computed with a second, all-zero channel (a burn-wgpu fault: [`conv2d`]). GPU kernels of our
//! own (CubeCL, as Burn backend extensions; the kernels are in `cube_kernels.rs`), always off the
//! CPU: the decoder's phase interleaving (`phases.rs`), the normalisation, forward and backward
//! (`gpu_norm.rs`), Adam's update (`gpu_adam.rs`; its CPU form: `adam.rs`) and the copy into
//! the channels-last order Burn's convolution reads (`layout.rs`); with `FACADE_GPU_CONV=tiled`,
//! convolutions' forward passes and weight gradients as tiled matrix products (`tiled.rs`).
//! `FACADE_KERNELS=stock` (none of them) and `FACADE_KERNELS=conv` (the convolutions only) are
//! for comparisons.

mod activation;
pub mod adam;
#[cfg(feature = "gpu")]
mod autodiff_op;
mod columns;
mod concat;
mod conv;
#[cfg(feature = "gpu")]
mod cube_kernels;
mod direct;
mod flex;
mod geometry;
#[cfg(feature = "gpu")]
pub mod gpu_adam;
#[cfg(feature = "gpu")]
mod gpu_norm;
mod layer;
#[cfg(feature = "gpu")]
pub mod layout;
pub mod memory;
mod norm;
#[cfg(feature = "gpu")]
pub mod phases;
pub mod simd;
mod tanh;
#[cfg(feature = "gpu")]
pub mod tiled;

use std::sync::OnceLock;

use burn::backend::flex::{Flex, FlexTensor};
use burn::backend::tensor::FloatTensor;
use burn::prelude::*;
use burn::tensor::DType;
use burn::tensor::ops::{ConvOptions, ConvTransposeOptions};

use flex::AutodiffFlex;
use layer::Layer;
use norm::NormShape;

/// A 2-D convolution (groups 1, dilation 1): `x [n, ci, h, w]`, `weight [co, ci, kh, kw]`.
pub fn conv2d(
    x: Tensor<4>,
    weight: Tensor<4>,
    bias: Option<Tensor<1>>,
    stride: [usize; 2],
    pad: [usize; 2],
) -> Tensor<4> {
    let layer = Layer::plain(x.dims(), weight.dims(), stride, pad);
    fast(&layer, &x, &weight, bias.as_ref())
        .unwrap_or_else(|| other_conv2d(x, weight, bias, stride, pad))
}

/// [`conv2d`] where the CPU kernels do not run: columns or the tiled kernel off the CPU when
/// `FACADE_GPU_CONV` asks for them, the one-channel detour, else Burn's convolution.
fn other_conv2d(
    x: Tensor<4>,
    weight: Tensor<4>,
    bias: Option<Tensor<1>>,
    stride: [usize; 2],
    pad: [usize; 2],
) -> Tensor<4> {
    if gpu_columns() && !on_cpu(&x) {
        return columns::conv2d(x, weight, bias, stride, pad);
    }
    #[cfg(feature = "gpu")]
    if takes_tiled(&x, &weight, stride, pad) {
        let bias = bias.unwrap_or_else(|| Tensor::zeros([weight.dims()[0]], &x.device()));
        return tiled::conv2d(x, weight, bias, stride[0], pad[0]);
    }
    let options = ConvOptions::new(stride, pad, [1, 1], 1);
    if one_channel_off_cpu(&x, weight.dims()[0]) {
        return through_two_channels(x, weight, bias, options);
    }
    burn::tensor::module::conv2d(x, weight, bias, options)
}

/// Whether this convolution goes through the tiled GPU kernel: asked for
/// (`FACADE_GPU_CONV=tiled`), off the CPU, f32, and a shape the kernel takes.
#[cfg(feature = "gpu")]
fn takes_tiled(x: &Tensor<4>, weight: &Tensor<4>, stride: [usize; 2], pad: [usize; 2]) -> bool {
    gpu_conv() == "tiled"
        && !on_cpu(x)
        && x.dtype() == DType::F32
        && tiled::covers(weight.dims(), stride, pad)
}

/// Burn's convolution with one output channel, off the CPU, computed with a second, all-zero
/// channel that is then dropped. On burn-wgpu 0.22.1 (fusion and autotune on) the output of a
/// one-channel convolution, when two or more fused element-wise operations follow it under
/// autodiff (`neg` then `abs`, as in a BCE loss on a patch classifier's logits), is read wrongly:
/// 144 of 270 one-channel shapes gave wrong values on lavapipe, none of the two-channel ones,
/// none through columns (`FACADE_GPU_CONV=columns`). Two channels and a `narrow` give the right
/// values and gradients in all of them (`tests/wgpu_backend.rs` checks a sweep of shapes). The
/// cost is one more output channel, for heads that have one.
fn through_two_channels(
    x: Tensor<4>,
    weight: Tensor<4>,
    bias: Option<Tensor<1>>,
    options: ConvOptions<2>,
) -> Tensor<4> {
    let (weight, bias) = (
        with_zero_channel(weight, 0),
        bias.map(|b| with_zero_channel(b, 0)),
    );
    burn::tensor::module::conv2d(x, weight, bias, options).narrow(1, 0, 1)
}

/// `t` with an all-zero copy of itself appended along `dim`: a one-output-channel layer's
/// weight or bias made two-channel ([`through_two_channels`]).
fn with_zero_channel<const D: usize>(t: Tensor<D>, dim: usize) -> Tensor<D> {
    Tensor::cat(vec![t.clone(), t.zeros_like()], dim)
}

/// A one-output-channel layer off the CPU (where the burn-wgpu fault of
/// [`through_two_channels`] applies).
fn one_channel_off_cpu(x: &Tensor<4>, out_channels: usize) -> bool {
    out_channels == 1 && !on_cpu(x)
}

/// Whether convolutions off the CPU go through [`columns`] (`FACADE_GPU_CONV=columns`) rather
/// than the backend's own (autotuned) convolution.
fn gpu_columns() -> bool {
    gpu_conv() == "columns"
}

/// How plain convolutions run off the CPU, from `FACADE_GPU_CONV`: "columns" ([`columns`]),
/// "tiled" (the tiled matrix-product kernel of `tiled.rs`, for the shapes it covers) or
/// "backend" (Burn's own, autotuned: the default). Benchmark rows record it.
pub fn gpu_conv() -> &'static str {
    static MODE: OnceLock<&'static str> = OnceLock::new();
    MODE.get_or_init(|| match std::env::var("FACADE_GPU_CONV").as_deref() {
        Ok("columns") => "columns",
        Ok("tiled") => "tiled",
        _ => "backend",
    })
}

/// A 2-D transposed convolution (no output padding, groups 1, dilation 1):
/// `x [n, ci, h, w]`, `weight [ci, co, kh, kw]`.
pub fn conv_transpose2d(
    x: Tensor<4>,
    weight: Tensor<4>,
    bias: Option<Tensor<1>>,
    stride: [usize; 2],
    pad: [usize; 2],
) -> Tensor<4> {
    let layer = Layer::transposed(x.dims(), weight.dims(), stride, pad);
    fast(&layer, &x, &weight, bias.as_ref()).unwrap_or_else(|| {
        let options = ConvTransposeOptions::new(stride, pad, [0, 0], [1, 1], 1);
        if one_channel_off_cpu(&x, weight.dims()[1]) {
            let (weight, bias) = (
                with_zero_channel(weight, 1),
                bias.map(|b| with_zero_channel(b, 0)),
            );
            return burn::tensor::module::conv_transpose2d(x, weight, bias, options)
                .narrow(1, 0, 1);
        }
        burn::tensor::module::conv_transpose2d(x, weight, bias, options)
    })
}

/// Runs `f` on one of the CPU worker threads (Rayon's pool) and returns its result. Each
/// parallel kernel called from outside the pool hands its work to the pool and puts the calling
/// thread to sleep until it is done — two thread switches per layer; called from inside, the
/// work starts at once on the thread that asked. Wrap whole passes (a render, a training step)
/// in it; nested calls run `f` directly.
pub fn on_workers<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    rayon::scope(|_| f())
}

/// Which of the kernels here run, from `FACADE_KERNELS`: `stock` (none: Burn's own operations
/// everywhere), `conv` (the convolutions only), anything else or unset: all of them. Each mode
/// includes the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kernels {
    Stock,
    Conv,
    All,
}

pub fn kernels() -> Kernels {
    static MODE: OnceLock<Kernels> = OnceLock::new();
    *MODE.get_or_init(|| match std::env::var("FACADE_KERNELS").as_deref() {
        Ok("stock") => Kernels::Stock,
        Ok("conv") => Kernels::Conv,
        _ => Kernels::All,
    })
}

/// Whether the kernels of `level` run on tensors of these types (the kernels are f32 only).
fn runs(level: Kernels, dtypes: impl IntoIterator<Item = DType>) -> bool {
    kernels() >= level && dtypes.into_iter().all(|d| d == DType::F32)
}

/// Leaky ReLU (ReLU at `slope` 0): one pass forward and one backward on the CPU, Burn's
/// activation elsewhere.
pub fn leaky_relu<const D: usize>(x: Tensor<D>, slope: f64) -> Tensor<D> {
    let s = slope as f32;
    unary(
        x,
        |p| flex::leaky_relu_autodiff(p, s),
        |p| flex::leaky_relu(p, s),
        |x| match slope == 0.0 {
            true => burn::tensor::activation::relu(x),
            false => burn::tensor::activation::leaky_relu(x, slope),
        },
    )
}

/// An element-wise kernel on `x`: `autodiff` on `Autodiff<Flex>`, `plain` on Flex (handed the
/// tensor itself, so it may overwrite it when nothing else holds it), Burn's `stock` operation
/// elsewhere.
fn unary<const D: usize>(
    x: Tensor<D>,
    autodiff: impl FnOnce(FloatTensor<AutodiffFlex>) -> FloatTensor<AutodiffFlex>,
    plain: impl FnOnce(FlexTensor) -> FlexTensor,
    stock: impl FnOnce(Tensor<D>) -> Tensor<D>,
) -> Tensor<D> {
    if !runs(Kernels::All, [x.dtype()]) {
        return stock(x);
    }
    if let Some(p) = primitive::<AutodiffFlex, D>(&x) {
        return Tensor::from_primitive::<AutodiffFlex>(autodiff(p));
    }
    match into_primitive::<Flex, D>(x) {
        Ok(p) => Tensor::from_primitive::<Flex>(plain(p)),
        Err(x) => stock(x),
    }
}

/// `relu(cat([a, b], 1))` for `[n, ·, h, w]` tensors: one pass each way on the CPU, Burn's
/// concatenation and activation elsewhere.
pub fn cat_relu(a: Tensor<4>, b: Tensor<4>) -> Tensor<4> {
    if runs(Kernels::All, [a.dtype(), b.dtype()]) {
        if let (Some(pa), Some(pb)) = (
            primitive::<AutodiffFlex, 4>(&a),
            primitive::<AutodiffFlex, 4>(&b),
        ) {
            return Tensor::from_primitive::<AutodiffFlex>(flex::cat_relu_autodiff(pa, pb));
        }
        if let (Some(pa), Some(pb)) = (primitive::<Flex, 4>(&a), primitive::<Flex, 4>(&b)) {
            return Tensor::from_primitive::<Flex>(flex::cat_relu(pa, pb));
        }
    }
    burn::tensor::activation::relu(Tensor::cat(vec![a, b], 1))
}

/// tanh: vectorised on the CPU, Burn's elsewhere.
pub fn tanh<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    unary(x, flex::tanh_autodiff, flex::tanh, |x| x.tanh())
}

/// Runs `f` on the values of `w`, to update them in place (copied first when another tensor
/// shares them), and of `g`, when both are f32 tensors on the CPU backend without autodiff, and
/// returns `w` updated with what `f` returned; `Err(w)` elsewhere. (An optimiser's step: no
/// copy of the weights or the gradient out of the tensors and back.)
#[allow(clippy::result_large_err)]
pub fn update_in_place<const D: usize, R>(
    w: Tensor<D>,
    g: &Tensor<D>,
    f: impl FnOnce(&mut [f32], &[f32]) -> R,
) -> Result<(Tensor<D>, R), Tensor<D>> {
    if w.dtype() != DType::F32 || g.dtype() != DType::F32 {
        return Err(w);
    }
    let Some(g) = primitive::<Flex, D>(g) else {
        return Err(w);
    };
    let (w, out) = flex::update_values(into_primitive::<Flex, D>(w)?, g, f);
    Ok((Tensor::from_primitive::<Flex>(w), out))
}

/// Whether `t` lives on the CPU backend (Flex, with or without autodiff), where the kernels
/// here run; layers that have a form of their own for the GPU ask this.
pub fn on_cpu<const D: usize>(t: &Tensor<D>) -> bool {
    primitive::<AutodiffFlex, D>(t).is_some() || primitive::<Flex, D>(t).is_some()
}

/// Which path a layer with input `x` and weight `w` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Path {
    /// The kernels here, recorded as one autodiff operation.
    FastAutodiff,
    /// The kernels here, no gradient.
    Fast,
    /// Burn's own convolution.
    Stock,
}

/// The path [`conv2d`] and [`conv_transpose2d`] take for these tensors.
pub fn path(x: &Tensor<4>, w: &Tensor<4>) -> Path {
    if !runs(Kernels::Conv, [x.dtype(), w.dtype()]) {
        Path::Stock
    } else if parts::<AutodiffFlex>(x, w, None).is_some() {
        Path::FastAutodiff
    } else if parts::<Flex>(x, w, None).is_some() {
        Path::Fast
    } else {
        Path::Stock
    }
}

/// The layer through the kernels when its tensors are f32 on Flex (with or without autodiff).
fn fast(layer: &Layer, x: &Tensor<4>, w: &Tensor<4>, b: Option<&Tensor<1>>) -> Option<Tensor<4>> {
    if !runs(
        Kernels::Conv,
        [x.dtype(), w.dtype()]
            .into_iter()
            .chain(b.map(|b| b.dtype())),
    ) {
        return None;
    }
    if let Some((x, w, b)) = parts::<AutodiffFlex>(x, w, b) {
        let y = flex::forward_autodiff(layer, x, w, b);
        return Some(Tensor::from_primitive::<AutodiffFlex>(y));
    }
    let (x, w, b) = parts::<Flex>(x, w, b)?;
    let y: FlexTensor = flex::forward(layer, x, w, b);
    Some(Tensor::from_primitive::<Flex>(y))
}

type Parts<B> = (
    burn::backend::tensor::FloatTensor<B>,
    burn::backend::tensor::FloatTensor<B>,
    Option<burn::backend::tensor::FloatTensor<B>>,
);

/// The backend primitives of the three tensors when all three live on backend `B`.
fn parts<B: burn::backend::Backend>(
    x: &Tensor<4>,
    w: &Tensor<4>,
    b: Option<&Tensor<1>>,
) -> Option<Parts<B>>
where
    burn::tensor::DispatchTensor: burn::backend::DispatchKindConversion<B>,
{
    let b = match b {
        Some(b) => Some(primitive::<B, 1>(b)?),
        None => None,
    };
    Some((primitive::<B, 4>(x)?, primitive::<B, 4>(w)?, b))
}

/// The tensor's backend primitive when it lives on backend `B` (a cheap reference-counted copy).
fn primitive<B: burn::backend::Backend, const D: usize>(
    t: &Tensor<D>,
) -> Option<burn::backend::tensor::FloatTensor<B>>
where
    burn::tensor::DispatchTensor: burn::backend::DispatchKindConversion<B>,
{
    t.clone().try_into_primitive::<B>().ok()
}

/// Normalisation of `x [n, c, h, w]` with batch (`per_sample` false) or per-sample statistics,
/// then `· gamma + beta` per channel, as one pass forward and one backward on the CPU (in place
/// when nothing else holds `x`, as when rendering); on a GPU, one kernel launch forward and one
/// backward (`gpu_norm.rs`). `Err(x)` where no kernel applies (another float type): the caller
/// computes it with tensor operations.
// The tensor goes back to the caller in `Err` (boxing it would allocate on every call).
#[allow(clippy::result_large_err)]
pub fn norm(
    x: Tensor<4>,
    gamma: &Tensor<1>,
    beta: &Tensor<1>,
    per_sample: bool,
    eps: f64,
) -> Result<Tensor<4>, Tensor<4>> {
    // Off the CPU before the reshape below: on a GPU it would copy a channels-last activation
    // (a convolution's output) for nothing.
    if !on_cpu(&x) {
        // The GPU's one-launch kernels where they apply (`gpu_norm.rs`: f32).
        #[cfg(feature = "gpu")]
        return gpu_norm::norm(x, gamma, beta, per_sample, eps);
        #[cfg(not(feature = "gpu"))]
        return Err(x);
    }
    if !runs(Kernels::All, [x.dtype(), gamma.dtype(), beta.dtype()]) {
        return Err(x);
    }
    let [n, c, h, w] = x.dims();
    let shape = NormShape {
        n,
        c,
        plane: h * w,
        per_sample,
        eps,
    };
    let flat = x.reshape([n, c, h * w]);
    let unflat = |y: Tensor<3>| y.reshape([n, c, h, w]);
    if let (Some(x), Some(g), Some(b)) = (
        primitive::<AutodiffFlex, 3>(&flat),
        primitive::<AutodiffFlex, 1>(gamma),
        primitive::<AutodiffFlex, 1>(beta),
    ) {
        let y = flex::norm_autodiff(&shape, x, g, b);
        return Ok(unflat(Tensor::from_primitive::<AutodiffFlex>(y)));
    }
    let (Some(g), Some(b)) = (primitive::<Flex, 1>(gamma), primitive::<Flex, 1>(beta)) else {
        return Err(unflat(flat));
    };
    match into_primitive::<Flex, 3>(flat) {
        Ok(x) => Ok(unflat(Tensor::from_primitive::<Flex>(flex::norm(
            &shape, x, g, b,
        )))),
        Err(flat) => Err(unflat(flat)),
    }
}

/// The tensor's backend primitive when it lives on backend `B` (the tensor itself otherwise);
/// the primitive is then the only reference to its data when the tensor was.
#[allow(clippy::result_large_err)]
fn into_primitive<B: burn::backend::Backend, const D: usize>(
    t: Tensor<D>,
) -> Result<burn::backend::tensor::FloatTensor<B>, Tensor<D>>
where
    burn::tensor::DispatchTensor: burn::backend::DispatchKindConversion<B>,
{
    if primitive::<B, D>(&t).is_none() {
        return Err(t);
    }
    Ok(t.try_into_primitive::<B>()
        .unwrap_or_else(|_| unreachable!("checked to live on this backend")))
}

/// `conv.forward(x)` through [`conv2d`] when the layer is one the kernels cover (explicit
/// symmetric padding or none, dilation 1, groups 1); Burn's own forward otherwise.
pub fn conv2d_layer(conv: &burn::nn::conv::Conv2d, x: Tensor<4>) -> Tensor<4> {
    use burn::nn::PaddingConfig2d;
    let pad = match conv.padding {
        PaddingConfig2d::Valid => Some([0, 0]),
        PaddingConfig2d::Explicit(top, left, bottom, right) if top == bottom && left == right => {
            Some([top, left])
        }
        _ => None,
    };
    match pad {
        Some(pad) if conv.dilation == [1, 1] && conv.groups == 1 => conv2d(
            x,
            conv.weight.val(),
            conv.bias.as_ref().map(|b| b.val()),
            conv.stride,
            pad,
        ),
        _ if one_channel_off_cpu(&x, conv.weight.dims()[0]) => layer_through_two_channels(conv, x),
        _ => conv.forward(x),
    }
}

/// Burn's own forward of a one-output-channel layer (one [`conv2d`] does not cover: "same"
/// padding, dilation), computed with a second, all-zero channel as in [`through_two_channels`].
/// The layer's weight and bias enter as they are (no new parameters), so their gradients are
/// the layer's own.
fn layer_through_two_channels(conv: &burn::nn::conv::Conv2d, x: Tensor<4>) -> Tensor<4> {
    let mut two = conv.clone();
    two.weight = detoured(&conv.weight, 0);
    two.bias = conv.bias.as_ref().map(|b| detoured(b, 0));
    two.forward(x).narrow(1, 0, 1)
}

/// A layer's parameter with a zero channel appended along `dim`, as a parameter of a stand-in
/// layer: the value enters as it is (`Param::initialized`, not a new leaf), so the gradient
/// reaches the original parameter.
fn detoured<const D: usize>(
    p: &burn::module::Param<Tensor<D>>,
    dim: usize,
) -> burn::module::Param<Tensor<D>> {
    burn::module::Param::initialized(
        burn::module::ParamId::new(),
        with_zero_channel(p.val(), dim),
    )
}

/// `conv.forward(x)` through [`conv_transpose2d`] when the layer is one the kernels cover (no
/// output padding, dilation 1, groups 1); Burn's own forward otherwise.
pub fn conv_transpose2d_layer(conv: &burn::nn::conv::ConvTranspose2d, x: Tensor<4>) -> Tensor<4> {
    if conv.padding_out != [0, 0] || conv.dilation != [1, 1] || conv.groups != 1 {
        if conv.groups == 1 && one_channel_off_cpu(&x, conv.weight.dims()[1]) {
            let mut two = conv.clone();
            two.weight = detoured(&conv.weight, 1);
            two.bias = conv.bias.as_ref().map(|b| detoured(b, 0));
            return two.forward(x).narrow(1, 0, 1);
        }
        return conv.forward(x);
    }
    let bias = conv.bias.as_ref().map(|b| b.val());
    conv_transpose2d(x, conv.weight.val(), bias, conv.stride, conv.padding)
}
