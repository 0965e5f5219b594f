//! The one file format for weights: a training checkpoint (generator, discriminator, both
//! optimizer states, step, configs: written and read by `train::state`) or a shipped model
//! (generator + config). Sections of bytes
//! behind a magic number, closed by a CRC-32 of everything before it, so a torn or corrupted file
//! is detected before any of it is used. Written atomically.
//!
//! Layout: `FACADEWT` · u32 version · u32 section count · per section (u16 name length, name,
//! u64 data length, data) · u32 CRC-32 of all preceding bytes. Integers are little-endian.

use std::path::Path;

use burn::module::Module;
use burn::prelude::*;
use burn::store::ModuleRecord;
use burn::tensor::Bytes;

use crate::error::{Error, Result};
use crate::fsutil::atomic_write;
use crate::model::{Generator, ModelConfig};
use crate::style::StyleBank;

const MAGIC: &[u8; 8] = b"FACADEWT";
const VERSION: u32 = 1;
/// File extension of checkpoints and models.
pub const EXTENSION: &str = "fsw";

/// What a weights file holds (its `meta.kind`, written in lower case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileKind {
    /// Training state: generator, discriminators, optimisers, the weight average.
    Checkpoint,
    /// A generator that renders photos.
    Model,
    /// The photo → labels segmenter.
    Segmenter,
}

impl FileKind {
    pub fn name(self) -> &'static str {
        match self {
            FileKind::Checkpoint => "checkpoint",
            FileKind::Model => "model",
            FileKind::Segmenter => "segmenter",
        }
    }
}

/// What a weights file describes, stored as JSON in its `meta` section.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Meta {
    pub kind: FileKind,
    pub name: String,
    pub step: u64,
    pub model: ModelConfig,
    /// A checkpoint's training settings (`train::TrainConfig` as JSON; read by `train::state`,
    /// so that this file format knows nothing of training). None in a model file.
    pub train: Option<serde_json::Value>,
    /// Seconds of training so far (across resumes).
    pub seconds: f64,
    /// The training photos' styles (style-capable models; empty otherwise and in older files).
    #[serde(default)]
    pub styles: StyleBank,
    /// The task the model was trained for (`palettes/tasks/`; "labels" in files written before tasks).
    #[serde(default = "crate::task::labels")]
    pub task: String,
    /// The input palette's file text for a model of a task read from a task file (a shipped
    /// task's palette is known by its name), so that the model renders without that file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub palette: Option<String>,
}

/// Sections of a weights file, in memory.
#[derive(Debug, Default)]
pub struct Container {
    pub sections: Vec<(String, Vec<u8>)>,
}

impl Container {
    pub fn push(&mut self, name: &str, data: Vec<u8>) {
        self.sections.push((name.to_string(), data));
    }

    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.sections
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, d)| d.as_slice())
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.extend_from_slice(&(self.sections.len() as u32).to_le_bytes());
        for (name, data) in &self.sections {
            out.extend_from_slice(&(name.len() as u16).to_le_bytes());
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(&(data.len() as u64).to_le_bytes());
            out.extend_from_slice(data);
        }
        let crc = crc32fast::hash(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        out
    }

    /// Parses and verifies a file's bytes; `path` names the file in errors.
    pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<Container> {
        let bad = |m: &str| {
            Error::bad_file(
                path,
                format!(
                    "{m}. The file is damaged: use an earlier checkpoint or re-download the model."
                ),
            )
        };
        if bytes.len() < 20 || &bytes[..8] != MAGIC {
            return Err(Error::bad_file(
                path,
                "is not a Facade Studio weights file (.fsw): wrong magic number",
            ));
        }
        let body = &bytes[..bytes.len() - 4];
        let stored = u32::from_le_bytes(bytes[bytes.len() - 4..].try_into().unwrap_or_default());
        if crc32fast::hash(body) != stored {
            return Err(bad("checksum mismatch (truncated or corrupted)"));
        }
        let version = u32::from_le_bytes(body[8..12].try_into().unwrap_or_default());
        if version != VERSION {
            return Err(Error::bad_file(
                path,
                format!(
                    "weights format version {version} is not supported (this build reads {VERSION}); update Facade Studio"
                ),
            ));
        }
        let count = u32::from_le_bytes(body[12..16].try_into().unwrap_or_default()) as usize;
        let mut pos = 16usize;
        let mut take = |n: usize| -> Result<&[u8]> {
            let end = pos
                .checked_add(n)
                .filter(|&e| e <= body.len())
                .ok_or_else(|| bad("section runs past the end"))?;
            let s = &body[pos..end];
            pos = end;
            Ok(s)
        };
        let mut sections = Vec::new();
        for _ in 0..count.min(1024) {
            let name_len = u16::from_le_bytes(take(2)?.try_into().unwrap_or_default()) as usize;
            let name = String::from_utf8_lossy(take(name_len)?).into_owned();
            let len = u64::from_le_bytes(take(8)?.try_into().unwrap_or_default());
            let len = usize::try_from(len).map_err(|_| bad("section too large"))?;
            let data = take(len)?.to_vec();
            sections.push((name, data));
        }
        Ok(Container { sections })
    }

    pub fn read(path: &Path) -> Result<Container> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        Container::from_bytes(&bytes, path)
    }

    pub fn write(&self, path: &Path) -> Result<()> {
        atomic_write(path, &self.to_bytes())
    }
}

