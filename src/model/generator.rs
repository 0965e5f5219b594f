//! The U-Net generator of pix2pix: `levels` encoder blocks (Conv 4×4 s2 → norm → LeakyReLU 0.2,
//! no norm on the outermost and innermost), mirrored decoder blocks (ReLU → upsampling ×2 →
//! norm → dropout on the inner full-width blocks) with skip connections, and a tanh output. The
//! upsampling is the paper's ConvTranspose 4×4 s2, or nearest ×2 + 3×3 convolution
//! ([`Upsample`]), which leaves no stride-2 grid in the render.

use burn::nn::Initializer;
use burn::nn::PaddingConfig2d;
use burn::nn::conv::{Conv2d, Conv2dConfig, ConvTranspose2d, ConvTranspose2dConfig};
use burn::prelude::*;

use super::input_planes::{with_extra_input_planes, with_first_input_planes, zeros_after};
use super::modulation::{Modulation, pyramid};
use super::norm::Norm;
use super::upsample::{PhaseConv, ResizeConv};
use super::{DropoutMasks, ModelConfig, NormKind, Upsample};
use crate::kernels;

/// The initialisation pix2pix uses for every convolution: N(0, 0.02).
pub(crate) fn init_normal() -> Initializer {
    Initializer::Normal {
        mean: 0.0,
        std: 0.02,
    }
}

#[derive(Module, Debug)]
pub struct DownBlock {
    conv: Conv2d,
    norm: Option<Norm>,
}

/// A decoder block. Exactly one of `conv` (the paper's transposed convolution; the field keeps
/// its name so that models saved before the option load unchanged), `resize` and `phase` (a
/// nearest + 3×3 layer prepared for rendering on the GPU; never saved) is set.
#[derive(Module, Debug)]
pub struct UpBlock {
    conv: Option<ConvTranspose2d>,
    resize: Option<ResizeConv>,
    norm: Option<Norm>,
    dropout: bool,
    phase: Option<PhaseConv>,
    /// The label modulation after the norm (models with [`ModelConfig::modulation`]; absent
    /// from older files, which load as `None`).
    modulation: Option<Modulation>,
}

impl UpBlock {
    fn upsample(&self, x: Tensor<4>) -> Tensor<4> {
        match (&self.conv, &self.resize, &self.phase) {
            (Some(conv), _, _) => kernels::conv_transpose2d_layer(conv, x),
            (None, Some(resize), _) => resize.forward(x),
            (None, None, Some(phase)) => phase.forward(x),
            (None, None, None) => unreachable!("a decoder block has an upsampling layer"),
        }
    }

    /// The same block computing the same function with its nearest + 3×3 layer's kernel
    /// computed once: on the CPU as the equivalent transposed convolution, elsewhere as its
    /// phase kernels.
    fn into_fixed_kernel(self) -> UpBlock {
        let Some(resize) = self.resize else {
            return self;
        };
        if !kernels::on_cpu(&resize.weight.val()) {
            return UpBlock {
                phase: Some(PhaseConv::of(&resize)),
                resize: None,
                ..self
            };
        }
        let kernel = resize.kernel();
        let [ci, co, _, _] = kernel.dims();
        let mut conv = ConvTranspose2dConfig::new([ci, co], [4, 4])
            .with_stride([2, 2])
            .with_padding([1, 1])
            .with_bias(resize.bias.is_some())
            .init(&kernel.device());
        conv.weight = burn::module::Param::from_tensor(kernel);
        conv.bias = resize.bias;
        UpBlock {
            conv: Some(conv),
            resize: None,
            ..self
        }
    }

    /// The same block with its transposed convolution replaced by the closest nearest + 3×3
    /// layer (least squares); blocks that already have one are unchanged.
    fn into_resize(self) -> UpBlock {
        let Some(conv) = self.conv else {
            return self;
        };
        let bias = conv.bias.map(|b| b.val());
        UpBlock {
            conv: None,
            resize: Some(ResizeConv::project(conv.weight.val(), bias)),
            ..self
        }
    }
}

#[derive(Module, Debug)]
pub struct Generator {
    downs: Vec<DownBlock>,
    /// `ups[i]` mirrors `downs[i]`: it produces the resolution of `downs[i]`'s input.
    ups: Vec<UpBlock>,
}

