//! The label palette: which classes exist, their colours and keys; nearest-colour snapping of any
//! RGB image to class indices; and the encoding of a label map into the generator's input.
//!
//! A class is addressed inside the program by its *index* in the palette (0-based, `u8`), never by
//! its dataset id, so a label map is a plain `Vec<u8>` of indices.

use std::path::Path;

use image::RgbImage;

use crate::error::{Error, Result};

include!("palette_spec.rs");

/// The CMP facades palette shipped in `palettes/cmp_facades.ron` (checked by build.rs).
pub const CMP_FACADES_RON: &str = include_str!("../palettes/cmp_facades.ron");

/// A pixel farther than this (Euclidean RGB distance) from every palette colour counts as
/// "unknown" in a [`SnapReport`]. JPEG-smeared label maps stay well inside it on flat regions.
pub const UNKNOWN_COLOUR_DISTANCE: f32 = 60.0;

/// The name of the generated grey palette ([`Palette::grey_ramp`]).
pub const GREY: &str = "grey";

/// Levels of the grey palette: as many as a palette may hold.
pub const GREY_LEVELS: usize = 255;

#[derive(Debug, Clone, PartialEq)]
pub struct Palette {
    pub name: String,
    pub classes: Vec<ClassSpec>,
    /// Index of the class the eraser paints and new canvases start with.
    pub background: u8,
}

/// What snapping an image found: how many pixels were far from every palette colour.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SnapReport {
    pub pixels: usize,
    pub unknown: usize,
}

impl SnapReport {
    /// Above this share of far-off pixels an image is probably not a label map: the CLI warns
    /// and the app says so (JPEG smear alone stays well under it).
    pub const WARN_FRACTION: f32 = 0.05;

    /// Whether enough pixels were far from every palette colour to warn about the image.
    pub fn is_suspicious(&self) -> bool {
        self.unknown_fraction() > Self::WARN_FRACTION
    }

    pub fn unknown_fraction(&self) -> f32 {
        if self.pixels == 0 {
            0.0
        } else {
            self.unknown as f32 / self.pixels as f32
        }
    }
}

impl Palette {
    /// The palette the model was trained with.
    pub fn cmp_facades() -> Palette {
        // Checked at build time by build.rs, so this cannot fail in a built binary.
        Palette::parse(CMP_FACADES_RON).expect("palettes/cmp_facades.ron is checked by build.rs")
    }

    pub fn parse(source: &str) -> std::result::Result<Palette, String> {
        let spec = parse_palette_spec(source)?;
        let background = spec
            .classes
            .iter()
            .position(|c| c.id == spec.background)
            .unwrap_or(0) as u8;
        Ok(Palette {
            name: spec.name,
            classes: spec.classes,
            background,
        })
    }

    /// The input of a continuous task (colourisation): 255 greys from black to white, level `k`
    /// being round(k·255/254), so that a greyscale image is a label map one grey value off at
    /// most. White is the background (a blank canvas is white paper).
    pub fn grey_ramp() -> Palette {
        let classes = (0..GREY_LEVELS)
            .map(|k| {
                let v = grey_value(k as u8);
                ClassSpec {
                    id: k as u8,
                    name: format!("grey {v}"),
                    rgb: (v, v, v),
                    key: String::new(),
                }
            })
            .collect();
        Palette {
            name: GREY.into(),
            classes,
            background: (GREY_LEVELS - 1) as u8,
        }
    }

    /// Whether this is the grey ramp (snapping and the studio's level picker treat it as a
    /// continuous input).
    pub fn is_grey_ramp(&self) -> bool {
        self.name == GREY && self.len() == GREY_LEVELS
    }

