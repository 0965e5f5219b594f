//! Normalisation with batch (or per-sample) statistics, at training and test time alike, as
//! pix2pix does. No running statistics are kept, so a model behaves the same in both modes.

use burn::module::Param;
use burn::prelude::*;
use burn::tensor::Distribution;

use super::NormKind;

#[derive(Module, Debug)]
pub struct Norm {
    gamma: Param<Tensor<1>>,
    beta: Param<Tensor<1>>,
    per_sample: bool,
}

const EPS: f64 = 1e-5;

impl Norm {
    /// `None` for `NormKind::None`.
    pub fn new(kind: NormKind, channels: usize, device: &Device) -> Option<Norm> {
        let per_sample = match kind {
            NormKind::Batch => false,
            NormKind::Instance => true,
            NormKind::None => return None,
        };
        // pix2pix initialises the scale N(1, 0.02) and the shift 0.
        let gamma = Tensor::random([channels], Distribution::Normal(1.0, 0.02), device);
        let beta = Tensor::zeros([channels], device);
        Some(Norm {
            gamma: Param::from_tensor(gamma),
            beta: Param::from_tensor(beta),
            per_sample,
        })
    }

    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let [n, c, h, w] = x.dims();
        let (mean, var) = if self.per_sample {
            let flat = x.clone().reshape([n, c, h * w]);
            let (var, mean) = flat.var_mean_bias(2);
            (mean.reshape([n, c, 1, 1]), var.reshape([n, c, 1, 1]))
        } else {
            // (N, C, H, W) → (C, N·H·W): statistics per channel over the batch and the plane.
            let flat = x.clone().swap_dims(0, 1).reshape([c, n * h * w]);
            let (var, mean) = flat.var_mean_bias(1);
            (mean.reshape([1, c, 1, 1]), var.reshape([1, c, 1, 1]))
        };
        let scale = (var + EPS).sqrt().recip() * self.gamma.val().reshape([1, c, 1, 1]);
        (x - mean) * scale + self.beta.val().reshape([1, c, 1, 1])
    }
}
