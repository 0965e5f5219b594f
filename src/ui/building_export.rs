//! File → Export building…: the painting as the front of a whole building — its render as the
//! front wall, the other three walls generated to match (the same floor height, and the front's
//! colours as their style, exactly) and
//! rendered by the model on a thread of their own, a roof, `building.glb` and its LOD — then the
//! building in a 3D preview window.

use std::path::{Path, PathBuf};

use crossbeam_channel::{Receiver, bounded};
use image::RgbImage;

use super::app::StudioApp;
use super::building_view::BuildingView;
use crate::error::{Error, Result};
use crate::generate::building::{
    BuildingParams, PaintedFront, WallView, generate_painted_building,
};
use crate::generate::glb::Triangles;
use crate::generate::set::SetRender;
use crate::label_map::LabelMap;
use crate::render::Renderer;

/// What the export thread sends back.
struct Done {
    folder: PathBuf,
    walls: Vec<WallView>,
    roof: Triangles,
    height_m: f32,
}

/// The export under way (if any) and the preview of the last one.
#[derive(Default)]
pub struct BuildingExport {
    job: Option<Receiver<std::result::Result<Done, String>>>,
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
fn painted_front(map: &LabelMap, albedo: RgbImage, background: u8) -> PaintedFront {
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

impl StudioApp {
    /// Starts writing the building into `dir` (checked first; the walls render off the UI
    /// thread).
    pub(super) fn export_building(&mut self, dir: &Path) -> Result<()> {
        if !self.paints_facade_labels() {
            return Err(Error::msg(
                "a building's walls are facade labels: switch to Task, Labels: paint classes",
            ));
        }
        if self.building.is_running() {
            return Err(Error::msg(
                "a building is being written already; wait for it",
            ));
        }
        let model = (self.preview.model_path())
            .ok_or_else(|| Error::msg("no model is loaded yet; wait for the first render"))?;
        let albedo = (self.preview.image.clone())
            .ok_or_else(|| Error::msg("there is no render yet; wait for the preview to appear"))?;
        let sky = self
            .palette
            .index_of("background")
            .unwrap_or(self.palette.background);
        let front = painted_front(&self.doc.map, albedo, sky);
        let (w, h) = (front.map.width, front.map.height);
        let params = BuildingParams::around_painting(w, h, &self.generate.params);
        params.check().map_err(|e| {
            Error::msg(format!(
                "the painting ({w}×{h} px at {} px/m) cannot front a building: {e}",
                self.generate.params.px_per_m
            ))
        })?;
        // The other walls take the front's colours as rendered (each class's mean), exactly, so
        // that the four walls read as one building.
        let style = match &front.albedo {
            Some(a) => crate::style::Style::of_photo(a, &front.map).uniform(),
            None => self.preview.style_for(&self.doc),
        };
        let palette = self.palette.clone();
        let folder = dir.to_path_buf();
        let (tx, rx) = bounded(1);
        std::thread::Builder::new()
            .name("building".into())
            .spawn(move || {
                let done = (|| {
                    let renderer = Renderer::load(&model, crate::backend::cpu_device())?;
                    let render = SetRender {
                        renderer: &renderer,
                        style_seed: None,
                    };
                    let written = generate_painted_building(
                        &params,
                        &front,
                        &style,
                        &folder,
                        &palette,
                        Some(render),
                        |_| {},
                    )?;
                    let (walls, roof, height_m) = written.views();
                    Ok::<_, Error>(Done {
                        folder: folder.clone(),
                        walls,
                        roof,
                        height_m,
                    })
                })();
                let _ = tx.send(done.map_err(|e| e.to_string()));
            })
            .map_err(|e| Error::msg(format!("cannot start the export: {e}")))?;
        self.building.job = Some(rx);
        self.notice = Some(format!("writing the building into {}…", dir.display()));
        Ok(())
    }

    /// Takes a finished export: its preview opens, or its error is shown.
    pub(super) fn poll_building(&mut self, ctx: &egui::Context) {
        let Some(rx) = &self.building.job else {
            return;
        };
        let result = match rx.try_recv() {
            Ok(result) => result,
            Err(crossbeam_channel::TryRecvError::Empty) => {
                ctx.request_repaint_after(std::time::Duration::from_millis(200));
                return;
            }
            Err(crossbeam_channel::TryRecvError::Disconnected) => {
                Err("the export stopped without a result".into())
            }
        };
        self.building.job = None;
        match result {
            Ok(done) => {
                self.notice = Some(format!(
                    "building written: {} (building.glb, building-lod1.glb, a folder per wall)",
                    done.folder.display()
                ));
                self.building.written += 1;
                self.building.view = Some(BuildingView::new(
                    ctx,
                    done.folder,
                    done.walls,
                    done.roof,
                    done.height_m,
                ));
            }
            Err(e) => self.errors.push(format!("export building: {e}")),
        }
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
