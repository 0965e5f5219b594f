//! The painting tools and the tool / class / brush-size state that the keys and the left panel
//! change.

use egui::{Color32, Key};

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

/// The largest brush radius, in map pixels.
pub const MAX_RADIUS: u32 = 64;

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
            class: palette
                .index_of("window")
                .unwrap_or(match palette.is_grey_ramp() {
                    true => palette.nearest([128; 3]).0,
                    false => 0,
                }),
            radius: 4,
        }
    }

    pub fn select_class(&mut self, index: u8, palette: &Palette) {
        if (index as usize) < palette.len() {
            self.class = index;
        }
    }

    pub fn bigger(&mut self) {
        self.set_radius(self.radius + 1 + self.radius / 8);
    }

    pub fn set_radius(&mut self, radius: u32) {
        self.radius = radius.min(MAX_RADIUS);
    }

    pub fn smaller(&mut self) {
        self.radius = self.radius.saturating_sub(1 + self.radius / 8);
    }
}
