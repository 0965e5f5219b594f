//! The app's file work: projects (open, save), label images (import, export), renders (export),
//! recent files and the crash-recovery offer (the dialogs that ask for paths: `ask`; what is kept
//! between sessions: `persisted`). Every action leaves the painting untouched when it fails.

use std::path::{Path, PathBuf};

use super::app::StudioApp;
use super::ask;
use crate::document::Edit;
use crate::document::project::Project;
use crate::error::{Error, Result};
use crate::generate::sample::{random_sample, random_sketch};
use crate::image_io::save_png;
use crate::label_map::LabelMap;

impl StudioApp {
    pub(super) fn fail(&mut self, e: Error) {
        self.errors.push(e.to_string());
    }

    /// Runs `action` on `path`, or on the path the dialog `ask` gives (nothing if cancelled);
    /// a failure goes to the error dialog.
    pub(super) fn with_path(
        &mut self,
        path: Option<PathBuf>,
        ask: impl FnOnce() -> Option<PathBuf>,
        action: impl FnOnce(&mut Self, &Path) -> Result<()>,
    ) {
        if let Some(path) = path.or_else(ask)
            && let Err(e) = action(self, &path)
        {
            self.fail(e);
        }
    }

    /// Runs an export to `path`, or to where the user says (suggesting `name`).
    pub(super) fn export(
        &mut self,
        path: Option<PathBuf>,
        name: &str,
        export: fn(&Self, &Path) -> Result<()>,
    ) {
        self.with_path(path, || ask::image(Some(name)), |app, p| export(app, p));
    }

    pub(super) fn remember(&mut self, path: &Path) {
        let path = path.to_path_buf();
        self.recent.retain(|p| p != &path);
        self.recent.insert(0, path);
        self.recent.truncate(8);
    }

    pub(super) fn new_canvas(&mut self, width: u32, height: u32) {
        let map = LabelMap::filled(width, height, self.palette.background);
        self.doc.apply(Edit::Replace(map));
        self.project_path = None;
        self.canvas.fit = true;
    }

    /// A random facade on the canvas: its labels, or on the sketch task its sketch (outlines
    /// with some hints). Other tasks have nothing to draw it with.
    pub(super) fn random_sample(&mut self) {
        let sketching = self.paints_task(crate::task::SKETCH);
        if !self.paints_facade_labels() && !sketching {
            self.notice = Some(
                "Random sample paints facade labels or sketches: switch to Task, Labels: paint classes".into(),
            );
            return;
        }
        self.sample_seed += 1;
        let (w, h, seed) = (self.doc.map.width, self.doc.map.height, self.sample_seed);
        let map = match sketching {
            true => random_sketch(w, h, seed, &self.palette),
            false => random_sample(w, h, seed, &self.palette),
        };
        self.doc.apply(Edit::Replace(map));
    }

    /// Replaces the canvas with the facade of `params` (see `Document::replace_live`); parameters
    /// that cannot be built are shown as the error.
    pub(super) fn generate_facade(&mut self, params: &crate::generate::FacadeParams) {
        use crate::generate::{labels, layout};
        if let Err(e) = params.check() {
            self.fail(Error::msg(format!("cannot generate this facade: {e}")));
            return;
        }
        match labels(&layout(params), &self.palette) {
            Ok(map) => self.doc.replace_live(map),
            Err(e) => self.fail(e),
        }
    }

