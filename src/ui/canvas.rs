//! The label canvas: shows the map with the palette colours (nearest-neighbour when zoomed),
//! zooms with the wheel, pans with the middle button or space-drag, and turns pointer input
//! into document commands for the active tool.

use egui::{
    Color32, CursorIcon, Pos2, Rect, Sense, Stroke, StrokeKind, TextureHandle, TextureOptions, Ui,
    Vec2,
};

use super::tools::{Tool, ToolState, colour32};
use crate::document::{Document, Edit, Point};
use crate::palette::Palette;

pub struct Canvas {
    /// Screen points per map pixel.
    pub zoom: f32,
    /// Offset of the map's centre from the canvas area's centre, in points.
    pub pan: Vec2,
    /// Fit the map to the area (until the user zooms or pans).
    pub fit: bool,
    texture: Option<TextureHandle>,
    texture_revision: Option<u64>,
    /// Anchor of a rectangle or line being dragged, and its current end.
    anchor: Option<Point>,
    current: Option<Point>,
    /// The map pixel under the pointer.
    pub hover: Option<Point>,
    /// Where the map was drawn last frame (screen points).
    pub image_rect: Rect,
}

impl Default for Canvas {
    fn default() -> Self {
        Canvas {
            zoom: 1.0,
            pan: Vec2::ZERO,
            fit: true,
            texture: None,
            texture_revision: None,
            anchor: None,
            current: None,
            hover: None,
            image_rect: Rect::NOTHING,
        }
    }
}

fn to_map(pos: Pos2, image: Rect, zoom: f32) -> Point {
    let p = (pos - image.min) / zoom;
    (p.x.floor() as i32, p.y.floor() as i32)
}

impl Canvas {
    /// The screen position of the centre of map pixel `p` (as drawn last frame).
    pub fn screen_pos(&self, p: Point) -> Pos2 {
        self.image_rect.min + Vec2::new(p.0 as f32 + 0.5, p.1 as f32 + 0.5) * self.zoom
    }

    pub fn zoom_to_100(&mut self) {
        self.zoom = 1.0;
        self.pan = Vec2::ZERO;
        self.fit = false;
    }

    /// Zooms by `factor` about the centre of the canvas area.
    pub fn zoom_by(&mut self, factor: f32) {
        let zoom = (self.zoom * factor).clamp(0.1, 64.0);
        self.pan *= zoom / self.zoom;
        self.zoom = zoom;
        self.fit = false;
    }

    fn refresh_texture(&mut self, ui: &Ui, doc: &Document, palette: &Palette) {
        if self.texture_revision == Some(doc.revision) && self.texture.is_some() {
            return;
        }
        let rgb = doc.map.to_rgb(palette);
        let image = super::color_image(&rgb);
        match &mut self.texture {
            Some(t) => t.set(image, TextureOptions::NEAREST),
            None => {
                self.texture = Some(ui.ctx().load_texture(
                    "label-canvas",
                    image,
                    TextureOptions::NEAREST,
                ))
            }
        }
        self.texture_revision = Some(doc.revision);
    }

