//! The status bar: backend, model, render time, canvas size, the class under the pointer, and
//! the last notice.

use egui::Ui;

use super::app::StudioApp;

pub fn status_bar(ui: &mut Ui, app: &StudioApp) {
    let (preview, doc) = (&app.preview, &app.doc);
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
        if let Some((x, y)) = app.canvas.hover
            && x >= 0
            && y >= 0
            && (x as u32) < doc.map.width
            && (y as u32) < doc.map.height
        {
            let c = doc.map.get(x as u32, y as u32);
            let name = app
                .palette
                .classes
                .get(c as usize)
                .map_or("(not in the palette)", |k| k.name.as_str());
            ui.label(format!("({x}, {y}) {name}"));
        }
        if let Some(n) = &app.notice {
            ui.separator();
            ui.weak(n);
        }
    });
}
