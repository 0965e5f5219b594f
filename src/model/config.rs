//! The model's hyper-parameters, saved next to every checkpoint and shipped model.

use burn::prelude::*;

use super::{Discriminator, Generator};

/// How activations are normalised. pix2pix uses batch normalisation with batch statistics at
/// train *and* test time (at batch size 1 this equals instance normalisation).
#[derive(Config, Debug, PartialEq, Copy)]
pub enum NormKind {
    /// Batch statistics over (N, H, W), learned scale and shift (the paper's choice).
    Batch,
    /// Per-sample statistics over (H, W), learned scale and shift.
    Instance,
    /// No normalisation (convolutions get a bias instead).
    None,
}

/// How the generator's decoder doubles the resolution.
#[derive(Config, Debug, PartialEq, Copy)]
pub enum Upsample {
    /// 4×4 stride-2 transposed convolution (the paper's; leaves a faint stride-2 grid).
    Transposed,
    /// Nearest ×2 then a 3×3 convolution (Odena et al. 2016): no grid.
    NearestConv,
}

#[derive(Config, Debug, PartialEq)]
pub struct ModelConfig {
    /// Generator width: channels of the first layer (64 in the paper).
    #[config(default = 64)]
    pub ngf: usize,
    /// Discriminator width (64 in the paper).
    #[config(default = 64)]
    pub ndf: usize,
    /// Dropout rate in the three innermost-but-one decoder blocks (0.5 in the paper).
    #[config(default = 0.5)]
    pub dropout: f64,
    /// Batch statistics are the paper's; per-sample (instance) statistics equal them at batch 1
    /// and keep a single render's statistics those of training at any batch size.
    #[config(default = "NormKind::Instance")]
    pub norm: NormKind,
    #[config(default = "Upsample::NearestConv")]
    pub upsample: Upsample,
    /// PatchGAN discriminators at full, half, quarter … resolution (pix2pixHD's `num_D`; 1 in
    /// pix2pix). Scales whose input would be under 32 px are left out (see [`ModelConfig::scales`]).
    #[config(default = 2)]
    pub num_d: usize,
    /// Training resolution (square side). The U-Net has log2(size) levels, so the generator
    /// renders any multiple of this size.
    #[config(default = 256)]
    pub size: usize,
    #[config(default = 3)]
    pub in_channels: usize,
    #[config(default = 3)]
    pub out_channels: usize,
    /// Extra generator input planes for a style (see [`crate::style`]); 0 for a model that
    /// takes none (every model before styles). The discriminator never sees them.
    #[config(default = 4)]
    pub style_channels: usize,
    /// Hidden features of the decoder's label modulation (see [`super::modulation`]; 0 = none,
    /// every model before it).
    #[config(default = 0)]
    pub modulation: usize,
    /// 0: PatchGAN discriminators (`num_d` of them). n > 0: one OASIS discriminator (Schönfeld
    /// et al. 2021, see [`super::oasis`]): a U-Net of width `ndf` that labels every pixel of a
    /// photo as one of the task's n classes or "fake" (every model before it: 0).
    #[config(default = 0)]
    pub d_classes: usize,
}

impl ModelConfig {
    /// Both widths at once: the discriminator is as wide as the generator (64 and 64 in the
    /// paper) unless a run says otherwise. The one rule for `ndf` everywhere.
    pub fn with_width(self, ngf: usize) -> ModelConfig {
        self.with_ngf(ngf).with_ndf(ngf)
    }

    /// The published pix2pix model (Isola et al. 2017) at width `ngf`: transposed convolutions,
    /// batch normalisation, one discriminator.
    pub fn paper(ngf: usize) -> ModelConfig {
        ModelConfig::new()
            .with_width(ngf)
            .with_norm(NormKind::Batch)
            .with_upsample(Upsample::Transposed)
            .with_num_d(1)
            .with_style_channels(0)
    }