    /// Opens a project (.ron) or imports a label image, by extension.
    pub(super) fn open_any(&mut self, path: &Path) {
        let is_project = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("ron"));
        let result = if is_project {
            self.open_project(path)
        } else {
            self.import_labels(path)
        };
        if let Err(e) = result {
            self.fail(e);
        }
    }

    pub(super) fn open_project(&mut self, path: &Path) -> Result<()> {
        let project = Project::load(path)?;
        self.adopt_palette_of(&project)?;
        let map = project.to_map(self.palette.len(), path)?;
        self.doc = crate::document::Document::new(map);
        self.doc.style = project.style;
        self.preview.seed = project.seed;
        self.project_path = Some(path.to_path_buf());
        self.canvas.fit = true;
        self.remember(path);
        Ok(())
    }

    pub(super) fn save_project(&mut self, path: &Path) -> Result<()> {
        self.write_project(path)?;
        self.doc.mark_saved();
        self.project_path = Some(path.to_path_buf());
        self.recovery.clear();
        self.remember(path);
        self.notice = Some(format!("saved {}", path.display()));
        Ok(())
    }

    /// Writes the painting, its style, seed and model as a project file at `path`.
    pub(super) fn write_project(&self, path: &Path) -> Result<()> {
        let model = self.preview.model_name().unwrap_or_default().to_string();
        Project::of_document(&self.doc, &self.palette.name, self.preview.seed, &model).save(path)
    }

    /// Saves to the project's file, or asks where when it has none.
    pub(super) fn save(&mut self) {
        self.with_path(
            self.project_path.clone(),
            ask::save_project,
            Self::save_project,
        );
    }

    /// Imports a picture of the task's input — a label image snapped to the palette, or a
    /// photo to colourise made grey — resized (nearest) to the canvas. One undo step.
    pub(super) fn import_labels(&mut self, path: &Path) -> Result<()> {
        let read = match self.task() {
            Some(task) => task.load_input(path)?,
            None => {
                let (map, _) = LabelMap::load_image(path, &self.palette)?;
                crate::task::input::Input { map, note: None }
            }
        };
        let map = read.map.resized(self.doc.map.width, self.doc.map.height);
        if let Some(note) = read.note {
            self.notice = Some(format!("{}: {note}", path.display()));
        }
        self.doc.apply(Edit::Replace(map));
        Ok(())
    }

    pub(super) fn export_labels(&self, path: &Path) -> Result<()> {
        save_png(&self.doc.map.to_rgb(&self.palette), path)
    }

    pub(super) fn export_render(&self, path: &Path) -> Result<()> {
        save_png(self.render()?, path)
    }

    /// Labels and render side by side (the pix2pix pair layout, labels right).
    pub(super) fn export_side_by_side(&self, path: &Path) -> Result<()> {
        let render = self.render()?;
        let labels = self.doc.map.to_rgb(&self.palette);
        let labels = image::imageops::resize(
            &labels,
            render.width(),
            render.height(),
            image::imageops::FilterType::Nearest,
        );
        let mut out = image::RgbImage::new(render.width() * 2, render.height());
        image::imageops::replace(&mut out, render, 0, 0);
        image::imageops::replace(&mut out, &labels, render.width() as i64, 0);
        save_png(&out, path)
    }

    /// The canvas as a game-engine bundle in `dir`: labels, the render at the canvas's size,
    /// material maps and facade.json (metres at the Generate panel's pixels per metre).
    pub(super) fn export_bundle(&self, dir: &Path) -> Result<()> {
        use crate::generate::{Bundle, NormalY, describe_painted, write_bundle};
        let map = &self.doc.map;
        let render = self.render()?;
        let albedo = image::imageops::resize(
            render,
            map.width,
            map.height,
            image::imageops::FilterType::Triangle,
        );
        let px_per_m = self.generate.params.px_per_m;
        let model = self.preview.model_name();
        let style = self.doc.style.to_json(&self.palette);
        let json = describe_painted(
            map,
            &self.palette,
            px_per_m,
            model,
            self.preview.seed,
            style,
        );
        let bundle = Bundle::new(
            map,
            &self.palette,
            Some(albedo),
            px_per_m,
            NormalY::Up,
            json,
        );
        write_bundle(dir, &bundle)
    }

    fn render(&self) -> Result<&image::RgbImage> {
        self.preview
            .image
            .as_ref()
            .ok_or_else(|| Error::msg("there is no render yet; wait for the preview to appear"))
    }

    /// Puts the painting of the recovery file offered at start back (one undo step).
    pub(super) fn restore_recovery(&mut self) {
        let Some(project) = self.offer_recovery.take() else {
            return;
        };
        let path = self.recovery.path.clone();
        if let Err(e) = self.adopt_palette_of(&project) {
            return self.fail(e);
        }
        match project.to_map(self.palette.len(), &path) {
            Ok(map) => {
                self.doc.apply(Edit::Replace(map));
                self.doc.set_style(project.style, None);
                self.preview.seed = project.seed;
            }
            Err(e) => self.fail(e),
        }
    }

    /// Takes the style of the facade photo at `path` (labels from the pair or the segmenter).
    pub(super) fn style_from_photo(&mut self, path: &Path) -> Result<()> {
        let segmenter = crate::segment::Segmenter::shipped_on_cpu;
        let (style, source) = crate::style::photo::style_of_file(path, &self.palette, segmenter)?;
        let how = match source {
            crate::style::photo::LabelSource::Pair => "the pair's labels",
            crate::style::photo::LabelSource::Segmenter => "labels from the segmenter",
        };
        self.notice = Some(format!(
            "style of {} ({} classes, {how})",
            path.display(),
            style.count()
        ));
        self.doc.set_style(style, None);
        Ok(())
    }

    pub(super) fn discard_recovery(&mut self) {
        self.recovery.clear();
        self.offer_recovery = None;
    }
}
