//! Training hyper-parameters, saved in the run folder and in every checkpoint.

use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TrainConfig {
    /// The dataset folder (pix2pix or CMP base layout).
    pub data: PathBuf,
    /// The last `holdout` pairs (in natural file order) are not trained on; the fixed sample
    /// renders come from them (or from the training pairs when it is 0).
    pub holdout: usize,
    /// Total epochs of the run (a resumed run trains until this many are done).
    pub epochs: u64,
    /// The learning rate decays linearly to zero over the last `decay_epochs` epochs.
    pub decay_epochs: u64,
    pub batch: usize,
    pub lr: f64,
    pub beta1: f32,
    /// Weight of the L1 term in the generator loss (100 in the paper).
    pub l1_weight: f32,
    pub seed: u64,
    /// Write a checkpoint every this many steps (and at the end).
    pub checkpoint_every: u64,
    /// Render the fixed samples every this many steps.
    pub sample_every: u64,
    /// Number of fixed sample pairs rendered.
    pub samples: usize,
    /// Checkpoints kept in the run folder (the newest ones).
    pub keep_checkpoints: usize,
    /// Stop after this many steps in total, whatever `epochs` says (quick runs, tests).
    pub max_steps: Option<u64>,
    /// Threads decoding the dataset at the start of a run.
    pub loader_threads: usize,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            data: PathBuf::from("facades/train"),
            holdout: 0,
            epochs: 200,
            decay_epochs: 100,
            batch: 1,
            lr: 2e-4,
            beta1: 0.5,
            l1_weight: 100.0,
            seed: 1,
            checkpoint_every: 1000,
            sample_every: 200,
            samples: 4,
            keep_checkpoints: 3,
            max_steps: None,
            loader_threads: 2,
        }
    }
}

impl TrainConfig {
    /// The learning rate in `epoch` (0-based): constant, then linear decay to zero over the last
    /// `decay_epochs` epochs (pix2pix's "linear" policy).
    pub fn lr_at(&self, epoch: u64) -> f64 {
        let decay = self.decay_epochs.min(self.epochs);
        let constant = self.epochs - decay;
        if epoch < constant || decay == 0 {
            return self.lr;
        }
        let into = (epoch - constant + 1) as f64;
        self.lr * (1.0 - into / (decay as f64 + 1.0)).max(0.0)
    }

    pub fn validate(&self) -> Result<(), String> {
        if self.batch == 0 {
            return Err("batch size must be at least 1".into());
        }
        if !(self.lr > 0.0 && self.lr.is_finite()) {
            return Err(format!("learning rate {} must be positive", self.lr));
        }
        if self.checkpoint_every == 0 || self.sample_every == 0 {
            return Err("checkpoint and sample intervals must be at least 1 step".into());
        }
        Ok(())
    }
}