impl Generator {
    pub fn new(config: &ModelConfig, device: &Device) -> Generator {
        let n = config.levels();
        let norm = config.norm;
        let bias = norm != NormKind::Batch;
        let mut downs = Vec::with_capacity(n);
        let mut ups = Vec::with_capacity(n);
        for level in 0..n {
            let c_in = if level == 0 {
                config.generator_inputs()
            } else {
                config.width(level - 1)
            };
            let c_out = config.width(level);
            let conv = Conv2dConfig::new([c_in, c_out], [4, 4])
                .with_stride([2, 2])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .with_bias(bias)
                .with_initializer(init_normal())
                .init(device);
            let innermost = level + 1 == n;
            let norm_layer = if level == 0 || innermost {
                None
            } else {
                Norm::new(norm, c_out, device)
            };
            downs.push(DownBlock {
                conv,
                norm: norm_layer,
            });

            let up_in = if innermost { c_out } else { 2 * c_out };
            let up_out = if level == 0 {
                config.out_channels
            } else {
                c_in
            };
            let up_bias = bias || level == 0;
            let (conv, resize) = match config.upsample {
                Upsample::Transposed => {
                    let conv = ConvTranspose2dConfig::new([up_in, up_out], [4, 4])
                        .with_stride([2, 2])
                        .with_padding([1, 1])
                        .with_bias(up_bias)
                        .with_initializer(init_normal())
                        .init(device);
                    (Some(conv), None)
                }
                Upsample::NearestConv => {
                    (None, Some(ResizeConv::new(up_in, up_out, up_bias, device)))
                }
            };
            let norm_layer = if level == 0 {
                None
            } else {
                Norm::new(norm, up_out, device)
            };
            let modulation = (config.modulation > 0 && norm_layer.is_some()).then(|| {
                Modulation::new(config.generator_inputs(), config.modulation, up_out, device)
            });
            ups.push(UpBlock {
                conv,
                resize,
                norm: norm_layer,
                dropout: config.has_dropout(level),
                phase: None,
                modulation,
            });
        }
        Generator { downs, ups }
    }

    /// Number of U-Net levels: inputs must have sides that are multiples of 2^levels.
    pub fn levels(&self) -> usize {
        self.downs.len()
    }

    /// The same generator with every transposed convolution replaced by its closest nearest +
    /// 3×3 layer: a model trained with [`Upsample::Transposed`] as the start of a fine-tune with
    /// [`Upsample::NearestConv`].
    pub fn into_resize_upsampling(self) -> Generator {
        Generator {
            ups: self.ups.into_iter().map(UpBlock::into_resize).collect(),
            ..self
        }
    }

    /// The same network with `extra` more output planes after its own, their weights and bias
    /// zero (a segmenter as the start of an OASIS discriminator, whose last output is "fake").
    /// None when the outermost layer is not a nearest + 3×3 one.
    pub fn with_extra_outputs(mut self, extra: usize) -> Option<Generator> {
        let outer = self.ups.first_mut()?;
        let resize = outer.resize.as_mut()?;
        resize.weight =
            burn::module::Param::from_tensor(zeros_after(resize.weight.val(), 1, extra));
        if let Some(bias) = &resize.bias {
            resize.bias = Some(burn::module::Param::from_tensor(zeros_after(
                bias.val(),
                0,
                extra,
            )));
        }
        Some(self)
    }

    /// The same generator taking `extra` more input planes, with zero weights on them: it renders
    /// exactly as before whatever they hold (a model without style inputs as the start of a
    /// style-capable fine-tune).
    pub fn with_extra_inputs(mut self, extra: usize) -> Generator {
        if extra == 0 {
            return self;
        }
        let first = self.downs[0].conv.clone();
        self.downs[0].conv = with_extra_input_planes(first, extra);
        self.map_modulations(|m| m.with_extra_inputs(extra))
    }

    /// The same generator taking only its first `keep` input planes (a style-capable model as
    /// the start of a task without styles: its style planes' weights are dropped).
    pub fn with_first_inputs(mut self, keep: usize) -> Generator {
        if keep >= self.inputs() {
            return self;
        }
        let first = self.downs[0].conv.clone();
        self.downs[0].conv = with_first_input_planes(first, keep);
        self.map_modulations(|m| m.with_first_inputs(keep))
    }

    /// The same generator with a label modulation of `hidden` features after every decoder
    /// norm that has none, starting at zero (it renders exactly as before). `device` is the
    /// generator's; call it under [`super::seeded_init`] for reproducible weights.
    pub fn with_modulation(self, hidden: usize, device: &Device) -> Generator {
        let inputs = self.inputs();
        let ups = self
            .ups
            .into_iter()
            .map(|up| {
                let channels = up.norm.as_ref().map(Norm::channels);
                match (up.modulation.is_none(), channels) {
                    (true, Some(c)) => UpBlock {
                        modulation: Some(Modulation::new(inputs, hidden, c, device)),
                        ..up
                    },
                    _ => up,
                }
            })
            .collect();
        Generator { ups, ..self }
    }

    /// Whether the decoder has a label modulation.
    pub fn is_modulated(&self) -> bool {
        self.ups.iter().any(|u| u.modulation.is_some())
    }

