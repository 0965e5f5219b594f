//! The 70×70 PatchGAN discriminator: it classifies overlapping 70×70 patches of
//! concat(labels, photo) as real or fake, giving a 30×30 map of logits at 256 px; optionally
//! more of them at coarser resolutions (pix2pixHD, Wang et al. 2018).

use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{Initializer, PaddingConfig2d};
use burn::prelude::*;
use burn::tensor::module::avg_pool2d;
use burn::tensor::ops::AvgPoolOptions;

use super::DropoutMasks;
use super::generator::{Generator, init_normal};
use super::norm::Norm;
use super::{ModelConfig, NormKind};
use crate::kernels;

#[derive(Module, Debug)]
pub struct DiscBlock {
    conv: Conv2d,
    norm: Option<Norm>,
}

/// One 70×70 PatchGAN at one resolution.
#[derive(Module, Debug)]
pub struct PatchGan {
    blocks: Vec<DiscBlock>,
    head: Conv2d,
}

/// What a discriminator says about one resolution: the activations of each block (for the
/// feature-matching loss) and the patch logits.
pub struct ScaleOutput {
    pub features: Vec<Tensor<4>>,
    pub logits: Tensor<4>,
}

/// PatchGANs at full resolution and at half, quarter … (pix2pixHD's multi-scale discriminator;
/// one scale is pix2pix's), or one OASIS discriminator. The full-resolution PatchGAN is stored in
/// `blocks`/`head` so that checkpoints written before the option load unchanged.
#[derive(Module, Debug)]
pub struct Discriminator {
    blocks: Vec<DiscBlock>,
    /// The PatchGAN's head; with `oasis`, an unused 1×1 placeholder (the field cannot be absent
    /// without changing the layout of every PatchGAN checkpoint).
    head: Conv2d,
    coarser: Vec<PatchGan>,
    /// The OASIS U-Net (models with [`ModelConfig::d_classes`]; absent from older files).
    oasis: Option<Generator>,
}

impl PatchGan {
    fn new(config: &ModelConfig, device: &Device) -> PatchGan {
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
        PatchGan { blocks, head }
    }

    fn forward(&self, pair: Tensor<4>) -> ScaleOutput {
        patch_forward(&self.blocks, &self.head, pair)
    }
}

fn patch_forward(blocks: &[DiscBlock], head: &Conv2d, pair: Tensor<4>) -> ScaleOutput {
    let mut h = pair;
    let mut features = Vec::with_capacity(blocks.len());
    for block in blocks {
        h = kernels::conv2d_layer(&block.conv, h);
        if let Some(norm) = &block.norm {
            h = norm.forward(h);
        }
        h = kernels::leaky_relu(h, 0.2);
        features.push(h.clone());
    }
    ScaleOutput {
        features,
        logits: kernels::conv2d_layer(head, h),
    }
}

/// Halves the resolution as pix2pixHD does between its discriminators: 3×3 average, stride 2,
/// padding not counted.
fn halve(x: Tensor<4>) -> Tensor<4> {
    let options = AvgPoolOptions::new([3, 3])
        .with_stride([2, 2])
        .with_padding([1, 1])
        .with_count_include_pad(false);
    avg_pool2d(x, options)
}

impl Discriminator {
    pub fn new(config: &ModelConfig, device: &Device) -> Discriminator {
        if let Some(network) = config.oasis_network() {
            return Discriminator::oasis(Generator::new(&network, device), device);
        }
        let PatchGan { blocks, head } = PatchGan::new(config, device);
        let coarser = (1..config.scales())
            .map(|_| PatchGan::new(config, device))
            .collect();
        Discriminator {
            blocks,
            head,
            coarser,
            oasis: None,
        }
    }

    /// An OASIS discriminator around `network` (e.g. a segmenter given a "fake" output). The
    /// placeholder head is zeros: a random one would draw from Burn's global generator outside
    /// [`super::seeded_init`]'s lock (whenever its lazy weights are first touched) and change what
    /// another thread initialises from its seed.
    pub fn oasis(network: Generator, device: &Device) -> Discriminator {
        let placeholder = Conv2dConfig::new([1, 1], [1, 1])
            .with_bias(false)
            .with_initializer(Initializer::Zeros);
        Discriminator {
            blocks: Vec::new(),
            head: placeholder.init(device),
            coarser: Vec::new(),
            oasis: Some(network),
        }
    }

    /// The OASIS discriminator's per-pixel logits for `photo` (`[N, classes + 1, H, W]`, "fake"
    /// last); None for PatchGAN discriminators.
    pub fn segment(&self, photo: Tensor<4>) -> Option<Tensor<4>> {
        let network = self.oasis.as_ref()?;
        Some(network.forward_logits(photo, &mut DropoutMasks::off()))
    }

    /// Per scale, finest first: block activations and patch logits (`[N, 1, H/8 - 2, W/8 - 2]`
    /// at full resolution) for `pair = concat(labels, photo)` on channels.
    pub fn forward(&self, pair: Tensor<4>) -> Vec<ScaleOutput> {
        let mut outputs = Vec::with_capacity(1 + self.coarser.len());
        outputs.push(patch_forward(&self.blocks, &self.head, pair.clone()));
        let mut x = pair;
        for d in &self.coarser {
            x = halve(x);
            outputs.push(d.forward(x.clone()));
        }
        outputs
    }
}
