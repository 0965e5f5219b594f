//! pix2pix: the U-Net generator, the 70×70 PatchGAN discriminator, their shared configuration and
//! the losses (Isola et al., CVPR 2017).

pub mod config;
pub mod discriminator;
pub mod dropout;
pub mod generator;
pub mod loss;
pub mod norm;

pub use config::{ModelConfig, NormKind};
pub use discriminator::Discriminator;
pub use dropout::DropoutMasks;
pub use generator::Generator;
