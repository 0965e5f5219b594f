//! `segmenter train`: the photo → labels segmenter that `eval` uses.

use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, Subcommand};

use facade_studio::backend::BackendChoice;

use super::select_device;

#[derive(Subcommand)]
pub(crate) enum SegmenterCommand {
    /// Train it on the real photos of a facades folder (the held-out pairs measure it).
    Train(SegmenterTrainArgs),
}

#[derive(Args)]
pub(crate) struct SegmenterTrainArgs {
    /// Dataset folder (pix2pix layout or CMP base).
    #[arg(long)]
    data: PathBuf,
    /// The model file to write (rewritten after every epoch).
    #[arg(long)]
    out: PathBuf,
    /// Hold out the last N pairs (never trained on; measured after each epoch).
    #[arg(long, default_value_t = 40)]
    holdout: usize,
    #[arg(long, default_value_t = 30)]
    epochs: u64,
    /// Width of the U-Net (16 keeps the file under 10 MB).
    #[arg(long, default_value_t = 16)]
    ngf: usize,
    #[arg(long, default_value_t = 5e-4)]
    lr: f64,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    #[arg(long, value_enum, default_value_t = BackendChoice::Auto)]
    backend: BackendChoice,
}

pub(crate) fn cmd_segmenter_train(a: SegmenterTrainArgs) -> Result<()> {
    use facade_studio::segment::train::{Report, SegmenterJob, train_segmenter};
    let device = select_device(a.backend)?;
    eprintln!("training the segmenter on {}", device.description);
    let job = SegmenterJob {
        data: a.data,
        out: a.out.clone(),
        holdout: a.holdout,
        epochs: a.epochs,
        ngf: a.ngf,
        lr: a.lr,
        seed: a.seed,
    };
    train_segmenter(&job, &device, &mut |report| {
        let r = match report {
            Report::Skipped(why) => return eprintln!("warning: skipped: {why}"),
            Report::Epoch(r) => r,
        };
        let held = r.held_out.as_ref().map_or(String::new(), |c| {
            format!(
                "; held out: pixel acc {:.3}, class acc {:.3}, mIoU {:.3}",
                c.pixel_accuracy, c.mean_class_accuracy, c.mean_iou
            )
        });
        eprintln!(
            "epoch {}/{}: loss {:.4}{held} ({:.0} s)",
            r.epoch + 1,
            r.epochs,
            r.mean_loss,
            r.seconds
        );
    })?;
    eprintln!("wrote {}", a.out.display());
    Ok(())
}
