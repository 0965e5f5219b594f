//! Activations and weights laid out channels-last on the GPU: the order Burn's convolution
//! (burn-cubecl 0.22) reads them in. It converts its input and its weight to that order at every
//! call — a copy kernel each, about 30 of a render's 83 launches before — unless they are
//! already stored so, as a view `[n, c, h, w]` over `[n, h, w, c]` memory. So the normalisation
//! writes its output that way ([`super::gpu_norm`]), and a generator prepared for rendering keeps
//! its convolution weights that way ([`channels_last_weight`]).

use burn::backend::ops::FloatTensorOps;
use burn::backend::tensor::FloatTensor;
use burn::backend::wgpu::{CubeBackend, CubeTensor};
use burn::backend::{Backend, Dispatch, TensorMetadata, backend_extension};
use burn::module::{Module, ModuleMapper, Param};
use burn::prelude::*;
use burn::tensor::Shape;

use super::cube_kernels::{channels_last_kernel, empty_like, one_unit_per_value};

/// A new `[n, c, h, w]` tensor like `x` whose values lie channel fastest.
pub fn empty_channels_last(x: &CubeTensor) -> CubeTensor {
    let s = x.shape();
    let stored = empty_like(x, Shape::new([s[0], s[2], s[3], s[1]]));
    CubeBackend::float_permute(stored, &[0, 3, 1, 2])
}

/// Whether Burn's convolution reads the layers' inputs here (the default, `FACADE_GPU_CONV`
/// unset): the tiled kernel reads neighbouring positions side by side and wants them so.
pub fn burn_reads_convolutions() -> bool {
    super::gpu_conv() != "tiled"
}

/// A convolution weight `[co, ci, kh, kw]` stored channels-last, off the CPU, when Burn's
/// convolution is the one to read it and nothing tracks it for gradients; `w` itself
/// otherwise. The values are the same.
pub fn channels_last_weight(w: Tensor<4>) -> Tensor<4> {
    if super::on_cpu(&w) || w.is_autodiff() || !burn_reads_convolutions() {
        return w;
    }
    Tensor::from_dispatch(<Dispatch as ChannelsLast>::to_channels_last(
        w.into_dispatch(),
    ))
}

/// The copy into channels-last order as a backend operation (CubeCL's backend, lazily through
/// fusion).
#[backend_extension(Cube: cfg(feature = "gpu"), Fusion: cfg(feature = "gpu"))]
pub trait ChannelsLast: Backend {
    #[fusion(dtype = x, shape = x)]
    fn to_channels_last(x: FloatTensor<Self>) -> FloatTensor<Self>;
}

impl ChannelsLast for CubeBackend {
    fn to_channels_last(x: CubeTensor) -> CubeTensor {
        let out = empty_channels_last(&x);
        let client = x.client.clone();
        let (cubes, dim, dtype) = one_unit_per_value(&x, out.shape().num_elements());
        // The kernel writes the storage, `[n, h, w, c]` contiguous.
        let stored = CubeBackend::float_permute(out.clone(), &[0, 2, 3, 1]);
        channels_last_kernel::launch(
            &client,
            cubes,
            dim,
            x.into_tensor_arg(),
            stored.into_tensor_arg(),
            dtype,
        );
        out
    }
}

/// `module` with every 4-D float parameter (its convolution weights) passed through
/// [`channels_last_weight`]: for a model that only renders.
pub fn weights_channels_last<M: Module>(module: M) -> M {
    module.map(&mut WeightLayout)
}

struct WeightLayout;

impl ModuleMapper for WeightLayout {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        if D != 4 {
            return param;
        }
        param.map(|t| {
            let w = channels_last_weight(Tensor::<4>::from_dispatch(t.into_dispatch()));
            Tensor::from_dispatch(w.into_dispatch())
        })
    }
}