    /// Reads a model description saved by any version: a field the file lacks predates its
    /// option, so the file was made with the published model's value for it.
    pub fn from_json_value(value: serde_json::Value) -> serde_json::Result<ModelConfig> {
        let serde_json::Value::Object(mut fields) = value else {
            return serde_json::from_value(value);
        };
        if let Ok(serde_json::Value::Object(paper)) = serde_json::to_value(ModelConfig::paper(64)) {
            for (key, v) in paper {
                fields.entry(key).or_insert(v);
            }
        }
        serde_json::from_value(serde_json::Value::Object(fields))
    }

    /// The OASIS discriminator's U-Net: the generator's architecture at width `ndf` with
    /// instance normalisation (the segmenter's, whatever the generator's), reading a photo (no
    /// labels, no style), one output per class plus "fake" (the last), no dropout. None for
    /// PatchGAN discriminators.
    pub fn oasis_network(&self) -> Option<ModelConfig> {
        (self.d_classes > 0).then(|| ModelConfig {
            ngf: self.ndf,
            norm: NormKind::Instance,
            dropout: 0.0,
            in_channels: self.out_channels,
            out_channels: self.d_classes + 1,
            style_channels: 0,
            modulation: 0,
            d_classes: 0,
            ..self.clone()
        })
    }

    /// Discriminator scales used: `num_d`, less those whose input would be under 32 px (a
    /// 70×70 PatchGAN has no output below that).
    pub fn scales(&self) -> usize {
        let mut scales = 1;
        while scales < self.num_d && (self.size >> scales) >= 32 {
            scales += 1;
        }
        scales
    }

    /// Number of U-Net levels: the image is halved down to 1×1 at the training size.
    pub fn levels(&self) -> usize {
        (usize::BITS - 1 - self.size.max(2).leading_zeros()) as usize
    }

    /// Checks what `init` would otherwise panic on.
    pub fn validate(&self) -> Result<(), String> {
        if !self.size.is_power_of_two() || self.size < 16 || self.size > 1024 {
            return Err(format!(
                "model size {} is not supported: use a power of two between 16 and 1024 (256 as published)",
                self.size
            ));
        }
        if self.ngf == 0 || self.ndf == 0 || self.ngf > 512 || self.ndf > 512 {
            return Err(format!(
                "widths ngf={} ndf={} must be between 1 and 512",
                self.ngf, self.ndf
            ));
        }
        if self.num_d == 0 || self.num_d > 4 {
            return Err(format!("num_d {} must be between 1 and 4", self.num_d));
        }
        if self.style_channels != 0 && self.style_channels != crate::style::CHANNELS {
            return Err(format!(
                "style_channels {} must be 0 (no style) or {}",
                self.style_channels,
                crate::style::CHANNELS
            ));
        }
        if self.modulation > 512 {
            return Err(format!(
                "modulation width {} must be at most 512",
                self.modulation
            ));
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return Err(format!("dropout {} must be in [0, 1)", self.dropout));
        }
        Ok(())
    }

    /// Whether the generator takes a style (see [`crate::style`]).
    pub fn takes_style(&self) -> bool {
        self.style_channels > 0
    }

    /// Channels of the generator's input: the label image's and the style's.
    pub fn generator_inputs(&self) -> usize {
        self.in_channels + self.style_channels
    }

    pub fn init_generator(&self, device: &Device) -> Generator {
        Generator::new(self, device)
    }

    pub fn init_discriminator(&self, device: &Device) -> Discriminator {
        Discriminator::new(self, device)
    }

    /// Width of encoder level `i` (0-based): ngf·2^i, capped at 8·ngf.
    pub fn width(&self, level: usize) -> usize {
        self.ngf * (1usize << level.min(3))
    }

    /// Whether the decoder block at `level` applies dropout: the innermost-but-one blocks of
    /// full width, as in the published U-Net (three blocks at 256 px).
    pub fn has_dropout(&self, level: usize) -> bool {
        let n = self.levels();
        level >= 4 && level + 2 <= n && self.dropout > 0.0
    }
}
