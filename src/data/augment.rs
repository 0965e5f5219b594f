//! Augmentation as published: resize to 286 (nearest for labels), random 256 crop, random
//! horizontal flip, the same crop and flip for the photo and its labels. Randomness comes from a
//! seed per sample so a run is reproducible and resumable.

use image::RgbImage;
use image::imageops::FilterType;
use rand::{Rng, SeedableRng, rngs::StdRng};

use super::Pair;
use crate::label_map::LabelMap;
use crate::palette::Palette;
use crate::style::{self, Style};

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AugmentConfig {
    /// Side the pair is resized to before cropping (286 for 256 crops).
    pub load_size: u32,
    /// Side of the random crop (the training resolution).
    pub crop_size: u32,
    pub flip: bool,
}

impl AugmentConfig {
    /// The published recipe, scaled to `size` (286/256 of the crop).
    pub fn for_size(size: u32) -> Self {
        AugmentConfig {
            load_size: (size * 286).div_ceil(256),
            crop_size: size,
            flip: true,
        }
    }

    /// No augmentation: resize straight to the crop size (evaluation, fixed samples).
    pub fn eval(size: u32) -> Self {
        AugmentConfig {
            load_size: size,
            crop_size: size,
            flip: false,
        }
    }
}

/// A pair resized to the load size, ready for cropping. Kept in memory for a whole run.
#[derive(Debug, Clone)]
pub struct Resized {
    pub photo: RgbImage,
    pub labels: LabelMap,
    /// The photo's style (what a style-capable model is shown, in part, while it learns).
    pub style: Style,
    /// The facade labels a derived pair was made from (see [`super::Pair::layout`]).
    pub layout: Option<LabelMap>,
}

pub fn resize_pair(pair: &Pair, load_size: u32) -> Resized {
    let photo = if pair.photo.dimensions() == (load_size, load_size) {
        pair.photo.clone()
    } else {
        image::imageops::resize(&pair.photo, load_size, load_size, FilterType::CatmullRom)
    };
    let labels = pair.labels.resized(load_size, load_size);
    Resized {
        style: Style::of_photo(&photo, &labels),
        photo,
        labels,
        layout: pair
            .layout
            .as_ref()
            .map(|l| l.resized(load_size, load_size)),
    }
}

/// A batch in the generator's layout: `[n, channels, size, size]` planar, values in [-1, 1]
/// (the label image's 3 planes, then a style's when the batch is styled); targets `[n, 3, …]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    pub n: usize,
    pub size: usize,
    /// Whether every sample's input carries style planes (see [`Batch::push_styled`]).
    pub styled: bool,
    pub input: Vec<f32>,
    pub target: Vec<f32>,
    /// The class ids behind `input`, `[n, size, size]` (the segmenter's targets).
    pub labels: Vec<u8>,
    /// The facade class ids the samples were derived from, `[n, size, size]`, when every
    /// sample's pair kept them (else empty): what an OASIS discriminator reads the photos as.
    pub layout: Vec<u8>,
}

impl Batch {
    pub fn new(size: usize) -> Batch {
        Batch {
            n: 0,
            size,
            styled: false,
            input: Vec::new(),
            target: Vec::new(),
            labels: Vec::new(),
            layout: Vec::new(),
        }
    }

    /// An empty batch for a style-capable generator.
    pub fn styled(size: usize) -> Batch {
        Batch {
            styled: true,
            ..Batch::new(size)
        }
    }

    /// Input planes per sample.
    pub fn channels(&self) -> usize {
        3 + if self.styled { style::CHANNELS } else { 0 }
    }

    /// Appends one sample with `style`'s planes after its label image (a styled batch).
    pub fn push_styled(
        &mut self,
        pair: &Resized,
        (x, y, flip): (u32, u32, bool),
        palette: &Palette,
        style: &Style,
    ) {
        self.push(pair, x, y, flip, palette);
        let s = self.size as u32;
        let ids = &self.labels[self.labels.len() - (s * s) as usize..];
        // A grid style's cells are in the resized pair's frame: each crop pixel's source there.
        let at = |k: usize| crop_source((x, y, flip), s, k as u32 / s, k as u32 % s);
        let size = (pair.labels.width, pair.labels.height);
        style.encode_planar_at(ids, at, size, &mut self.input);
    }

    /// Appends one sample: crops (at `x`, `y`) and optionally flips the resized pair.
    pub fn push(&mut self, pair: &Resized, x: u32, y: u32, flip: bool, palette: &Palette) {
        let s = self.size as u32;
        let w = pair.labels.width;
        let mut ids = Vec::with_capacity((s * s) as usize);
        let mut photo = vec![0f32; 3 * (s * s) as usize];
        let plane = (s * s) as usize;
        for row in 0..s {
            for col in 0..s {
                let (sx, sy) = crop_source((x, y, flip), s, row, col);
                let at = (sy * w + sx) as usize;
                ids.push(pair.labels.ids[at]);
                if let Some(layout) = &pair.layout {
                    self.layout.push(layout.ids[at]);
                }
                let p = pair.photo.get_pixel(sx, sy).0;
                let k = (row * s + col) as usize;
                for c in 0..3 {
                    photo[c * plane + k] = p[c] as f32 / 127.5 - 1.0;
                }
            }
        }
        let mut encoded = Vec::new();
        palette.encode_planar(&ids, &mut encoded);
        self.input.extend_from_slice(&encoded);
        self.target.extend_from_slice(&photo);
        self.labels.extend_from_slice(&ids);
        self.n += 1;
    }
}

/// Where pixel (`row`, `col`) of an `s`-sided crop at (`x`, `y`), flipped or not, comes from in
/// the resized pair.
fn crop_source((x, y, flip): (u32, u32, bool), s: u32, row: u32, col: u32) -> (u32, u32) {
    let sx = if flip { x + s - 1 - col } else { x + col };
    (sx, y + row)
}

/// Draws the crop offset and flip for a sample from its own seed.
pub fn draw_augmentation(config: &AugmentConfig, sample_seed: u64) -> (u32, u32, bool) {
    let mut rng = StdRng::seed_from_u64(sample_seed);
    let room = config.load_size - config.crop_size;
    let x = if room > 0 {
        rng.random_range(0..=room)
    } else {
        0
    };
    let y = if room > 0 {
        rng.random_range(0..=room)
    } else {
        0
    };
    let flip = config.flip && rng.random_bool(0.5);
    (x, y, flip)
}

/// A seed that mixes the run seed with a position (SplitMix64 finaliser).
pub fn mix_seed(seed: u64, a: u64, b: u64) -> u64 {
    let mut z =
        seed ^ a.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ b.wrapping_mul(0xD1B5_4A32_D192_ED03);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
