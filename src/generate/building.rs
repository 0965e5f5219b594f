//! Whole buildings (`facade-studio building`): four walls around a rectangular footprint from one
//! parameter set and one style — the front with the entrance and the shop floor, the sides and
//! the back plainer, every wall with the same floor heights and the same cornice line so that
//! they meet at the corners — a flat roof, and one `building.glb` (a mesh per wall and the roof,
//! in metres, every wall's texture at the same pixels per metre) beside the walls' own bundles.
//!
//! ```text
//! out/
//!   front/ right/ back/ left/   each wall's bundle (labels, albedo, maps, facade.glb/.json)
//!   building.glb                the four walls and the roof, placed (a material per wall)
//!   building-lod1.glb           the same as one mesh and one material: half-resolution atlases
//!   building.json               footprint, floors, heights, each wall's rectangle in metres,
//!                               each level of detail's triangle and texture budget
//! ```

use std::path::Path;

use rand::{Rng, SeedableRng, rngs::StdRng};
use serde::Serialize;

use super::atlas::{compose, pack};
use super::glb::{self, AtlasQuad, Placement, Textures, WallMesh};
use super::params::{CORNICE_M, GROUND_RATIO, MAX_SIDE};
use super::roof::{RoofKind, roof_triangles};
use super::set::SetRender;
use super::{Bundle, FacadeParams, GroundFloor, NormalY, describe, labels, layout, write_bundle};
use crate::error::{Error, Result};
use crate::image_io::encode_png;
use crate::label_map::LabelMap;
use crate::palette::Palette;
use crate::render::tiled::Tiling;
use crate::style::Style;

/// The name (and folder) of the front wall.
pub const FRONT: &str = "front";

/// The width of a window bay the walls are divided into, about (metres).
pub const BAY_M: f32 = 3.2;

/// A building: its footprint, its floors, and the facade parameters its walls share (window
/// sizes, ornament probabilities, the front's ground floor, pixels per metre, seed).
#[derive(Debug, Clone)]
pub struct BuildingParams {
    /// Along the street: the front and the back (metres).
    pub width_m: f32,
    /// The sides (metres).
    pub depth_m: f32,
    /// Floors above the ground floor.
    pub floors: u32,
    /// Height of an upper floor (the ground floor is 1.4 times taller), metres.
    pub floor_m: f32,
    pub roof: RoofKind,
    pub facade: FacadeParams,
}

/// One wall: its name, its facade's parameters and where it stands.
#[derive(Debug, Clone)]
pub struct Wall {
    pub name: &'static str,
    pub params: FacadeParams,
    pub placement: Placement,
}

impl BuildingParams {
    /// Ground to roof, metres: the ground floor, the upper floors and the cornice band.
    pub fn height_m(&self) -> f32 {
        (self.floors as f32 + GROUND_RATIO) * self.floor_m + CORNICE_M
    }

    /// The four walls, counter-clockwise seen from above, starting with the front (facing +z).
    pub fn walls(&self) -> [Wall; 4] {
        let (w, d) = (self.width_m, self.depth_m);
        let f = &self.facade;
        // One draw for the whole building: a cornice, molding bands between floors and corner
        // pillars run round all four walls or none.
        let mut rng = StdRng::seed_from_u64(f.seed ^ 0xC0_4A1C);
        let mut all_or_none = |p: f32| if rng.random::<f32>() < p { 1.0 } else { 0.0 };
        let (cornice, molding) = (all_or_none(f.cornice), all_or_none(f.molding));
        let pillar = all_or_none(f.pillar);
        let wall = |name, width_m: f32, k: u64, [x, z]: [f32; 2], yaw_deg| {
            let front = k == 0;
            let bays = ((width_m / BAY_M).round() as u32).max(1);
            Wall {
                name,
                params: FacadeParams {
                    width_m,
                    height_m: self.height_m(),
                    floors: (self.floors, self.floors),
                    bays: (bays, bays),
                    ground: if front { f.ground } else { GroundFloor::Plain },
                    balcony: if front { f.balcony } else { 0.0 },
                    blind: if front { f.blind } else { f.blind / 2.0 },
                    pillar,
                    cornice,
                    molding,
                    tileable: false,
                    seed: f.seed.wrapping_mul(4).wrapping_add(k),
                    ..f.clone()
                },
                placement: Placement {
                    centre: [x, 0.0, z],
                    yaw_deg,
                },
            }
        };
        [
            wall(FRONT, w, 0, [0.0, d / 2.0], 0.0),
            wall("right", d, 1, [w / 2.0, 0.0], 90.0),
            wall("back", w, 2, [0.0, -d / 2.0], 180.0),
            wall("left", d, 3, [-w / 2.0, 0.0], 270.0),
        ]
    }

