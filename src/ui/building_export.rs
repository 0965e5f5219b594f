//! File → Export building…: the painting as the front of a whole building — its render as the
//! front wall, the other three walls generated to match (the same floor height, and the front's
//! colours as their style, exactly) and
//! rendered by the model on a thread of their own, a roof, `building.glb` and its LOD — then the
//! building in a 3D preview window.

use std::path::Path;

use crossbeam_channel::bounded;

use super::app::StudioApp;
use super::building_job::{Done, painted_front};
use super::building_view::BuildingView;
use crate::error::{Error, Result};
use crate::generate::building::{BuildingParams, generate_painted_building};
use crate::generate::set::SetRender;
use crate::render::Renderer;

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
        let detail = self.preview.detail.0;
        let folder = dir.to_path_buf();
        let (tx, rx) = bounded(1);
        std::thread::Builder::new()
            .name("building".into())
            .spawn(move || {
                let done = (|| {
                    let mut renderer = Renderer::load(&model, crate::backend::cpu_device())?;
                    renderer.detail = detail;
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
