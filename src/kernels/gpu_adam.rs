//! Adam's update on the GPU as one kernel launch per parameter ([`super::adam`] has the rule).
//!
//! In tensor operations, even fused, an update took about six launches per parameter — the two
//! moments, the step and the new weights, and a sum of the weights (then added to the step's
//! running sum) to tell whether any came out NaN or infinite — about 400 of a training step's
//! launches for the ~70 parameters of the generator and the discriminators, on a GPU where a
//! batch-1 step is bound by its launches. Here one unit per weight reads `w`, `g`, `m` and `v`
//! once and writes the new three; a weight that comes out non-finite is also written into the
//! step's one-value `check`, in place, which the step reads back with its losses.

use std::sync::atomic::{AtomicUsize, Ordering};

use burn::backend::ops::FloatTensorOps;
use burn::backend::tensor::FloatTensor;
use burn::backend::wgpu::{CubeBackend, CubeTensor};
use burn::backend::{Backend, Dispatch, TensorMetadata, backend_extension};
use burn::prelude::*;
use burn::tensor::DType;

use super::adam::AdamCoefficients;
use super::cube_kernels::{adam_kernel, empty_like, one_unit_per_value};

/// The new weights, moments and check of one update.
pub struct Updated {
    pub w: Tensor<1>,
    pub m: Tensor<1>,
    pub v: Tensor<1>,
    /// The check handed in, or a value that is not finite when a new weight is not.
    pub check: Tensor<1>,
}

/// Whether the kernel takes these flattened tensors: f32, off the CPU.
pub fn applies(w: &Tensor<1>, g: &Tensor<1>, m: &Tensor<1>, v: &Tensor<1>) -> bool {
    [w, g, m, v].iter().all(|t| t.dtype() == DType::F32) && !super::on_cpu(w)
}

/// How many updates went through the kernel in this process (tests check that it ran).
static CALLS: AtomicUsize = AtomicUsize::new(0);

pub fn calls() -> usize {
    CALLS.load(Ordering::Relaxed)
}

/// One Adam update of the flattened parameter `w` (with gradient `g` and moments `m`, `v`, all
/// `[n]`), through the kernel; `check` is a one-value tensor, finite until an update writes a
/// weight that is not.
pub fn update(
    w: Tensor<1>,
    g: Tensor<1>,
    m: Tensor<1>,
    v: Tensor<1>,
    check: Tensor<1>,
    k: AdamCoefficients,
) -> Updated {
    CALLS.fetch_add(1, Ordering::Relaxed);
    let (w, m, v, check) = <Dispatch as GpuAdam>::adam_update(
        w.into_dispatch(),
        g.into_dispatch(),
        m.into_dispatch(),
        v.into_dispatch(),
        check.into_dispatch(),
        k,
    );
    Updated {
        w: Tensor::from_dispatch(w),
        m: Tensor::from_dispatch(m),
        v: Tensor::from_dispatch(v),
        check: Tensor::from_dispatch(check),
    }
}

/// The update as a backend operation (CubeCL's backend, lazily through fusion; the optimiser
/// works on tensors without autodiff).
#[backend_extension(Cube: cfg(feature = "gpu"), Fusion: cfg(feature = "gpu"))]
pub trait GpuAdam: Backend {
    #[fusion(meta = |w, _g, m, v, check, _k| (w.clone(), m.clone(), v.clone(), check.clone()))]
    fn adam_update(
        w: FloatTensor<Self>,
        g: FloatTensor<Self>,
        m: FloatTensor<Self>,
        v: FloatTensor<Self>,
        check: FloatTensor<Self>,
        k: AdamCoefficients,
    ) -> (
        FloatTensor<Self>,
        FloatTensor<Self>,
        FloatTensor<Self>,
        FloatTensor<Self>,
    );
}

impl GpuAdam for CubeBackend {
    fn adam_update(
        w: CubeTensor,
        g: CubeTensor,
        m: CubeTensor,
        v: CubeTensor,
        check: CubeTensor,
        k: AdamCoefficients,
    ) -> (CubeTensor, CubeTensor, CubeTensor, CubeTensor) {
        let shape = w.shape();
        let (w_out, m_out, v_out) = (
            empty_like(&w, shape.clone()),
            empty_like(&w, shape.clone()),
            empty_like(&w, shape.clone()),
        );
        // Written in place: a copy first where another tensor shares it.
        let check = match check.can_mut() {
            true => check,
            false => CubeBackend::float_mul_scalar(check, 1.0f32.into()),
        };
        let client = w.client.clone();
        let (cubes, dim, dtype) = one_unit_per_value(&w, shape.num_elements());
        adam_kernel::launch(
            &client,
            cubes,
            dim,
            w.into_tensor_arg(),
            g.into_tensor_arg(),
            m.into_tensor_arg(),
            v.into_tensor_arg(),
            w_out.clone().into_tensor_arg(),
            m_out.clone().into_tensor_arg(),
            v_out.clone().into_tensor_arg(),
            check.clone().into_tensor_arg(),
            k.lr,
            k.b1,
            k.b2,
            k.c1,
            k.c2,
            k.eps,
            dtype,
        );
        (w_out, m_out, v_out, check)
    }
}
