//! Training the segmenter: real photos of the training split → their label maps, per-pixel
//! cross-entropy, the pix2pix augmentation (resize 286, random crop 256, flip), Adam. The model
//! file is rewritten (atomically) after every epoch, so a stopped run keeps its last epoch.

use std::path::PathBuf;
use std::sync::Arc;

use burn::module::Module;
use burn::optim::GradientsParams;
use burn::prelude::*;
use burn::tensor::activation::log_softmax;

use super::Segmenter;
use crate::backend::SelectedDevice;
use crate::checkpoint::{self, FileKind, Meta};
use crate::data::augment::{AugmentConfig, Resized, resize_pair};
use crate::data::dataset::load_pair;
use crate::data::prefetch::{Schedule, preload};
use crate::data::{Batch, Dataset, Prefetcher};
use crate::error::{Error, Result};
use crate::eval::consistency::{Confusion, Consistency};
use crate::model::loss::one_hot;
use crate::model::{DropoutMasks, ModelConfig, NormKind, Upsample};
use crate::palette::Palette;
use crate::train::adam::Adam;
use crate::train::config::{default_decay, linear_decay};

#[derive(Debug, Clone)]
pub struct SegmenterJob {
    pub data: PathBuf,
    /// The model file to write.
    pub out: PathBuf,
    /// The last `holdout` pairs are not trained on (they measure it after each epoch).
    pub holdout: usize,
    pub epochs: u64,
    pub ngf: usize,
    pub lr: f64,
    pub seed: u64,
}

/// What the trainer reports: files it skipped, then each epoch.
#[derive(Debug, Clone)]
pub enum Report {
    Skipped(String),
    Epoch(EpochReport),
}

/// An epoch's figures.
#[derive(Debug, Clone)]
pub struct EpochReport {
    pub epoch: u64,
    pub epochs: u64,
    pub mean_loss: f32,
    /// On the held-out pairs (none when nothing is held out).
    pub held_out: Option<Consistency>,
    pub seconds: f64,
}

/// The segmenter's network: the generator's U-Net with one output per class and no dropout.
pub fn segmenter_config(ngf: usize, classes: usize) -> ModelConfig {
    ModelConfig::new()
        .with_style_channels(0)
        .with_ngf(ngf)
        .with_ndf(ngf)
        .with_out_channels(classes)
        .with_dropout(0.0)
        .with_norm(NormKind::Instance)
        .with_upsample(Upsample::NearestConv)
        .with_num_d(1)
}

/// Mean per-pixel cross-entropy of `logits` `[1, C, H, W]` against class `ids` (row-major).
fn cross_entropy(logits: Tensor<4>, ids: &[u8], device: &Device) -> Tensor<1> {
    let [n, c, h, w] = logits.dims();
    // An id past the last class counts as the last class.
    let last = (c - 1).min(u8::MAX as usize) as u8;
    let ids: Vec<u8> = ids.iter().map(|&id| id.min(last)).collect();
    let target = one_hot(&ids, c, [n, h, w], device);
    (log_softmax(logits, 1) * target).sum().neg() / (n * h * w) as f32
}

/// Held-out consistency of `segmenter` on `pairs`.
fn measure(segmenter: &Segmenter, pairs: &[Resized]) -> Result<Consistency> {
    let mut confusion = Confusion::new(segmenter.classes());
    for pair in pairs {
        confusion.add(&pair.labels.ids, &segmenter.segment(&pair.photo)?);
    }
    Ok(confusion.scores())
}

