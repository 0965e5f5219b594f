//! The Generate panel: a facade's parameters (metres, floors, bays, windows, ground floor,
//! ornament, symmetry, seed) that replace the canvas live while they change — one undo step for
//! the whole adjustment.

use egui::{DragValue, Slider, Ui};

use super::command::Command;
use crate::generate::{FacadeParams, GroundFloor};

/// The panel's state.
pub struct GeneratePanel {
    pub params: FacadeParams,
    /// Regenerate on every change (else only on "Generate").
    pub live: bool,
}

impl Default for GeneratePanel {
    fn default() -> Self {
        GeneratePanel {
            params: FacadeParams::default(),
            live: true,
        }
    }
}

impl GeneratePanel {
    pub fn ui(&mut self, ui: &mut Ui, commands: &mut Vec<Command>) {
        let before = self.params.clone();
        let generate = ui.horizontal(|ui| {
            let clicked = ui
                .button(Command::Generate(Box::default()).label())
                .clicked();
            if ui.button("New seed").clicked() {
                self.params.seed = self.params.seed.wrapping_add(1);
            }
            ui.checkbox(&mut self.live, "live");
            clicked
        });
        let valid = self.params.check();
        match &valid {
            Ok(()) => {
                let (w, h) = self.params.size_px();
                ui.weak(format!("{w} × {h} px, seed {}", self.params.seed));
            }
            Err(e) => {
                ui.colored_label(ui.visuals().error_fg_color, e);
            }
        }
        parameters(ui, &mut self.params);
        let changed = self.params != before;
        if self.params.check().is_ok() && (generate.inner || (self.live && changed)) {
            commands.push(Command::Generate(Box::new(self.params.clone())));
        }
    }
}

/// Two drag values, "width × height", sharing a range and speed.
fn width_by_height(
    ui: &mut Ui,
    (w, h): (&mut f32, &mut f32),
    range: std::ops::RangeInclusive<f32>,
    speed: f64,
) {
    ui.horizontal(|ui| {
        ui.add(DragValue::new(w).range(range.clone()).speed(speed));
        ui.label("×");
        ui.add(DragValue::new(h).range(range).speed(speed));
    });
}

/// The parameters' widgets.
fn parameters(ui: &mut Ui, p: &mut FacadeParams) {
    egui::Grid::new("generate-grid")
        .num_columns(2)
        .show(ui, |ui| {
            ui.label("Size (m)");
            width_by_height(ui, (&mut p.width_m, &mut p.height_m), 2.0..=200.0, 0.25);
            ui.end_row();
            ui.label("Pixels / m");
            ui.add(
                DragValue::new(&mut p.px_per_m)
                    .range(2.0..=64.0)
                    .speed(0.25),
            );
            ui.end_row();
            range_row(ui, "Floors", &mut p.floors, 40);
            range_row(ui, "Bays", &mut p.bays, 60);
            ui.label("Window (m)");
            let window = (&mut p.window_width_m, &mut p.window_height_m);
            width_by_height(ui, window, 0.2..=10.0, 0.05);
            ui.end_row();
            ui.label("Ground floor");
            ui.horizontal(|ui| {
                for (kind, name) in [
                    (GroundFloor::Shops, "shops"),
                    (GroundFloor::Doors, "doors"),
                    (GroundFloor::Plain, "plain"),
                ] {
                    ui.selectable_value(&mut p.ground, kind, name);
                }
            });
            ui.end_row();
            ui.label("Seed");
            ui.add(DragValue::new(&mut p.seed));
            ui.end_row();
        });
    for (name, value) in [
        ("balconies", &mut p.balcony),
        ("blinds", &mut p.blind),
        ("sills", &mut p.sill),
        ("cornice", &mut p.cornice),
        ("molding", &mut p.molding),
        ("pillars", &mut p.pillar),
    ] {
        ui.add(Slider::new(value, 0.0..=1.0).text(name));
    }
    ui.checkbox(&mut p.symmetric, "symmetric");
}

/// "lo – hi" with lo ≤ hi kept.
fn range_row(ui: &mut Ui, name: &str, (lo, hi): &mut (u32, u32), max: u32) {
    ui.label(name);
    ui.horizontal(|ui| {
        ui.add(DragValue::new(lo).range(1..=max));
        ui.label("–");
        ui.add(DragValue::new(hi).range(1..=max));
    });
    ui.end_row();
    *hi = (*hi).max(*lo);
}
