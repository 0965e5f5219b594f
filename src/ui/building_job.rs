//! The building export under way and what it leaves: the thread's result, the 3D preview of the
//! last building, and the painted front cut out of its sky (File → Export building…, run by
//! `building_export`).

use std::path::PathBuf;

use crossbeam_channel::Receiver;
use image::RgbImage;

use super::building_view::BuildingView;
use crate::generate::building::{PaintedFront, WallView};
use crate::generate::glb::Triangles;
use crate::label_map::LabelMap;

/// What the export thread sends back.
pub(super) struct Done {
    pub(super) folder: PathBuf,
    pub(super) walls: Vec<WallView>,
    pub(super) roof: Triangles,
    pub(super) height_m: f32,
}

/// The export under way (if any) and the preview of the last one.
#[derive(Default)]
pub struct BuildingExport {
    pub(super) job: Option<Receiver<std::result::Result<Done, String>>>,
    pub view: Option<BuildingView>,
    /// Buildings written (tests).
    pub written: u64,
}

impl BuildingExport {
    pub fn is_running(&self) -> bool {
        self.job.is_some()
    }
}

/// The painted facade without the sky and street around it: the painting and its render cropped
/// to the box of the pixels that are not of class `background` (the CMP "background": sky and
/// street; all of it when every pixel is).
pub(super) fn painted_front(map: &LabelMap, albedo: RgbImage, background: u8) -> PaintedFront {
    let (w, h) = (map.width, map.height);
    let drawn = |x: u32, y: u32| map.get(x, y) != background;
    let cols: Vec<u32> = (0..w).filter(|&x| (0..h).any(|y| drawn(x, y))).collect();
    let rows: Vec<u32> = (0..h).filter(|&y| (0..w).any(|x| drawn(x, y))).collect();
    let (Some(&x0), Some(&x1), Some(&y0), Some(&y1)) =
        (cols.first(), cols.last(), rows.first(), rows.last())
    else {
        return PaintedFront {
            map: map.clone(),
            albedo: Some(albedo),
        };
    };
    let (cw, ch) = (x1 - x0 + 1, y1 - y0 + 1);
    let ids = (y0..=y1)
        .flat_map(|y| (x0..=x1).map(move |x| (x, y)))
        .map(|(x, y)| map.get(x, y))
        .collect();
    let albedo = image::imageops::resize(&albedo, w, h, image::imageops::FilterType::Triangle);
    PaintedFront {
        map: LabelMap::from_ids(cw, ch, ids).unwrap_or_else(|_| map.clone()),
        albedo: Some(image::imageops::crop_imm(&albedo, x0, y0, cw, ch).to_image()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_front_is_the_painting_without_its_sky_and_margins() {
        // Background 0 around a 3×2 facade at (2, 1).
        let mut map = LabelMap::filled(6, 4, 0);
        for (x, y) in [(2, 1), (3, 1), (4, 1), (2, 2), (3, 2), (4, 2)] {
            map.set(x, y, 1);
        }
        map.set(3, 2, 2);
        let albedo = RgbImage::from_fn(6, 4, |x, y| image::Rgb([x as u8 * 10, y as u8 * 10, 0]));
        let front = painted_front(&map, albedo, 0);
        assert_eq!((front.map.width, front.map.height), (3, 2));
        assert_eq!(front.map.get(1, 1), 2);
        let a = front.albedo.unwrap();
        assert_eq!(a.dimensions(), (3, 2));
        assert_eq!(a.get_pixel(0, 0).0, [20, 10, 0], "cropped at (2, 1)");
        // All sky: nothing to crop to, the painting as it is.
        let sky = painted_front(&LabelMap::filled(4, 4, 0), RgbImage::new(4, 4), 0);
        assert_eq!((sky.map.width, sky.map.height), (4, 4));
    }
}
