//! Dropout masks and noise planes made on the host from a seeded generator, so that training is
//! reproducible (the draws of step k depend only on the run seed and k) and a render's variation
//! depends only on its seed, identically on every backend.

use burn::prelude::*;
use rand::{Rng, SeedableRng, rngs::StdRng};

/// The seed of the one noise field every render without a seed reads.
const FIXED_NOISE_SEED: u64 = 0x0015_E5EE_D000;

/// The masks and noise for one generator forward pass, or none (deterministic render).
pub struct DropoutMasks {
    rng: Option<StdRng>,
    rate: f64,
}

impl DropoutMasks {
    /// No dropout: the deterministic output.
    pub fn off() -> Self {
        DropoutMasks {
            rng: None,
            rate: 0.0,
        }
    }

    pub fn seeded(seed: u64, rate: f64) -> Self {
        DropoutMasks {
            rng: Some(StdRng::seed_from_u64(seed)),
            rate,
        }
    }

    /// Applies inverted dropout (kept units scaled by 1/(1-p)) when masks are on.
    pub fn apply(&mut self, x: Tensor<4>) -> Tensor<4> {
        let Some(rng) = self.rng.as_mut() else {
            return x;
        };
        if self.rate <= 0.0 {
            return x;
        }
        let dims = x.dims();
        let keep = 1.0 - self.rate;
        let scale = (1.0 / keep) as f32;
        let n: usize = dims.iter().product();
        let mask: Vec<f32> = (0..n)
            .map(|_| {
                if rng.random::<f64>() < keep {
                    scale
                } else {
                    0.0
                }
            })
            .collect();
        let device = x.device();
        let mask = Tensor::<4>::from_data(TensorData::new(mask, dims), &device);
        x * mask
    }

    /// Noise planes of shape `dims`, uniform with zero mean and unit variance: drawn from the
    /// masks' generator, or without one (a deterministic render) always the same field.
    pub fn noise(&mut self, dims: [usize; 4], device: &Device) -> Tensor<4> {
        let mut fixed = StdRng::seed_from_u64(FIXED_NOISE_SEED);
        let rng = self.rng.as_mut().unwrap_or(&mut fixed);
        let half_width = 3f32.sqrt();
        let values: Vec<f32> = (0..dims.iter().product::<usize>())
            .map(|_| (2.0 * rng.random::<f32>() - 1.0) * half_width)
            .collect();
        Tensor::from_data(TensorData::new(values, dims), device)
    }
}