    /// Why this building cannot be built, naming the parameter.
    pub fn check(&self) -> std::result::Result<(), String> {
        let f = &self.facade;
        let bay = f.window_width_m + 1.0;
        for (side, v) in [("width", self.width_m), ("depth", self.depth_m)] {
            if !(v.is_finite() && v >= bay) {
                return Err(format!(
                    "--footprint: a {side} of {v} m is narrower than one bay ({bay:.1} m: a {} m window and a metre of wall); make it at least {bay:.1} m or lower --window-width",
                    f.window_width_m
                ));
            }
        }
        if self.floors == 0 {
            return Err("--floors 0: give at least 1 floor above the ground floor".into());
        }
        if !(self.floor_m.is_finite() && self.floor_m >= f.window_height_m + 0.6) {
            return Err(format!(
                "--floor-height {} m leaves no room for a {} m window: give at least {:.1} m",
                self.floor_m,
                f.window_height_m,
                f.window_height_m + 0.6
            ));
        }
        let px = |m: f32| (m * f.px_per_m).round() as u32;
        if px(self.height_m()) > MAX_SIDE {
            return Err(format!(
                "--floors {}: the building would be {:.0} m tall, {} px at {} px/m, above the texture limit of {MAX_SIDE} px: lower --floors or --px-per-m",
                self.floors,
                self.height_m(),
                px(self.height_m()),
                f.px_per_m
            ));
        }
        let long = self.width_m.max(self.depth_m);
        if px(long) > MAX_SIDE {
            return Err(format!(
                "--footprint: a {long} m wall would be {} px at {} px/m, above the texture limit of {MAX_SIDE} px: lower --px-per-m or the footprint",
                px(long),
                f.px_per_m
            ));
        }
        for wall in self.walls() {
            wall.params
                .check()
                .map_err(|e| format!("the {} wall: {e}", wall.name))?;
        }
        Ok(())
    }
}

/// `building.json`.
#[derive(Serialize)]
struct Description<'a> {
    footprint_m: [f32; 2],
    floors: u32,
    floor_m: f32,
    ground_floor_m: f32,
    height_m: f32,
    px_per_m: f32,
    seed: u64,
    model: Option<&'a str>,
    style: serde_json::Value,
    walls: Vec<WallOut>,
    roof: RoofOut,
    lods: [Lod; 2],
}

/// What one level of detail costs: its file, triangles, draw calls and textures.
#[derive(Serialize)]
struct Lod {
    file: &'static str,
    triangles: u32,
    materials: u32,
    /// Every texture's size in pixels.
    textures: Vec<[u32; 2]>,
}

#[derive(Serialize)]
struct WallOut {
    name: &'static str,
    folder: &'static str,
    width_m: f32,
    height_m: f32,
    width_px: u32,
    height_px: u32,
    /// The bottom edge from the left end to the right end, seen from outside, as (x, z) metres.
    bottom_edge_m: [[f32; 2]; 2],
    facing_deg: f32,
}

#[derive(Serialize)]
struct RoofOut {
    kind: RoofKind,
    /// The eaves' height.
    at_m: f32,
    size_m: [f32; 2],
    /// The ridge's (or the flat roof's) height above the eaves.
    rise_m: f32,
}

/// Metres to the millimetre.
fn mm(m: f32) -> f32 {
    (m * 1000.0).round() / 1000.0
}

