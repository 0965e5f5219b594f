//! The 3D preview of an exported building: its four rendered walls and its roof in a window,
//! orbited by dragging. A small software view: each wall is a grid of textured egui triangles
//! (fine enough that the affine texture mapping bends nothing visibly), walls facing away from
//! the camera are left out (the building is a convex box), the roof is drawn over them in a
//! shade of grey by its slope.

use egui::{Color32, Mesh, Pos2, Rect, Sense, TextureHandle, TextureOptions, Ui};

use crate::generate::building::WallView;

/// Cells per side of a wall's grid of triangles.
const GRID: usize = 8;

type Vec3 = [f32; 3];

/// One wall of the preview: its texture and geometry.
struct Wall {
    texture: TextureHandle,
    size_m: (f32, f32),
    centre: Vec3,
    yaw_deg: f32,
}

impl Wall {
    /// The world point at (`u`, `v`) of the wall's picture (0…1 each, v down).
    fn at(&self, u: f32, v: f32) -> Vec3 {
        let (w, h) = self.size_m;
        let (sin, cos) = self.yaw_deg.to_radians().sin_cos();
        let (x, y) = ((u - 0.5) * w, (1.0 - v) * h);
        let [cx, cy, cz] = self.centre;
        [cx + x * cos, cy + y, cz - x * sin]
    }

    /// The outward normal.
    fn normal(&self) -> Vec3 {
        let (sin, cos) = self.yaw_deg.to_radians().sin_cos();
        [sin, 0.0, cos]
    }
}

pub struct BuildingView {
    pub folder: std::path::PathBuf,
    walls: Vec<Wall>,
    /// The roof's triangles, in place.
    roof: Vec<[Vec3; 3]>,
    height_m: f32,
    yaw: f32,
    pitch: f32,
    pub open: bool,
}

/// A camera looking at `target` from `eye`, projecting onto a `rect`.
struct Camera {
    eye: Vec3,
    right: Vec3,
    up: Vec3,
    forward: Vec3,
    rect: Rect,
    focal: f32,
}

impl Camera {
    fn project(&self, p: Vec3) -> Option<Pos2> {
        let d = sub(p, self.eye);
        let z = dot(d, self.forward);
        if z < 0.1 {
            return None;
        }
        let (x, y) = (dot(d, self.right), dot(d, self.up));
        let c = self.rect.center();
        Some(Pos2::new(
            c.x + self.focal * x / z,
            c.y - self.focal * y / z,
        ))
    }
}

impl BuildingView {
    pub fn new(
        ctx: &egui::Context,
        folder: std::path::PathBuf,
        walls: Vec<WallView>,
        roof: Vec<[Vec3; 3]>,
        height_m: f32,
    ) -> BuildingView {
        let walls = walls
            .into_iter()
            .map(|w| Wall {
                texture: ctx.load_texture(
                    format!("building-{}", w.name),
                    super::color_image(&w.image),
                    TextureOptions::LINEAR,
                ),
                size_m: w.size_m,
                centre: w.centre,
                yaw_deg: w.yaw_deg,
            })
            .collect();
        let roof = roof
            .into_iter()
            .map(|t| t.map(|[x, y, z]| [x, y + height_m, z]))
            .collect();
        BuildingView {
            folder,
            walls,
            roof,
            height_m,
            yaw: 0.6,
            pitch: 0.35,
            open: true,
        }
    }

    /// Walls in the preview (tests).
    pub fn wall_count(&self) -> usize {
        self.walls.len()
    }

    /// The preview window (while open).
    pub fn show(&mut self, ctx: &egui::Context) {
        let mut open = self.open;
        egui::Window::new("Building")
            .open(&mut open)
            .default_size([420.0, 420.0])
            .show(ctx, |ui| self.ui(ui));
        self.open = open;
    }

    fn ui(&mut self, ui: &mut Ui) {
        ui.label(format!(
            "{} — drag to turn it",
            self.folder.join("building.glb").display()
        ));
        let side = ui.available_width().clamp(200.0, 800.0);
        let (rect, response) = ui.allocate_exact_size(egui::vec2(side, side), Sense::drag());
        let drag = response.drag_delta();
        self.yaw -= drag.x * 0.01;
        self.pitch = (self.pitch + drag.y * 0.01).clamp(-0.15, 1.4);
        let painter = ui.painter_at(rect);
        painter.rect_filled(rect, 4.0, Color32::from_rgb(40, 44, 52));
        let camera = self.camera(rect);
        for wall in &self.walls {
            if dot(wall.normal(), sub(camera.eye, wall.centre)) > 0.0 {
                painter.add(wall_mesh(wall, &camera));
            }
        }
        for t in &self.roof {
            if let Some(shape) = roof_triangle(t, &camera) {
                painter.add(shape);
            }
        }
    }

