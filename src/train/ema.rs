//! An exponential moving average of the generator's weights (Yazıcı et al., "The Unusual
//! Effectiveness of Averaging in GAN Training", ICLR 2019): `ema ← d·ema + (1 − d)·weights` after
//! every step. The average renders smoother, steadier images than the weights of any one step, so
//! it is what samples, exports and the app use. Early on the decay is lowered to
//! `(1 + t) / (10 + t)` after `t` updates (as TensorFlow's moving averages do), so that a short
//! run's average is not held back by its starting weights.

use burn::module::Module;

use crate::model::Generator;
use crate::model::blend::blend;

/// The averaged generator (no autodiff), kept on the training device.
#[derive(Debug, Clone)]
pub struct Ema {
    pub decay: f64,
    pub generator: Generator,
    /// Updates folded in so far (a resumed run sets it to its step).
    pub updates: u64,
}

impl Ema {
    /// Starts the average at `generator`'s current weights.
    pub fn new(decay: f64, generator: &Generator) -> Ema {
        Ema {
            decay,
            generator: generator.valid(),
            updates: 0,
        }
    }

    /// The decay the next update uses: `decay`, lowered while few updates are in.
    pub fn current_decay(&self) -> f64 {
        let t = self.updates as f64;
        self.decay.min((1.0 + t) / (10.0 + t))
    }

    /// Folds the trained generator's current weights into the average (a blend of the two:
    /// [`crate::model::blend`]).
    pub fn update(&mut self, trained: &Generator) {
        let take = 1.0 - self.current_decay() as f32;
        self.generator = blend(self.generator.clone(), trained, take)
            .expect("the average has the trained generator's architecture");
        self.updates += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ModelConfig;
    use crate::model::blend::{all_weights, two_tiny_generators};
    use burn::prelude::Device;

    /// An update is the blend a quarter of the way to the trained weights at decay 0.75 (the
    /// blend itself is tested in `model::blend`).
    #[test]
    fn moves_a_fraction_of_the_way_to_the_trained_weights() {
        let (start, trained) = two_tiny_generators();
        let mut ema = Ema::new(0.75, &start);
        ema.updates = 1000; // past the warm-up: the decay is 0.75
        ema.update(&trained);
        let expected = blend(start.clone(), &trained, 0.25).unwrap();
        let averaged = all_weights(&ema.generator);
        assert_eq!(averaged, all_weights(&expected));
        assert_ne!(averaged, all_weights(&start));
    }

    #[test]
    fn the_decay_warms_up_to_its_value() {
        let device = Device::flex();
        let g = ModelConfig::new()
            .with_ngf(2)
            .with_ndf(2)
            .with_size(16)
            .init_generator(&device);
        let mut ema = Ema::new(0.999, &g);
        assert!((ema.current_decay() - 0.1).abs() < 1e-12);
        ema.updates = 90;
        assert!((ema.current_decay() - 0.91).abs() < 1e-12);
        ema.updates = 1_000_000;
        assert_eq!(ema.current_decay(), 0.999);
    }
}