pub(crate) fn module_bytes<M: Module>(module: &M, path: &Path) -> Result<Vec<u8>> {
    let bytes = module
        .clone()
        .into_record()
        .into_bytes()
        .map_err(|e| Error::bad_file(path, format!("cannot serialise weights: {e:?}")))?;
    Ok(bytes.to_vec())
}

pub(crate) fn load_module<M: Module>(module: M, data: &[u8], path: &Path, what: &str) -> Result<M> {
    // The parameters are not allocated yet (Burn initialises lazily): compare what the file's
    // description needs with what the section holds before anything large is allocated. Half
    // precision (2 bytes a weight) is the smallest form a model is saved in.
    let needed = module.num_params() as u64 * 2;
    if (data.len() as u64) < needed {
        return Err(Error::bad_file(
            path,
            format!(
                "the {what} weights hold {} bytes, but the model the file describes needs at least {needed}; the file is damaged or from an incompatible version",
                data.len()
            ),
        ));
    }
    // Half-precision files load into the full-precision model. Burn's reader is guarded too: a
    // malformed record is reported as a damaged file, never a crash.
    // Under the initialisation lock: the template's lazy weights may be drawn while the
    // record replaces them, and a draw outside the lock lands between another thread's seeding
    // and its own draws.
    let loaded = crate::model::template_init(|| {
        crate::backend::guarded(|| {
            ModuleRecord::from_bytes(Bytes::from_bytes_vec(data.to_vec()))
            .map_err(|e| format!("the {what} weights cannot be read ({e:?})"))
            .and_then(|record| {
                module
                    .try_load_record(record.cast_to_module_dtype())
                    .map_err(|e| format!("the {what} weights do not fit the model described in the file ({e:?}); the file is damaged or from an incompatible version"))
            })
        })
    });
    match loaded {
        Ok(Ok(module)) => Ok(module),
        Ok(Err(message)) => Err(Error::bad_file(path, message)),
        Err(_) => Err(Error::bad_file(
            path,
            format!(
                "the {what} weights are malformed; the file is damaged: use an earlier checkpoint or re-download the model"
            ),
        )),
    }
}

impl Meta {
    /// Reads a description written by any version (model options added since are filled in
    /// as the file was made: see [`ModelConfig::from_json_value`]).
    pub fn from_json(bytes: &[u8]) -> serde_json::Result<Meta> {
        let mut value: serde_json::Value = serde_json::from_slice(bytes)?;
        if let Some(model) = value.get_mut("model") {
            let config = ModelConfig::from_json_value(model.take())?;
            *model = serde_json::to_value(config)?;
        }
        serde_json::from_value(value)
    }
}

pub(crate) fn meta_of(container: &Container, path: &Path) -> Result<Meta> {
    let meta = container.get("meta").ok_or_else(|| {
        Error::bad_file(
            path,
            "has no `meta` section; it is not a model or checkpoint",
        )
    })?;
    let meta = Meta::from_json(meta)
        .map_err(|e| Error::bad_file(path, format!("its description cannot be read ({e})")))?;
    meta.model
        .validate()
        .map_err(|m| Error::bad_file(path, format!("describes an unsupported model: {m}")))?;
    Ok(meta)
}