/// The bottom edge's two ends of a wall `width_m` wide at `p`, left then right seen from outside.
fn bottom_edge(width_m: f32, p: &Placement) -> [[f32; 2]; 2] {
    let (sin, cos) = p.yaw_deg.to_radians().sin_cos();
    // The wall's own +x axis turned by the yaw about +y: (cos, -sin) in (x, z).
    let end = |s: f32| {
        [
            mm(p.centre[0] + s * width_m / 2.0 * cos),
            mm(p.centre[2] - s * width_m / 2.0 * sin),
        ]
    };
    [end(-1.0), end(1.0)]
}

/// One wall's bundle and the PNG bytes `building.glb` embeds.
struct Built {
    bundle: Bundle,
    textures: [Vec<u8>; 4],
}

/// Renders `wall` (when there is a model) in the building's style and writes its bundle into
/// `dir`.
fn build_wall(wall: &Wall, dir: &Path, how: &Rendering) -> Result<Built> {
    let (palette, style, normal_y) = (how.palette, how.style, how.normal_y);
    let render = how.render;
    let l = layout(&wall.params);
    let painted = how.front.filter(|_| wall.name == FRONT);
    let map = match painted {
        Some(front) => front.map.resized(l.width, l.height),
        None => labels(&l, palette)?,
    };
    let albedo = match (painted, render) {
        (Some(front), _) => front.albedo.as_ref().map(|a| {
            image::imageops::resize(a, l.width, l.height, image::imageops::FilterType::Triangle)
        }),
        (None, Some(r)) => Some(r.renderer.render_as(&map, style, None, Tiling::Tiles)?),
        (None, None) => None,
    };
    let model = render.map(|r| r.renderer.meta.name.as_str());
    let json = describe(&wall.params, &l, model, style.to_json(palette));
    let bundle = Bundle::new(&map, palette, albedo, wall.params.px_per_m, normal_y, json);
    write_bundle(dir, &bundle)?;
    let at = |name: &str| dir.join(name);
    let base = match &bundle.albedo {
        Some(a) => encode_png(a, &at("albedo.png"))?,
        None => encode_png(&bundle.labels, &at("labels.png"))?,
    };
    let normal = glb::normal_y_up(&bundle.normal, normal_y);
    let normal = encode_png(normal.as_ref().unwrap_or(&bundle.normal), &at("normal.png"))?;
    let textures = [
        base,
        encode_png(&bundle.orm, &at("orm.png"))?,
        normal,
        encode_png(&bundle.emission, &at("emission.png"))?,
    ];
    Ok(Built { bundle, textures })
}

/// Writes the building into `out` (checked before anything is written; an existing folder is
/// written file by file, nothing in it removed). `done(k)` is called after wall `k` (1–4).
pub fn generate_building(
    params: &BuildingParams,
    out: &Path,
    palette: &Palette,
    render: Option<SetRender<'_>>,
    normal_y: NormalY,
    done: impl FnMut(u32),
) -> Result<()> {
    params.check().map_err(Error::msg)?;
    let how = (palette, render.as_ref(), normal_y);
    write_in_its_style(params, 0, out, how, done).map(|_| ())
}

/// Writes building `k` of a set into `out` in its own style ([`building_style`]), every wall
/// generated.
pub(super) fn write_in_its_style(
    params: &BuildingParams,
    k: u32,
    out: &Path,
    (palette, render, normal_y): (&Palette, Option<&SetRender<'_>>, NormalY),
    done: impl FnMut(u32),
) -> Result<Written> {
    let style = building_style(render, k, params, palette)?;
    let how = Rendering {
        palette,
        render,
        style: &style,
        normal_y,
        front: None,
    };
    write_building(params, out, &how, done)
}

/// Writes a building whose front is `front` (the app's painting and its render, in `style`), the
/// other walls generated and rendered to match in the same style (as [`generate_building`]).
pub fn generate_painted_building(
    params: &BuildingParams,
    front: &PaintedFront,
    style: &Style,
    out: &Path,
    palette: &Palette,
    render: Option<SetRender<'_>>,
    done: impl FnMut(u32),
) -> Result<Written> {
    params.check().map_err(Error::msg)?;
    let how = Rendering {
        palette,
        render: render.as_ref(),
        style,
        normal_y: NormalY::Up,
        front: Some(front),
    };
    write_building(params, out, &how, done)
}

/// The one style of building `k` of a set: drawn by the model's style prior for its front
/// wall's layout (none without a model or a style seed).
pub fn building_style(
    render: Option<&SetRender<'_>>,
    k: u32,
    params: &BuildingParams,
    palette: &Palette,
) -> Result<Style> {
    let Some(r) = render else {
        return Ok(Style::none());
    };
    let [front, ..] = params.walls();
    let map = labels(&layout(&front.params), palette)?;
    Ok(r.style(k, &map))
}

/// How a building's walls are drawn and rendered.
pub struct Rendering<'a> {
    pub palette: &'a Palette,
    pub render: Option<&'a SetRender<'a>>,
    pub style: &'a Style,
    pub normal_y: NormalY,
    /// A painted front (the app's File → Export building): its labels and render stand for the
    /// generated front, stretched to the wall's pixel size.
    pub front: Option<&'a PaintedFront>,
}