    fn map_modulations(self, f: impl Fn(Modulation) -> Modulation) -> Generator {
        let ups = self
            .ups
            .into_iter()
            .map(|up| UpBlock {
                modulation: up.modulation.map(&f),
                ..up
            })
            .collect();
        Generator { ups, ..self }
    }

    /// Input planes the generator takes.
    pub fn inputs(&self) -> usize {
        self.downs[0].conv.weight.dims()[1]
    }

    /// Whether it takes style planes after the label image (see [`crate::style`]).
    pub fn takes_style(&self) -> bool {
        self.inputs() > 3
    }

    /// The same function, faster to evaluate: each nearest + 3×3 layer's equivalent 4×4 kernel is
    /// computed once instead of at every forward pass (they cost as much as a transposed
    /// convolution then), and on a GPU the weights are stored in the order its convolution reads
    /// them (`kernels::layout`: no copy of each weight at every render). For rendering only: the
    /// result has no 3×3 weights to train or save.
    pub fn for_rendering(self) -> Generator {
        let fixed = Generator {
            ups: self
                .ups
                .into_iter()
                .map(UpBlock::into_fixed_kernel)
                .collect(),
            ..self
        };
        #[cfg(feature = "gpu")]
        let fixed = kernels::layout::weights_channels_last(fixed);
        fixed
    }

    /// Renders a batch of encoded label maps `[N, 3, H, W]` in [-1, 1] into photos in [-1, 1].
    pub fn forward(&self, input: Tensor<4>, masks: &mut DropoutMasks) -> Tensor<4> {
        kernels::tanh(self.forward_logits(input, masks))
    }

    /// The output before the final tanh (the class scores of a segmenter).
    pub fn forward_logits(&self, input: Tensor<4>, masks: &mut DropoutMasks) -> Tensor<4> {
        kernels::on_workers(|| self.forward_layers(input, masks, None))
    }

    /// [`Generator::forward_logits`] and, from the same pass, the encoder's features
    /// ([`Generator::encoder_features`]).
    pub fn forward_logits_and_features(
        &self,
        input: Tensor<4>,
        masks: &mut DropoutMasks,
    ) -> (Tensor<4>, Vec<Tensor<4>>) {
        let mut features = Vec::with_capacity(self.downs.len());
        let logits = kernels::on_workers(|| self.forward_layers(input, masks, Some(&mut features)));
        (logits, features)
    }

    /// The encoder's convolution outputs, outermost level first, each before its normalisation
    /// (what a photo looks like to the network at every scale: `eval`'s distribution figure).
    pub fn encoder_features(&self, input: Tensor<4>) -> Vec<Tensor<4>> {
        let mut features = Vec::with_capacity(self.downs.len());
        kernels::on_workers(|| self.encode(input, Some(&mut features)));
        features
    }

    /// The encoder: every level's normalised output (the skip connections), and into `features`
    /// each level's convolution output before its normalisation. Without `features` nothing
    /// else holds a level's output, so the normalisation can work in place.
    fn encode(
        &self,
        input: Tensor<4>,
        mut features: Option<&mut Vec<Tensor<4>>>,
    ) -> Vec<Tensor<4>> {
        let mut skips = Vec::with_capacity(self.downs.len());
        let mut h = input;
        for (level, down) in self.downs.iter().enumerate() {
            if level > 0 {
                h = kernels::leaky_relu(h, 0.2);
            }
            h = kernels::conv2d_layer(&down.conv, h);
            if let Some(features) = features.as_mut() {
                features.push(h.clone());
            }
            if let Some(norm) = &down.norm {
                h = norm.forward(h);
            }
            skips.push(h.clone());
        }
        skips
    }

    fn forward_layers(
        &self,
        input: Tensor<4>,
        masks: &mut DropoutMasks,
        features: Option<&mut Vec<Tensor<4>>>,
    ) -> Tensor<4> {
        let conditions = match self.is_modulated() {
            true => pyramid(input.clone(), self.ups.len()),
            false => Vec::new(),
        };
        let mut skips = self.encode(input, features);
        let mut u = skips.pop().expect("a generator has at least one level");
        for level in (0..self.ups.len()).rev() {
            // The innermost decoder layer reads the bottleneck alone, every other one reads it
            // beside the skip connection from its own level.
            let x = if level + 1 < self.ups.len() {
                let skip = skips.pop().expect("one skip per level");
                kernels::cat_relu(skip, u)
            } else {
                kernels::leaky_relu(u, 0.0)
            };
            let up = &self.ups[level];
            u = up.upsample(x);
            if let Some(norm) = &up.norm {
                u = norm.forward(u);
            }
            if let (Some(m), Some(cond)) = (&up.modulation, conditions.get(level)) {
                u = m.forward(u, cond.clone());
            }
            if up.dropout {
                u = masks.apply(u);
            }
        }
        u
    }
}
