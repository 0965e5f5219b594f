//! Texture atlases of a set: every facade's map packed into one image per kind (shelf packing,
//! tallest first), each surrounded by `padding` pixels that repeat its edge so mipmaps do not
//! bleed neighbours in, and `atlas.json` with every facade's pixel rectangle and UV rectangle
//! (origin top-left, as glTF's texture coordinates).

use std::path::Path;

use image::{ImageBuffer, Pixel};
use serde::Serialize;

use crate::error::{Error, Result};

/// Where one image goes: its top-left corner inside the padding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Place {
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
}

/// Packs rectangles of `sizes` with `padding` around each into an atlas no wider than needed
/// for a roughly square result, both sides multiples of 4. Returns (width, height, places) in the order of `sizes`.
pub fn pack(sizes: &[(u32, u32)], padding: u32) -> (u32, u32, Vec<Place>) {
    let padded: Vec<(u32, u32)> = sizes
        .iter()
        .map(|&(w, h)| (w + 2 * padding, h + 2 * padding))
        .collect();
    let area: u64 = padded.iter().map(|&(w, h)| w as u64 * h as u64).sum();
    let widest = padded.iter().map(|p| p.0).max().unwrap_or(0);
    // Sides in multiples of 4, as block-compressed textures (BCn, ASTC 4×4) need.
    let width = widest
        .max((area as f64).sqrt().ceil() as u32)
        .next_multiple_of(4);
    let mut order: Vec<usize> = (0..sizes.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(padded[i].1));
    let mut places = vec![
        Place {
            x: 0,
            y: 0,
            w: 0,
            h: 0
        };
        sizes.len()
    ];
    let (mut x, mut y, mut shelf) = (0u32, 0u32, 0u32);
    for i in order {
        let (pw, ph) = padded[i];
        if x + pw > width {
            (x, y, shelf) = (0, y + shelf, 0);
        }
        places[i] = Place {
            x: x + padding,
            y: y + padding,
            w: sizes[i].0,
            h: sizes[i].1,
        };
        x += pw;
        shelf = shelf.max(ph);
    }
    (width, (y + shelf).next_multiple_of(4), places)
}

/// Draws `images` at `places` into a `width`×`height` atlas, repeating each image's edge pixels
/// over its padding.
pub fn compose<P: Pixel>(
    images: &[ImageBuffer<P, Vec<P::Subpixel>>],
    places: &[Place],
    (width, height): (u32, u32),
    padding: u32,
) -> ImageBuffer<P, Vec<P::Subpixel>> {
    let mut atlas = ImageBuffer::new(width, height);
    for (img, p) in images.iter().zip(places) {
        let (x0, y0) = (p.x as i64 - padding as i64, p.y as i64 - padding as i64);
        for y in y0..y0 + (p.h + 2 * padding) as i64 {
            for x in x0..x0 + (p.w + 2 * padding) as i64 {
                let sx = (x - p.x as i64).clamp(0, p.w as i64 - 1) as u32;
                let sy = (y - p.y as i64).clamp(0, p.h as i64 - 1) as u32;
                atlas.put_pixel(x as u32, y as u32, *img.get_pixel(sx, sy));
            }
        }
    }
    atlas
}

#[derive(Serialize)]
struct Entry<'a> {
    folder: &'a str,
    #[serde(flatten)]
    place: Place,
    /// u0, v0, u1, v1 of the image (without padding), 0–1 from the top-left corner.
    uv: [f64; 4],
}

/// The maps a set's atlases are made of (file name in each facade folder → atlas file name).
pub const MAPS: [&str; 6] = ["albedo", "labels", "emission", "height", "normal", "orm"];

/// Writes `atlas-<map>.png` for every map the facades have, and `atlas.json`.
pub fn write_atlases(out: &Path, folders: &[String], padding: u32) -> Result<()> {
    let mut layout: Option<(u32, u32, Vec<Place>)> = None;
    for map in MAPS {
        let files: Vec<_> = folders
            .iter()
            .map(|f| out.join(f).join(format!("{map}.png")))
            .collect();
        if !files.iter().all(|f| f.is_file()) {
            continue;
        }
        let images = files
            .iter()
            .map(|f| image::open(f).map_err(|e| Error::bad_file(f, e.to_string())))
            .collect::<Result<Vec<_>>>()?;
        let (w, h, places) = layout.get_or_insert_with(|| {
            pack(
                &images
                    .iter()
                    .map(|i| (i.width(), i.height()))
                    .collect::<Vec<_>>(),
                padding,
            )
        });
        let path = out.join(format!("atlas-{map}.png"));
        if matches!(map, "emission" | "height") {
            let gray: Vec<_> = images.iter().map(|i| i.to_luma8()).collect();
            crate::image_io::save_png(&compose(&gray, places, (*w, *h), padding), &path)?;
        } else {
            let rgb: Vec<_> = images.iter().map(|i| i.to_rgb8()).collect();
            crate::image_io::save_png(&compose(&rgb, places, (*w, *h), padding), &path)?;
        }
    }
    let Some((w, h, places)) = layout else {
        return Ok(());
    };
    let entries: Vec<Entry> = folders
        .iter()
        .zip(&places)
        .map(|(folder, &place)| Entry {
            folder,
            place,
            uv: [
                place.x as f64 / w as f64,
                place.y as f64 / h as f64,
                (place.x + place.w) as f64 / w as f64,
                (place.y + place.h) as f64 / h as f64,
            ],
        })
        .collect();
    let json =
        serde_json::json!({ "width": w, "height": h, "padding": padding, "facades": entries });
    let text = serde_json::to_string_pretty(&json).expect("plain data serialises");
    crate::fsutil::atomic_write(&out.join("atlas.json"), text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_rectangles_with_padding_never_overlap_and_fit() {
        let sizes = [(256, 256), (384, 128), (100, 300), (256, 256), (50, 50)];
        let (w, h, places) = pack(&sizes, 8);
        assert_eq!((w % 4, h % 4), (0, 0));
        assert_eq!(places.len(), sizes.len());
        for (i, (a, &(sw, sh))) in places.iter().zip(&sizes).enumerate() {
            assert_eq!((a.w, a.h), (sw, sh));
            assert!(a.x >= 8 && a.y >= 8 && a.x + a.w + 8 <= w && a.y + a.h + 8 <= h);
            for b in &places[i + 1..] {
                let apart = a.x + a.w + 8 <= b.x - 8
                    || b.x + b.w + 8 <= a.x - 8
                    || a.y + a.h + 8 <= b.y - 8
                    || b.y + b.h + 8 <= a.y - 8;
                assert!(apart, "{a:?} and {b:?} overlap with their padding");
            }
        }
    }
}