/// A front wall someone painted: its label map and the render of it.
#[derive(Debug, Clone)]
pub struct PaintedFront {
    pub map: LabelMap,
    pub albedo: Option<image::RgbImage>,
}

/// Upper floors of about this height (metres) fit a painted front.
const PAINTED_FLOOR_M: f32 = 3.3;

impl BuildingParams {
    /// A building whose front is a `width`×`height` px painting at `facade.px_per_m`: its width
    /// and height in metres from the painting, as many floors as fit floors of about 3.3 m, a
    /// depth of three quarters of the width (at least one bay); the other facade parameters
    /// (window sizes, ornaments, seed) from `facade`.
    pub fn around_painting(width: u32, height: u32, facade: &FacadeParams) -> BuildingParams {
        let width_m = width as f32 / facade.px_per_m;
        let height_m = height as f32 / facade.px_per_m;
        let above = (height_m - CORNICE_M).max(0.0);
        let floors = ((above / PAINTED_FLOOR_M - GROUND_RATIO).round() as u32).max(1);
        let bay = facade.window_width_m + 1.0;
        BuildingParams {
            width_m,
            depth_m: (width_m * 0.75).max(bay),
            floors,
            floor_m: above / (floors as f32 + GROUND_RATIO),
            roof: RoofKind::Hipped,
            facade: facade.clone(),
        }
    }
}

/// A building written to disk, with the maps its glb files embed.
pub struct Written {
    walls: [Wall; 4],
    built: Vec<Built>,
    roof: glb::Triangles,
    height_m: f32,
}

/// One wall as a viewer draws it: its picture (the render, else the labels), its size in
/// metres and where it stands (centre of its rectangle; yaw about +y, 0 = facing +z).
pub struct WallView {
    pub name: &'static str,
    pub image: image::RgbImage,
    pub size_m: (f32, f32),
    pub centre: [f32; 3],
    pub yaw_deg: f32,
}

impl Written {
    /// The walls as a viewer draws them, and the roof's triangles (eaves at the walls' top).
    pub fn views(&self) -> (Vec<WallView>, glb::Triangles, f32) {
        let walls = (self.walls.iter().zip(&self.built))
            .map(|(wall, b)| WallView {
                name: wall.name,
                image: b
                    .bundle
                    .albedo
                    .clone()
                    .unwrap_or_else(|| b.bundle.labels.clone()),
                size_m: (wall.params.width_m, wall.params.height_m),
                centre: wall.placement.centre,
                yaw_deg: wall.placement.yaw_deg,
            })
            .collect();
        (walls, self.roof.clone(), self.height_m)
    }

    /// Two a wall, and the roof's.
    fn triangles(&self) -> u32 {
        (2 * self.walls.len() + self.roof.len()) as u32
    }

    /// The building as glb meshes (for `building.glb` and a street's).
    pub fn mesh(&self) -> glb::BuildingMesh<'_> {
        let walls = self
            .walls
            .iter()
            .zip(&self.built)
            .map(|(wall, b)| WallMesh {
                name: wall.name,
                size_m: (wall.params.width_m, wall.params.height_m),
                placement: wall.placement,
                textures: Textures {
                    base: &b.textures[0],
                    orm: &b.textures[1],
                    normal: &b.textures[2],
                    emission: &b.textures[3],
                },
            })
            .collect();
        glb::BuildingMesh {
            walls,
            roof: self.roof.clone(),
            roof_at_m: self.height_m,
        }
    }
}

