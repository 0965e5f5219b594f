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
    #[config(default = "NormKind::Batch")]
    pub norm: NormKind,
    /// Training resolution (square side). The U-Net has log2(size) levels, so the generator
    /// renders any multiple of this size.
    #[config(default = 256)]
    pub size: usize,
    #[config(default = 3)]
    pub in_channels: usize,
    #[config(default = 3)]
    pub out_channels: usize,
}

impl ModelConfig {
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
        if !(0.0..1.0).contains(&self.dropout) {
            return Err(format!("dropout {} must be in [0, 1)", self.dropout));
        }
        Ok(())
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
