//! Every way a file from outside enters the app, as one function over its bytes: the fuzz
//! targets in `fuzz/` and the regression tests in `tests/fuzz_regressions.rs` call these, so what
//! is fuzzed is exactly the code the app runs. Each returns the error the user would see; none
//! may panic, whatever the bytes.

use std::path::Path;

use crate::checkpoint;
use crate::document::project::Project;
use crate::error::{Error, Result};
use crate::label_map::LabelMap;
use crate::palette::Palette;
use crate::train::adam::Adam;

const CANVAS: u32 = 256;

/// A colour label image, imported as the studio imports it: decoded (PNG or JPEG), snapped to
/// the palette, resized to the canvas, and made renderable.
pub fn label_image(bytes: &[u8]) -> Result<LabelMap> {
    let palette = Palette::cmp_facades();
    let (map, report) = LabelMap::from_image_bytes(bytes, Path::new("fuzz.png"), &palette)?;
    let _ = report.unknown_fraction();
    let (w, h) = map.renderable_size(CANVAS);
    let _ = map.resized(w, h);
    Ok(map.resized(CANVAS, CANVAS))
}

/// A project file (.ron): parsed, then turned into the label map it describes.
pub fn project(bytes: &[u8]) -> Result<LabelMap> {
    let path = Path::new("fuzz.ron");
    let text = std::str::from_utf8(bytes)
        .map_err(|_| Error::bad_file(path, "is not text (UTF-8); it is not a project file"))?;
    let palette = Palette::cmp_facades();
    Project::from_text(text, path)?.to_map(palette.len(), path)
}

/// A palette file (.ron).
pub fn palette(bytes: &[u8]) -> Result<Palette> {
    let path = Path::new("fuzz-palette.ron");
    let text = std::str::from_utf8(bytes)
        .map_err(|_| Error::bad_file(path, "is not text (UTF-8); it is not a palette"))?;
    let palette = Palette::parse(text).map_err(|e| Error::bad_file(path, e))?;
    // What the app does with a palette: colour lookups and snapping.
    for i in 0..=u8::MAX {
        let _ = palette.colour(i);
    }
    let _ = palette.nearest([12, 200, 99]);
    Ok(palette)
}

/// A weights file (.fsw), as a model for the preview and as a training checkpoint, on the CPU.
/// Both are tried: a file that loads as neither gives the model loader's error. (The trainer, too,
/// loads checkpoints without autodiff and switches them to training afterwards.)
pub fn weights(bytes: &[u8]) -> Result<()> {
    let path = Path::new("fuzz.fsw");
    let device = burn::prelude::Device::flex();
    let as_model = checkpoint::generator_from_bytes(bytes, path, &device);
    let as_checkpoint = crate::train::state::checkpoint_from_bytes(
        bytes,
        path,
        &device,
        Adam::new(0.5),
        Adam::new(0.5),
    );
    match (as_model, as_checkpoint) {
        (_, Ok(_)) => Ok(()),
        (Ok(_), Err(_)) => Ok(()),
        (Err(e), Err(_)) => Err(e),
    }
}

/// As `weights`, after replacing the file's trailing checksum with the right one, so that damage
/// reaches the parsers behind the checksum (random bytes almost never carry a valid CRC).
pub fn weights_resealed(bytes: &[u8]) -> Result<()> {
    if bytes.len() < 4 {
        return weights(bytes);
    }
    let body = &bytes[..bytes.len() - 4];
    let mut sealed = body.to_vec();
    sealed.extend_from_slice(&crc32fast::hash(body).to_le_bytes());
    weights(&sealed)
}
