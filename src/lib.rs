//! Facade Studio: paint building-facade label maps and render them into photos with pix2pix
//! (U-Net generator + PatchGAN discriminator) written with Burn; train that model too.

pub mod backend;
pub mod bench;
pub mod checkpoint;
pub mod data;
pub mod document;
pub mod error;
pub mod eval;
pub mod events;
pub mod fsutil;
pub mod generate;
pub mod image_io;
pub mod kernels;
pub mod label_map;
pub mod model;
pub mod models;
pub mod palette;
pub mod render;
pub mod segment;
pub mod style;
pub mod task;
pub mod train;
#[cfg(feature = "studio")]
pub mod ui;
pub mod untrusted;

pub use error::{Error, Result};
