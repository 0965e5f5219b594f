//! A convolution's forward pass on the GPU as a tiled matrix product (implicit GEMM), in place of
//! Burn's direct kernel, which took 65 % of a batch-16 training step's GPU time on an H200
//! (docs/speed.md: one thread per output value, every input value read from memory once per
//! output channel).
//!
//! The product: `out[co, m] = Σ_k w[co, k] · x_col[k, m]` with `m` = (sample, output row, output
//! column) and `k` = (input channel, kernel row, kernel column); the columns `x_col` are read
//! straight from the input (no column matrix in memory). A cube of 16 × 16 units computes a
//! 64 × 64 tile of the output (64 positions × 64 output channels), each unit 4 × 4 values; the
//! input's and the weight's 16-deep slices of the tile go through shared memory, so each value
//! read from memory serves 64 multiply-adds. Input and weight are read through their strides (any
//! layout); the output is a new contiguous `[n, c_out, oh, ow]` tensor.
//!
//! Gradients: Burn's own input gradient of the convolution (autotuned, through matrix products),
//! the weight gradient as another tiled matrix product (the sum over positions split across
//! cubes, then the splits summed: two launches where Burn's column form takes two a kernel tap
//! plus a matrix product), the bias's a sum; recorded as one autodiff operation. The innermost
//! layers, whose few positions would fill only a handful of forward tiles, keep Burn's direct
//! forward kernel but still take the tiled weight gradient.
//!
//! Opt-in (`FACADE_GPU_CONV=tiled`) until a GPU measures it against Burn's kernel.

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops};
use burn::backend::autodiff::{Autodiff, NodeId};
use burn::backend::tensor::FloatTensor;
use burn::backend::wgpu::{CubeBackend, CubeTensor};
use burn::backend::{Backend, Dispatch, TensorMetadata, backend_extension};
use burn::prelude::*;
use burn::tensor::Shape;
use burn::tensor::ops::ConvOptions;
use cubecl::prelude::{CubeCount, CubeDim};
use std::sync::atomic::{AtomicUsize, Ordering};

use super::autodiff_op::record_three;
use super::cube_kernels::{empty_like, tiled_conv2d_kernel, tiled_weight_grad_kernel};
use burn::backend::ops::{FloatTensorOps, ModuleOps};

/// Output positions per cube (the tile's width along `m`).
const TILE_M: usize = 64;
/// Output channels per cube. (Each step along `k`, input channel × kernel tap, is 16 deep.)
const TILE_CO: usize = 64;

/// Whether the tiled path takes a convolution of these shapes: square stride, padding and
/// kernel, and enough output channels to fill most of a tile. Its weight gradient then always
/// goes through the tiled kernel (which splits its sum over positions across cubes, so few
/// positions still make enough of them); its forward pass only where the positions fill tiles
/// too ([`fills_tiles`]).
pub fn covers(w: [usize; 4], stride: [usize; 2], pad: [usize; 2]) -> bool {
    stride[0] == stride[1] && pad[0] == pad[1] && w[2] == w[3] && w[0] >= 16
}

/// Whether the forward kernel runs for an output of `positions` values per channel (all
/// samples): at least 256, four tiles' width. Below that — the innermost layers — Burn's direct
/// kernel, one unit per output value, keeps more of the GPU busy than a handful of cubes would.
pub fn fills_tiles(positions: usize) -> bool {
    positions >= 256
}

/// How many convolutions went through the tiled kernel in this process (tests check that a
/// model's layers took it).
static CALLS: AtomicUsize = AtomicUsize::new(0);

pub fn calls() -> usize {
    CALLS.load(Ordering::Relaxed)
}

/// A plain convolution (groups 1, dilation 1, square stride and padding) through the tiled
/// kernel: `x [n, ci, h, w]`, `weight [co, ci, k, k]`, `bias [co]`.
pub fn conv2d(
    x: Tensor<4>,
    weight: Tensor<4>,
    bias: Tensor<1>,
    stride: usize,
    pad: usize,
) -> Tensor<4> {
    CALLS.fetch_add(1, Ordering::Relaxed);
    Tensor::from_dispatch(<Dispatch as TiledConv>::tiled_conv2d(
        x.into_dispatch(),
        weight.into_dispatch(),
        bias.into_dispatch(),
        stride,
        pad,
    ))
}

fn out_side(size: usize, kernel: usize, stride: usize, pad: usize) -> usize {
    (size + 2 * pad).saturating_sub(kernel) / stride + 1
}

/// `[n, co, oh, ow]` for input `x` and weight `w`.
fn out_shape(x: &Shape, w: &Shape, stride: &usize, pad: &usize) -> Shape {
    let side = |d: usize| out_side(x[d], w[d], *stride, *pad);
    Shape::new([x[0], w[0], side(2), side(3)])
}

/// The tiled convolution as a Burn backend extension: the kernel on CubeCL's backend, lazily
/// through fusion, and one differentiable operation under autodiff.
#[backend_extension(Cube: cfg(feature = "gpu"), Fusion: cfg(feature = "gpu"), Autodiff)]
pub trait TiledConv: Backend {
    #[fusion(dtype = x, shape = out_shape(x, weight, stride, pad))]
    fn tiled_conv2d(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        stride: usize,
        pad: usize,
    ) -> FloatTensor<Self>;
}

