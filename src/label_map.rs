//! A label map: a grid of palette class indices. The document the painter edits, the input the
//! generator renders, and the right half of every training pair.

use std::path::Path;

use image::RgbImage;

use crate::error::{Error, Result};
use crate::image_io::{decode_rgb, load_rgb, resize_nearest_ids};
use crate::palette::{Palette, SnapReport};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LabelMap {
    pub width: u32,
    pub height: u32,
    /// Row-major palette indices, `width * height` of them.
    pub ids: Vec<u8>,
}

impl LabelMap {
    /// A map whose class at (x, y) is `f(x, y)`.
    pub fn from_fn(width: u32, height: u32, f: impl Fn(u32, u32) -> u8) -> LabelMap {
        let ids = (0..height)
            .flat_map(|y| (0..width).map(move |x| (x, y)))
            .map(|(x, y)| f(x, y))
            .collect();
        LabelMap { width, height, ids }
    }

    pub fn filled(width: u32, height: u32, id: u8) -> LabelMap {
        LabelMap {
            width,
            height,
            ids: vec![id; (width * height) as usize],
        }
    }

    pub fn from_ids(width: u32, height: u32, ids: Vec<u8>) -> Result<LabelMap> {
        if ids.len() != (width as usize) * (height as usize) {
            return Err(Error::msg(format!(
                "label map data has {} entries, expected {width}×{height}",
                ids.len()
            )));
        }
        Ok(LabelMap { width, height, ids })
    }

    /// Snaps a colour image to the palette.
    pub fn from_rgb(image: &RgbImage, palette: &Palette) -> (LabelMap, SnapReport) {
        let (ids, report) = palette.snap(image);
        (
            LabelMap {
                width: image.width(),
                height: image.height(),
                ids,
            },
            report,
        )
    }

    /// Reads a colour label image (PNG or JPEG, colours snapped to the palette).
    pub fn load_image(path: &Path, palette: &Palette) -> Result<(LabelMap, SnapReport)> {
        let img = load_rgb(path)?;
        Ok(LabelMap::from_rgb(&img, palette))
    }

    /// As `load_image`, from the file's bytes; `path` names the source in errors.
    pub fn from_image_bytes(
        bytes: &[u8],
        path: &Path,
        palette: &Palette,
    ) -> Result<(LabelMap, SnapReport)> {
        let img = decode_rgb(bytes, path)?;
        Ok(LabelMap::from_rgb(&img, palette))
    }

    pub fn get(&self, x: u32, y: u32) -> u8 {
        self.ids[(y * self.width + x) as usize]
    }

    pub fn set(&mut self, x: u32, y: u32, id: u8) {
        let w = self.width;
        self.ids[(y * w + x) as usize] = id;
    }

    pub fn to_rgb(&self, palette: &Palette) -> RgbImage {
        palette.colourise(&self.ids, self.width, self.height)
    }

    pub fn resized(&self, width: u32, height: u32) -> LabelMap {
        if width == self.width && height == self.height {
            return self.clone();
        }
        LabelMap {
            width,
            height,
            ids: resize_nearest_ids(&self.ids, self.width, self.height, width, height),
        }
    }

    /// The size the generator can render: each side rounded to a multiple of `unit` (at least one
    /// unit). The U-Net halves the image 8 times at 256 px, so sides must be multiples of 256.
    pub fn renderable_size(&self, unit: u32) -> (u32, u32) {
        let round = |v: u32| (((v + unit / 2) / unit).max(1)) * unit;
        (round(self.width), round(self.height))
    }

    /// Fraction of pixels of each class, indexed like the palette.
    pub fn class_shares(&self, classes: usize) -> Vec<f64> {
        let mut counts = vec![0usize; classes];
        for &id in &self.ids {
            if let Some(c) = counts.get_mut(id as usize) {
                *c += 1;
            }
        }
        let n = self.ids.len().max(1) as f64;
        counts.into_iter().map(|c| c as f64 / n).collect()
    }
}
