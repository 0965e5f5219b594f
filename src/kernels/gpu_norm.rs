//! The normalisation on the GPU in one kernel launch forward and one (plus the scale's and
//! shift's sums over the batch) backward.
//!
//! In tensor operations a normalisation layer is two reductions (mean and mean square) and a few
//! element-wise kernels for the scale, the shift and their application — about four launches —
//! and its autodiff backward about ten more, in each of the generator's and the
//! discriminators' normalised layers. A render or a batch-1 training step on a GPU is bound by
//! its launches (docs/speed.md), so here the layer is one kernel each way: a cube of 256 units
//! per statistics group sums through shared memory, then writes the group's values — forward,
//! channels-last where Burn's convolution reads them next. Recorded as one autodiff operation, so
//! training takes it too.

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops};
use burn::backend::autodiff::{Autodiff, NodeId};
use burn::backend::fusion::custom::TensorSpec;
use burn::backend::tensor::FloatTensor;
use burn::backend::wgpu::{CubeBackend, CubeTensor};
use burn::backend::{AutodiffBackend, Backend, Dispatch, TensorMetadata, backend_extension};
use burn::prelude::*;
use burn::tensor::Shape;
use cubecl::prelude::{CubeCount, CubeDim};

use super::autodiff_op::record_three;
use super::cube_kernels::{empty_like, norm_backward_kernel, norm_kernel};
use super::layout::{burn_reads_convolutions, empty_channels_last};

/// `x [n, c, h, w]` (off the CPU: [`super::norm`] sends the CPU's tensors to its own kernels)
/// normalised per channel of each sample (`per_sample`) or per channel over the batch (`eps`
/// added to the variance under the root), times `gamma` plus `beta`; `Err(x)` for other float
/// types: the caller computes it with tensor operations.
#[allow(clippy::result_large_err)]
pub fn norm(
    x: Tensor<4>,
    gamma: &Tensor<1>,
    beta: &Tensor<1>,
    per_sample: bool,
    eps: f64,
) -> Result<Tensor<4>, Tensor<4>> {
    let f32 = burn::tensor::DType::F32;
    if [x.dtype(), gamma.dtype(), beta.dtype()] != [f32; 3] {
        return Err(x);
    }
    Ok(Tensor::from_dispatch(<Dispatch as GpuNorm>::norm_planes(
        x.into_dispatch(),
        gamma.clone().into_dispatch(),
        beta.clone().into_dispatch(),
        per_sample,
        eps as f32,
    )))
}

/// The statistics groups of `x`: one per channel of each sample, or per channel.
fn groups(x: &Shape, per_sample: bool) -> usize {
    if per_sample { x[0] * x[1] } else { x[1] }
}

/// The backward pass's outputs: `dx` like `x`, and two sums per statistics group.
fn backward_meta(
    x: &TensorSpec,
    _gamma: &TensorSpec,
    _dy: &TensorSpec,
    per_sample: &bool,
    _eps: &f32,
) -> (TensorSpec, TensorSpec, TensorSpec) {
    let sums = TensorSpec::new(Shape::new([groups(&x.shape, *per_sample)]), x.dtype);
    (x.clone(), sums.clone(), sums)
}

/// The normalisation as backend operations (CubeCL's backend, lazily through fusion, and one
/// autodiff operation).
#[backend_extension(Cube: cfg(feature = "gpu"), Fusion: cfg(feature = "gpu"), Autodiff)]
pub trait GpuNorm: Backend {
    #[fusion(dtype = x, shape = x)]
    fn norm_planes(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        per_sample: bool,
        eps: f32,
    ) -> FloatTensor<Self>;

    /// `(dx, Σ dy, Σ dy · x̂)`, the sums per statistics group.
    #[fusion(meta = backward_meta)]
    fn norm_backward(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        dy: FloatTensor<Self>,
        per_sample: bool,
        eps: f32,
    ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>);
}

