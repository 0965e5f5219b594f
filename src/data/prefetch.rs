//! Off-thread data work: decoding every pair once at the start of a run (in parallel, bad files
//! reported and skipped), then a prefetch thread that cuts augmented batches ahead of the trainer.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::JoinHandle;

use crossbeam_channel::{Receiver, bounded};
use rand::seq::SliceRandom;
use rand::{SeedableRng, rngs::StdRng};
use rayon::ThreadPoolBuilder;
use rayon::prelude::*;

use super::augment::{AugmentConfig, Batch, Resized, draw_augmentation, mix_seed, resize_pair};
use super::dataset::{Dataset, PairSource, load_pair};
use crate::error::Error;
use crate::palette::Palette;

/// A file that could not be used, and why.
#[derive(Debug)]
pub struct BadFile {
    pub source: PairSource,
    pub error: Error,
}

/// Decodes and resizes every pair of `dataset` on `threads` threads (a rayon pool of its own,
/// so the loader never competes with the kernels' pool for its size). `progress(done, total)` is
/// called from the worker threads as pairs finish.
pub fn preload(
    dataset: &Dataset,
    palette: &Palette,
    load_size: u32,
    threads: usize,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> (Vec<Resized>, Vec<BadFile>) {
    let total = dataset.pairs.len();
    let done = AtomicUsize::new(0);
    let load = |source: &PairSource| {
        let result = load_pair(source, palette).map(|p| resize_pair(&p, load_size));
        progress(done.fetch_add(1, Ordering::Relaxed) + 1, total);
        result
    };
    let results: Vec<Result<Resized, Error>> =
        match ThreadPoolBuilder::new().num_threads(threads.max(1)).build() {
            Ok(pool) => pool.install(|| dataset.pairs.par_iter().map(load).collect()),
            // No threads to be had: decode on this one.
            Err(_) => dataset.pairs.iter().map(load).collect(),
        };
    let mut good = Vec::with_capacity(total);
    let mut bad = Vec::new();
    for (source, result) in dataset.pairs.iter().zip(results) {
        match result {
            Ok(r) => good.push(r),
            Err(error) => bad.push(BadFile {
                source: source.clone(),
                error,
            }),
        }
    }
    (good, bad)
}

/// Which pairs make up training step `step`: a seeded shuffle per epoch, `batch` pairs a step,
/// the last incomplete batch of an epoch dropped.
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    pub pairs: usize,
    pub batch: usize,
    pub seed: u64,
}

impl Schedule {
    pub fn steps_per_epoch(&self) -> u64 {
        (self.pairs / self.batch.max(1)).max(1) as u64
    }

    pub fn epoch_of(&self, step: u64) -> u64 {
        step / self.steps_per_epoch()
    }

    fn order(&self, epoch: u64) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.pairs).collect();
        order.shuffle(&mut StdRng::seed_from_u64(mix_seed(
            self.seed, epoch, 0x5EED,
        )));
        order
    }
}

/// Builds batches ahead of the trainer on its own thread.
pub struct Prefetcher {
    rx: Receiver<Batch>,
    handle: Option<JoinHandle<()>>,
}

impl Prefetcher {
    pub fn start(
        pairs: Arc<Vec<Resized>>,
        palette: Palette,
        augment: AugmentConfig,
        schedule: Schedule,
        start_step: u64,
        depth: usize,
        style_none: Option<f64>,
    ) -> Prefetcher {
        let (tx, rx) = bounded(depth.max(1));
        let handle = std::thread::Builder::new()
            .name("prefetch".into())
            .spawn(move || {
                let mut step = start_step;
                let mut epoch = u64::MAX;
                let mut order = Vec::new();
                loop {
                    let e = schedule.epoch_of(step);
                    if e != epoch {
                        epoch = e;
                        order = schedule.order(e);
                    }
                    let k = (step % schedule.steps_per_epoch()) as usize;
                    let size = augment.crop_size as usize;
                    let mut batch = match style_none {
                        Some(_) => Batch::styled(size),
                        None => Batch::new(size),
                    };
                    for j in 0..schedule.batch {
                        let idx = order[(k * schedule.batch + j) % schedule.pairs];
                        let sample_seed = mix_seed(schedule.seed, step, j as u64 + 1);
                        let (x, y, flip) = draw_augmentation(&augment, sample_seed);
                        if let Some(none) = style_none {
                            let mut rng = StdRng::seed_from_u64(mix_seed(sample_seed, 0x57, 1));
                            let style = pairs[idx].style.dropped(none, &mut rng);
                            batch.push_styled(&pairs[idx], (x, y, flip), &palette, &style);
                        } else {
                            batch.push(&pairs[idx], x, y, flip, &palette);
                        }
                    }
                    if tx.send(batch).is_err() {
                        return; // the trainer is gone
                    }
                    step += 1;
                }
            })
            .expect("spawning the prefetch thread");
        Prefetcher {
            rx,
            handle: Some(handle),
        }
    }

    /// The next batch, waiting if the prefetch thread is behind.
    pub fn next(&self) -> Option<Batch> {
        self.rx.recv().ok()
    }
}

impl Drop for Prefetcher {
    fn drop(&mut self) {
        // Unblock the producer: drain until it notices the closed channel.
        let rx = std::mem::replace(&mut self.rx, crossbeam_channel::never());
        drop(rx);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}
