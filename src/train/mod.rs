//! Training: the GAN step, the run loop on its own thread, where a run starts from, its folder,
//! its checkpoints (training state), the loss log and what it measures along the way.

pub mod adam;
pub mod config;
pub mod diff_augment;
pub mod ema;
pub mod gan;
pub mod history;
pub mod loss_log;
pub mod measure;
mod oasis_step;
pub mod run;
mod run_data;
pub mod start;
pub mod state;

pub use crate::models::RunDir;
pub use config::{APP_NGF, GanLoss, Recipe, TrainConfig};
pub use gan::GanTrainer;
pub use run::{Faults, MAX_RESTORES, TrainHandle, TrainJob, spawn};
pub use start::Start;
