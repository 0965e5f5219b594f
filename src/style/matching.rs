//! Exact colours: after the generator, each class the style sets is shifted to the style's
//! colours, the shift feathered over a few pixels at class borders. With one colour per class (a
//! picked colour) the shift is one per class: the class's mean colour in the render becomes the
//! style's, and the generator's light and shade stay as it rendered them. A photo's style also
//! holds the photo's light and shade (its grid, see [`Style::colour_at`]); there the shift is
//! matched per grid cell, weighted as `colour_at` interpolates between the cells' centres, so
//! that the render's colours follow the photo's across the picture (a darker ground floor, a
//! sunlit top) and not only on average. The generator gets the colours close; this makes a
//! chosen colour the colour you get. Colours the style prior drew are hints only and are left
//! as the generator renders them.

use image::RgbImage;

use super::{GRID, Style, cell_weights};
use crate::label_map::LabelMap;

/// Pixels over which a shift fades in at a class border (box radius).
const FEATHER: usize = 2;

/// How strongly a cell's shift is pulled towards the class's whole-picture shift: as much as one
/// pixel at the cell's centre would pull it. Where a class has hardly any pixels near a cell's
/// centre, the cell follows the class as a whole; elsewhere the pixels decide.
const CELL_PRIOR: f64 = 1.0;

const CELLS: usize = GRID * GRID;

/// Shifts `image`'s classes (by `labels`, the same size) to the colours `style` sets.
pub fn match_means(image: &mut RgbImage, labels: &LabelMap, style: &Style) {
    let (w, h) = (image.width() as usize, image.height() as usize);
    if style.is_empty() || (labels.width as usize, labels.height as usize) != (w, h) {
        return;
    }
    let size = (w as u32, h as u32);
    let at = |k: usize| ((k % w) as u32, (k / w) as u32);
    // Per pixel: how far the render is from the style's colour there (None where the class is
    // free or its colour a prior's draw).
    let gaps: Vec<Option<[f64; 3]>> = image
        .pixels()
        .zip(&labels.ids)
        .enumerate()
        .map(|(k, (p, &id))| {
            let target = style
                .colour_at(id, at(k), size)
                .filter(|_| !style.is_drawn(id))?;
            Some([0, 1, 2].map(|c| target[c] as f64 - p.0[c] as f64))
        })
        .collect();
    let mut field = match style.cells.is_empty() {
        true => class_shifts(&labels.ids, &gaps),
        false => cell_shifts(&labels.ids, &gaps, &at, size),
    };
    blur(&mut field, w, h);
    for (p, d) in image.pixels_mut().zip(&field) {
        for (v, shift) in p.0.iter_mut().zip(d) {
            *v = (*v as f32 + shift).round().clamp(0.0, 255.0) as u8;
        }
    }
}

/// A weighted sum of colour gaps.
#[derive(Debug, Clone, Copy, Default)]
struct Sum {
    gap: [f64; 3],
    weight: f64,
}

impl Sum {
    fn add(&mut self, gap: &[f64; 3], weight: f64) {
        for (s, g) in self.gap.iter_mut().zip(gap) {
            *s += g * weight;
        }
        self.weight += weight;
    }

    /// The mean gap (zero where nothing was added).
    fn mean(&self) -> [f64; 3] {
        match self.weight > 0.0 {
            true => self.gap.map(|g| g / self.weight),
            false => [0.0; 3],
        }
    }
}

/// Each class's mean gap over the picture (indexed by class id).
fn class_means(ids: &[u8], gaps: &[Option<[f64; 3]>]) -> Vec<Sum> {
    let mut sums = vec![Sum::default(); 256];
    for (&id, gap) in ids.iter().zip(gaps) {
        if let Some(gap) = gap {
            sums[id as usize].add(gap, 1.0);
        }
    }
    sums
}

/// One shift per class, the same at each of its pixels.
fn class_shifts(ids: &[u8], gaps: &[Option<[f64; 3]>]) -> Vec<[f32; 3]> {
    let means: Vec<[f64; 3]> = class_means(ids, gaps).iter().map(Sum::mean).collect();
    ids.iter()
        .map(|&id| means[id as usize].map(|v| v as f32))
        .collect()
}