/// Writes the (checked) building's walls, `building.glb`, `building-lod1.glb` and
/// `building.json` into `out`.
pub fn write_building(
    params: &BuildingParams,
    out: &Path,
    how: &Rendering,
    mut done: impl FnMut(u32),
) -> Result<Written> {
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    let walls = params.walls();
    let mut built = Vec::with_capacity(walls.len());
    for (k, wall) in walls.iter().enumerate() {
        built.push(build_wall(wall, &out.join(wall.name), how)?);
        done(k as u32 + 1);
    }
    let written = Written {
        walls,
        built,
        roof: roof_triangles(params.roof, params.width_m, params.depth_m),
        height_m: params.height_m(),
    };
    let glb = glb::building_glb(&written.mesh())?;
    crate::fsutil::atomic_write(&out.join("building.glb"), &glb)?;
    let lod1 = write_lod1(params, &written, &out.join("building-lod1.glb"))?;
    let lod0 = Lod {
        file: "building.glb",
        triangles: written.triangles(),
        materials: 5,
        textures: written
            .built
            .iter()
            .flat_map(|b| [b.bundle.labels.dimensions().into(); 4])
            .collect(),
    };
    let model = how.render.map(|r| r.renderer.meta.name.as_str());
    let style = how.style.to_json(how.palette);
    let text = describe_building(params, &written, [lod0, lod1], model, style);
    crate::fsutil::atomic_write(&out.join("building.json"), text.as_bytes())?;
    Ok(written)
}

/// The roof's colour in the atlas (base colour; occlusion, roughness, metalness).
const ROOF_RGB: [u8; 3] = [56, 54, 51];
const ROOF_ORM: [u8; 3] = [255, 230, 0];

/// Writes `building-lod1.glb` at `path`: the walls' base colour and ORM maps at half resolution
/// in one atlas each, with a small tile of the roof's colour, on one merged mesh.
fn write_lod1(params: &BuildingParams, written: &Written, path: &Path) -> Result<Lod> {
    let (walls, built) = (&written.walls, &written.built);
    use image::imageops::{FilterType, resize};
    let half = |img: &image::RgbImage| {
        let (w, h) = img.dimensions();
        resize(img, (w / 2).max(1), (h / 2).max(1), FilterType::Triangle)
    };
    let tile = |rgb: [u8; 3]| image::RgbImage::from_pixel(8, 8, image::Rgb(rgb));
    let mut base: Vec<image::RgbImage> = built
        .iter()
        .map(|b| half(b.bundle.albedo.as_ref().unwrap_or(&b.bundle.labels)))
        .collect();
    let mut orm: Vec<image::RgbImage> = built.iter().map(|b| half(&b.bundle.orm)).collect();
    base.push(tile(ROOF_RGB));
    orm.push(tile(ROOF_ORM));
    let sizes: Vec<(u32, u32)> = base.iter().map(|i| i.dimensions()).collect();
    const PADDING: u32 = 4;
    let (aw, ah, places) = pack(&sizes, PADDING);
    let uv = |k: usize, inset: f32| {
        let p = places[k];
        let (x0, y0) = (p.x as f32 + inset, p.y as f32 + inset);
        let (x1, y1) = ((p.x + p.w) as f32 - inset, (p.y + p.h) as f32 - inset);
        [
            x0 / aw as f32,
            y0 / ah as f32,
            x1 / aw as f32,
            y1 / ah as f32,
        ]
    };
    let quads: Vec<AtlasQuad> = walls
        .iter()
        .enumerate()
        .map(|(k, wall)| AtlasQuad {
            size_m: (wall.params.width_m, wall.params.height_m),
            placement: wall.placement,
            uv: uv(k, 0.0),
        })
        .collect();
    let base_png = encode_png(&compose(&base, &places, (aw, ah), PADDING), path)?;
    let orm_png = encode_png(&compose(&orm, &places, (aw, ah), PADDING), path)?;
    let roof = (&written.roof, params.height_m(), uv(walls.len(), 2.0));
    let glb = glb::merged_glb(&quads, roof, (&base_png, &orm_png))?;
    crate::fsutil::atomic_write(path, &glb)?;
    Ok(Lod {
        file: "building-lod1.glb",
        triangles: written.triangles(),
        materials: 1,
        textures: vec![[aw, ah]; 2],
    })
}