/// A generator and what describes it, ready to render.
pub struct LoadedGenerator {
    pub meta: Meta,
    pub generator: Generator,
}

/// Casts every float parameter to half precision (for a smaller shipped model).
struct ToHalf;

impl burn::module::ModuleMapper for ToHalf {
    fn map_float<const D: usize>(
        &mut self,
        param: burn::module::Param<Tensor<D>>,
    ) -> burn::module::Param<Tensor<D>> {
        param.map(|t| t.cast(burn::tensor::DType::F16))
    }
}

/// Saves the generator with half-precision weights (half the size; loads as f32).
pub fn save_model_half(path: &Path, meta: &Meta, generator: &Generator) -> Result<()> {
    let meta = Meta {
        kind: FileKind::Model,
        ..meta.clone()
    };
    save_generator(path, &meta, generator, true)
}

/// Saves just the generator (a shipped model, or an export of a run).
pub fn save_model(path: &Path, meta: &Meta, generator: &Generator) -> Result<()> {
    let meta = Meta {
        kind: FileKind::Model,
        ..meta.clone()
    };
    save_generator(path, &meta, generator, false)
}

/// Saves a generator-shaped network with `meta` as given (its `kind` says what it is: a model
/// or the segmenter), optionally in half precision. The training settings are not kept.
pub fn save_generator(path: &Path, meta: &Meta, generator: &Generator, half: bool) -> Result<()> {
    let mut c = Container::default();
    let mut meta = meta.clone();
    meta.train = None;
    c.push(
        "meta",
        serde_json::to_vec_pretty(&meta).map_err(|e| Error::msg(e.to_string()))?,
    );
    let bytes = match half {
        true => module_bytes(&generator.clone().map(&mut ToHalf), path)?,
        false => module_bytes(generator, path)?,
    };
    c.push("generator", bytes);
    c.write(path)
}

/// The section holding the generator that renders: the weight average when the file has one.
fn rendering_generator(c: &Container) -> Option<&[u8]> {
    c.get("generator_ema").or_else(|| c.get("generator"))
}

/// Loads the generator that renders from a model file or a checkpoint (a checkpoint's weight
/// average when it keeps one).
pub fn load_generator(path: &Path, device: &Device) -> Result<LoadedGenerator> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    generator_from_bytes(&bytes, path, device)
}

/// As `load_generator`, from the file's bytes; `path` names the source in errors.
pub fn generator_from_bytes(bytes: &[u8], path: &Path, device: &Device) -> Result<LoadedGenerator> {
    let c = Container::from_bytes(bytes, path)?;
    let meta = meta_of(&c, path)?;
    let data =
        rendering_generator(&c).ok_or_else(|| Error::bad_file(path, "has no generator weights"))?;
    let template = crate::model::template_init(|| meta.model.init_generator(device));
    let generator = load_module(template, data, path, "generator")?;
    Ok(LoadedGenerator { meta, generator })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The kinds are written as the strings files have always carried; any other kind is
    /// refused by name.
    #[test]
    fn file_kinds_read_and_write_as_before_and_others_are_refused() {
        let meta = |kind: &str| {
            let model = serde_json::to_value(ModelConfig::new()).unwrap();
            let json = serde_json::json!({"kind": kind, "name": "n", "step": 3, "model": model,
                                          "train": null, "seconds": 1.0});
            Meta::from_json(json.to_string().as_bytes())
        };
        for kind in [FileKind::Checkpoint, FileKind::Model, FileKind::Segmenter] {
            let read = meta(kind.name()).unwrap();
            assert_eq!(read.kind, kind);
            let written = serde_json::to_value(&read).unwrap();
            assert_eq!(written["kind"], kind.name());
            assert_eq!(read.task, "labels", "files before tasks are label models");
        }
        let err = meta("weights").unwrap_err().to_string();
        assert!(err.contains("unknown variant `weights`"), "{err}");
    }
}