/// A shift per class and grid cell, interpolated at each pixel as `colour_at` interpolates the
/// cells' colours: per class, the field of that form nearest to its gaps in least squares,
/// each cell pulled towards the class's whole-picture shift as by [`CELL_PRIOR`].
fn cell_shifts(
    ids: &[u8],
    gaps: &[Option<[f64; 3]>],
    at: &dyn Fn(usize) -> (u32, u32),
    size: (u32, u32),
) -> Vec<[f32; 3]> {
    let whole = class_means(ids, gaps);
    let mut systems: Vec<Option<System>> = vec![None; 256];
    for (k, (&id, gap)) in ids.iter().zip(gaps).enumerate() {
        let Some(gap) = gap else { continue };
        let system =
            systems[id as usize].get_or_insert_with(|| System::prior(whole[id as usize].mean()));
        system.add(&cell_weights(at(k), size), gap);
    }
    let shifts: Vec<Option<[[f64; 3]; CELLS]>> =
        systems.into_iter().map(|s| s.map(System::solve)).collect();
    ids.iter()
        .enumerate()
        .map(|(k, &id)| {
            let Some(cells) = &shifts[id as usize] else {
                return [0.0; 3];
            };
            let mut out = [0f32; 3];
            for (cell, weight) in cell_weights(at(k), size) {
                for c in 0..3 {
                    out[c] += (cells[cell][c] * weight as f64) as f32;
                }
            }
            out
        })
        .collect()
}

/// The normal equations of one class's least-squares fit: `a` · shifts = `b`.
#[derive(Debug, Clone)]
struct System {
    a: [[f64; CELLS]; CELLS],
    b: [[f64; 3]; CELLS],
}

impl System {
    /// No pixels yet, only each cell's pull towards `shift`.
    fn prior(shift: [f64; 3]) -> System {
        let mut s = System {
            a: [[0.0; CELLS]; CELLS],
            b: [shift.map(|v| v * CELL_PRIOR); CELLS],
        };
        for (i, row) in s.a.iter_mut().enumerate() {
            row[i] = CELL_PRIOR;
        }
        s
    }

    /// One pixel, with its cells' weights and its gap.
    fn add(&mut self, weights: &[(usize, f32); 4], gap: &[f64; 3]) {
        for &(i, wi) in weights {
            for &(j, wj) in weights {
                self.a[i][j] += wi as f64 * wj as f64;
            }
            for (b, g) in self.b[i].iter_mut().zip(gap) {
                *b += wi as f64 * g;
            }
        }
    }

    /// The shifts (Gaussian elimination; the prior keeps the matrix positive definite).
    fn solve(self) -> [[f64; 3]; CELLS] {
        let System { mut a, mut b } = self;
        for i in 0..CELLS {
            let (pivot_row, pivot_b) = (a[i], b[i]);
            for r in i + 1..CELLS {
                let f = a[r][i] / pivot_row[i];
                for (v, p) in a[r].iter_mut().zip(&pivot_row).skip(i) {
                    *v -= f * p;
                }
                for (v, p) in b[r].iter_mut().zip(&pivot_b) {
                    *v -= f * p;
                }
            }
        }
        let mut x = [[0.0; 3]; CELLS];
        for i in (0..CELLS).rev() {
            for c in 0..3 {
                let rest: f64 = (i + 1..CELLS).map(|k| a[i][k] * x[k][c]).sum();
                x[i][c] = (b[i][c] - rest) / a[i][i];
            }
        }
        x
    }
}

/// Box blur of radius [`FEATHER`], rows then columns (edges clamp).
fn blur(field: &mut [[f32; 3]], w: usize, h: usize) {
    let pass =
        |field: &mut [[f32; 3]], len: usize, lines: usize, at: &dyn Fn(usize, usize) -> usize| {
            let mut line = vec![[0f32; 3]; len];
            for l in 0..lines {
                for (i, v) in line.iter_mut().enumerate() {
                    let mut acc = [0f32; 3];
                    for k in i.saturating_sub(FEATHER)..=(i + FEATHER).min(len - 1) {
                        let f = field[at(l, k)];
                        for c in 0..3 {
                            acc[c] += f[c];
                        }
                    }
                    let n = ((i + FEATHER).min(len - 1) - i.saturating_sub(FEATHER) + 1) as f32;
                    *v = acc.map(|a| a / n);
                }
                for (i, v) in line.iter().enumerate() {
                    field[at(l, i)] = *v;
                }
            }
        };
    pass(field, w, h, &|row, x| row * w + x);
    pass(field, h, w, &|col, y| y * w + col);
}