fn describe_building(
    params: &BuildingParams,
    written: &Written,
    lods: [Lod; 2],
    model: Option<&str>,
    style: serde_json::Value,
) -> String {
    let walls = written
        .walls
        .iter()
        .zip(&written.built)
        .map(|(wall, b)| WallOut {
            name: wall.name,
            folder: wall.name,
            width_m: wall.params.width_m,
            height_m: mm(wall.params.height_m),
            width_px: b.bundle.labels.width(),
            height_px: b.bundle.labels.height(),
            bottom_edge_m: bottom_edge(wall.params.width_m, &wall.placement),
            facing_deg: wall.placement.yaw_deg,
        })
        .collect();
    let d = Description {
        footprint_m: [params.width_m, params.depth_m],
        floors: params.floors,
        floor_m: params.floor_m,
        ground_floor_m: mm(params.floor_m * GROUND_RATIO),
        height_m: mm(params.height_m()),
        px_per_m: params.facade.px_per_m,
        seed: params.facade.seed,
        model,
        style,
        walls,
        roof: RoofOut {
            kind: params.roof,
            at_m: mm(params.height_m()),
            size_m: [params.width_m, params.depth_m],
            rise_m: mm(written
                .roof
                .iter()
                .flatten()
                .map(|v| v[1])
                .fold(0.0, f32::max)),
        },
        lods,
    };
    serde_json::to_string_pretty(&d).expect("plain data serialises")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn building() -> BuildingParams {
        BuildingParams {
            width_m: 12.0,
            depth_m: 8.0,
            floors: 3,
            floor_m: 3.2,
            roof: RoofKind::Flat,
            facade: FacadeParams::default(),
        }
    }

    /// Each wall's right end (seen from outside) is the next wall's left end, round the
    /// footprint, and the walls share their height and floors.
    #[test]
    fn the_walls_meet_at_the_corners_of_the_footprint() {
        let b = building();
        let walls = b.walls();
        let edges: Vec<[[f32; 2]; 2]> = walls
            .iter()
            .map(|w| bottom_edge(w.params.width_m, &w.placement))
            .collect();
        for k in 0..4 {
            let next = (k + 1) % 4;
            assert_eq!(
                edges[k][1], edges[next][0],
                "{} → {}",
                walls[k].name, walls[next].name
            );
        }
        assert_eq!(edges[0], [[-6.0, 4.0], [6.0, 4.0]]);
        for w in &walls {
            assert_eq!((w.params.height_m, w.params.floors), (b.height_m(), (3, 3)));
            assert_eq!(w.params.cornice, walls[0].params.cornice);
            assert_eq!(w.params.pillar, walls[0].params.pillar);
            assert_eq!(w.params.molding, walls[0].params.molding);
        }
        assert_eq!(walls[0].params.ground, GroundFloor::Shops);
        assert!(
            walls[1..]
                .iter()
                .all(|w| w.params.ground == GroundFloor::Plain)
        );
        assert!(walls[1..].iter().all(|w| w.params.balcony == 0.0));
    }

    #[test]
    fn buildings_that_cannot_be_built_are_refused_naming_the_parameter() {
        let refused = |b: BuildingParams| b.check().unwrap_err();
        assert!(
            refused(BuildingParams {
                depth_m: 1.5,
                ..building()
            })
            .starts_with("--footprint")
        );
        assert!(
            refused(BuildingParams {
                floors: 0,
                ..building()
            })
            .starts_with("--floors 0")
        );
        let tall = refused(BuildingParams {
            floors: 200,
            ..building()
        });
        assert!(
            tall.starts_with("--floors 200") && tall.contains("texture limit"),
            "{tall}"
        );
        let low = refused(BuildingParams {
            floor_m: 1.5,
            ..building()
        });
        assert!(low.starts_with("--floor-height"), "{low}");
        assert!(building().check().is_ok());
    }
}
