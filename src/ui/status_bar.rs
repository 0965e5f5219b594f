//! The status bar: backend, model, render time, canvas size, the class under the pointer, and
//! the last notice.

use egui::Ui;

use super::preview::Preview;
use crate::document::{Document, Point};
use crate::palette::Palette;

/// What the status bar reads of the app.
pub struct StatusView<'a> {
    pub preview: &'a Preview,
    pub doc: &'a Document,
    pub palette: &'a Palette,
    /// The map pixel under the pointer.
    pub hover: Option<Point>,
    pub notice: Option<&'a str>,
}

pub fn status_bar(ui: &mut Ui, view: &StatusView) {
    let (preview, doc) = (view.preview, view.doc);
    ui.horizontal(|ui| {
        match &preview.model {
            Some(m) => {
                ui.label(format!("Backend: {}", m.device));
                ui.separator();
                ui.label(format!("Model: {}, ngf {}", m.name, m.ngf))
            }
            None => {
                ui.label("Backend: starting…");
                ui.separator();
                ui.label("Model: none")
            }
        };
        ui.separator();
        match preview.last_ms {
            Some(ms) => ui.label(format!("Render {ms:.0} ms")),
            None => ui.label("Render —"),
        };
        ui.separator();
        ui.label(format!("{} × {}", doc.map.width, doc.map.height));
        if let Some((x, y)) = view.hover
            && x >= 0
            && y >= 0
            && (x as u32) < doc.map.width
            && (y as u32) < doc.map.height
        {
            let c = doc.map.get(x as u32, y as u32);
            let name = view
                .palette
                .classes
                .get(c as usize)
                .map_or("(not in the palette)", |k| k.name.as_str());
            ui.label(format!("({x}, {y}) {name}"));
        }
        if let Some(n) = view.notice {
            ui.separator();
            ui.weak(n);
        }
    });
}
