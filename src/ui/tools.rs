//! Tools and the class palette: what the left panel shows and what the keys select.

use egui::{Color32, Key, Modifiers, Ui};

use crate::palette::Palette;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Tool {
    Brush,
    Rect,
    Line,
    Fill,
    Eraser,
    Picker,
}

impl Tool {
    pub const ALL: [Tool; 6] = [
        Tool::Brush,
        Tool::Rect,
        Tool::Line,
        Tool::Fill,
        Tool::Eraser,
        Tool::Picker,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Tool::Brush => "Brush",
            Tool::Rect => "Rectangle",
            Tool::Line => "Line",
            Tool::Fill => "Fill",
            Tool::Eraser => "Eraser",
            Tool::Picker => "Picker",
        }
    }

    pub fn key(self) -> Key {
        match self {
            Tool::Brush => Key::B,
            Tool::Rect => Key::R,
            Tool::Line => Key::L,
            Tool::Fill => Key::F,
            Tool::Eraser => Key::E,
            Tool::Picker => Key::I,
        }
    }

    /// Whether the brush size applies.
    pub fn sized(self) -> bool {
        matches!(self, Tool::Brush | Tool::Eraser | Tool::Line)
    }
}

pub fn colour32(palette: &Palette, index: u8) -> Color32 {
    let [r, g, b] = palette.colour(index);
    Color32::from_rgb(r, g, b)
}

/// The key that selects a palette entry ("1".."9", "0", "-", "=").
pub fn class_key(palette: &Palette, index: u8) -> Option<Key> {
    palette
        .classes
        .get(index as usize)
        .and_then(|c| Key::from_name(&c.key))
}

/// The tool / class / size state of the left panel.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ToolState {
    pub tool: Tool,
    pub class: u8,
    pub radius: u32,
}

impl ToolState {
    pub fn new(palette: &Palette) -> ToolState {
        ToolState {
            tool: Tool::Brush,
            class: palette.index_of("window").unwrap_or(0),
            radius: 4,
        }
    }

    /// Single-key shortcuts (when no text field has focus): tools, classes, brush size.
    pub fn handle_keys(&mut self, ui: &Ui, palette: &Palette) {
        if ui.ctx().egui_wants_keyboard_input() {
            return;
        }
        ui.input_mut(|i| {
            for tool in Tool::ALL {
                if i.consume_key(Modifiers::NONE, tool.key()) {
                    self.tool = tool;
                }
            }
            for index in 0..palette.len() as u8 {
                if let Some(key) = class_key(palette, index)
                    && i.consume_key(Modifiers::NONE, key)
                {
                    self.class = index;
                }
            }
            if i.consume_key(Modifiers::NONE, Key::OpenBracket) {
                self.radius = self.radius.saturating_sub(1 + self.radius / 8);
            }
            if i.consume_key(Modifiers::NONE, Key::CloseBracket) {
                self.radius = (self.radius + 1 + self.radius / 8).min(64);
            }
        });
    }

    pub fn ui(&mut self, ui: &mut Ui, palette: &Palette) {
        ui.heading("Tools");
        ui.horizontal_wrapped(|ui| {
            for tool in Tool::ALL {
                let text = format!("{} ({})", tool.name(), tool.key().name());
                if ui.selectable_label(self.tool == tool, text).clicked() {
                    self.tool = tool;
                }
            }
        });
        ui.add_enabled(
            self.tool.sized(),
            egui::Slider::new(&mut self.radius, 0..=64).text("Brush size"),
        )
        .on_hover_text("Radius in map pixels; [ and ] change it");
        ui.label("Alt-click picks a class from the canvas.");
        ui.separator();
        ui.heading("Classes");
        for (index, class) in palette.classes.iter().enumerate() {
            let index = index as u8;
            let selected = self.class == index;
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
                    let label =
                        ui.selectable_label(selected, format!("{}  [{}]", class.name, class.key));
                    swatch.clicked() || label.clicked()
                })
                .inner;
            if response {
                self.class = index;
            }
        }
        ui.label(format!(
            "Eraser paints: {}",
            palette.classes[palette.background as usize].name
        ));
    }
}
