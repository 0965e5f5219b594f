//! Parametric facades for level designers: a building's size in metres, floors, bays, windows and
//! ornament probabilities → a label map (drawn from class rectangles) that the model renders,
//! written as a bundle per facade (`facade-studio generate`).

pub mod atlas;
pub mod layout;
pub mod maps;
pub mod params;
pub mod set;

use std::path::{Path, PathBuf};

use image::{GrayImage, RgbImage};
use serde::Serialize;

pub use layout::{Layout, Region, layout};
pub use maps::NormalY;
pub use params::{FacadeParams, GroundFloor};
pub use set::generate_set;

use crate::error::{Error, Result};
use crate::image_io::save_png;
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
        for y in r.y0..=r.y1 {
            for x in r.x0..=r.x1 {
                map.set(x, y, id);
            }
        }
    }
    Ok(map)
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
pub fn describe(p: &FacadeParams, layout: &Layout, model: Option<&str>) -> String {
    let m = |v: u32| (v as f32 / p.px_per_m * 1000.0).round() / 1000.0;
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
        params: p,
        regions,
    };
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
        }
    }
}

/// Writes the bundle into `dir`, all or nothing: the files go to a temporary folder beside it that
/// is renamed into place at the end.
pub fn write_bundle(dir: &Path, b: &Bundle) -> Result<()> {
    let tmp: PathBuf = dir.with_extension(format!("partial-{}", std::process::id()));
    let result = (|| -> Result<()> {
        std::fs::create_dir_all(&tmp).map_err(|e| Error::io(&tmp, e))?;
        save_png(&b.labels, &tmp.join("labels.png"))?;
        if let Some(a) = &b.albedo {
            save_png(a, &tmp.join("albedo.png"))?;
        }
        save_png(&b.emission, &tmp.join("emission.png"))?;
        save_png(&b.height, &tmp.join("height.png"))?;
        save_png(&b.normal, &tmp.join("normal.png"))?;
        save_png(&b.orm, &tmp.join("orm.png"))?;
        std::fs::write(tmp.join("facade.json"), &b.json).map_err(|e| Error::io(&tmp, e))?;
        if dir.exists() {
            std::fs::remove_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        std::fs::rename(&tmp, dir).map_err(|e| Error::io(dir, e))
    })();
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    result
}
