//! Normalisation with batch (or per-sample) statistics, at training and test time alike, as
//! pix2pix does. No running statistics are kept, so a model behaves the same in both modes.

use burn::module::Param;
use burn::prelude::*;
use burn::tensor::Distribution;

use super::NormKind;
use crate::kernels;

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

    /// Channels it normalises.
    pub fn channels(&self) -> usize {
        self.gamma.dims()[0]
    }

    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let (gamma, beta) = (self.gamma.val(), self.beta.val());
        let x = match kernels::norm(x, &gamma, &beta, self.per_sample, EPS) {
            Ok(y) => return y,
            Err(x) => x,
        };
        let [n, c, h, w] = x.dims();
        // Per-channel mean and E[x²] (one pass each over the activations), folded into one scale
        // and one shift, so the activations are read twice more rather than five times.
        let flat = x.clone().reshape([n, c, h * w]);
        let mut mean = flat.clone().mean_dim(2);
        let mut mean_sq = flat.square().mean_dim(2);
        if !self.per_sample {
            mean = mean.mean_dim(0);
            mean_sq = mean_sq.mean_dim(0);
        }
        let rows = if self.per_sample { n } else { 1 };
        let mean = mean.reshape([rows, c, 1, 1]);
        let var = (mean_sq.reshape([rows, c, 1, 1]) - mean.clone().square()).clamp_min(0.0);
        let scale = (var + EPS).sqrt().recip() * gamma.reshape([1, c, 1, 1]);
        let shift = beta.reshape([1, c, 1, 1]) - mean * scale.clone();
        x * scale + shift
    }
}
