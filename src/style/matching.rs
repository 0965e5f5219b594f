//! Exact colours: after the generator, each class the style sets is shifted so that its mean
//! colour in the render is the style's mean over that class's pixels, the shift feathered over a
//! few pixels at class borders (a photo style's light and shade is the generator's to follow).
//! The generator gets the colours close; this makes a picked colour the colour you get. Colours
//! the style prior drew are hints only and are left as the generator renders them.

use image::RgbImage;

use super::Style;
use crate::label_map::LabelMap;

/// Pixels over which a shift fades in at a class border (box radius).
const FEATHER: usize = 2;

/// Shifts `image`'s classes (by `labels`, the same size) to the mean colours `style` sets.
pub fn match_means(image: &mut RgbImage, labels: &LabelMap, style: &Style) {
    let (w, h) = (image.width() as usize, image.height() as usize);
    if style.is_empty() || (labels.width as usize, labels.height as usize) != (w, h) {
        return;
    }
    // Per class: the render's colour sum, the style's, and the count.
    let size = (w as u32, h as u32);
    let mut sums = vec![([0f64; 3], [0f64; 3], 0usize); 256];
    for (k, (p, &id)) in image.pixels().zip(&labels.ids).enumerate() {
        let at = ((k % w) as u32, (k / w) as u32);
        let Some(target) = style
            .colour_at(id, at, size)
            .filter(|_| !style.is_drawn(id))
        else {
            continue;
        };
        let s = &mut sums[id as usize];
        for (c, (&have, want)) in p.0.iter().zip(target).enumerate() {
            s.0[c] += have as f64;
            s.1[c] += want as f64;
        }
        s.2 += 1;
    }
    let shift = |(render, target, n): &([f64; 3], [f64; 3], usize)| match *n {
        0 => [0.0; 3],
        n => [0, 1, 2].map(|c| ((target[c] - render[c]) / n as f64) as f32),
    };
    let mut field: Vec<[f32; 3]> = labels
        .ids
        .iter()
        .map(|&id| shift(&sums[id as usize]))
        .collect();
    blur(&mut field, w, h);
    for (p, d) in image.pixels_mut().zip(&field) {
        for (v, shift) in p.0.iter_mut().zip(d) {
            *v = (*v as f32 + shift).round().clamp(0.0, 255.0) as u8;
        }
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
