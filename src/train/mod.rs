//! Training: the GAN step, the run loop on its own thread, checkpoints and the loss log.

pub mod adam;
pub mod config;
pub mod ema;
pub mod gan;
pub mod loss_log;
pub mod run;

pub use config::TrainConfig;
pub use gan::GanTrainer;
pub use run::{Faults, MAX_RESTORES, TrainHandle, TrainJob, spawn};