/// Trains a segmenter on `device`, calling `report` after every epoch.
pub fn train_segmenter(
    job: &SegmenterJob,
    device: &SelectedDevice,
    report: &mut dyn FnMut(&Report),
) -> Result<()> {
    let palette = Palette::cmp_facades();
    let augment = AugmentConfig::for_size(SIZE);
    let (pairs, held) = load_data(job, &palette, augment.load_size, report)?;
    let config = segmenter_config(job.ngf, palette.len());
    let train_device = device.device.clone().autodiff();
    let mut net = crate::model::seeded_init(&train_device, job.seed, || {
        let g = config.init_generator(&train_device);
        crate::model::materialize(&g);
        g
    });
    let mut adam = Adam::new(0.9);
    let schedule = Schedule {
        pairs: pairs.len(),
        batch: 1,
        seed: job.seed,
    };
    let spe = schedule.steps_per_epoch();
    let prefetch = Prefetcher::start(Arc::new(pairs), palette, augment, schedule, 0, 4, None);
    let started = std::time::Instant::now();
    for epoch in 0..job.epochs {
        let lr = linear_decay(job.lr, job.epochs, default_decay(job.epochs), epoch);
        let mut loss_sum = 0.0f32;
        for _ in 0..spe {
            let batch: Batch = prefetch
                .next()
                .ok_or_else(|| Error::msg("the data loader stopped unexpectedly"))?;
            let loss;
            (net, loss) = step(net, &mut adam, lr, &batch, &train_device);
            loss_sum += loss;
        }
        if !adam.finite || !loss_sum.is_finite() {
            return Err(Error::msg(format!(
                "epoch {epoch}: the segmenter's loss or weights are not finite; {} from the previous epoch is kept — try a lower --lr",
                job.out.display()
            )));
        }
        let meta = epoch_meta(job, &config, epoch, spe, started.elapsed().as_secs_f64());
        checkpoint::save_generator(&job.out, &meta, &net.valid(), true)?;
        let held_out = match held.is_empty() {
            true => None,
            false => Some(measure(&Segmenter::load(&job.out, device.clone())?, &held)?),
        };
        report(&Report::Epoch(EpochReport {
            epoch,
            epochs: job.epochs,
            mean_loss: loss_sum / spe as f32,
            held_out,
            seconds: started.elapsed().as_secs_f64(),
        }));
    }
    Ok(())
}

/// The side the segmenter trains and measures at.
const SIZE: u32 = 256;

/// The training pairs (decoded at `load_size`; unreadable ones reported as skipped) and the
/// held-out pairs at [`SIZE`]. An error when no training pair can be read.
fn load_data(
    job: &SegmenterJob,
    palette: &Palette,
    load_size: u32,
    report: &mut dyn FnMut(&Report),
) -> Result<(Vec<Resized>, Vec<Resized>)> {
    let (train_set, held_set) = Dataset::open(&job.data)?.split_last(job.holdout);
    let (pairs, bad) = preload(&train_set, palette, load_size, 2, &|_, _| {});
    if pairs.is_empty() {
        return Err(Error::bad_file(
            &job.data,
            format!(
                "none of its {} training pairs could be read",
                train_set.len()
            ),
        ));
    }
    for b in bad {
        report(&Report::Skipped(b.error.to_string()));
    }
    let held = held_set
        .pairs
        .iter()
        .filter_map(|p| load_pair(p, palette).ok())
        .map(|p| resize_pair(&p, SIZE))
        .collect();
    Ok((pairs, held))
}

/// One Adam step on `batch`'s per-pixel cross-entropy; the updated network and the loss.
fn step(
    net: crate::model::Generator,
    adam: &mut Adam,
    lr: f64,
    batch: &Batch,
    device: &Device,
) -> (crate::model::Generator, f32) {
    let shape = [batch.n, 3, batch.size, batch.size];
    let photo = Tensor::<4>::from_data(TensorData::new(batch.target.clone(), shape), device);
    let logits = net.forward_logits(photo, &mut DropoutMasks::off());
    let loss = cross_entropy(logits, &batch.labels, device);
    let grads = GradientsParams::from_grads(loss.backward(), &net);
    (adam.step(lr, net, grads), loss.into_scalar::<f32>())
}

/// What the model file says after `epoch`.
fn epoch_meta(
    job: &SegmenterJob,
    config: &ModelConfig,
    epoch: u64,
    spe: u64,
    seconds: f64,
) -> Meta {
    Meta {
        kind: FileKind::Segmenter,
        name: format!(
            "CMP facades segmenter (ngf {}, {} epochs)",
            job.ngf,
            epoch + 1
        ),
        step: (epoch + 1) * spe,
        model: config.clone(),
        train: None,
        seconds,
        styles: Default::default(),
        task: crate::task::labels(),
        palette: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cross_entropy_is_low_for_confident_right_answers() {
        let device = Device::flex();
        // Two pixels, three classes; logits favour class 2 then class 0.
        let logits = Tensor::<4>::from_data(
            TensorData::new(vec![0.0, 9.0, 0.0, 0.0, 9.0, 0.0], [1, 3, 1, 2]),
            &device,
        );
        let right = cross_entropy(logits.clone(), &[2, 0], &device).into_scalar::<f32>();
        let wrong = cross_entropy(logits, &[1, 1], &device).into_scalar::<f32>();
        assert!(right < 0.01, "{right}");
        // −log(e⁰ / (e⁹ + 2)) ≈ 9.
        assert!((wrong - 9.0).abs() < 0.01, "{wrong}");
    }
}
