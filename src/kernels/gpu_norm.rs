//! The normalisation on the GPU in one kernel launch, for rendering (no gradient).
//!
//! In tensor operations a normalisation layer is two reductions (mean and mean square) and a few
//! element-wise kernels for the scale, the shift and their application: about six launches, in
//! each of the generator's normalised layers. A render on a GPU is bound by its launches (about
//! 140 for the shipped model on burn-wgpu, against PyTorch's 3.2 ms a render on an H200, docs/speed.md),
//! so here the whole layer is one kernel. Training keeps the tensor operations (their gradients
//! come from autodiff).

use burn::backend::tensor::FloatTensor;
use burn::backend::wgpu::{CubeBackend, CubeTensor};
use burn::backend::{Backend, Dispatch, TensorMetadata, backend_extension};
use burn::prelude::*;
use cubecl::prelude::{CubeCount, CubeDim};

use super::cube_kernels::{empty_like, norm_kernel};

/// `x [n, c, h, w]` (off the CPU: [`super::norm`] sends the CPU's tensors to its own kernels)
/// normalised per channel of each sample (`per_sample`) or per channel over the batch (`eps`
/// added to the variance under the root), times `gamma` plus `beta`; `Err(x)` under autodiff or
/// for other float types: the caller computes it with tensor operations.
#[allow(clippy::result_large_err)]
pub fn norm(
    x: Tensor<4>,
    gamma: &Tensor<1>,
    beta: &Tensor<1>,
    per_sample: bool,
    eps: f64,
) -> Result<Tensor<4>, Tensor<4>> {
    if x.is_autodiff() || x.dtype() != burn::tensor::DType::F32 {
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

/// The normalisation as a backend operation (CubeCL's backend, lazily through fusion; no
/// autodiff form: [`norm`] sends tracked tensors to the tensor operations).
#[backend_extension(Cube: cfg(feature = "gpu"), Fusion: cfg(feature = "gpu"))]
pub trait GpuNorm: Backend {
    #[fusion(dtype = x, shape = x)]
    fn norm_planes(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        per_sample: bool,
        eps: f32,
    ) -> FloatTensor<Self>;
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
        let rows = if per_sample {
            shape[0] * shape[1]
        } else {
            shape[1]
        };
        let out = empty_like(&x, shape);
        let client = x.client.clone();
        let dtype = burn::backend::cubecl::dtype_to_elem_type(x.dtype);
        norm_kernel::launch(
            &client,
            CubeCount::Static(rows as u32, 1, 1),
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
}
