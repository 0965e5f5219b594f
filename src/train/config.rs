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
    /// Weight of the discriminator feature-matching loss (pix2pixHD's `lambda_feat`, 10; 0 =
    /// off, as in pix2pix). Runs saved before the option had none.
    #[serde(default)]
    pub lambda_feat: f32,
    /// Decay of the exponential moving average of the generator's weights that samples and
    /// exports use (0 = off: the trained weights themselves, as in pix2pix).
    #[serde(default)]
    pub ema_decay: f64,
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
            lambda_feat: 10.0,
            ema_decay: 0.999,
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
    /// The published recipe's losses: no feature matching, no weight averaging.
    pub fn paper() -> TrainConfig {
        TrainConfig {
            lambda_feat: 0.0,
            ema_decay: 0.0,
            ..TrainConfig::default()
        }
    }

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
        if !(self.lambda_feat >= 0.0 && self.lambda_feat.is_finite()) {
            return Err(format!(
                "feature-matching weight {} must be 0 or more",
                self.lambda_feat
            ));
        }
        if !(0.0..1.0).contains(&self.ema_decay) {
            return Err(format!("EMA decay {} must be in [0, 1)", self.ema_decay));
        }
        if self.checkpoint_every == 0 || self.sample_every == 0 {
            return Err("checkpoint and sample intervals must be at least 1 step".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_learning_rate_is_constant_then_decays_linearly_to_zero() {
        let t = TrainConfig {
            epochs: 4,
            decay_epochs: 2,
            lr: 1.0,
            ..TrainConfig::default()
        };
        let lrs: Vec<f64> = (0..4).map(|e| t.lr_at(e)).collect();
        assert_eq!(lrs[..2], [1.0, 1.0]);
        assert!(
            (lrs[2] - 2.0 / 3.0).abs() < 1e-12 && (lrs[3] - 1.0 / 3.0).abs() < 1e-12,
            "{lrs:?}"
        );
        let constant = TrainConfig {
            decay_epochs: 0,
            ..t.clone()
        };
        assert_eq!(constant.lr_at(3), 1.0);
    }

    #[test]
    fn bad_settings_are_refused_with_the_reason() {
        let bad = |t: TrainConfig| t.validate().unwrap_err();
        let d = TrainConfig::default;
        assert!(bad(TrainConfig { batch: 0, ..d() }).contains("batch"));
        assert!(bad(TrainConfig { lr: -1.0, ..d() }).contains("learning rate"));
        assert!(
            bad(TrainConfig {
                ema_decay: 1.0,
                ..d()
            })
            .contains("EMA decay")
        );
        assert!(
            bad(TrainConfig {
                lambda_feat: f32::NAN,
                ..d()
            })
            .contains("feature-matching")
        );
        assert!(d().validate().is_ok() && TrainConfig::paper().validate().is_ok());
    }
}