    /// Draws the canvas and applies the pointer's edits to `doc`.
    pub fn ui(
        &mut self,
        ui: &mut Ui,
        doc: &mut Document,
        tools: &mut ToolState,
        palette: &Palette,
    ) {
        self.refresh_texture(ui, doc, palette);
        let (response, painter) = ui.allocate_painter(ui.available_size(), Sense::click_and_drag());
        let area = response.rect;
        let size = Vec2::new(doc.map.width as f32, doc.map.height as f32);
        if self.fit {
            self.zoom = ((area.width() - 16.0) / size.x)
                .min((area.height() - 16.0) / size.y)
                .max(0.05);
            self.pan = Vec2::ZERO;
        }
        let mut image = Rect::from_center_size(area.center() + self.pan, size * self.zoom);

        // Zoom about the pointer with the wheel (or pinch / ctrl-wheel).
        if let Some(hover) = response.hover_pos() {
            let (scroll, pinch) = ui.input(|i| (i.smooth_scroll_delta.y, i.zoom_delta()));
            let factor = pinch * (scroll * 0.0025).exp();
            if (factor - 1.0).abs() > 1e-4 {
                let new_zoom = (self.zoom * factor).clamp(0.1, 64.0);
                let anchor = (hover - image.min) / self.zoom;
                let new_min = hover - anchor * new_zoom;
                self.pan += new_min - (area.center() - size * new_zoom / 2.0) - self.pan;
                self.zoom = new_zoom;
                self.fit = false;
                image = Rect::from_center_size(area.center() + self.pan, size * self.zoom);
            }
        }
        // Pan: middle button, or space + primary.
        let space = ui.input(|i| i.key_down(egui::Key::Space));
        let panning = response.dragged_by(egui::PointerButton::Middle)
            || (space && response.dragged_by(egui::PointerButton::Primary));
        if panning {
            self.pan += response.drag_delta();
            self.fit = false;
            image = image.translate(response.drag_delta());
        }

        self.hover = response.hover_pos().map(|p| to_map(p, image, self.zoom));
        self.image_rect = image;
        if !panning && !space {
            self.apply_tool(ui, &response, image, doc, tools, palette);
        }
        if doc.revision != self.texture_revision.unwrap_or(u64::MAX) {
            self.refresh_texture(ui, doc, palette);
        }

        // Draw: the map, its border, the shape being dragged, the brush cursor.
        painter.rect_filled(area, 0.0, ui.visuals().extreme_bg_color);
        if let Some(t) = &self.texture {
            let uv = Rect::from_min_max(Pos2::ZERO, Pos2::new(1.0, 1.0));
            painter.image(t.id(), image, uv, Color32::WHITE);
        }
        painter.rect_stroke(
            image,
            0.0,
            Stroke::new(1.0, Color32::from_gray(90)),
            StrokeKind::Outside,
        );
        let colour = colour32(palette, self.paint_class(tools, palette));
        if let (Some(a), Some(b)) = (self.anchor, self.current) {
            let p = |q: Point| image.min + Vec2::new(q.0 as f32, q.1 as f32) * self.zoom;
            match tools.tool {
                Tool::Rect => {
                    let r = Rect::from_two_pos(p(a), p(b)).expand2(Vec2::splat(0.0));
                    let r = Rect::from_min_max(r.min, r.max + Vec2::splat(self.zoom));
                    painter.rect_filled(r, 0.0, colour.gamma_multiply(0.6));
                    painter.rect_stroke(
                        r,
                        0.0,
                        Stroke::new(1.0, Color32::WHITE),
                        StrokeKind::Outside,
                    );
                }
                Tool::Line => {
                    let half = Vec2::splat(self.zoom / 2.0);
                    let width = ((2 * tools.radius + 1) as f32 * self.zoom).max(1.0);
                    painter.line_segment(
                        [p(a) + half, p(b) + half],
                        Stroke::new(width, colour.gamma_multiply(0.7)),
                    );
                }
                _ => {}
            }
        }
        if let Some(hp) = response.hover_pos() {
            if tools.tool.sized() {
                let r = (tools.radius as f32 + 0.5) * self.zoom;
                painter.circle_stroke(hp, r.max(2.0), Stroke::new(1.5, Color32::BLACK));
                painter.circle_stroke(hp, r.max(2.0) + 1.0, Stroke::new(1.0, Color32::WHITE));
                ui.set_cursor_icon(CursorIcon::None);
            } else {
                ui.set_cursor_icon(CursorIcon::Crosshair);
            }
        }
    }

    fn paint_class(&self, tools: &ToolState, palette: &Palette) -> u8 {
        if tools.tool == Tool::Eraser {
            palette.background
        } else {
            tools.class
        }
    }

    fn apply_tool(
        &mut self,
        ui: &Ui,
        response: &egui::Response,
        image: Rect,
        doc: &mut Document,
        tools: &mut ToolState,
        palette: &Palette,
    ) {
        let pos = |p: Pos2| to_map(p, image, self.zoom);
        let alt = ui.input(|i| i.modifiers.alt);
        let press_origin = ui.input(|i| i.pointer.press_origin());
        let class = self.paint_class(tools, palette);
        let primary = egui::PointerButton::Primary;

        // Picker: the tool, or Alt with any tool.
        if tools.tool == Tool::Picker || alt {
            if (response.clicked_by(primary) || response.dragged_by(primary))
                && let Some(p) = response.interact_pointer_pos()
            {
                let (x, y) = pos(p);
                if x >= 0 && y >= 0 && (x as u32) < doc.map.width && (y as u32) < doc.map.height {
                    tools.class = doc.map.get(x as u32, y as u32);
                }
            }
            return;
        }
        match tools.tool {
            Tool::Brush | Tool::Eraser => {
                if response.drag_started_by(primary) {
                    let start = press_origin.or(response.interact_pointer_pos()).map(pos);
                    if let Some(start) = start {
                        doc.begin_stroke(start, tools.radius, class);
                    }
                }
                if response.dragged_by(primary)
                    && doc.is_stroking()
                    && let Some(p) = response.interact_pointer_pos()
                {
                    doc.extend_stroke(pos(p));
                }
                if response.drag_stopped_by(primary) {
                    doc.finish_stroke();
                }
                if response.clicked_by(primary)
                    && let Some(p) = response.interact_pointer_pos()
                {
                    doc.apply(Edit::Stroke {
                        points: vec![pos(p)],
                        radius: tools.radius,
                        class,
                    });
                }
            }
            Tool::Rect | Tool::Line => {
                if response.drag_started_by(primary) {
                    self.anchor = press_origin.or(response.interact_pointer_pos()).map(pos);
                }
                if response.dragged_by(primary)
                    && let Some(p) = response.interact_pointer_pos()
                {
                    self.current = Some(pos(p));
                }
                if response.drag_stopped_by(primary) {
                    if let (Some(a), Some(b)) = (self.anchor, self.current.or(self.anchor)) {
                        let edit = if tools.tool == Tool::Rect {
                            Edit::Rect { a, b, class }
                        } else {
                            Edit::Line {
                                a,
                                b,
                                radius: tools.radius,
                                class,
                            }
                        };
                        doc.apply(edit);
                    }
                    self.anchor = None;
                    self.current = None;
                }
            }
            Tool::Fill => {
                if response.clicked_by(primary)
                    && let Some(p) = response.interact_pointer_pos()
                {
                    doc.apply(Edit::Fill { at: pos(p), class });
                }
            }
            Tool::Picker => {}
        }
    }
}
