//! Parametric facades for level designers: a building's size in metres, floors, bays, windows and
//! ornament probabilities → a label map (drawn from class rectangles) that the model renders,
//! written as a bundle per facade (`facade-studio generate`).

pub mod atlas;
pub mod building;
pub mod glb;
pub mod layout;
pub mod maps;
pub mod params;
pub mod roof;
pub mod sample;
pub mod set;
pub mod street;

use std::path::{Path, PathBuf};

use image::{GrayImage, RgbImage};
use serde::Serialize;

pub use layout::{Layout, Region, layout};
pub use maps::NormalY;
pub use params::{FacadeParams, GroundFloor};
pub use set::generate_set;

use crate::document::raster::fill_rect;
use crate::error::{Error, Result};
use crate::image_io::{encode_png, save_png, save_png_bytes};
use crate::label_map::LabelMap;
use crate::palette::Palette;

/// Draws the layout's rectangles in order on `palette`'s classes.
pub fn labels(layout: &Layout, palette: &Palette) -> Result<LabelMap> {
    let mut map = LabelMap::filled(layout.width, layout.height, 0);
    for r in &layout.regions {
        let id = palette.index_of(r.class).ok_or_else(|| {
            Error::msg(format!(
                "the palette has no class \"{}\": generated facades need the CMP facade classes",
                r.class
            ))
        })?;
        let corner = |x: u32, y: u32| (x as i32, y as i32);
        fill_rect(&mut map, corner(r.x0, r.y0), corner(r.x1, r.y1), id);
    }
    Ok(map)
}

/// `px` pixels in metres at `px_per_m`, to the millimetre (facade.json's metre coordinates).
fn metres(px: u32, px_per_m: f32) -> f32 {
    (px as f32 / px_per_m * 1000.0).round() / 1000.0
}

/// `facade.json`: what was generated, from what, in pixels and metres.
#[derive(Serialize)]
struct Description<'a> {
    width_px: u32,
    height_px: u32,
    width_m: f32,
    height_m: f32,
    px_per_m: f32,
    floors: u32,
    bays: u32,
    floor_tops_px: &'a [u32],
    seed: u64,
    model: Option<String>,
    /// Class colours the render was asked for (class name → #rrggbb; empty: none).
    style: serde_json::Value,
    params: &'a FacadeParams,
    /// Drawn in this order (later over earlier) they give labels.png exactly.
    regions: Vec<RegionOut<'a>>,
}

#[derive(Serialize)]
struct RegionOut<'a> {
    class: &'a str,
    /// x0, y0, x1, y1 in pixels, inclusive.
    px: [u32; 4],
    /// left, top, right, bottom in metres from the top-left corner.
    m: [f32; 4],
}

/// The JSON description of a facade (see [`Description`]).
pub fn describe(
    p: &FacadeParams,
    layout: &Layout,
    model: Option<&str>,
    style: serde_json::Value,
) -> String {
    let m = |v: u32| metres(v, p.px_per_m);
    let regions = layout
        .regions
        .iter()
        .map(|r| RegionOut {
            class: r.class,
            px: [r.x0, r.y0, r.x1, r.y1],
            m: [m(r.x0), m(r.y0), m(r.x1 + 1), m(r.y1 + 1)],
        })
        .collect();
    let d = Description {
        width_px: layout.width,
        height_px: layout.height,
        width_m: p.width_m,
        height_m: p.height_m,
        px_per_m: p.px_per_m,
        floors: layout.floors,
        bays: layout.bays,
        floor_tops_px: &layout.floor_tops,
        seed: p.seed,
        model: model.map(str::to_string),
        style,
        params: p,
        regions,
    };
    serde_json::to_string_pretty(&d).expect("plain data serialises")
}

/// Rectangles that cover `map` exactly, one class each, without overlapping: runs of equal class
/// along a row, merged down the rows while the same run continues. (class id, [x0, y0, x1, y1]).
pub fn rectangles(map: &LabelMap) -> Vec<(u8, [u32; 4])> {
    let mut done = Vec::new();
    // Rectangles still growing: keyed by (x0, x1, class), holding y0.
    let mut open: Vec<((u32, u32, u8), u32)> = Vec::new();
    for y in 0..map.height {
        let mut runs = Vec::new();
        let mut x0 = 0;
        for x in 1..=map.width {
            if x == map.width || map.get(x, y) != map.get(x0, y) {
                runs.push((x0, x - 1, map.get(x0, y)));
                x0 = x;
            }
        }
        let mut next = Vec::with_capacity(runs.len());
        for run in runs {
            let y0 = match open.iter().position(|(k, _)| *k == run) {
                Some(i) => open.swap_remove(i).1,
                None => y,
            };
            next.push((run, y0));
        }
        for ((x0, x1, class), y0) in open.drain(..) {
            done.push((class, [x0, y0, x1, y - 1]));
        }
        open = next;
    }
    for ((x0, x1, class), y0) in open {
        done.push((class, [x0, y0, x1, map.height - 1]));
    }
    done
}

