//! Renders of any size, tile by tile: training-size windows of the label map, overlapping by a
//! quarter tile, blended with weights that ramp from the tile's edges so no seam shows; with
//! `wrap_x` the windows wrap around horizontally, so the left and right edges continue into each
//! other (textures repeated along a street).

use image::{Rgb, RgbImage};

use super::Renderer;
use crate::error::Result;
use crate::label_map::LabelMap;
use crate::style::Style;

/// Tile origins along a side of `len` pixels: tiles of `tile` pixels at most `tile - overlap`
/// apart, the first at 0 and (without wrapping) the last ending at `len`. Wrapping, the origins
/// are spread evenly round the circle.
pub fn origins(len: u32, tile: u32, overlap: u32, wrap: bool) -> Vec<u32> {
    let stride = (tile - overlap).max(1);
    if wrap {
        let n = len.div_ceil(stride).max(1);
        return (0..n)
            .map(|k| (k as u64 * len as u64 / n as u64) as u32)
            .collect();
    }
    if len <= tile {
        return vec![0];
    }
    let mut xs: Vec<u32> = (0..len - tile).step_by(stride as usize).collect();
    xs.push(len - tile);
    xs
}

/// Blend weight of pixel `u` of a tile: rising over the first `overlap` pixels, falling over the
/// last, never zero (a pixel only one tile covers keeps that tile's colour).
pub fn ramp(u: u32, tile: u32, overlap: u32) -> f32 {
    let o = overlap.max(1) as f32;
    let from_edge = (u.min(tile - 1 - u) as f32 + 0.5) / o;
    from_edge.min(1.0)
}

impl Renderer {
    /// Renders `map` at exactly its size by tiles of the training size (see the module doc).
    /// Sides shorter than a tile are padded by repeating the edge (or by wrapping with `wrap_x`).
    pub fn render_tiled(
        &self,
        map: &LabelMap,
        style: &Style,
        seed: Option<u64>,
        wrap_x: bool,
    ) -> Result<RgbImage> {
        let tile = self.unit();
        let overlap = tile / 4;
        let (w, h) = (map.width, map.height);
        let mut sum = vec![0f32; (w * h * 3) as usize];
        let mut weight = vec![0f32; (w * h) as usize];
        for &oy in &origins(h, tile, overlap, false) {
            for &ox in &origins(w, tile, overlap, wrap_x) {
                let window = LabelMap::from_fn(tile, tile, |u, v| {
                    let x = match wrap_x {
                        true => (ox + u) % w,
                        false => (ox + u).min(w - 1),
                    };
                    map.get(x, (oy + v).min(h - 1))
                });
                let photo = self.render(&window, style, seed)?;
                accumulate(
                    &photo,
                    (ox, oy),
                    (w, h),
                    wrap_x,
                    overlap,
                    &mut sum,
                    &mut weight,
                );
            }
        }
        Ok(RgbImage::from_fn(w, h, |x, y| {
            let i = (y * w + x) as usize;
            let c = |k: usize| (sum[3 * i + k] / weight[i]).round().clamp(0.0, 255.0) as u8;
            Rgb([c(0), c(1), c(2)])
        }))
    }
}

/// How a render covers the label map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tiling {
    /// In one pass, the size rounded to multiples of the training size.
    #[default]
    Whole,
    /// At exactly the map's size, by blended tiles.
    Tiles,
    /// By blended tiles that wrap round horizontally (a seamlessly repeating texture).
    Wrapped,
}

impl Renderer {
    /// Renders `map` at exactly its size: in one pass when its sides are multiples of the
    /// training size, by blended tiles otherwise (the preview and its exports).
    pub fn render_exact(
        &self,
        map: &LabelMap,
        style: &Style,
        seed: Option<u64>,
    ) -> Result<RgbImage> {
        let unit = self.unit();
        match map.width.is_multiple_of(unit) && map.height.is_multiple_of(unit) {
            true => self.render(map, style, seed),
            false => self.render_tiled(map, style, seed, false),
        }
    }

    /// Renders `map` in `style` the way `tiling` says.
    pub fn render_as(
        &self,
        map: &LabelMap,
        style: &Style,
        seed: Option<u64>,
        tiling: Tiling,
    ) -> Result<RgbImage> {
        match tiling {
            Tiling::Whole => self.render(map, style, seed),
            Tiling::Tiles => self.render_tiled(map, style, seed, false),
            Tiling::Wrapped => self.render_tiled(map, style, seed, true),
        }
    }
}

/// Adds a tile's pixels, weighted, to the running sums (pixels outside the image are dropped,
/// or wrapped round horizontally).
fn accumulate(
    photo: &RgbImage,
    (ox, oy): (u32, u32),
    (w, h): (u32, u32),
    wrap_x: bool,
    overlap: u32,
    sum: &mut [f32],
    weight: &mut [f32],
) {
    let tile = photo.width();
    for v in 0..tile {
        let y = oy + v;
        if y >= h {
            break;
        }
        for u in 0..tile {
            let x = match (wrap_x, ox + u) {
                (true, x) => x % w,
                (false, x) if x < w => x,
                _ => break,
            };
            let wt = ramp(u, tile, overlap) * ramp(v, tile, overlap);
            let i = (y * w + x) as usize;
            let p = photo.get_pixel(u, v).0;
            for k in 0..3 {
                sum[3 * i + k] += wt * p[k] as f32;
            }
            weight[i] += wt;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiles_cover_every_pixel_with_overlap() {
        assert_eq!(origins(200, 256, 64, false), vec![0]);
        assert_eq!(origins(256, 256, 64, false), vec![0]);
        assert_eq!(origins(600, 256, 64, false), vec![0, 192, 344]);
        // Wrapping: evenly spread, every gap at most a stride.
        let xs = origins(1000, 256, 64, true);
        assert_eq!(xs.len(), 6);
        assert_eq!(xs[0], 0);
        let gaps: Vec<u32> = xs
            .windows(2)
            .map(|p| p[1] - p[0])
            .chain([1000 - xs[5]])
            .collect();
        assert!(gaps.iter().all(|&g| g <= 192), "{gaps:?}");
    }

    #[test]
    fn weights_ramp_up_from_the_edges_and_never_vanish() {
        assert!(ramp(0, 256, 64) > 0.0);
        assert!(ramp(0, 256, 64) < ramp(32, 256, 64));
        assert_eq!(ramp(64, 256, 64), 1.0);
        assert_eq!(ramp(128, 256, 64), 1.0);
        assert_eq!(ramp(255, 256, 64), ramp(0, 256, 64));
    }
}
