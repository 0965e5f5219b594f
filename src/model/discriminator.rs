//! The 70×70 PatchGAN discriminator: it classifies overlapping 70×70 patches of
//! concat(labels, photo) as real or fake, giving a 30×30 map of logits at 256 px.

use burn::nn::PaddingConfig2d;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::prelude::*;
use burn::tensor::activation::leaky_relu;

use super::generator::init_normal;
use super::norm::Norm;
use super::{ModelConfig, NormKind};

#[derive(Module, Debug)]
pub struct DiscBlock {
    conv: Conv2d,
    norm: Option<Norm>,
}

#[derive(Module, Debug)]
pub struct Discriminator {
    blocks: Vec<DiscBlock>,
    head: Conv2d,
}

impl Discriminator {
    pub fn new(config: &ModelConfig, device: &Device) -> Discriminator {
        let ndf = config.ndf;
        let bias = config.norm != NormKind::Batch;
        // (in, out, stride, normalised): 64-128-256 stride 2, 512 stride 1 (paper's n_layers = 3).
        let c_in = config.in_channels + config.out_channels;
        let layout = [
            (c_in, ndf, 2, false),
            (ndf, ndf * 2, 2, true),
            (ndf * 2, ndf * 4, 2, true),
            (ndf * 4, ndf * 8, 1, true),
        ];
        let conv = |cin: usize, cout: usize, stride: usize, bias: bool| {
            Conv2dConfig::new([cin, cout], [4, 4])
                .with_stride([stride, stride])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .with_bias(bias)
                .with_initializer(init_normal())
                .init(device)
        };
        let blocks = layout
            .iter()
            .map(|&(cin, cout, stride, normalised)| DiscBlock {
                conv: conv(cin, cout, stride, bias || !normalised),
                norm: if normalised {
                    Norm::new(config.norm, cout, device)
                } else {
                    None
                },
            })
            .collect();
        let head = conv(ndf * 8, 1, 1, true);
        Discriminator { blocks, head }
    }

    /// Patch logits `[N, 1, H/8 - 2, W/8 - 2]` for `pair = concat(labels, photo)` on channels.
    pub fn forward(&self, pair: Tensor<4>) -> Tensor<4> {
        let mut h = pair;
        for block in &self.blocks {
            h = block.conv.forward(h);
            if let Some(norm) = &block.norm {
                h = norm.forward(h);
            }
            h = leaky_relu(h, 0.2);
        }
        self.head.forward(h)
    }
}
