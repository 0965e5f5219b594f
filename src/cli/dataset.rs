//! `dataset download`: fetch and unpack an archive; `dataset derive`: pairs of another task
//! from photos.

use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, Subcommand};

use super::bar;

#[derive(Subcommand)]
pub(crate) enum DatasetCommand {
    /// Download and extract an archive (resumes after a broken connection; checks size and
    /// SHA-256 when given; extracts only regular files inside --out).
    Download(DownloadArgs),
    /// Make pix2pix pairs of another task from photos (or the photo half of pix2pix pairs):
    /// photo left, its line sketch (Canny edges, optionally hinted) or greyscale right, as
    /// OUT/<stem>.png.
    Derive(DeriveArgs),
}

#[derive(Args)]
pub(crate) struct DeriveArgs {
    /// What the input half is: `edges` (black lines on white, the sketch task), `hinted-edges`
    /// (the same with some windows, doors and shops filled with the sketch palette's hint
    /// colours, from the labels of CMP facade pairs) or `grey`.
    #[arg(long, value_enum)]
    kind: facade_studio::data::derive::DeriveKind,
    /// With `hinted-edges`: hint this share (0 to 1) of the windows, doors and shops on every
    /// sketch instead of a share drawn per sketch (1: a fully hinted evaluation set).
    #[arg(long, value_parser = parse_share)]
    hint_share: Option<f64>,
    /// Folder of photos or pix2pix pairs (e.g. facades/train).
    #[arg(long)]
    from: PathBuf,
    /// New or empty folder for the pairs.
    #[arg(long)]
    out: PathBuf,
}

pub(crate) fn cmd_derive(a: DeriveArgs) -> Result<()> {
    use facade_studio::data::derive::{Derive, DeriveKind, derive_folder};
    if a.hint_share.is_some() && a.kind != DeriveKind::HintedEdges {
        anyhow::bail!(
            "--hint-share is for --kind hinted-edges only: drop it, or derive hinted-edges"
        );
    }
    let what = Derive {
        kind: a.kind,
        hint_share: a.hint_share,
    };
    let pb = bar(0, "deriving [{bar:30}] {pos}/{len} ({eta})");
    let report = derive_folder(&a.from, &a.out, what, &mut |k, n| {
        pb.set_length(n as u64);
        pb.set_position(k as u64);
    })?;
    pb.finish_and_clear();
    for (path, why) in &report.skipped {
        eprintln!("skipped {}: {why}", path.display());
    }
    eprintln!(
        "wrote {} pairs into {} ({} skipped)",
        report.written,
        a.out.display(),
        report.skipped.len()
    );
    Ok(())
}

/// `--hint-share`: a number from 0 to 1.
fn parse_share(text: &str) -> std::result::Result<f64, String> {
    match text.parse::<f64>() {
        Ok(share) if (0.0..=1.0).contains(&share) => Ok(share),
        _ => Err(format!(
            "{text:?} is no share: give a number from 0 to 1, e.g. 1"
        )),
    }
}

#[derive(Args)]
pub(crate) struct DownloadArgs {
    /// http://, https:// or file:// address of a .tar.gz (default: the pix2pix facades archive).
    #[arg(long, default_value = facade_studio::data::download::FACADES_URL)]
    url: String,
    /// Folder to extract into.
    #[arg(long, default_value = "datasets")]
    out: PathBuf,
    /// Expected SHA-256 of the archive (hex).
    #[arg(long)]
    sha256: Option<String>,
    /// Expected size of the archive in bytes.
    #[arg(long)]
    size: Option<u64>,
    /// Keep the downloaded archive next to the extracted files.
    #[arg(long)]
    keep_archive: bool,
}

pub(crate) fn cmd_download(a: DownloadArgs) -> Result<()> {
    use facade_studio::data::download::{DownloadSpec, download, extract};
    let name = a
        .url
        .rsplit('/')
        .next()
        .filter(|n| !n.is_empty())
        .unwrap_or("dataset.tar.gz")
        .to_string();
    let archive = a.out.join(&name);
    let spec = DownloadSpec {
        size: a.size,
        sha256: a.sha256.clone(),
        ..DownloadSpec::new(a.url.clone())
    };
    let pb = bar(
        0,
        "downloading {bar:30} {bytes}/{total_bytes} ({bytes_per_sec}, ETA {eta})",
    );
    download(&spec, &archive, &mut |done, total| {
        if let Some(t) = total {
            pb.set_length(t);
        }
        pb.set_position(done);
    })?;
    pb.finish_and_clear();
    let files = extract(&archive, &a.out)?;
    if !a.keep_archive {
        let _ = std::fs::remove_file(&archive);
    }
    let train = a.out.join("facades").join("train");
    eprintln!("extracted {files} files into {}", a.out.display());
    if train.is_dir() {
        eprintln!(
            "train with: facade-studio train --data {} --out runs/mine",
            train.display()
        );
    }
    Ok(())
}
