//! `losses.csv` in a run folder: one row per step, kept consistent across resumes (rows after the
//! checkpoint a run resumes from are dropped, because those steps are trained again).

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::events::StepLosses;
use crate::fsutil::atomic_write;

pub const FILE_NAME: &str = "losses.csv";
const HEADER: &str = "step,epoch,g_gan,g_l1,d_real,d_fake,lr,seconds,g_feat";

pub struct LossLog {
    path: PathBuf,
    file: File,
}

/// Reads every row of a loss log (a missing file is an empty history).
pub fn read(path: &Path) -> Result<Vec<StepLosses>> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(path, e)),
    };
    let mut rows = Vec::new();
    for line in BufReader::new(file).lines() {
        let line = line.map_err(|e| Error::io(path, e))?;
        if let Some(row) = parse_row(&line) {
            rows.push(row);
        }
    }
    Ok(rows)
}

fn parse_row(line: &str) -> Option<StepLosses> {
    let f: Vec<&str> = line.trim().split(',').collect();
    // Logs written before feature matching have 8 columns; a torn row has fewer.
    if f.len() != 8 && f.len() != 9 {
        return None;
    }
    Some(StepLosses {
        step: f[0].parse().ok()?,
        epoch: f[1].parse().ok()?,
        g_gan: f[2].parse().ok()?,
        g_l1: f[3].parse().ok()?,
        d_real: f[4].parse().ok()?,
        d_fake: f[5].parse().ok()?,
        lr: f[6].parse().ok()?,
        seconds: f[7].parse().ok()?,
        g_feat: match f.get(8) {
            Some(v) => v.parse().ok()?,
            None => 0.0,
        },
    })
}

fn format_row(r: &StepLosses) -> String {
    format!(
        "{},{},{},{},{},{},{},{:.3},{}",
        r.step, r.epoch, r.g_gan, r.g_l1, r.d_real, r.d_fake, r.lr, r.seconds, r.g_feat
    )
}

impl LossLog {
    /// Opens the log of `run_dir` for a run that starts at `start_step`.
    pub fn open(run_dir: &Path, start_step: u64) -> Result<LossLog> {
        let path = run_dir.join(FILE_NAME);
        let kept: Vec<StepLosses> = read(&path)?
            .into_iter()
            .filter(|r| r.step < start_step)
            .collect();
        let mut text = String::from(HEADER);
        text.push('\n');
        for r in &kept {
            text.push_str(&format_row(r));
            text.push('\n');
        }
        atomic_write(&path, text.as_bytes())?;
        let file = OpenOptions::new()
            .append(true)
            .open(&path)
            .map_err(|e| Error::io(&path, e))?;
        Ok(LossLog { path, file })
    }

    pub fn append(&mut self, row: &StepLosses) -> Result<()> {
        writeln!(self.file, "{}", format_row(row)).map_err(|e| Error::io(&self.path, e))
    }
}
