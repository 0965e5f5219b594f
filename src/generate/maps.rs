//! Material maps for game engines, derived from the exact label map (and the render's luminance
//! for fine detail): emission, height, normal (OpenGL +Y up, or DirectX Y down) and ORM
//! (occlusion, roughness, metalness in R, G, B as glTF expects).

use image::{GrayImage, Luma, Rgb, RgbImage};

use crate::label_map::LabelMap;
use crate::palette::Palette;

/// What a class is made of: the one table every map reads.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Material {
    /// Depth in metres relative to the wall plane (negative: recessed).
    pub depth_m: f32,
    pub roughness: f32,
    pub metalness: f32,
    /// Lit at night (windows, doors, shop fronts).
    pub emissive: bool,
}

/// The material of a class by its CMP name (unknown classes are plain wall).
pub fn material(class: &str) -> Material {
    let m = |depth_m, roughness, metalness, emissive| Material {
        depth_m,
        roughness,
        metalness,
        emissive,
    };
    match class {
        "window" => m(-0.15, 0.1, 0.0, true),
        "door" => m(-0.2, 0.6, 0.0, true),
        "shop" => m(-0.1, 0.15, 0.0, true),
        "sill" => m(0.06, 0.8, 0.0, false),
        "cornice" => m(0.25, 0.85, 0.0, false),
        "balcony" => m(0.4, 0.5, 0.6, false),
        "molding" => m(0.05, 0.85, 0.0, false),
        "pillar" => m(0.1, 0.8, 0.0, false),
        "deco" => m(0.05, 0.8, 0.0, false),
        "blind" => m(0.03, 0.6, 0.0, false),
        _ => m(0.0, 0.9, 0.0, false),
    }
}

/// Which way the normal map's green channel points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum NormalY {
    /// OpenGL, glTF, Godot, Blender.
    Up,
    /// DirectX, Unreal.
    Down,
}

/// The per-pixel materials of a label map.
fn materials(map: &LabelMap, palette: &Palette) -> Vec<Material> {
    let table: Vec<Material> = palette.classes.iter().map(|c| material(&c.name)).collect();
    let wall = material("facade");
    map.ids
        .iter()
        .map(|&id| table.get(id as usize).copied().unwrap_or(wall))
        .collect()
}

/// Windows, doors and shop fronts white, the rest black.
pub fn emission(map: &LabelMap, palette: &Palette) -> GrayImage {
    let mats = materials(map, palette);
    GrayImage::from_fn(map.width, map.height, |x, y| {
        Luma([if mats[(y * map.width + x) as usize].emissive {
            255
        } else {
            0
        }])
    })
}

/// Height in metres per pixel: the class depth plus up to ±1 cm of the render's luminance detail.
pub fn height_m(map: &LabelMap, palette: &Palette, render: Option<&RgbImage>) -> Vec<f32> {
    let mats = materials(map, palette);
    (0..map.ids.len())
        .map(|i| {
            let detail = render.map_or(0.0, |r| {
                let p = &r.as_raw()[3 * i..3 * i + 3];
                let l = crate::image_io::luma([p[0], p[1], p[2]]) as f32;
                (l / 255.0 - 0.5) * 0.02
            });
            mats[i].depth_m + detail
        })
        .collect()
}

/// The height field as 8 bits: 0 = 0.25 m behind the wall, 255 = 0.5 m in front.
pub fn height_image(height: &[f32], width: u32, height_px: u32) -> GrayImage {
    GrayImage::from_fn(width, height_px, |x, y| {
        let h = height[(y * width + x) as usize];
        Luma([(((h + 0.25) / 0.75).clamp(0.0, 1.0) * 255.0).round() as u8])
    })
}

/// Tangent-space normals from the height field (central differences; `px_per_m` scales slopes).
pub fn normal_map(
    height: &[f32],
    width: u32,
    height_px: u32,
    px_per_m: f32,
    y: NormalY,
) -> RgbImage {
    let at = |x: i64, yy: i64| {
        let x = x.clamp(0, width as i64 - 1) as u32;
        let yy = yy.clamp(0, height_px as i64 - 1) as u32;
        height[(yy * width + x) as usize]
    };
    RgbImage::from_fn(width, height_px, |x, yy| {
        let (x, yy) = (x as i64, yy as i64);
        // Slopes in metres per metre; image y grows downwards.
        let dx = (at(x + 1, yy) - at(x - 1, yy)) * px_per_m / 2.0;
        let dy_down = (at(x, yy + 1) - at(x, yy - 1)) * px_per_m / 2.0;
        let (nx, ny_up, nz) = (-dx, dy_down, 1.0f32);
        let len = (nx * nx + ny_up * ny_up + nz * nz).sqrt();
        let ny = match y {
            NormalY::Up => ny_up,
            NormalY::Down => -ny_up,
        };
        let enc = |v: f32| ((v / len * 0.5 + 0.5) * 255.0).round() as u8;
        Rgb([enc(nx), enc(ny), enc(nz)])
    })
}

