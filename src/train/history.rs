//! Following a run: what a run folder holds so far — its settings, the loss curve with its epoch
//! marks, the newest held-out figures, the newest checkpoint and the sample renders — read in
//! one place, for the Train tab (which then follows the live events with the same [`Curve`]) and
//! for `train --resume` on the terminal.

use std::path::PathBuf;

use crate::eval::Figures;
use crate::events::StepLosses;
use crate::train::{RunDir, TrainConfig, loss_log, measure};

/// How many of a run's newest sample renders the Train tab shows when it opens a run.
pub const SHOWN_SAMPLES: usize = 30;

/// The loss curve: one row per step, and the steps where a new epoch began.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Curve {
    pub rows: Vec<StepLosses>,
    pub epoch_marks: Vec<u64>,
}

impl Curve {
    pub fn from_rows(rows: Vec<StepLosses>) -> Curve {
        let mut curve = Curve::default();
        for row in rows {
            curve.push(row);
        }
        curve
    }

    /// Appends a step, marking it when it begins a new epoch.
    pub fn push(&mut self, row: StepLosses) {
        if self.rows.last().is_some_and(|last| last.epoch != row.epoch) {
            self.epoch_marks.push(row.step);
        }
        self.rows.push(row);
    }

    /// Keeps the steps before `step` (those after a checkpoint a run goes back to are trained
    /// again).
    pub fn truncate(&mut self, step: u64) {
        self.rows.retain(|r| r.step < step);
        self.epoch_marks.retain(|&m| m < step);
    }

    pub fn clear(&mut self) {
        *self = Curve::default();
    }

    /// The step after the last one logged (0 for an empty curve).
    pub fn next_step(&self) -> u64 {
        self.rows.last().map_or(0, |r| r.step + 1)
    }
}

/// A run folder as read from disk. A part that cannot be read is left empty and its problem
/// named in `problems`: a run with a damaged loss log still shows its samples.
#[derive(Debug, Default)]
pub struct RunHistory {
    pub config: Option<TrainConfig>,
    pub curve: Curve,
    /// The held-out figures of each checkpoint, oldest first.
    pub figures: Vec<(u64, Figures)>,
    pub newest_checkpoint: Option<PathBuf>,
    /// Every sample render, by step.
    pub samples: Vec<(u64, PathBuf)>,
    pub problems: Vec<String>,
}

impl RunHistory {
    pub fn read(run: &RunDir) -> RunHistory {
        let mut problems = Vec::new();
        let config = match run.config().exists() {
            true => TrainConfig::read(&run.config())
                .map_err(|e| problems.push(e.to_string()))
                .ok(),
            false => None,
        };
        let rows = loss_log::read(&run.losses()).unwrap_or_else(|e| {
            problems.push(e.to_string());
            Vec::new()
        });
        RunHistory {
            config,
            curve: Curve::from_rows(rows),
            figures: measure::checkpoint_figures(run),
            newest_checkpoint: run.newest_checkpoint(),
            samples: run.samples(),
            problems,
        }
    }

    /// The newest `n` sample renders, decoded (one that cannot be decoded is skipped).
    pub fn recent_samples(&self, n: usize) -> Vec<(u64, image::RgbImage)> {
        let skip = self.samples.len().saturating_sub(n);
        self.samples[skip..]
            .iter()
            .filter_map(|(step, p)| crate::image_io::load_rgb(p).ok().map(|img| (*step, img)))
            .collect()
    }

    /// One line: how far the run got and where it can go on from.
    pub fn summary(&self) -> String {
        let Some(last) = self.curve.rows.last() else {
            return "no steps logged yet".into();
        };
        let checkpoint = self.newest_checkpoint.as_ref().map_or_else(
            || "no checkpoint".into(),
            |p| format!("newest checkpoint {}", p.display()),
        );
        format!(
            "{} steps logged (last: step {}, epoch {}), {} samples, {checkpoint}",
            self.curve.rows.len(),
            last.step,
            last.epoch,
            self.samples.len()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(step: u64, epoch: u64) -> StepLosses {
        StepLosses {
            step,
            epoch,
            g_gan: 1.0,
            g_l1: 0.5,
            g_feat: 0.0,
            d_real: 0.7,
            d_fake: 0.6,
            lr: 2e-4,
            seconds: step as f64,
            g_freq: 0.0,
            g_spec: 0.0,
        }
    }

    #[test]
    fn epochs_are_marked_where_they_begin_and_truncation_drops_later_steps() {
        let rows = [(0, 0), (1, 0), (2, 1), (3, 1), (4, 2)].map(|(s, e)| row(s, e));
        let mut curve = Curve::from_rows(rows.to_vec());
        assert_eq!(curve.epoch_marks, [2, 4]);
        curve.truncate(3);
        assert_eq!(
            curve.rows.iter().map(|r| r.step).collect::<Vec<_>>(),
            [0, 1, 2]
        );
        assert_eq!(
            (curve.epoch_marks.as_slice(), curve.next_step()),
            (&[2][..], 3)
        );
        curve.push(row(3, 2));
        assert_eq!(curve.epoch_marks, [2, 3]);
    }

    #[test]
    fn a_run_folder_is_read_whole_and_its_problems_named() {
        let dir = std::env::temp_dir().join(format!("fs-history-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let run = RunDir::new(&dir);
        std::fs::create_dir_all(dir.join("samples")).unwrap();
        let empty = RunHistory::read(&run);
        assert!(empty.problems.is_empty() && empty.curve.rows.is_empty());
        assert_eq!(empty.summary(), "no steps logged yet");
        let mut log = loss_log::LossLog::open(&run.losses(), 0).unwrap();
        for (s, e) in [(0, 0), (1, 0), (2, 1)] {
            log.append(&row(s, e)).unwrap();
        }
        drop(log);
        for step in [100u64, 200, 300] {
            let img = image::RgbImage::from_pixel(4, 4, image::Rgb([step as u8, 0, 0]));
            img.save(run.sample(step)).unwrap();
        }
        std::fs::write(run.config(), "not json").unwrap();
        let h = RunHistory::read(&run);
        assert_eq!(
            (h.curve.rows.len(), h.curve.epoch_marks.as_slice()),
            (3, &[2][..])
        );
        assert!(h.config.is_none());
        assert!(
            h.problems.len() == 1 && h.problems[0].contains("config.json"),
            "{:?}",
            h.problems
        );
        let recent = h.recent_samples(2);
        let steps: Vec<u64> = recent.iter().map(|(s, _)| *s).collect();
        assert_eq!(steps, [200, 300]);
        assert_eq!(recent[1].1.get_pixel(0, 0).0, [44, 0, 0], "step 300 as u8");
        assert_eq!(
            h.summary(),
            "3 steps logged (last: step 2, epoch 1), 3 samples, no checkpoint"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
