//! Dropout masks made on the host from a seeded generator, so that training is reproducible
//! (the masks of step k depend only on the run seed and k) and a render's variation depends only
//! on its seed, identically on every backend.

use burn::prelude::*;
use rand::{Rng, SeedableRng, rngs::StdRng};

/// The masks for one generator forward pass, or none (deterministic render).
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
}
