//! An exponential moving average of the generator's weights (Yazıcı et al., "The Unusual
//! Effectiveness of Averaging in GAN Training", ICLR 2019): `ema ← d·ema + (1 − d)·weights` after
//! every step. The average renders smoother, steadier images than the weights of any one step, so
//! it is what samples, exports and the app use. Early on the decay is lowered to
//! `(1 + t) / (10 + t)` after `t` updates (as TensorFlow's moving averages do), so that a short
//! run's average is not held back by its starting weights.

use std::collections::HashMap;

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::prelude::*;

use crate::model::Generator;

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

    /// Folds the trained generator's current weights into the average.
    pub fn update(&mut self, trained: &Generator) {
        let mut current = Collect::default();
        trained.visit(&mut current);
        let mut blend = Blend {
            current: current.0,
            decay: self.current_decay() as f32,
        };
        self.generator = self.generator.clone().map(&mut blend);
        self.updates += 1;
    }
}

/// The trained weights by parameter id, flattened, without autodiff.
#[derive(Default)]
struct Collect(HashMap<ParamId, Tensor<1>>);

impl ModuleVisitor for Collect {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let value = param.val().inner();
        let n = value.shape().num_elements();
        self.0.insert(param.id, value.reshape([n]));
    }
}

struct Blend {
    current: HashMap<ParamId, Tensor<1>>,
    decay: f32,
}

impl ModuleMapper for Blend {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let Some(current) = self.current.remove(&param.id) else {
            return param;
        };
        let decay = self.decay;
        param.map(|avg| {
            let shape = avg.shape();
            avg * decay + current.reshape(shape) * (1.0 - decay)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ModelConfig;

    fn first_weight(g: &Generator) -> Vec<f32> {
        struct First(Option<Vec<f32>>);
        impl ModuleVisitor for First {
            fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
                if self.0.is_none() {
                    self.0 = param.val().into_data().try_into_vec::<f32>().ok();
                }
            }
        }
        let mut f = First(None);
        g.visit(&mut f);
        f.0.expect("a generator has weights")
    }

    #[test]
    fn moves_a_fraction_of_the_way_to_the_trained_weights() {
        let device = Device::flex();
        let config = ModelConfig::new().with_ngf(2).with_ndf(2).with_size(16);
        let start = config.init_generator(&device);
        let mut ema = Ema::new(0.75, &start);
        ema.updates = 1000; // past the warm-up: the decay is 0.75
        // The trained copy keeps the parameters' ids (as training does) with other values.
        struct Shift;
        impl ModuleMapper for Shift {
            fn map_float<const D: usize>(&mut self, p: Param<Tensor<D>>) -> Param<Tensor<D>> {
                p.map(|t| t.clone() * 3.0 + 0.5)
            }
        }
        let trained = start.clone().map(&mut Shift);
        ema.update(&trained);
        let (a, b, avg) = (
            first_weight(&start),
            first_weight(&trained),
            first_weight(&ema.generator),
        );
        assert_eq!(a.len(), avg.len());
        assert_eq!(b.len(), avg.len());
        let mut moved = 0;
        for i in 0..avg.len() {
            let want = 0.75 * a[i] + 0.25 * b[i];
            assert!(
                (avg[i] - want).abs() < 1e-6,
                "weight {i}: {} vs {want}",
                avg[i]
            );
            moved += (a[i] != b[i]) as usize;
        }
        assert!(
            moved > 0,
            "the two generators must differ for the test to mean anything"
        );
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
