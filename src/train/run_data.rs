//! What a training run reads: the pairs it trains on (decoded once, in parallel), the fixed
//! sample pairs it shows, the held-out pairs it measures at checkpoints and the segmenter that
//! reads them.

use std::sync::Arc;

use crossbeam_channel::Sender;

use super::TrainConfig;
use super::measure::EVAL_PAIRS;
use crate::data::augment::{AugmentConfig, Resized};
use crate::data::prefetch::{Schedule, preload};
use crate::data::{Dataset, Prefetcher};
use crate::error::{Error, Result};
use crate::events::TrainEvent;
use crate::models::default_segmenter_path;
use crate::palette::Palette;
use crate::segment::Segmenter;
use crate::style::StyleBank;
use crate::task::Task;

/// The pairs a run trains on, shows and measures.
pub(super) struct Data {
    pub(super) pairs: Arc<Vec<Resized>>,
    /// The fixed sample pairs (held out when there are any).
    pub(super) samples: Vec<Resized>,
    /// The held-out pairs measured at each checkpoint.
    pub(super) held: Vec<Resized>,
    pub(super) skipped: usize,
    pub(super) palette: Palette,
    pub(super) augment: AugmentConfig,
    pub(super) schedule: Schedule,
}

impl Data {
    /// Decodes everything once, in parallel; skips (and reports) what cannot be read.
    pub(super) fn load(
        config: &TrainConfig,
        task: &Task,
        events: &Sender<TrainEvent>,
    ) -> Result<Data> {
        let palette = task.palette();
        let size = config.model.size as u32;
        let dataset = Dataset::open(&config.data)?;
        if config.oasis_layout {
            need_layouts(&dataset)?;
        }
        let (train_set, val_set) = dataset.split_last(config.holdout);
        if train_set.is_empty() {
            return Err(Error::bad_file(
                &config.data,
                format!(
                    "has {} pairs and all are held out (--holdout {}); lower --holdout",
                    dataset.len(),
                    config.holdout
                ),
            ));
        }
        let augment = AugmentConfig::for_size(size);
        let progress = |done, total| {
            let _ = events.send(TrainEvent::Loading { done, total });
        };
        let threads = config.loader_threads;
        let (pairs, bad) = preload(&train_set, &palette, augment.load_size, threads, &progress);
        for b in &bad {
            let _ = events.send(TrainEvent::Warning(format!("skipped: {}", b.error)));
        }
        if pairs.is_empty() {
            return Err(Error::bad_file(
                &config.data,
                format!(
                    "none of its {} pairs could be read (first problem: {}). Check the dataset or download it again.",
                    train_set.len(),
                    bad.first().map(|b| b.error.to_string()).unwrap_or_default()
                ),
            ));
        }
        let source = if val_set.is_empty() {
            &train_set
        } else {
            &val_set
        };
        let first = |n: usize| source.split_last(source.len().saturating_sub(n)).0;
        let samples = preload(&first(config.samples), &palette, size, 1, &|_, _| {}).0;
        let held = match val_set.is_empty() {
            true => Vec::new(),
            false => preload(&first(EVAL_PAIRS), &palette, size, 1, &|_, _| {}).0,
        };
        let schedule = Schedule {
            pairs: pairs.len(),
            batch: config.batch,
            seed: config.seed,
        };
        Ok(Data {
            pairs: Arc::new(pairs),
            samples,
            held,
            skipped: bad.len(),
            palette,
            augment,
            schedule,
        })
    }

    /// The training photos' styles, for the gallery of a style-capable model.
    pub(super) fn style_bank(&self, model: &crate::model::ModelConfig) -> StyleBank {
        if !model.takes_style() {
            return StyleBank::default();
        }
        StyleBank {
            styles: self.pairs.iter().map(|p| p.style.uniform()).collect(),
        }
    }

    /// Batches from `from_step` on, with style planes (none in a `style_none` share of the steps)
    /// when given a share.
    pub(super) fn prefetch(&self, from_step: u64, style_none: Option<f64>) -> Prefetcher {
        Prefetcher::start(
            self.pairs.clone(),
            self.palette.clone(),
            self.augment,
            self.schedule,
            from_step,
            4,
            style_none,
        )
    }
}

/// Checks that every pair of `dataset` keeps its facade labels, which the run's OASIS
/// discriminator reads (see [`TrainConfig::oasis_layout`]); the error names the first that
/// does not and how to make them.
fn need_layouts(dataset: &Dataset) -> Result<()> {
    let Some(missing) = dataset.pairs.iter().find(|p| p.layout.is_none()) else {
        return Ok(());
    };
    let folder = dataset.root.join(crate::data::dataset::LAYOUT_FOLDER);
    Err(Error::bad_file(
        &missing.path,
        format!(
            "has no facade labels in {}, which this run's discriminator reads (the run was started on pairs that kept them). Derive the pairs again with `facade-studio dataset derive` from the CMP facades pairs, which writes them there.",
            folder.display()
        ),
    ))
}

/// The shipped segmenter (on the CPU), for label consistency at checkpoints; none without
/// held-out pairs, and a warning without the file.
pub(super) fn checkpoint_segmenter(
    held: &[Resized],
    events: &Sender<TrainEvent>,
) -> Option<Segmenter> {
    if held.is_empty() {
        return None;
    }
    let path = default_segmenter_path();
    let found = match path.is_file() {
        true => Segmenter::shipped_on_cpu().map_err(|e| e.to_string()),
        false => Err(format!(
            "{} does not exist (keep the assets folder beside the executable, or set \
             FACADE_SEGMENTER)",
            path.display()
        )),
    };
    found
        .map_err(|e| {
            let _ = events.send(TrainEvent::Warning(format!(
                "no label consistency or KID at checkpoints: {e}"
            )));
        })
        .ok()
}
