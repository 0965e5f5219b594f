//! `dataset download`: fetch and unpack an archive.

use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, Subcommand};

use super::bar;

#[derive(Subcommand)]
pub(crate) enum DatasetCommand {
    /// Download and extract an archive (resumes after a broken connection; checks size and
    /// SHA-256 when given; extracts only regular files inside --out).
    Download(DownloadArgs),
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
