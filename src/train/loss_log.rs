//! `losses.csv` in a run folder: one row per step (written and read with the `csv` crate, by
//! column name), kept consistent across resumes (rows after the checkpoint a run resumes from
//! are dropped, because those steps are trained again).

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::events::StepLosses;
use crate::fsutil::atomic_write;

pub struct LossLog {
    path: PathBuf,
    writer: csv::Writer<File>,
}

/// Reads every row of a loss log (a missing file is an empty history). Rows are read by column
/// name, so logs written before a column existed still read (the column takes its default); a
/// row torn by a crash is skipped.
pub fn read(path: &Path) -> Result<Vec<StepLosses>> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(path, e)),
    };
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(file);
    Ok(reader.deserialize().filter_map(|row| row.ok()).collect())
}

fn to_csv(rows: &[StepLosses]) -> Result<Vec<u8>> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in rows {
        writer
            .serialize(row)
            .map_err(|e| Error::msg(e.to_string()))?;
    }
    if rows.is_empty() {
        // The header alone (serialize writes it with the first row).
        writer
            .write_record([
                "step", "epoch", "g_gan", "g_l1", "g_feat", "d_real", "d_fake", "lr", "seconds",
                "g_freq", "g_spec",
            ])
            .map_err(|e| Error::msg(e.to_string()))?;
    }
    writer.into_inner().map_err(|e| Error::msg(e.to_string()))
}

impl LossLog {
    /// Opens the log at `path` (a run folder's `losses.csv`) for a run that starts at
    /// `start_step`: rows of later steps are dropped (those steps are trained again).
    pub fn open(path: &Path, start_step: u64) -> Result<LossLog> {
        let kept: Vec<StepLosses> = read(path)?
            .into_iter()
            .filter(|r| r.step < start_step)
            .collect();
        atomic_write(path, &to_csv(&kept)?)?;
        let file = OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(|e| Error::io(path, e))?;
        let writer = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(file);
        Ok(LossLog {
            path: path.to_path_buf(),
            writer,
        })
    }

    /// Appends a row (flushed at once: a crash loses at most the row being written).
    pub fn append(&mut self, row: &StepLosses) -> Result<()> {
        self.writer
            .serialize(row)
            .and_then(|_| self.writer.flush().map_err(csv::Error::from))
            .map_err(|e| {
                Error::bad_file(&self.path, format!("cannot append to the loss log ({e})"))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(step: u64) -> StepLosses {
        StepLosses {
            step,
            epoch: step / 2,
            g_gan: 0.5,
            g_l1: 0.25,
            g_feat: 1.5,
            d_real: 0.125,
            d_fake: 0.75,
            lr: 2e-4,
            seconds: step as f64 * 0.5,
            g_freq: 0.0625,
            g_spec: 0.375,
        }
    }

    #[test]
    fn rows_round_trip_and_a_resume_drops_later_steps() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("losses.csv");
        let mut log = LossLog::open(&path, 0).unwrap();
        for s in 0..5 {
            log.append(&row(s)).unwrap();
        }
        drop(log);
        assert_eq!(read(&path).unwrap(), (0..5).map(row).collect::<Vec<_>>());
        let mut log = LossLog::open(&path, 3).unwrap();
        log.append(&row(3)).unwrap();
        drop(log);
        assert_eq!(read(&path).unwrap(), (0..4).map(row).collect::<Vec<_>>());
    }

    #[test]
    fn older_logs_and_torn_rows_read() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("losses.csv");
        // Written before feature matching (no g_feat column), with a row torn by a crash.
        std::fs::write(
            &path,
            "step,epoch,g_gan,g_l1,d_real,d_fake,lr,seconds\n0,0,0.5,0.25,0.125,0.75,0.0002,0.000\n1,0,0.5\n",
        )
        .unwrap();
        let rows = read(&path).unwrap();
        assert_eq!(
            rows,
            vec![StepLosses {
                g_feat: 0.0,
                g_freq: 0.0,
                g_spec: 0.0,
                ..row(0)
            }]
        );
        assert!(read(&tmp.path().join("none.csv")).unwrap().is_empty());
    }
}
