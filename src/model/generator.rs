//! The U-Net generator of pix2pix: `levels` encoder blocks (Conv 4×4 s2 → norm → LeakyReLU 0.2,
//! no norm on the outermost and innermost), mirrored decoder blocks (ReLU → ConvTranspose 4×4 s2 →
//! norm → dropout on the inner full-width blocks) with skip connections, and a tanh output.

use burn::nn::Initializer;
use burn::nn::PaddingConfig2d;
use burn::nn::conv::{Conv2d, Conv2dConfig, ConvTranspose2d, ConvTranspose2dConfig};
use burn::prelude::*;
use burn::tensor::activation::{leaky_relu, relu};

use super::norm::Norm;
use super::{DropoutMasks, ModelConfig, NormKind};

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

#[derive(Module, Debug)]
pub struct UpBlock {
    conv: ConvTranspose2d,
    norm: Option<Norm>,
    dropout: bool,
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
                config.in_channels
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
            let conv = ConvTranspose2dConfig::new([up_in, up_out], [4, 4])
                .with_stride([2, 2])
                .with_padding([1, 1])
                .with_bias(bias || level == 0)
                .with_initializer(init_normal())
                .init(device);
            let norm_layer = if level == 0 {
                None
            } else {
                Norm::new(norm, up_out, device)
            };
            ups.push(UpBlock {
                conv,
                norm: norm_layer,
                dropout: config.has_dropout(level),
            });
        }
        Generator { downs, ups }
    }

    /// Number of U-Net levels: inputs must have sides that are multiples of 2^levels.
    pub fn levels(&self) -> usize {
        self.downs.len()
    }

    /// Renders a batch of encoded label maps `[N, 3, H, W]` in [-1, 1] into photos in [-1, 1].
    pub fn forward(&self, input: Tensor<4>, masks: &mut DropoutMasks) -> Tensor<4> {
        let mut skips = Vec::with_capacity(self.downs.len());
        let mut h = input;
        for (level, down) in self.downs.iter().enumerate() {
            if level > 0 {
                h = leaky_relu(h, 0.2);
            }
            h = down.conv.forward(h);
            if let Some(norm) = &down.norm {
                h = norm.forward(h);
            }
            skips.push(h.clone());
        }
        let mut u = skips.pop().expect("a generator has at least one level");
        for level in (0..self.ups.len()).rev() {
            if level + 1 < self.ups.len() {
                let skip = skips.pop().expect("one skip per level");
                u = Tensor::cat(vec![skip, u], 1);
            }
            let up = &self.ups[level];
            u = up.conv.forward(relu(u));
            if let Some(norm) = &up.norm {
                u = norm.forward(u);
            }
            if up.dropout {
                u = masks.apply(u);
            }
        }
        u.tanh()
    }
}