/// Occlusion (R: darker in recesses, from the height below the 5×5 neighbourhood's highest point),
/// roughness (G) and metalness (B) per class.
pub fn orm(map: &LabelMap, palette: &Palette, height: &[f32]) -> RgbImage {
    let mats = materials(map, palette);
    let (w, h) = (map.width as i64, map.height as i64);
    RgbImage::from_fn(map.width, map.height, |x, y| {
        let i = (y * map.width + x) as usize;
        let mut top = height[i];
        for dy in -2..=2 {
            for dx in -2..=2 {
                let (xx, yy) = (x as i64 + dx, y as i64 + dy);
                if (0..w).contains(&xx) && (0..h).contains(&yy) {
                    top = top.max(height[(yy * w + xx) as usize]);
                }
            }
        }
        let occlusion = 1.0 - ((top - height[i]) * 1.5).clamp(0.0, 0.6);
        let byte = |v: f32| (v.clamp(0.0, 1.0) * 255.0).round() as u8;
        Rgb([
            byte(occlusion),
            byte(mats[i].roughness),
            byte(mats[i].metalness),
        ])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 40×40 wall with a recessed window at x, y in 10..30.
    fn wall_with_window() -> (LabelMap, Palette) {
        let palette = Palette::cmp_facades();
        let (wall, window) = (
            palette.index_of("facade").unwrap(),
            palette.index_of("window").unwrap(),
        );
        let mut map = LabelMap::filled(40, 40, wall);
        for y in 10..30 {
            for x in 10..30 {
                map.set(x, y, window);
            }
        }
        (map, palette)
    }

    #[test]
    fn recesses_are_lower_and_their_edges_face_inwards() {
        let (map, palette) = wall_with_window();
        let h = height_m(&map, &palette, None);
        let img = height_image(&h, 40, 40);
        assert!(img.get_pixel(20, 20)[0] < img.get_pixel(2, 2)[0]);
        let gl = normal_map(&h, 40, 40, 16.0, NormalY::Up);
        // Flat wall and window floor face the viewer.
        assert_eq!(gl.get_pixel(2, 2).0, [128, 128, 255]);
        assert_eq!(gl.get_pixel(20, 20).0, [128, 128, 255]);
        // The recess's left side faces right (+X), its right side left, its top edge down (-Y in
        // OpenGL's convention), its bottom edge up.
        assert!(gl.get_pixel(10, 20)[0] > 160 && gl.get_pixel(29, 20)[0] < 96);
        assert!(gl.get_pixel(20, 10)[1] < 96 && gl.get_pixel(20, 29)[1] > 160);
        // DirectX flips green only.
        let dx = normal_map(&h, 40, 40, 16.0, NormalY::Down);
        assert_eq!(dx.get_pixel(20, 10)[1], 255 - gl.get_pixel(20, 10)[1]);
        assert_eq!(dx.get_pixel(10, 20)[0], gl.get_pixel(10, 20)[0]);
    }

    #[test]
    fn emission_and_orm_follow_the_class_table() {
        let (map, palette) = wall_with_window();
        let e = emission(&map, &palette);
        assert_eq!((e.get_pixel(20, 20)[0], e.get_pixel(2, 2)[0]), (255, 0));
        let h = height_m(&map, &palette, None);
        let o = orm(&map, &palette, &h);
        let byte = |v: f32| (v * 255.0).round() as u8;
        assert_eq!(
            o.get_pixel(2, 2).0,
            [255, byte(material("facade").roughness), 0]
        );
        // Glass is smoother than the wall; a recess's rim is occluded, the open wall is not.
        assert_eq!(o.get_pixel(20, 20)[1], byte(material("window").roughness));
        assert!(o.get_pixel(11, 20)[0] < 255);
    }

    #[test]
    fn render_detail_moves_the_height_by_at_most_a_centimetre() {
        let (map, palette) = wall_with_window();
        let white = RgbImage::from_pixel(40, 40, Rgb([255, 255, 255]));
        let flat = height_m(&map, &palette, None);
        let detailed = height_m(&map, &palette, Some(&white));
        assert_eq!(flat.len(), detailed.len());
        for (a, b) in flat.iter().zip(&detailed) {
            assert!((b - a - 0.01).abs() < 1e-6);
        }
    }
}
