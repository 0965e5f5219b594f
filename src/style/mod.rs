//! Styles: the look a layout is rendered in, as one colour per class (the mean colour of a photo
//! over that class's pixels), and for a style taken from a photo also per cell of a
//! [`GRID`]×[`GRID`] split of the picture (the photo's light and shade: a darker ground floor, a
//! sunlit top). A style-capable generator sees it as [`CHANNELS`] extra input planes: the colour
//! of each pixel's class where the style sets it (its cell's colour where it has one), and a mask
//! of where it does. Classes the style leaves free are the model's choice, so no style at all
//! renders as before.

mod bank;
mod matching;
pub mod photo;
mod prior;

pub use matching::match_means;

pub use bank::StyleBank;
pub use prior::classes_of;

use image::RgbImage;
use rand::Rng;

use crate::label_map::LabelMap;
use crate::palette::Palette;

/// Input planes a style adds to the generator's input: R, G, B in [-1, 1] and the "given" mask.
pub const CHANNELS: usize = 4;

/// Pixels a class needs in a photo (or in a cell of it) before its mean colour counts.
const MIN_PIXELS: usize = 16;

/// Cells per side of a photo style's grid.
pub const GRID: usize = 4;

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Style {
    /// Indexed by class id; `None` (or an index past the end) leaves the class free.
    pub colours: Vec<Option<[u8; 3]>>,
    /// Empty, or [`GRID`]² cells in row-major order, each indexed by class id: the class's colour
    /// in that part of the picture (`None`: its colour in `colours`). Only classes `colours`
    /// sets use it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cells: Vec<Vec<Option<[u8; 3]>>>,
    /// Indexed by class id: `true` where the colour is a draw of the style prior (see
    /// [`StyleBank::sample_for`]), a hint the generator follows but exact colours leave alone;
    /// exact colours are for colours someone chose.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drawn: Vec<bool>,
}

impl Style {
    /// No style: every class free.
    pub fn none() -> Style {
        Style::default()
    }

    pub fn is_empty(&self) -> bool {
        self.colours.iter().all(Option::is_none)
    }

    pub fn get(&self, class: u8) -> Option<[u8; 3]> {
        self.colours.get(class as usize).copied().flatten()
    }

    /// Whether `class`'s colour was drawn by the style prior rather than chosen.
    pub fn is_drawn(&self, class: u8) -> bool {
        self.drawn.get(class as usize).copied().unwrap_or(false)
    }

    /// Sets (or frees) a class's colour, the same all over the picture.
    pub fn set(&mut self, class: u8, colour: Option<[u8; 3]>) {
        let i = class as usize;
        for cell in &mut self.cells {
            if let Some(c) = cell.get_mut(i) {
                *c = None;
            }
        }
        if self.colours.len() <= i {
            self.colours.resize(i + 1, None);
        }
        self.colours[i] = colour;
        trim(&mut self.colours);
        if let Some(d) = self.drawn.get_mut(i) {
            *d = false;
        }
        while self.drawn.last() == Some(&false) {
            self.drawn.pop();
        }
    }

    /// Parses `CLASS=#RRGGBB` (a class name or 1-based number as the app shows it) and sets it.
    pub fn set_from_arg(&mut self, arg: &str, palette: &Palette) -> Result<(), String> {
        let (class, colour) = arg
            .split_once('=')
            .ok_or_else(|| format!("`{arg}` is not CLASS=#RRGGBB (e.g. wall=#a04030)"))?;
        let id = match class.trim().parse::<usize>() {
            Ok(n) if (1..=palette.len()).contains(&n) => (n - 1) as u8,
            Ok(n) => {
                return Err(format!(
                    "class number {n} does not exist; the palette numbers its classes 1…{}",
                    palette.len()
                ));
            }
            Err(_) => palette.index_of(class.trim()).ok_or_else(|| {
                format!(
                    "`{class}` is not a class of the palette ({})",
                    palette.class_names()
                )
            })?,
        };
        let hex = colour.trim().trim_start_matches('#');
        let rgb = u32::from_str_radix(hex, 16)
            .ok()
            .filter(|_| hex.len() == 6)
            .ok_or_else(|| format!("`{colour}` is not a colour; write it as #RRGGBB"))?;
        self.set(id, Some([(rgb >> 16) as u8, (rgb >> 8) as u8, rgb as u8]));
        Ok(())
    }

    /// The style as facade.json records it: class name → "#rrggbb" for the classes it sets.
    pub fn to_json(&self, palette: &Palette) -> serde_json::Value {
        let entries = self.colours.iter().enumerate().filter_map(|(i, c)| {
            let [r, g, b] = (*c)?;
            let name = palette.classes.get(i)?.name.clone();
            Some((
                name,
                serde_json::Value::from(format!("#{r:02x}{g:02x}{b:02x}")),
            ))
        });
        serde_json::Value::Object(entries.collect())
    }

    /// Number of classes the style sets.
    pub fn count(&self) -> usize {
        self.colours.iter().filter(|c| c.is_some()).count()
    }

    /// The colour of `class` at (x, y) of a `w`×`h` picture: the cells' colours interpolated
    /// bilinearly between cell centres (a cell without the class counts as the class's colour),
    /// so a photo's light and shade varies smoothly, with no steps at cell borders.
    pub fn colour_at(&self, class: u8, (x, y): (u32, u32), (w, h): (u32, u32)) -> Option<[u8; 3]> {
        let global = self.get(class)?;
        if self.cells.is_empty() {
            return Some(global);
        }
        let cell = |row: usize, col: usize| {
            let local = self
                .cells
                .get(row * GRID + col)
                .and_then(|c| c.get(class as usize));
            local.copied().flatten().unwrap_or(global).map(f32::from)
        };
        let (c0, c1, tx) = between(x, w);
        let (r0, r1, ty) = between(y, h);
        let mix = |a: [f32; 3], b: [f32; 3], t: f32| [0, 1, 2].map(|c| a[c] + (b[c] - a[c]) * t);
        let top = mix(cell(r0, c0), cell(r0, c1), tx);
        let bottom = mix(cell(r1, c0), cell(r1, c1), tx);
        Some(mix(top, bottom, ty).map(|v| v.round().clamp(0.0, 255.0) as u8))
    }

