//! The project file (.ron): canvas size, palette name, the label map run-length encoded, the
//! render seed, the model name and (from version 2) the style. Versioned; written atomically;
//! version 1 files open unchanged (no style).

use std::path::Path;

use crate::error::{Error, Result};
use crate::fsutil::atomic_write;
use crate::label_map::LabelMap;
use crate::style::Style;

pub const VERSION: u32 = 2;
/// Largest canvas side a project may declare.
pub const MAX_SIDE: u32 = 8192;

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Project {
    pub version: u32,
    pub width: u32,
    pub height: u32,
    pub palette: String,
    /// (class index, run length) in row-major order.
    pub runs: Vec<(u8, u32)>,
    pub seed: u64,
    pub model: String,
    /// The per-class colours the render takes (absent in version 1 files: none).
    #[serde(default)]
    pub style: Style,
}

impl Project {
    pub fn from_map(map: &LabelMap, palette: &str, seed: u64, model: &str) -> Project {
        let mut runs: Vec<(u8, u32)> = Vec::new();
        for &id in &map.ids {
            match runs.last_mut() {
                Some((c, n)) if *c == id && *n < u32::MAX => *n += 1,
                _ => runs.push((id, 1)),
            }
        }
        Project {
            version: VERSION,
            width: map.width,
            height: map.height,
            palette: palette.to_string(),
            runs,
            seed,
            model: model.to_string(),
            style: Style::none(),
        }
    }

    /// The project of a document: its painting and its style.
    pub fn of_document(doc: &super::Document, palette: &str, seed: u64, model: &str) -> Project {
        Project::from_map(&doc.map, palette, seed, model).with_style(&doc.style)
    }

    /// The project with `style` saved in it.
    pub fn with_style(self, style: &Style) -> Project {
        Project {
            style: style.clone(),
            ..self
        }
    }

    /// The label map; `classes` is the palette size (ids beyond it are refused).
    pub fn to_map(&self, classes: usize, path: &Path) -> Result<LabelMap> {
        let bad = |m: String| Error::bad_file(path, m);
        if self.version == 0 || self.version > VERSION {
            return Err(bad(format!(
                "project version {} is not supported (this build reads 1 to {VERSION}); update Facade Studio",
                self.version
            )));
        }
        if self.width == 0 || self.height == 0 || self.width > MAX_SIDE || self.height > MAX_SIDE {
            return Err(bad(format!(
                "declares a {}×{} canvas; sides must be between 1 and {MAX_SIDE}",
                self.width, self.height
            )));
        }
        let expected = self.width as u64 * self.height as u64;
        let total: u64 = self.runs.iter().map(|r| r.1 as u64).sum();
        if total != expected {
            return Err(bad(format!(
                "the label data holds {total} pixels but the canvas is {}×{} = {expected}; the file is damaged",
                self.width, self.height
            )));
        }
        let mut ids = Vec::with_capacity(expected as usize);
        for &(c, n) in &self.runs {
            if c as usize >= classes {
                return Err(bad(format!(
                    "uses class {c}, but the palette has {classes} classes"
                )));
            }
            ids.extend(std::iter::repeat_n(c, n as usize));
        }
        LabelMap::from_ids(self.width, self.height, ids)
    }

    pub fn save(&self, path: &Path) -> Result<()> {
        let text = ron::ser::to_string_pretty(self, ron::ser::PrettyConfig::default())
            .map_err(|e| Error::msg(format!("cannot write the project: {e}")))?;
        atomic_write(path, text.as_bytes())
    }

    pub fn load(path: &Path) -> Result<Project> {
        let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
        if meta.len() > 256 * 1024 * 1024 {
            return Err(Error::bad_file(
                path,
                "is larger than 256 MB; it is not a Facade Studio project",
            ));
        }
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Project::from_text(&text, path)
    }

    /// Parses a project file's text; `path` names the source in errors.
    pub fn from_text(text: &str, path: &Path) -> Result<Project> {
        ron::from_str(text).map_err(|e| {
            Error::bad_file(
                path,
                format!("is not a readable Facade Studio project ({e})"),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_length_encoding_round_trips_and_merges_runs() {
        let mut map = LabelMap::filled(5, 2, 1);
        map.set(4, 0, 2);
        map.set(0, 1, 2);
        let p = Project::from_map(&map, "cmp_facades", 7, "m.fsw");
        // Row-major: four 1s, then two 2s across the row break, then four 1s.
        assert_eq!(p.runs, vec![(1, 4), (2, 2), (1, 4)]);
        assert_eq!(p.to_map(12, Path::new("p.ron")).unwrap(), map);
        let text = ron::to_string(&p).unwrap();
        let back = Project::from_text(&text, Path::new("p.ron")).unwrap();
        assert_eq!(back.to_map(12, Path::new("p.ron")).unwrap(), map);
    }

    #[test]
    fn a_class_beyond_the_palette_is_refused() {
        let p = Project {
            runs: vec![(12, 10)],
            ..Project::from_map(&LabelMap::filled(5, 2, 0), "cmp_facades", 0, "")
        };
        let err = p.to_map(12, Path::new("p.ron")).unwrap_err().to_string();
        assert!(err.contains("p.ron"), "{err}");
    }
}