impl GpuNorm for CubeBackend {
    fn norm_planes(
        x: CubeTensor,
        gamma: CubeTensor,
        beta: CubeTensor,
        per_sample: bool,
        eps: f32,
    ) -> CubeTensor {
        let shape = x.shape();
        // Channels-last where Burn's convolution reads it next (one copy fewer a layer: 83 → 70
        // launches a render of the shipped model on lavapipe).
        let out = match burn_reads_convolutions() {
            true => empty_channels_last(&x),
            false => empty_like(&x, shape.clone()),
        };
        let client = x.client.clone();
        let dtype = burn::backend::cubecl::dtype_to_elem_type(x.dtype);
        norm_kernel::launch(
            &client,
            CubeCount::Static(groups(&shape, per_sample) as u32, 1, 1),
            CubeDim::new_1d(256),
            x.into_tensor_arg(),
            gamma.into_tensor_arg(),
            beta.into_tensor_arg(),
            out.clone().into_tensor_arg(),
            eps,
            per_sample,
            dtype,
        );
        out
    }

    fn norm_backward(
        x: CubeTensor,
        gamma: CubeTensor,
        dy: CubeTensor,
        per_sample: bool,
        eps: f32,
    ) -> (CubeTensor, CubeTensor, CubeTensor) {
        let shape = x.shape();
        let rows = groups(&shape, per_sample);
        let dx = empty_like(&x, shape);
        let sum_dy = empty_like(&x, Shape::new([rows]));
        let sum_dy_xhat = empty_like(&x, Shape::new([rows]));
        let client = x.client.clone();
        let dtype = burn::backend::cubecl::dtype_to_elem_type(x.dtype);
        norm_backward_kernel::launch(
            &client,
            CubeCount::Static(rows as u32, 1, 1),
            CubeDim::new_1d(256),
            x.into_tensor_arg(),
            gamma.into_tensor_arg(),
            dy.into_tensor_arg(),
            dx.clone().into_tensor_arg(),
            sum_dy.clone().into_tensor_arg(),
            sum_dy_xhat.clone().into_tensor_arg(),
            eps,
            per_sample,
            dtype,
        );
        (dx, sum_dy, sum_dy_xhat)
    }
}

impl<B: GpuNorm, C: CheckpointStrategy> GpuNorm for Autodiff<B, C> {
    fn norm_planes(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        per_sample: bool,
        eps: f32,
    ) -> FloatTensor<Self> {
        let op = NormBackward { per_sample, eps };
        record_three::<B, C, _>(op, [x, gamma, beta], |[x, gamma, beta]| {
            B::norm_planes(x, gamma, beta, per_sample, eps)
        })
    }

    /// Not differentiated again: the outputs are constants to autodiff.
    fn norm_backward(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        dy: FloatTensor<Self>,
        per_sample: bool,
        eps: f32,
    ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>) {
        let (dx, sum_dy, sum_dy_xhat) = B::norm_backward(
            x.into_primitive(),
            gamma.into_primitive(),
            dy.into_primitive(),
            per_sample,
            eps,
        );
        (
            Self::from_inner(dx),
            Self::from_inner(sum_dy),
            Self::from_inner(sum_dy_xhat),
        )
    }
}

/// The backward pass: the kernel's `dx`, and the scale's and the shift's gradients as its
/// per-group sums added up over the samples.
#[derive(Debug)]
struct NormBackward {
    per_sample: bool,
    eps: f32,
}

impl<B: GpuNorm> Backward<B, 3> for NormBackward {
    type State = (NodeId, NodeId);

    fn backward(
        self,
        ops: Ops<Self::State, 3>,
        grads: &mut Gradients,
        checkpointer: &mut Checkpointer,
    ) {
        let [node_x, node_gamma, node_beta] = ops.parents;
        let dy = grads.consume::<B>(&ops.node);
        let x: FloatTensor<B> = checkpointer.retrieve_node_output(ops.state.0);
        let gamma: FloatTensor<B> = checkpointer.retrieve_node_output(ops.state.1);
        let [n, c] = [x.shape()[0], x.shape()[1]];
        let (dx, sum_dy, sum_dy_xhat) = B::norm_backward(x, gamma, dy, self.per_sample, self.eps);
        // Per channel: the groups' sums, over the samples when each sample had its own.
        let per_channel = |sums: FloatTensor<B>| match self.per_sample && n > 1 {
            true => B::float_reshape(
                B::float_sum_dim(B::float_reshape(sums, Shape::new([n, c])), 0),
                Shape::new([c]),
            ),
            false => sums,
        };
        if let Some(node) = node_x {
            grads.register::<B>(node.id, dx);
        }
        if let Some(node) = node_gamma {
            grads.register::<B>(node.id, per_channel(sum_dy_xhat));
        }
        if let Some(node) = node_beta {
            grads.register::<B>(node.id, per_channel(sum_dy));
        }
    }
}
