//! The menu bar (mode tabs, File, Edit, View) and the toolbar above the canvas. Both only queue
//! commands, and both take their labels and shortcuts from the command table.

use egui::Ui;

use std::path::PathBuf;

use super::command::Mode;
use super::command::{Command, NEW_SIZES, button, menu_item};
use crate::document::Document;
use crate::palette::Palette;

/// What the menu bar reads of the app.
pub struct MenuView<'a> {
    pub palette: &'a Palette,
    pub doc: &'a Document,
    pub mode: Mode,
    /// A training run is going on (the Train tab says so).
    pub training: bool,
    pub recent: &'a [PathBuf],
    /// The shipped task the studio paints (None for a task file's).
    pub task: Option<String>,
}

pub fn menu_bar(ui: &mut Ui, view: &MenuView, commands: &mut Vec<Command>) {
    let (palette, doc) = (view.palette, view.doc);
    egui::MenuBar::new().ui(ui, |ui| {
        for mode in [Mode::Paint, Mode::Train] {
            let command = Command::Show(mode);
            let mut text = command.label().to_owned();
            if mode == Mode::Train && view.training {
                text.push_str(" (running)");
            }
            if ui.selectable_label(view.mode == mode, text).clicked() {
                commands.push(command);
            }
        }
        ui.separator();
        ui.menu_button("File", |ui| {
            let new = Command::New {
                width: 0,
                height: 0,
            };
            ui.menu_button(new.label(), |ui| {
                for (width, height) in NEW_SIZES {
                    if ui.button(format!("{width} × {height}")).clicked() {
                        commands.push(Command::New { width, height });
                        ui.close();
                    }
                }
            });
            menu_item(ui, Command::Open(None), palette, doc, commands);
            ui.menu_button("Open recent", |ui| {
                for p in view.recent {
                    if ui.button(p.display().to_string()).clicked() {
                        commands.push(Command::Open(Some(p.clone())));
                        ui.close();
                    }
                }
            });
            for command in [Command::Save, Command::SaveAs(None)] {
                menu_item(ui, command, palette, doc, commands);
            }
            ui.separator();
            for command in [
                Command::ImportLabels(None),
                Command::OpenPhotoAsLabels(None),
                Command::ColourisePhoto(None),
                Command::StyleFromPhoto(None),
                Command::ExportRender(None),
                Command::ExportLabels(None),
                Command::ExportSideBySide(None),
                Command::ExportBundle(None),
                Command::ExportBuilding(None),
            ] {
                menu_item(ui, command, palette, doc, commands);
            }
            ui.separator();
            for command in [
                Command::RandomSample,
                Command::LoadModel(None),
                Command::Quit,
            ] {
                menu_item(ui, command, palette, doc, commands);
            }
        });
        ui.menu_button("Task", |ui| {
            for task in crate::task::Task::all() {
                let command = Command::SetTask(task.name.clone());
                let on = view.task.as_deref() == Some(task.name.as_str());
                let response = ui.selectable_label(on, &task.menu);
                if response.on_hover_text(&task.about).clicked() {
                    commands.push(command);
                    ui.close();
                }
            }
            ui.separator();
            menu_item(ui, Command::OpenTaskFile(None), palette, doc, commands);
        });
        ui.menu_button("Edit", |ui| {
            for command in [Command::Undo, Command::Redo] {
                menu_item(ui, command, palette, doc, commands);
            }
        });
        ui.menu_button("View", |ui| {
            for command in [Command::ZoomFit, Command::Zoom100] {
                menu_item(ui, command, palette, doc, commands);
            }
        });
    });
}

/// Zoom, undo/redo and a random layout, above the canvas.
pub fn canvas_toolbar(ui: &mut Ui, doc: &Document, zoom: f32, commands: &mut Vec<Command>) {
    ui.horizontal(|ui| {
        for command in [Command::ZoomFit, Command::Zoom100] {
            button(ui, command, true, commands);
        }
        ui.weak(format!("{:.0} %", zoom * 100.0));
        ui.separator();
        for command in [Command::Undo, Command::Redo, Command::RandomSample] {
            let enabled = command.is_enabled(doc);
            button(ui, command, enabled, commands);
        }
    });
}
