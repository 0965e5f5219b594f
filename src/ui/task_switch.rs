//! Switching the studio between tasks (labels → photo, sketch → photo): the palette and tools,
//! a blank canvas of the task's background (paper for a sketch), and the task's model. The
//! studio follows the loaded model's task, so loading a sketch model from a file switches too;
//! a painting with unsaved changes is first kept in a project file, never dropped.

use std::path::PathBuf;

use super::app::StudioApp;
use super::tool::ToolState;
use crate::document::Document;
use crate::document::project::Project;
use crate::error::Result;
use crate::label_map::LabelMap;
use crate::task::Task;

impl StudioApp {
    /// The task whose palette the studio paints with.
    pub fn task(&self) -> Option<Task> {
        Task::all()
            .iter()
            .find(|t| t.palette == self.palette.name)
            .cloned()
    }

    /// Whether the canvas holds CMP facade labels (the random sample and the generator make
    /// those).
    pub fn paints_facade_labels(&self) -> bool {
        self.paints_task(crate::task::LABELS)
    }

    /// Whether the canvas holds the input of the shipped task `name`.
    pub(super) fn paints_task(&self, name: &str) -> bool {
        self.task().is_some_and(|t| t.name == name)
    }

    /// Task → labels / sketch: switches, then loads the task's shipped model.
    pub(super) fn set_task(&mut self, name: &str) {
        let task = match Task::named(name) {
            Ok(t) => t,
            Err(e) => return self.fail(e),
        };
        if let Err(e) = self.switch_to(&task) {
            return self.fail(e);
        }
        self.load_task_model(&task);
    }

    /// A project (or recovery file) painted on another task's palette switches the studio to
    /// that task first.
    pub(super) fn adopt_palette_of(&mut self, project: &Project) -> Result<()> {
        if project.palette == self.palette.name {
            return Ok(());
        }
        let task = Task::all()
            .iter()
            .find(|t| t.palette == project.palette)
            .cloned();
        if let Some(task) = task {
            self.switch_to(&task)?;
            self.load_task_model(&task);
        }
        Ok(())
    }

    /// Task → Open task file: paints the file's input palette and loads the model it names
    /// (beside the file) when there is one; otherwise says how to train it.
    pub(super) fn open_task_file(&mut self, path: &std::path::Path) -> Result<()> {
        let task = Task::from_file(path)?;
        self.switch_to(&task)?;
        let model = task.default_model_path();
        if model.is_file() {
            self.load_task_model(&task);
            return Ok(());
        }
        self.notice = Some(format!(
            "{}: no model yet ({} is missing); train one with `facade-studio train --task {} --data …`, then Load model…",
            task.about,
            model.display(),
            path.display()
        ));
        Ok(())
    }

    /// Asks the worker for the task's shipped model.
    pub(super) fn load_task_model(&mut self, task: &Task) {
        if let Some(w) = &self.worker {
            w.load_model(task.default_model_path());
            self.pending_task = Some(task.name.clone());
        }
    }

    /// After a model loads: paint its task's input.
    pub(super) fn follow_model_task(&mut self) {
        let Some((name, palette)) = self.preview.loaded_task.take() else {
            return;
        };
        // A model asked for before the studio's last task switch: the next one is coming.
        match self.pending_task.take() {
            Some(pending) if pending != name => {
                self.pending_task = Some(pending);
                return;
            }
            _ => {}
        }
        if self.task().is_some_and(|t| t.name == name) {
            return;
        }
        match Task::of_model(&name, palette.as_deref()) {
            Ok(task) => {
                if let Err(e) = self.switch_to(&task) {
                    self.fail(e);
                }
            }
            Err(e) => self.fail(e),
        }
    }

    /// The task's palette, tools and a blank canvas of the same size (nothing happens when the
    /// studio is on the task already).
    pub(super) fn switch_to(&mut self, task: &Task) -> Result<()> {
        let palette = task.palette();
        if palette.name == self.palette.name {
            return Ok(());
        }
        let kept = self.keep_unsaved_painting()?;
        let (w, h) = (self.doc.map.width, self.doc.map.height);
        self.doc = Document::new(LabelMap::filled(w, h, palette.background));
        self.tools = ToolState::new(&palette);
        self.tools.radius = task.brush_radius;
        self.palette = palette;
        self.project_path = None;
        self.canvas.fit = true;
        self.preview.invalidate();
        self.notice = Some(match kept {
            Some(p) => format!(
                "{}: your painting was kept in {} (File, Open recent)",
                task.about,
                p.display()
            ),
            None => task.about.clone(),
        });
        Ok(())
    }

    /// Saves a painting with unsaved changes as a project in the state folder; its path.
    fn keep_unsaved_painting(&mut self) -> Result<Option<PathBuf>> {
        if !self.doc.is_dirty() {
            return Ok(None);
        }
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let dir = self.options.state_dir.join("kept");
        std::fs::create_dir_all(&dir).map_err(|e| crate::error::Error::io(&dir, e))?;
        let path = dir.join(format!("{}-{stamp}.ron", self.palette.name));
        self.write_project(&path)?;
        self.remember(&path);
        Ok(Some(path))
    }
}