    pub fn load(path: &Path) -> Result<Palette> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Palette::parse(&text)
            .map_err(|m| Error::bad_file(path, format!("{m}. Fix the palette file.")))
    }

    pub fn len(&self) -> usize {
        self.classes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.classes.is_empty()
    }

    pub fn colour(&self, index: u8) -> [u8; 3] {
        let (r, g, b) = self
            .classes
            .get(index as usize)
            .map(|c| c.rgb)
            .unwrap_or((0, 0, 0));
        [r, g, b]
    }

    /// Index of the class called `name`.
    /// The class names in palette order, as a list for messages ("background, facade, …").
    pub fn class_names(&self) -> String {
        let names: Vec<&str> = self.classes.iter().map(|c| c.name.as_str()).collect();
        names.join(", ")
    }

    pub fn index_of(&self, name: &str) -> Option<u8> {
        self.classes
            .iter()
            .position(|c| c.name == name)
            .map(|i| i as u8)
    }

    /// Index of the palette colour nearest to `rgb`, and the squared distance to it.
    pub fn nearest(&self, rgb: [u8; 3]) -> (u8, u32) {
        if self.is_grey_ramp() {
            return nearest_grey(rgb);
        }
        let mut best = (0u8, u32::MAX);
        for (i, c) in self.classes.iter().enumerate() {
            let dr = rgb[0] as i32 - c.rgb.0 as i32;
            let dg = rgb[1] as i32 - c.rgb.1 as i32;
            let db = rgb[2] as i32 - c.rgb.2 as i32;
            let d = (dr * dr + dg * dg + db * db) as u32;
            if d < best.1 {
                best = (i as u8, d);
            }
        }
        best
    }

    /// Maps every pixel to the index of the nearest palette colour.
    pub fn snap(&self, image: &RgbImage) -> (Vec<u8>, SnapReport) {
        let limit = (UNKNOWN_COLOUR_DISTANCE * UNKNOWN_COLOUR_DISTANCE) as u32;
        let mut unknown = 0;
        let ids = image
            .pixels()
            .map(|p| {
                let (i, d) = self.nearest(p.0);
                if d > limit {
                    unknown += 1;
                }
                i
            })
            .collect();
        let report = SnapReport {
            pixels: (image.width() * image.height()) as usize,
            unknown,
        };
        (ids, report)
    }

    /// Paints class indices with the palette colours.
    pub fn colourise(&self, ids: &[u8], width: u32, height: u32) -> RgbImage {
        let mut img = RgbImage::new(width, height);
        for (p, &id) in img.pixels_mut().zip(ids) {
            p.0 = self.colour(id);
        }
        img
    }

    /// The generator's input for a label map: the palette colours scaled to [-1, 1], planar
    /// (C, H, W) order, as the published model sees the colour label image.
    pub fn encode_planar(&self, ids: &[u8], out: &mut Vec<f32>) {
        let n = ids.len();
        out.clear();
        out.resize(3 * n, 0.0);
        let lut: Vec<[f32; 3]> = (0..self.len())
            .map(|i| {
                let c = self.colour(i as u8);
                [
                    c[0] as f32 / 127.5 - 1.0,
                    c[1] as f32 / 127.5 - 1.0,
                    c[2] as f32 / 127.5 - 1.0,
                ]
            })
            .collect();
        for (k, &id) in ids.iter().enumerate() {
            let v = lut.get(id as usize).copied().unwrap_or([-1.0; 3]);
            out[k] = v[0];
            out[n + k] = v[1];
            out[2 * n + k] = v[2];
        }
    }
}

/// The grey value of level `k` of the grey ramp.
pub fn grey_value(k: u8) -> u8 {
    ((k as u32 * 255 + 127) / 254).min(255) as u8
}

/// The grey level nearest `rgb` and its squared distance: the nearest grey to any colour is
/// its channels' mean (the foot of the perpendicular on the grey axis), so the nearest level
/// is the one nearest the mean — O(1) instead of a search over 255 classes.
fn nearest_grey(rgb: [u8; 3]) -> (u8, u32) {
    let mean = (rgb[0] as f32 + rgb[1] as f32 + rgb[2] as f32) / 3.0;
    let guess = (mean * (GREY_LEVELS - 1) as f32 / 255.0).round() as i32;
    let distance = |k: i32| {
        let v = grey_value(k as u8) as i32;
        rgb.iter()
            .map(|&c| (c as i32 - v).pow(2) as u32)
            .sum::<u32>()
    };
    (guess - 1..=guess + 1)
        .filter(|k| (0..GREY_LEVELS as i32).contains(k))
        .map(|k| (k as u8, distance(k)))
        .min_by_key(|&(_, d)| d)
        .unwrap_or((0, u32::MAX))
}

impl Default for Palette {
    fn default() -> Self {
        Palette::cmp_facades()
    }
}