    /// The style without its grid: one colour per class (what a picker or the gallery holds).
    pub fn uniform(&self) -> Style {
        Style {
            colours: self.colours.clone(),
            cells: Vec::new(),
            drawn: self.drawn.clone(),
        }
    }

    /// The style of a photo: the mean colour over each class's pixels in `labels` (the photo's
    /// size or resized to it), over the whole picture and per grid cell (classes, and cells of a
    /// class, with fewer than a handful of pixels stay free).
    pub fn of_photo(photo: &RgbImage, labels: &LabelMap) -> Style {
        let (w, h) = photo.dimensions();
        let resized;
        let labels = if (labels.width, labels.height) == (w, h) {
            labels
        } else {
            resized = labels.resized(w, h);
            &resized
        };
        let mut whole = vec![([0u64; 3], 0usize); 256];
        let mut cells = vec![vec![([0u64; 3], 0usize); 256]; GRID * GRID];
        for (k, (p, &id)) in photo.pixels().zip(labels.ids.iter()).enumerate() {
            let (x, y) = ((k as u32) % w, (k as u32) / w);
            for sum in [
                &mut whole[id as usize],
                &mut cells[cell_of(x, y, w, h)][id as usize],
            ] {
                for c in 0..3 {
                    sum.0[c] += p.0[c] as u64;
                }
                sum.1 += 1;
            }
        }
        let mut colours = means(&whole);
        trim(&mut colours);
        let cells = cells.iter().map(|c| means(c)).collect();
        Style {
            colours,
            cells,
            drawn: Vec::new(),
        }
    }

    /// What training shows the generator: none of the style (with probability `none`), else the
    /// whole style (7 in 15 of the rest) or a random part (each class kept with probability one
    /// half), with its grid or (half the time) one colour per class, so the model renders well
    /// in every case. `none` = 0.25 gives the shares 0.35, 0.25 and 0.4.
    pub fn dropped(&self, none: f64, rng: &mut impl Rng) -> Style {
        let draw: f64 = rng.random();
        let whole = (1.0 - none) * 7.0 / 15.0;
        if (whole..whole + none).contains(&draw) {
            return Style::none();
        }
        let mut out = match rng.random_bool(0.5) {
            true => self.clone(),
            false => self.uniform(),
        };
        if draw >= whole + none {
            for c in out.colours.iter_mut() {
                if !rng.random_bool(0.5) {
                    *c = None;
                }
            }
        }
        out
    }

    /// Appends the style's [`CHANNELS`] planes for the `w`-wide picture of classes `ids` to
    /// `out`.
    pub fn encode_planar(&self, ids: &[u8], w: u32, out: &mut Vec<f32>) {
        let h = ids.len() as u32 / w.max(1);
        self.encode_planar_at(ids, |k| ((k as u32) % w, (k as u32) / w), (w, h), out);
    }

    /// As [`Style::encode_planar`] for pixels that sit at `at(k)` in a `size` picture (a crop).
    pub fn encode_planar_at(
        &self,
        ids: &[u8],
        at: impl Fn(usize) -> (u32, u32),
        size: (u32, u32),
        out: &mut Vec<f32>,
    ) {
        let n = ids.len();
        let start = out.len();
        out.resize(start + CHANNELS * n, 0.0);
        let planes = &mut out[start..];
        for (k, &id) in ids.iter().enumerate() {
            if let Some(rgb) = self.colour_at(id, at(k), size) {
                for c in 0..3 {
                    planes[c * n + k] = rgb[c] as f32 / 127.5 - 1.0;
                }
                planes[3 * n + k] = 1.0;
            }
        }
    }
}

/// The two cells whose centres bracket position `v` of `len` along one side, and the weight of
/// the second.
fn between(v: u32, len: u32) -> (usize, usize, f32) {
    let last = (GRID - 1) as f32;
    let f = ((v as f32 + 0.5) * GRID as f32 / len.max(1) as f32 - 0.5).clamp(0.0, last);
    let i0 = f.floor() as usize;
    (i0, (i0 + 1).min(GRID - 1), f - i0 as f32)
}

/// The grid cell (row-major) of (x, y) in a `w`×`h` picture.
fn cell_of(x: u32, y: u32, w: u32, h: u32) -> usize {
    let col = (x as usize * GRID) / w.max(1) as usize;
    let row = (y as usize * GRID) / h.max(1) as usize;
    row.min(GRID - 1) * GRID + col.min(GRID - 1)
}

/// Drops trailing free classes, so that equal styles compare equal however they were built.
fn trim(colours: &mut Vec<Option<[u8; 3]>>) {
    while colours.last() == Some(&None) {
        colours.pop();
    }
}

/// Rounded means of the sums with enough pixels, per class.
fn means(sums: &[([u64; 3], usize)]) -> Vec<Option<[u8; 3]>> {
    sums.iter()
        .map(|(sum, n)| {
            (*n >= MIN_PIXELS).then(|| sum.map(|s| ((s + *n as u64 / 2) / *n as u64) as u8))
        })
        .collect()
}