    /// The orbit camera around the building's middle, far enough to see all of it.
    fn camera(&self, rect: Rect) -> Camera {
        let extent = self
            .walls
            .iter()
            .map(|w| w.size_m.0.max(w.size_m.1))
            .fold(self.height_m, f32::max);
        let target = [0.0, self.height_m * 0.5, 0.0];
        let dist = 2.2 * extent;
        let (sy, cy) = self.yaw.sin_cos();
        let (sp, cp) = self.pitch.sin_cos();
        let eye = [
            target[0] + dist * cp * sy,
            target[1] + dist * sp,
            target[2] + dist * cp * cy,
        ];
        let forward = normalise(sub(target, eye));
        let right = normalise(cross(forward, [0.0, 1.0, 0.0]));
        let up = cross(right, forward);
        Camera {
            eye,
            right,
            up,
            forward,
            rect,
            focal: rect.width() * 1.1,
        }
    }
}

/// A wall as a grid of textured triangles (empty where a corner falls behind the camera).
fn wall_mesh(wall: &Wall, camera: &Camera) -> Mesh {
    let mut mesh = Mesh::with_texture(wall.texture.id());
    let n = GRID as f32;
    let mut index = vec![None; (GRID + 1) * (GRID + 1)];
    for j in 0..=GRID {
        for i in 0..=GRID {
            let (u, v) = (i as f32 / n, j as f32 / n);
            if let Some(p) = camera.project(wall.at(u, v)) {
                index[j * (GRID + 1) + i] = Some(mesh.vertices.len() as u32);
                mesh.vertices.push(egui::epaint::Vertex {
                    pos: p,
                    uv: Pos2::new(u, v),
                    color: Color32::WHITE,
                });
            }
        }
    }
    for j in 0..GRID {
        for i in 0..GRID {
            let at = |di: usize, dj: usize| index[(j + dj) * (GRID + 1) + i + di];
            if let (Some(a), Some(b), Some(c), Some(d)) = (at(0, 0), at(1, 0), at(1, 1), at(0, 1)) {
                mesh.add_triangle(a, b, c);
                mesh.add_triangle(a, c, d);
            }
        }
    }
    mesh
}

/// A roof triangle facing the camera, grey by how steeply it faces the sky.
fn roof_triangle(t: &[Vec3; 3], camera: &Camera) -> Option<egui::Shape> {
    let normal = normalise(cross(sub(t[1], t[0]), sub(t[2], t[0])));
    let normal = if normal[1] < 0.0 {
        normal.map(|v| -v)
    } else {
        normal
    };
    if dot(normal, sub(camera.eye, t[0])) <= 0.0 {
        return None;
    }
    let points = t
        .iter()
        .map(|p| camera.project(*p))
        .collect::<Option<Vec<_>>>()?;
    let light = (0.45 + 0.35 * dot(normal, normalise([0.4, 1.0, 0.6]))).clamp(0.0, 1.0);
    let grey = (light * 120.0) as u8;
    Some(egui::Shape::convex_polygon(
        points,
        Color32::from_rgb(grey, grey.saturating_sub(4), grey.saturating_sub(8)),
        egui::Stroke::NONE,
    ))
}

fn sub(a: Vec3, b: Vec3) -> Vec3 {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

fn dot(a: Vec3, b: Vec3) -> f32 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

fn cross(a: Vec3, b: Vec3) -> Vec3 {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

fn normalise(a: Vec3) -> Vec3 {
    let n = dot(a, a).sqrt().max(1e-6);
    a.map(|v| v / n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_camera_sees_the_middle_at_the_centre_and_up_as_up() {
        let rect = Rect::from_min_size(Pos2::ZERO, egui::vec2(200.0, 200.0));
        let eye = [0.0, 0.0, 10.0];
        let forward = [0.0, 0.0, -1.0];
        let right = normalise(cross(forward, [0.0, 1.0, 0.0]));
        let camera = Camera {
            eye,
            right,
            up: cross(right, forward),
            forward,
            rect,
            focal: 100.0,
        };
        assert_eq!(
            camera.project([0.0, 0.0, 0.0]),
            Some(Pos2::new(100.0, 100.0))
        );
        let above = camera.project([0.0, 1.0, 0.0]).unwrap();
        let right_of = camera.project([1.0, 0.0, 0.0]).unwrap();
        assert!(
            above.y < 100.0 && right_of.x > 100.0,
            "{above:?} {right_of:?}"
        );
        assert_eq!(camera.project([0.0, 0.0, 20.0]), None, "behind the camera");
    }
}
