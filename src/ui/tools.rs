//! The left panel: the tools, the brush size and the class palette (what each choice does is a
//! [`Command`], the same that the keys queue).

use egui::Ui;

use super::command::Command;
use super::tool::{MAX_RADIUS, Tool, ToolState, colour32};
use crate::palette::Palette;
use crate::style::Style;

impl ToolState {
    /// The left panel. Choosing a tool or a class queues its command (the keys queue the same).
    /// `style` (the document's, and each class's typical colour) adds a colour swatch per class
    /// for a model that takes a style.
    pub fn ui(
        &mut self,
        ui: &mut Ui,
        palette: &Palette,
        style: Option<(&Style, &[[u8; 3]])>,
        commands: &mut Vec<Command>,
    ) {
        let ctx = ui.ctx().clone();
        let key = |c: &Command| c.shortcut_text(&ctx, palette).unwrap_or_default();
        ui.heading("Tools");
        ui.horizontal_wrapped(|ui| {
            for tool in Tool::ALL {
                let command = Command::SelectTool(tool);
                let text = format!("{} ({})", command.label(), key(&command));
                if ui.selectable_label(self.tool == tool, text).clicked() {
                    commands.push(command);
                }
            }
        });
        let mut radius = self.radius;
        let slider = ui.add_enabled(
            self.tool.sized(),
            egui::Slider::new(&mut radius, 0..=MAX_RADIUS).text("Brush size"),
        );
        if slider.changed() {
            commands.push(Command::SetBrushRadius(radius));
        }
        slider.on_hover_text(format!(
            "Radius in map pixels; {} and {} change it",
            key(&Command::BrushSmaller),
            key(&Command::BrushBigger)
        ));
        let grey = palette.is_grey_ramp();
        ui.label(match grey {
            true => "Alt-click picks a grey from the canvas.",
            false => "Alt-click picks a class from the canvas.",
        });
        ui.separator();
        if grey {
            grey_picker(ui, self.class, palette, commands);
        } else {
            ui.heading("Classes");
            class_list(ui, self.class, palette, style, commands);
        }
        if style.is_some() {
            ui.weak("Right: the colour a class renders in (empty: drawn with the seed, or the model's own with Draw colours off).");
        }
        ui.label(format!(
            "Eraser paints: {}",
            palette.classes[palette.background as usize].name
        ));
    }
}

/// The palette's classes: a swatch, name and key each (and the style colour when there is a
/// style). Choosing one queues its command.
fn class_list(
    ui: &mut Ui,
    current: u8,
    palette: &Palette,
    style: Option<(&Style, &[[u8; 3]])>,
    commands: &mut Vec<Command>,
) {
    let ctx = ui.ctx().clone();
    for (index, class) in palette.classes.iter().enumerate() {
        let index = index as u8;
        let command = Command::SelectClass(index);
        let selected = current == index;
        let response = ui
            .horizontal(|ui| {
                let (rect, swatch) =
                    ui.allocate_exact_size(egui::vec2(22.0, 18.0), egui::Sense::click());
                ui.painter()
                    .rect_filled(rect, 3.0, colour32(palette, index));
                if selected {
                    ui.painter().rect_stroke(
                        rect.expand(2.0),
                        3.0,
                        egui::Stroke::new(2.0, ui.visuals().strong_text_color()),
                        egui::StrokeKind::Outside,
                    );
                }
                let name = format!("swatch {}", class.name);
                swatch.widget_info(|| {
                    egui::WidgetInfo::selected(egui::Role::Button, true, selected, &name)
                });
                let shortcut = command.shortcut_text(&ctx, palette);
                let shortcut = shortcut.as_deref().unwrap_or(&class.key);
                let text = format!("{}  [{shortcut}]", class.name);
                let label = ui.selectable_label(selected, text);
                if let Some((style, typical)) = style {
                    style_swatch(ui, index, &class.name, style, typical, commands);
                }
                swatch.clicked() || label.clicked()
            })
            .inner;
        if response {
            commands.push(command);
        }
    }
}

/// A grey task's brush colour: one of the grey ramp's levels, on a slider (a 255-entry class
/// list would be of no use).
fn grey_picker(ui: &mut Ui, current: u8, palette: &Palette, commands: &mut Vec<Command>) {
    ui.heading("Grey");
    let mut value = palette.colour(current)[0];
    ui.horizontal(|ui| {
        let (rect, _) = ui.allocate_exact_size(egui::vec2(22.0, 18.0), egui::Sense::hover());
        ui.painter()
            .rect_filled(rect, 3.0, colour32(palette, current));
        let slider = ui.add(egui::Slider::new(&mut value, 0..=255).text("brush grey"));
        if slider.changed() {
            commands.push(Command::SelectClass(palette.nearest([value; 3]).0));
        }
    });
}

/// A class's style colour: a colour button and "×" to free it when set, an empty box that sets
/// the class's typical colour when free.
fn style_swatch(
    ui: &mut Ui,
    class: u8,
    name: &str,
    style: &Style,
    typical: &[[u8; 3]],
    commands: &mut Vec<Command>,
) {
    ui.with_layout(
        egui::Layout::right_to_left(egui::Align::Center),
        |ui| match style.get(class) {
            Some(mut rgb) => {
                let free = ui
                    .small_button("×")
                    .on_hover_text("Free: the model chooses");
                free.widget_info(|| {
                    egui::WidgetInfo::labeled(egui::Role::Button, true, format!("free {name}"))
                });
                if free.clicked() {
                    commands.push(Command::SetClassColour(class, None));
                }
                let pick = egui::color_picker::color_edit_button_srgb(ui, &mut rgb);
                if pick.changed() {
                    commands.push(Command::SetClassColour(class, Some(rgb)));
                }
            }
            None => {
                let (rect, empty) =
                    ui.allocate_exact_size(egui::vec2(22.0, 18.0), egui::Sense::click());
                ui.painter().rect_stroke(
                    rect,
                    3.0,
                    egui::Stroke::new(1.0, ui.visuals().weak_text_color()),
                    egui::StrokeKind::Inside,
                );
                empty.widget_info(|| {
                    egui::WidgetInfo::labeled(egui::Role::Button, true, format!("colour {name}"))
                });
                let empty = empty.on_hover_text("Free (the model chooses); click to set a colour");
                if empty.clicked() {
                    let rgb = typical.get(class as usize).copied().unwrap_or([128; 3]);
                    commands.push(Command::SetClassColour(class, Some(rgb)));
                }
            }
        },
    );
}
