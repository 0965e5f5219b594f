//! The decoder's phase interleaving on the GPU as one kernel each way.
//!
//! A nearest ×2 + 3×3 layer runs off the CPU as one 2×2 convolution with four output channels per
//! channel, one per phase, whose values are then interleaved into the doubled picture
//! (src/model/upsample.rs). In tensor operations that interleaving is four slices, a
//! concatenation and a permutation: about six kernel launches and three passes over memory, forward
//! and again backward, in each of the decoder's eight layers — a fifth of a render's launches on
//! the GPU, where a render is bound by launches. Here it is one gather kernel forward and its
//! adjoint backward, as a Burn backend extension (lazily through fusion, one autodiff operation).

use burn::backend::autodiff::Autodiff;
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops};
use burn::backend::tensor::FloatTensor;
use burn::backend::wgpu::{CubeBackend, CubeTensor};
use burn::backend::{Backend, Dispatch, TensorMetadata, backend_extension};
use burn::prelude::*;
use burn::tensor::Shape;

use super::cube_kernels::{
    deinterleave_phases_kernel, empty_like, interleave_phases_kernel, one_unit_per_value,
};

/// `[n, co, 2h, 2w]` from the phase convolution's output `y [n, 4·co, h + 1, w + 1]`: output
/// channel o at (2y + a, 2x + b) is channel 4·o + 2·a + b at (y + a, x + b).
pub fn interleave(y: Tensor<4>) -> Tensor<4> {
    Tensor::from_dispatch(<Dispatch as Phases>::interleave_phases(y.into_dispatch()))
}

fn interleaved_shape(y: &Shape) -> Shape {
    Shape::new([y[0], y[1] / 4, 2 * (y[2] - 1), 2 * (y[3] - 1)])
}

fn phase_shape(g: &Shape) -> Shape {
    Shape::new([g[0], g[1] * 4, g[2] / 2 + 1, g[3] / 2 + 1])
}

/// The interleaving and its adjoint as backend operations.
#[backend_extension(Cube: cfg(feature = "gpu"), Fusion: cfg(feature = "gpu"), Autodiff)]
pub trait Phases: Backend {
    #[fusion(dtype = y, shape = interleaved_shape(y))]
    fn interleave_phases(y: FloatTensor<Self>) -> FloatTensor<Self>;

    #[fusion(dtype = g, shape = phase_shape(g))]
    fn deinterleave_phases(g: FloatTensor<Self>) -> FloatTensor<Self>;
}

impl Phases for CubeBackend {
    fn interleave_phases(y: CubeTensor) -> CubeTensor {
        let shape = interleaved_shape(&y.shape());
        let out = empty_like(&y, shape);
        let client = y.client.clone();
        let (cubes, dim, dtype) = one_unit_per_value(&out, out.shape().num_elements());
        interleave_phases_kernel::launch(
            &client,
            cubes,
            dim,
            y.into_tensor_arg(),
            out.clone().into_tensor_arg(),
            dtype,
        );
        out
    }

    fn deinterleave_phases(g: CubeTensor) -> CubeTensor {
        let shape = phase_shape(&g.shape());
        let out = empty_like(&g, shape);
        let client = g.client.clone();
        let (cubes, dim, dtype) = one_unit_per_value(&out, out.shape().num_elements());
        deinterleave_phases_kernel::launch(
            &client,
            cubes,
            dim,
            g.into_tensor_arg(),
            out.clone().into_tensor_arg(),
            dtype,
        );
        out
    }
}

impl<B: Phases, C: CheckpointStrategy> Phases for Autodiff<B, C> {
    fn interleave_phases(y: FloatTensor<Self>) -> FloatTensor<Self> {
        let prep = Adjoint::Deinterleave
            .prepare::<C>([y.node()])
            .compute_bound();
        prep.stateless(B::interleave_phases(y.into_primitive()))
    }

    fn deinterleave_phases(g: FloatTensor<Self>) -> FloatTensor<Self> {
        let prep = Adjoint::Interleave.prepare::<C>([g.node()]).compute_bound();
        prep.stateless(B::deinterleave_phases(g.into_primitive()))
    }
}

/// The backward pass of either operation: the other one (the two are adjoint linear maps).
#[derive(Debug)]
enum Adjoint {
    Interleave,
    Deinterleave,
}

impl<B: Phases> Backward<B, 1> for Adjoint {
    type State = ();

    fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [node] = ops.parents;
        let grad = grads.consume::<B>(&ops.node);
        if let Some(node) = node {
            let grad = match self {
                Adjoint::Interleave => B::interleave_phases(grad),
                Adjoint::Deinterleave => B::deinterleave_phases(grad),
            };
            grads.register::<B>(node.id, grad);
        }
    }
}