/// `facade.json` of a painted canvas: its size (pixels, and metres at `px_per_m`), model, seed and
/// the rectangles that reproduce it.
pub fn describe_painted(
    map: &LabelMap,
    palette: &Palette,
    px_per_m: f32,
    model: Option<&str>,
    seed: u64,
    style: serde_json::Value,
) -> String {
    let m = |v: u32| metres(v, px_per_m);
    let regions: Vec<serde_json::Value> = rectangles(map)
        .into_iter()
        .map(|(class, [x0, y0, x1, y1])| {
            let name = palette
                .classes
                .get(class as usize)
                .map_or("?", |c| c.name.as_str());
            serde_json::json!({
                "class": name,
                "px": [x0, y0, x1, y1],
                "m": [m(x0), m(y0), m(x1 + 1), m(y1 + 1)],
            })
        })
        .collect();
    let d = serde_json::json!({
        "width_px": map.width,
        "height_px": map.height,
        "width_m": m(map.width),
        "height_m": m(map.height),
        "px_per_m": px_per_m,
        "seed": seed,
        "model": model,
        "style": style,
        "regions": regions,
    });
    serde_json::to_string_pretty(&d).expect("plain data serialises")
}

/// The files of one facade.
pub struct Bundle {
    pub labels: RgbImage,
    pub albedo: Option<RgbImage>,
    pub emission: GrayImage,
    pub height: GrayImage,
    pub normal: RgbImage,
    pub orm: RgbImage,
    pub json: String,
    /// Pixels per metre (the size of facade.glb's quad).
    pub px_per_m: f32,
    /// The convention of `normal` (facade.glb always gets glTF's +Y).
    pub normal_y: NormalY,
}

impl Bundle {
    /// The maps of `map` (and of the render's luminance detail, when there is a render).
    pub fn new(
        map: &LabelMap,
        palette: &Palette,
        albedo: Option<RgbImage>,
        px_per_m: f32,
        normal_y: NormalY,
        json: String,
    ) -> Bundle {
        let h = maps::height_m(map, palette, albedo.as_ref());
        Bundle {
            labels: map.to_rgb(palette),
            emission: maps::emission(map, palette),
            height: maps::height_image(&h, map.width, map.height),
            normal: maps::normal_map(&h, map.width, map.height, px_per_m, normal_y),
            orm: maps::orm(map, palette, &h),
            albedo,
            json,
            px_per_m,
            normal_y,
        }
    }
}

/// Writes the bundle into `dir`. A new folder appears whole or not at all (the files go to a
/// temporary folder beside it that is renamed into place); into an existing folder each file is
/// written atomically and nothing else there is touched.
pub fn write_bundle(dir: &Path, b: &Bundle) -> Result<()> {
    if dir.is_dir() {
        return write_files(dir, b);
    }
    let tmp: PathBuf = dir.with_extension(format!("partial-{}", std::process::id()));
    let result = write_files(&tmp, b)
        .and_then(|()| std::fs::rename(&tmp, dir).map_err(|e| Error::io(dir, e)));
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    result
}

fn write_files(dir: &Path, b: &Bundle) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    // Each map is encoded once: the same PNG bytes go to its file and into facade.glb.
    let labels = save_png_bytes(&b.labels, &dir.join("labels.png"))?;
    let albedo = match &b.albedo {
        Some(a) => Some(save_png_bytes(a, &dir.join("albedo.png"))?),
        None => None,
    };
    let emission = save_png_bytes(&b.emission, &dir.join("emission.png"))?;
    save_png(&b.height, &dir.join("height.png"))?;
    let normal = save_png_bytes(&b.normal, &dir.join("normal.png"))?;
    let orm = save_png_bytes(&b.orm, &dir.join("orm.png"))?;
    let glb_path = dir.join("facade.glb");
    let normal_up = match glb::normal_y_up(&b.normal, b.normal_y) {
        Some(up) => encode_png(&up, &glb_path)?,
        None => normal,
    };
    let textures = glb::Textures {
        base: albedo.as_deref().unwrap_or(&labels),
        orm: &orm,
        normal: &normal_up,
        emission: &emission,
    };
    crate::fsutil::atomic_write(&glb_path, &glb::facade_glb(b, &textures)?)?;
    crate::fsutil::atomic_write(&dir.join("facade.json"), b.json.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rectangles_reproduce_any_map_exactly() {
        let palette = Palette::cmp_facades();
        let mut map = labels(&layout(&FacadeParams::default()), &palette).unwrap();
        // Some freehand noise too.
        for i in 0..300u32 {
            map.set((i * 37) % map.width, (i * 91) % map.height, (i % 12) as u8);
        }
        let rects = rectangles(&map);
        let mut drawn = LabelMap::filled(map.width, map.height, 255);
        for (class, [x0, y0, x1, y1]) in &rects {
            for y in *y0..=*y1 {
                for x in *x0..=*x1 {
                    assert_eq!(drawn.get(x, y), 255, "rectangles overlap at ({x}, {y})");
                    drawn.set(x, y, *class);
                }
            }
        }
        assert!(
            drawn.ids == map.ids,
            "the rectangles do not reproduce the map"
        );
        // Merging down the rows keeps it compact: far fewer rectangles than row runs.
        assert!(rects.len() < 2000, "{} rectangles", rects.len());
    }
}