impl TiledConv for CubeBackend {
    fn tiled_conv2d(
        x: CubeTensor,
        weight: CubeTensor,
        bias: CubeTensor,
        stride: usize,
        pad: usize,
    ) -> CubeTensor {
        let shape = out_shape(&x.shape(), &weight.shape(), &stride, &pad);
        let (n, co, oh, ow) = (shape[0], shape[1], shape[2], shape[3]);
        if !fills_tiles(n * oh * ow) {
            let options = ConvOptions::new([stride; 2], [pad; 2], [1, 1], 1);
            return CubeBackend::conv2d(x, weight, Some(bias), options);
        }
        let client = x.client.clone();
        let out = empty_like(&x, shape);
        let cubes = CubeCount::Static(
            (n * oh * ow).div_ceil(TILE_M) as u32,
            co.div_ceil(TILE_CO) as u32,
            1,
        );
        let dtype = burn::backend::cubecl::dtype_to_elem_type(x.dtype);
        tiled_conv2d_kernel::launch(
            &client,
            cubes,
            CubeDim::new_2d(16, 16),
            x.into_tensor_arg(),
            weight.into_tensor_arg(),
            bias.into_tensor_arg(),
            out.clone().into_tensor_arg(),
            stride,
            pad,
            dtype,
        );
        out
    }
}

/// The weight gradient of [`TiledConv::tiled_conv2d`] (square `kernel`): `[co, ci, k, k]` from
/// the input `x` and the output's gradient `dy`. Called only inside the backward pass, on the
/// inner backend.
#[backend_extension(Cube: cfg(feature = "gpu"), Fusion: cfg(feature = "gpu"))]
pub trait TiledWeightGrad: Backend {
    #[fusion(dtype = x, shape = Shape::new([dy[1], x[1], *kernel, *kernel]))]
    fn tiled_weight_grad(
        x: FloatTensor<Self>,
        dy: FloatTensor<Self>,
        kernel: usize,
        stride: usize,
        pad: usize,
    ) -> FloatTensor<Self>;
}

/// Positions a cube of the weight gradient sums at least (a multiple of 16); more positions than
/// that are split across up to 64 cubes per output tile.
const POSITIONS_PER_SPLIT: usize = 2048;

impl TiledWeightGrad for CubeBackend {
    fn tiled_weight_grad(
        x: CubeTensor,
        dy: CubeTensor,
        kernel: usize,
        stride: usize,
        pad: usize,
    ) -> CubeTensor {
        let (ci, co) = (x.shape()[1], dy.shape()[1]);
        let dy_shape = dy.shape();
        let positions = dy_shape[0] * dy_shape[2] * dy_shape[3];
        let splits = (positions / POSITIONS_PER_SPLIT).clamp(1, 64);
        let chunk = positions.div_ceil(splits).div_ceil(16) * 16;
        let depth = ci * kernel * kernel;
        let partials = empty_like(&x, Shape::new([splits, co, depth]));
        let client = x.client.clone();
        let cubes = CubeCount::Static(
            depth.div_ceil(TILE_CO) as u32,
            co.div_ceil(TILE_CO) as u32,
            splits as u32,
        );
        let dtype = burn::backend::cubecl::dtype_to_elem_type(x.dtype);
        tiled_weight_grad_kernel::launch(
            &client,
            cubes,
            CubeDim::new_2d(16, 16),
            x.into_tensor_arg(),
            dy.into_tensor_arg(),
            partials.clone().into_tensor_arg(),
            kernel,
            stride,
            pad,
            chunk,
            dtype,
        );
        let summed = match splits {
            1 => partials,
            _ => CubeBackend::float_sum_dim(partials, 0),
        };
        CubeBackend::float_reshape(summed, Shape::new([co, ci, kernel, kernel]))
    }
}

impl<B: TiledConv + TiledWeightGrad, C: CheckpointStrategy> TiledConv for Autodiff<B, C> {
    fn tiled_conv2d(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        stride: usize,
        pad: usize,
    ) -> FloatTensor<Self> {
        let op = TiledBackward { stride, pad };
        record_three::<B, C, _>(op, [x, weight, bias], |[x, weight, bias]| {
            B::tiled_conv2d(x, weight, bias, stride, pad)
        })
    }
}

/// The backward pass: Burn's convolution gradient for the input, the tiled kernel's for the
/// weight, a sum for the bias.
#[derive(Debug)]
struct TiledBackward {
    stride: usize,
    pad: usize,
}

impl<B: TiledWeightGrad> Backward<B, 3> for TiledBackward {
    type State = (NodeId, NodeId);

    fn backward(
        self,
        ops: Ops<Self::State, 3>,
        grads: &mut Gradients,
        checkpointer: &mut Checkpointer,
    ) {
        let [node_x, node_w, node_b] = ops.parents;
        let dy = grads.consume::<B>(&ops.node);
        let (x_state, w_state) = ops.state;
        let x: FloatTensor<B> = checkpointer.retrieve_node_output(x_state);
        let w: FloatTensor<B> = checkpointer.retrieve_node_output(w_state);
        let options = ConvOptions::new([self.stride; 2], [self.pad; 2], [1, 1], 1);
        if let Some(node) = node_b {
            let co = dy.shape()[1];
            let db = B::float_reshape(B::float_sum_dims(dy.clone(), &[0, 2, 3]), Shape::new([co]));
            grads.register::<B>(node.id, db);
        }
        if let Some(node) = node_x {
            let dx = B::conv2d_x_backward(x.clone(), w.clone(), dy.clone(), options.clone());
            grads.register::<B>(node.id, dx);
        }
        if let Some(node) = node_w {
            let kernel = w.shape()[2];
            let dw = B::tiled_weight_grad(x, dy, kernel, self.stride, self.pad);
            grads.register::<B>(node.id, dw);
        }
    }
}
