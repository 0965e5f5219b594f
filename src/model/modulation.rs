//! Label-driven modulation of the decoder's normalisation (SPADE, Park et al. 2019, in the cheap
//! per-pixel form of CLADE, Tan et al. 2021): after a decoder layer's instance norm, each
//! pixel's activations are scaled and shifted by amounts computed from the generator's input
//! at that pixel — its class colour and its style colour — by a small 1×1 network. The
//! normalisation can no longer wash a large plain region (sky, a big wall) out to the average:
//! the layout and the style say what belongs there at every decoder level.
//!
//! The scale and shift start at zero, so a model given the modulation renders exactly as it did
//! without it (a fine-tune starts where the model was).

use burn::nn::Initializer;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::prelude::*;
use burn::tensor::module::avg_pool2d;
use burn::tensor::ops::AvgPoolOptions;

use crate::kernels;

#[derive(Module, Debug)]
pub struct Modulation {
    /// Input planes → hidden features (1×1).
    shared: Conv2d,
    /// Hidden → per-channel scale (1×1; the activations are multiplied by 1 + it).
    gamma: Conv2d,
    /// Hidden → per-channel shift (1×1).
    beta: Conv2d,
}

impl Modulation {
    /// For `channels` activations, from `inputs` input planes through `hidden` features.
    pub fn new(inputs: usize, hidden: usize, channels: usize, device: &Device) -> Modulation {
        let zero = |cin: usize, cout: usize| {
            Conv2dConfig::new([cin, cout], [1, 1])
                .with_initializer(Initializer::Zeros)
                .init(device)
        };
        Modulation {
            // Burn's default (Kaiming-uniform) start for the hidden features.
            shared: Conv2dConfig::new([inputs, hidden], [1, 1]).init(device),
            gamma: zero(hidden, channels),
            beta: zero(hidden, channels),
        }
    }

    /// `x` (normalised) modulated by `cond`, the input planes at `x`'s resolution.
    pub fn forward(&self, x: Tensor<4>, cond: Tensor<4>) -> Tensor<4> {
        let h = kernels::leaky_relu(kernels::conv2d_layer(&self.shared, cond), 0.0);
        let gamma = kernels::conv2d_layer(&self.gamma, h.clone());
        let beta = kernels::conv2d_layer(&self.beta, h);
        x.clone() * gamma + x + beta
    }

    /// The same modulation reading `extra` more input planes, with zero weights on them.
    pub fn with_extra_inputs(mut self, extra: usize) -> Modulation {
        self.shared = super::input_planes::with_extra_input_planes(self.shared, extra);
        self
    }

    /// The same modulation reading only its first `keep` input planes.
    pub fn with_first_inputs(mut self, keep: usize) -> Modulation {
        self.shared = super::input_planes::with_first_input_planes(self.shared, keep);
        self
    }
}

/// `input` at 1, 1/2, 1/4 … of its resolution (`levels` entries): each the 2×2 average of the
/// one before (a pixel's share of each class colour at that scale).
pub fn pyramid(input: Tensor<4>, levels: usize) -> Vec<Tensor<4>> {
    let mut out = Vec::with_capacity(levels);
    let mut x = input;
    for level in 0..levels {
        if level > 0 {
            x = avg_pool2d(x, AvgPoolOptions::new([2, 2]).with_stride([2, 2]));
        }
        out.push(x.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{DropoutMasks, ModelConfig};

    fn render(g: &crate::model::Generator, input: &Tensor<4>) -> Vec<f32> {
        let out = g.forward(input.clone(), &mut DropoutMasks::off());
        out.into_data().try_into_vec::<f32>().unwrap()
    }

    #[test]
    fn an_added_modulation_starts_at_zero_and_then_follows_the_labels() {
        let device = Device::flex();
        let config = ModelConfig::new().with_size(16).with_width(4);
        let plain = crate::model::seeded_init(&device, 1, || config.init_generator(&device));
        let input = Tensor::<4>::random(
            [1, config.generator_inputs(), 16, 16],
            burn::tensor::Distribution::Uniform(-1.0, 1.0),
            &device,
        );
        let before = render(&plain, &input);
        let modulated = plain.with_modulation(8, &device);
        assert!(modulated.is_modulated());
        assert_eq!(render(&modulated, &input), before, "zero scale and shift");

        // A non-zero scale and shift change the render, and by the input at each pixel.
        struct Ones;
        impl burn::module::ModuleMapper for Ones {
            fn map_float<const D: usize>(
                &mut self,
                param: burn::module::Param<Tensor<D>>,
            ) -> burn::module::Param<Tensor<D>> {
                let (id, t, mapper) = param.consume();
                let t = match D {
                    4 if t.dims()[2] == 1 => t.ones_like() * 0.1,
                    _ => t,
                };
                burn::module::Param::from_mapped_value(id, t, mapper)
            }
        }
        let nudged = modulated.map(&mut Ones);
        let after = render(&nudged, &input);
        assert_eq!(after.len(), before.len());
        assert!(after.iter().zip(&before).any(|(a, b)| (a - b).abs() > 1e-3));
    }

    #[test]
    fn the_pyramid_halves_by_averaging() {
        let device = Device::flex();
        let x = Tensor::<4>::from_data(
            TensorData::new((0..16).map(|v| v as f32).collect::<Vec<_>>(), [1, 1, 4, 4]),
            &device,
        );
        let levels = pyramid(x, 3);
        let dims: Vec<[usize; 4]> = levels.iter().map(|t| t.dims()).collect();
        assert_eq!(dims, vec![[1, 1, 4, 4], [1, 1, 2, 2], [1, 1, 1, 1]]);
        let coarse = levels[2].clone().into_data().try_into_vec::<f32>().unwrap();
        assert_eq!(coarse, vec![7.5]);
    }
}
