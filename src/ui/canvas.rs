//! The label canvas: shows the map with the palette colours (nearest-neighbour when zoomed),
//! zooms with the wheel, pans with the middle button or space-drag, and turns pointer input
//! into document commands for the active tool.

use egui::emath::TSTransform;
use egui::{
    Color32, CursorIcon, Pos2, Rect, Sense, Stroke, StrokeKind, TextureHandle, TextureOptions, Ui,
    Vec2,
};

use super::tool::{Tool, ToolState, colour32};
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

/// The map pixel under screen position `pos`, given the map → screen transform.
fn to_map(view: TSTransform, pos: Pos2) -> Point {
    let p = view.inverse() * pos;
    (p.x.floor() as i32, p.y.floor() as i32)
}

/// Zoom is kept between these (screen points per map pixel).
const ZOOM_RANGE: (f32, f32) = (0.1, 64.0);

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
        let zoom = (self.zoom * factor).clamp(ZOOM_RANGE.0, ZOOM_RANGE.1);
        self.pan *= zoom / self.zoom;
        self.zoom = zoom;
        self.fit = false;
    }

    /// Map pixels → screen points, for a map of `size` pixels centred (plus the pan) in `area`.
    fn view(&self, area: Rect, size: Vec2) -> TSTransform {
        let min = area.center() + self.pan - size * self.zoom / 2.0;
        TSTransform::new(min.to_vec2(), self.zoom)
    }

    /// Keeps `view` as zoom and pan (the inverse of [`Canvas::view`]).
    fn set_view(&mut self, view: TSTransform, area: Rect, size: Vec2) {
        self.zoom = view.scaling;
        self.pan = view.translation + size * self.zoom / 2.0 - area.center().to_vec2();
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
        let size = Vec2::new(doc.map.width as f32, doc.map.height as f32);
        let navigating = self.navigate(ui, &response, size);
        let view = self.view(response.rect, size);
        self.hover = response.hover_pos().map(|p| to_map(view, p));
        self.image_rect = view.mul_rect(Rect::from_min_size(Pos2::ZERO, size));
        if !navigating {
            self.apply_tool(ui, &response, view, doc, tools, palette);
        }
        if doc.revision != self.texture_revision.unwrap_or(u64::MAX) {
            self.refresh_texture(ui, doc, palette);
        }
        self.draw(ui, &painter, &response, view, tools, palette);
    }

    /// Fits the map to the area, zooms about the pointer with the wheel (or pinch / ctrl-wheel),
    /// pans with the middle button or space + primary. True while space is held or a pan drags
    /// (the tools wait).
    fn navigate(&mut self, ui: &Ui, response: &egui::Response, size: Vec2) -> bool {
        let area = response.rect;
        if self.fit {
            self.zoom = ((area.width() - 16.0) / size.x)
                .min((area.height() - 16.0) / size.y)
                .max(0.05);
            self.pan = Vec2::ZERO;
        }
        if let Some(hover) = response.hover_pos() {
            let (scroll, pinch) = ui.input(|i| (i.smooth_scroll_delta.y, i.zoom_delta()));
            let factor = pinch * (scroll * 0.0025).exp();
            if (factor - 1.0).abs() > 1e-4 {
                let zoom = (self.zoom * factor).clamp(ZOOM_RANGE.0, ZOOM_RANGE.1);
                let about = TSTransform::from_translation(hover.to_vec2());
                let view = about
                    * TSTransform::from_scaling(zoom / self.zoom)
                    * about.inverse()
                    * self.view(area, size);
                self.set_view(view, area, size);
                self.fit = false;
            }
        }
        let space = ui.input(|i| i.key_down(egui::Key::Space));
        let panning = response.dragged_by(egui::PointerButton::Middle)
            || (space && response.dragged_by(egui::PointerButton::Primary));
        if panning {
            self.pan += response.drag_delta();
            self.fit = false;
        }
        panning || space
    }

    /// Draws the map, its border, the shape being dragged and the brush cursor.
    fn draw(
        &self,
        ui: &Ui,
        painter: &egui::Painter,
        response: &egui::Response,
        view: TSTransform,
        tools: &ToolState,
        palette: &Palette,
    ) {
        let image = self.image_rect;
        painter.rect_filled(response.rect, 0.0, ui.visuals().extreme_bg_color);
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
        if let (Some(a), Some(b)) = (self.anchor, self.current) {
            let colour = colour32(palette, self.paint_class(tools, palette));
            self.draw_shape(painter, view, (a, b), tools, colour);
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

    /// The rectangle or line being dragged from `a` to `b`.
    fn draw_shape(
        &self,
        painter: &egui::Painter,
        view: TSTransform,
        (a, b): (Point, Point),
        tools: &ToolState,
        colour: Color32,
    ) {
        let p = |q: Point| view * Pos2::new(q.0 as f32, q.1 as f32);
        match tools.tool {
            Tool::Rect => {
                let r = Rect::from_two_pos(p(a), p(b));
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

    fn paint_class(&self, tools: &ToolState, palette: &Palette) -> u8 {
        if tools.tool == Tool::Eraser {
            palette.background
        } else {
            tools.class
        }
    }

    /// Turns this frame's pointer input into edits of `doc` for the active tool (Alt picks).
    fn apply_tool(
        &mut self,
        ui: &Ui,
        response: &egui::Response,
        view: TSTransform,
        doc: &mut Document,
        tools: &mut ToolState,
        palette: &Palette,
    ) {
        let pointer = Pointer {
            response,
            view,
            press_origin: ui.input(|i| i.pointer.press_origin()),
        };
        let class = self.paint_class(tools, palette);
        if tools.tool == Tool::Picker || ui.input(|i| i.modifiers.alt) {
            pick(&pointer, doc, tools);
            return;
        }
        match tools.tool {
            Tool::Brush | Tool::Eraser => stroke(&pointer, doc, tools.radius, class),
            Tool::Rect | Tool::Line => self.drag_shape(&pointer, doc, tools, class),
            Tool::Fill => {
                if let Some(at) = pointer.clicked() {
                    doc.apply(Edit::Fill { at, class });
                }
            }
            Tool::Picker => {}
        }
    }

    /// Rectangle and line: anchored where the drag starts, applied where it stops.
    fn drag_shape(&mut self, pointer: &Pointer, doc: &mut Document, tools: &ToolState, class: u8) {
        if let Some(start) = pointer.drag_start() {
            self.anchor = Some(start);
        }
        if let Some(p) = pointer.dragged() {
            self.current = Some(p);
        }
        if !pointer.response.drag_stopped_by(PRIMARY) {
            return;
        }
        if let (Some(a), Some(b)) = (self.anchor, self.current.or(self.anchor)) {
            doc.apply(match tools.tool {
                Tool::Rect => Edit::Rect { a, b, class },
                _ => Edit::Line {
                    a,
                    b,
                    radius: tools.radius,
                    class,
                },
            });
        }
        self.anchor = None;
        self.current = None;
    }
}

const PRIMARY: egui::PointerButton = egui::PointerButton::Primary;

/// This frame's primary-button input, in map pixels.
struct Pointer<'a> {
    response: &'a egui::Response,
    view: TSTransform,
    press_origin: Option<Pos2>,
}

impl Pointer<'_> {
    fn at(&self) -> Option<Point> {
        (self.response.interact_pointer_pos()).map(|p| to_map(self.view, p))
    }

    fn clicked(&self) -> Option<Point> {
        self.response
            .clicked_by(PRIMARY)
            .then(|| self.at())
            .flatten()
    }

    fn dragged(&self) -> Option<Point> {
        self.response
            .dragged_by(PRIMARY)
            .then(|| self.at())
            .flatten()
    }

    /// Where a drag that starts this frame was pressed.
    fn drag_start(&self) -> Option<Point> {
        let start = self.press_origin.map(|p| to_map(self.view, p));
        self.response
            .drag_started_by(PRIMARY)
            .then(|| start.or(self.at()))
            .flatten()
    }
}

/// Picker: the class under a click or drag becomes the painting class.
fn pick(pointer: &Pointer, doc: &Document, tools: &mut ToolState) {
    let Some((x, y)) = pointer.clicked().or(pointer.dragged()) else {
        return;
    };
    if x >= 0 && y >= 0 && (x as u32) < doc.map.width && (y as u32) < doc.map.height {
        tools.class = doc.map.get(x as u32, y as u32);
    }
}

/// Brush and eraser: a drag is one stroke (one undo step); a click is a dab.
fn stroke(pointer: &Pointer, doc: &mut Document, radius: u32, class: u8) {
    if let Some(start) = pointer.drag_start() {
        doc.begin_stroke(start, radius, class);
    }
    if doc.is_stroking()
        && let Some(p) = pointer.dragged()
    {
        doc.extend_stroke(p);
    }
    if pointer.response.drag_stopped_by(PRIMARY) {
        doc.finish_stroke();
    }
    if let Some(p) = pointer.clicked() {
        doc.apply(Edit::Stroke {
            points: vec![p],
            radius,
            class,
        });
    }
}
