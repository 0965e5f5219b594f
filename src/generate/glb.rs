//! `facade.glb`: the facade as one glTF 2.0 binary a game engine or Blender opens as is — a quad
//! of the facade's size in metres (bottom edge on the ground, centred on x, facing +z) with a PBR
//! material whose textures (albedo, normal, occlusion/roughness/metalness, emission) are the
//! bundle's own maps, embedded. Written with the `gltf` crate's JSON types and GLB writer.

use std::borrow::Cow;
use std::collections::BTreeMap;

use gltf::json::validation::{Checked, USize64};
use gltf::json::{self, Index, Root};
use image::RgbImage;

use super::{Bundle, NormalY};
use crate::error::{Error, Result};

/// The bundle's maps as PNG files (the bytes written beside the glb), embedded as they are.
pub struct Textures<'a> {
    /// The render (the label colours without one).
    pub base: &'a [u8],
    pub orm: &'a [u8],
    /// In glTF's +Y convention (see [`normal_y_up`]).
    pub normal: &'a [u8],
    pub emission: &'a [u8],
}

/// The glTF binary of `b`, its maps given as PNG `textures`.
pub fn facade_glb(b: &Bundle, textures: &Textures) -> Result<Vec<u8>> {
    let (w, h) = (b.labels.width(), b.labels.height());
    let size_m = (w as f32 / b.px_per_m, h as f32 / b.px_per_m);
    let mut doc = Doc::default();
    let mesh = doc.quad(size_m);
    let material = doc.material(textures);
    doc.root.meshes[mesh.value()].primitives[0].material = Some(material);
    let node = doc.root.push(json::Node {
        mesh: Some(mesh),
        name: Some("facade".into()),
        ..Default::default()
    });
    doc.scene("facade", vec![node]);
    doc.finish()
}

/// Where a wall stands: the centre of its bottom edge (metres) and the way it faces, in degrees
/// about +y (0 faces +z, 90 faces +x).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Placement {
    pub centre: [f32; 3],
    pub yaw_deg: f32,
}

impl Placement {
    /// glTF's rotation quaternion (x, y, z, w).
    fn rotation(&self) -> [f32; 4] {
        let half = self.yaw_deg.to_radians() / 2.0;
        [0.0, half.sin(), 0.0, half.cos()]
    }
}

/// One wall of a building: its name, size in metres, placement and maps.
pub struct WallMesh<'a> {
    pub name: &'a str,
    pub size_m: (f32, f32),
    pub placement: Placement,
    pub textures: Textures<'a>,
}

/// A roof's triangles (metres, eaves at y = 0, counter-clockwise seen from outside).
pub type Triangles = Vec<[[f32; 3]; 3]>;

/// One building of a glb: its walls, and its roof's triangles raised to `roof_at_m`.
pub struct BuildingMesh<'a> {
    pub walls: Vec<WallMesh<'a>>,
    pub roof: Triangles,
    pub roof_at_m: f32,
}

/// `building.glb`: a node with its own mesh and material per wall, and the flat roof with a
/// plain material.
pub fn building_glb(building: &BuildingMesh) -> Result<Vec<u8>> {
    let mut doc = Doc::default();
    let nodes = doc.building(building);
    doc.scene("building", nodes);
    doc.finish()
}

/// `street.glb`: each building (named) under a node of its own at its offset (metres).
pub fn street_glb(buildings: &[(String, [f32; 3], BuildingMesh)]) -> Result<Vec<u8>> {
    let mut doc = Doc::default();
    let mut nodes = Vec::new();
    for (name, offset, building) in buildings {
        let children = doc.building(building);
        nodes.push(doc.root.push(json::Node {
            name: Some(name.clone()),
            translation: Some(*offset),
            children: Some(children),
            ..Default::default()
        }));
    }
    doc.scene("street", nodes);
    doc.finish()
}

/// One quad of a merged mesh: its size, placement and where its picture is in the atlas
/// (u0, v0, u1, v1 from the top-left).
pub struct AtlasQuad {
    pub size_m: (f32, f32),
    pub placement: Placement,
    pub uv: [f32; 4],
}

/// `building-lod1.glb`: the walls and the roof as one mesh with one material whose base colour
/// and occlusion/roughness/metalness come from one atlas each (`base`, `orm`, PNG): one draw
/// call for a building in the distance. The roof is `roof`'s triangles raised to `roof_at_m`,
/// showing the atlas at `roof_uv`.
pub fn merged_glb(
    walls: &[AtlasQuad],
    (roof, roof_at_m, roof_uv): (&Triangles, f32, [f32; 4]),
    (base, orm): (&[u8], &[u8]),
) -> Result<Vec<u8>> {
    let mut v = Vertices::default();
    for wall in walls {
        v.wall(wall);
    }
    v.roof(roof, roof_at_m, roof_uv);
    let mut doc = Doc::default();
    let material = doc.atlas_material(base, orm);
    let mesh = doc.merged_mesh(&v, material);
    let node = doc.root.push(json::Node {
        mesh: Some(mesh),
        name: Some("building".into()),
        ..Default::default()
    });
    doc.scene("building-lod1", vec![node]);
    doc.finish()
}

/// Vertices of quads placed in the world, four each, with their triangles.
#[derive(Default)]
struct Vertices {
    positions: Vec<f32>,
    normals: Vec<f32>,
    uvs: Vec<f32>,
    indices: Vec<u16>,
}

impl Vertices {
    /// Four corners (position, uv) facing `normal`, counter-clockwise seen from outside.
    fn quad(&mut self, corners: [([f32; 3], [f32; 2]); 4], normal: [f32; 3]) {
        let first = (self.positions.len() / 3) as u16;
        for (p, uv) in corners {
            self.positions.extend(p);
            self.normals.extend(normal);
            self.uvs.extend(uv);
        }
        self.indices.extend([0, 1, 2, 0, 2, 3].map(|i| first + i));
    }

    fn wall(&mut self, q: &AtlasQuad) {
        let (w, h) = q.size_m;
        let (sin, cos) = q.placement.yaw_deg.to_radians().sin_cos();
        let [cx, cy, cz] = q.placement.centre;
        let at = |x: f32, y: f32| [cx + x * cos, cy + y, cz - x * sin];
        let [u0, v0, u1, v1] = q.uv;
        let x = w / 2.0;
        let corners = [
            (at(-x, 0.0), [u0, v1]),
            (at(x, 0.0), [u1, v1]),
            (at(x, h), [u1, v0]),
            (at(-x, h), [u0, v0]),
        ];
        self.quad(corners, [sin, 0.0, cos]);
    }

    /// The roof's triangles raised by `y`, every vertex at the middle of the roof's tile.
    fn roof(&mut self, roof: &Triangles, y: f32, [u0, v0, u1, v1]: [f32; 4]) {
        let uv = [(u0 + u1) / 2.0, (v0 + v1) / 2.0];
        for t in roof {
            let first = (self.positions.len() / 3) as u16;
            let normal = face_normal(t);
            for [x, ty, z] in t {
                self.positions.extend([*x, ty + y, *z]);
                self.normals.extend(normal);
                self.uvs.extend(uv);
            }
            self.indices.extend([first, first + 1, first + 2]);
        }
    }
}

impl Doc {
    /// A building's wall and roof nodes.
    fn building(&mut self, b: &BuildingMesh) -> Vec<Index<json::Node>> {
        let mut nodes = Vec::new();
        for wall in &b.walls {
            let mesh = self.quad(wall.size_m);
            let material = self.material(&wall.textures);
            self.root.materials[material.value()].name = Some(wall.name.into());
            self.root.meshes[mesh.value()].name = Some(wall.name.into());
            self.root.meshes[mesh.value()].primitives[0].material = Some(material);
            nodes.push(self.root.push(json::Node {
                mesh: Some(mesh),
                name: Some(wall.name.into()),
                translation: Some(wall.placement.centre),
                rotation: Some(json::scene::UnitQuaternion(wall.placement.rotation())),
                ..Default::default()
            }));
        }
        let roof = self.roof(&b.roof);
        nodes.push(self.root.push(json::Node {
            mesh: Some(roof),
            name: Some("roof".into()),
            translation: Some([0.0, b.roof_at_m, 0.0]),
            ..Default::default()
        }));
        nodes
    }

    /// The document's one scene, of `nodes`.
    fn scene(&mut self, name: &str, nodes: Vec<Index<json::Node>>) {
        let scene = self.root.push(json::Scene {
            nodes,
            name: Some(name.into()),
            extensions: None,
            extras: Default::default(),
        });
        self.root.scene = Some(scene);
    }
}

/// A material of base colour `base` and occlusion, roughness and metalness from `orm`'s R, G, B.
fn base_orm_material(
    name: &str,
    base: json::texture::Info,
    orm: json::texture::Info,
) -> json::Material {
    use json::material::{OcclusionTexture, PbrMetallicRoughness, StrengthFactor};
    json::Material {
        name: Some(name.into()),
        pbr_metallic_roughness: PbrMetallicRoughness {
            base_color_texture: Some(base),
            metallic_roughness_texture: Some(orm.clone()),
            metallic_factor: StrengthFactor(1.0),
            roughness_factor: StrengthFactor(1.0),
            ..Default::default()
        },
        occlusion_texture: Some(OcclusionTexture {
            index: orm.index,
            strength: StrengthFactor(1.0),
            tex_coord: 0,
            extensions: None,
            extras: Default::default(),
        }),
        ..Default::default()
    }
}

/// The unit normal of a counter-clockwise triangle.
fn face_normal([a, b, c]: &[[f32; 3]; 3]) -> [f32; 3] {
    let (u, v) = (
        [0, 1, 2].map(|k| b[k] - a[k]),
        [0, 1, 2].map(|k| c[k] - a[k]),
    );
    let n = [
        u[1] * v[2] - u[2] * v[1],
        u[2] * v[0] - u[0] * v[2],
        u[0] * v[1] - u[1] * v[0],
    ];
    let len = n.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
    n.map(|x| x / len)
}

/// A primitive's vertex attributes.
type Attributes = BTreeMap<Checked<json::mesh::Semantic>, Index<json::Accessor>>;

/// A glTF document being built: its JSON and its one binary buffer.
#[derive(Default)]
struct Doc {
    root: Root,
    bin: Vec<u8>,
}

impl Doc {
    /// Zeros up to the next multiple of 4 bytes (glTF aligns every view and the chunk).
    fn pad(&mut self) {
        while !self.bin.len().is_multiple_of(4) {
            self.bin.push(0);
        }
    }

    /// Appends `bytes` to the buffer (4-byte aligned) as a view.
    fn view(
        &mut self,
        bytes: &[u8],
        target: Option<json::buffer::Target>,
    ) -> Index<json::buffer::View> {
        self.pad();
        let offset = self.bin.len();
        self.bin.extend_from_slice(bytes);
        self.root.push(json::buffer::View {
            buffer: Index::new(0),
            byte_length: USize64::from(bytes.len()),
            byte_offset: Some(USize64::from(offset)),
            byte_stride: None,
            name: None,
            target: target.map(Checked::Valid),
            extensions: None,
            extras: Default::default(),
        })
    }

    /// A float vertex attribute of `n`-component items (with its bounds, which glTF requires
    /// for positions).
    fn attribute(
        &mut self,
        items: &[f32],
        n: usize,
        kind: json::accessor::Type,
    ) -> Index<json::Accessor> {
        let bytes: Vec<u8> = items.iter().flat_map(|v| v.to_le_bytes()).collect();
        let view = self.view(&bytes, Some(json::buffer::Target::ArrayBuffer));
        let column = |k: usize, pick: fn(f32, f32) -> f32| {
            items
                .iter()
                .skip(k)
                .step_by(n)
                .copied()
                .reduce(pick)
                .unwrap_or(0.0)
        };
        let bound = |pick: fn(f32, f32) -> f32| {
            json::Value::from((0..n).map(|k| column(k, pick)).collect::<Vec<f32>>())
        };
        self.root.push(json::Accessor {
            buffer_view: Some(view),
            byte_offset: None,
            count: USize64::from(items.len() / n),
            component_type: Checked::Valid(json::accessor::GenericComponentType(
                json::accessor::ComponentType::F32,
            )),
            type_: Checked::Valid(kind),
            min: Some(bound(f32::min)),
            max: Some(bound(f32::max)),
            name: None,
            normalized: false,
            sparse: None,
            extensions: None,
            extras: Default::default(),
        })
    }

    /// The facade's quad, `size_m` = (width, height) in metres.
    fn quad(&mut self, (w, h): (f32, f32)) -> Index<json::Mesh> {
        use json::accessor::Type;
        use json::mesh::Semantic;
        let x = w / 2.0;
        let positions = [-x, 0.0, 0.0, x, 0.0, 0.0, x, h, 0.0, -x, h, 0.0];
        let normals = [0.0, 0.0, 1.0].repeat(4);
        let tangents = [1.0, 0.0, 0.0, 1.0].repeat(4);
        // Texture v runs down the image: the top row of the picture at the top of the quad.
        let uvs = [0.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0];
        let mut attributes = BTreeMap::new();
        let pos = self.attribute(&positions, 3, Type::Vec3);
        attributes.insert(Checked::Valid(Semantic::Positions), pos);
        let nor = self.attribute(&normals, 3, Type::Vec3);
        attributes.insert(Checked::Valid(Semantic::Normals), nor);
        let tan = self.attribute(&tangents, 4, Type::Vec4);
        attributes.insert(Checked::Valid(Semantic::Tangents), tan);
        let uv = self.attribute(&uvs, 2, Type::Vec2);
        attributes.insert(Checked::Valid(Semantic::TexCoords(0)), uv);
        self.two_triangles("facade", attributes, None)
    }

    /// A mesh of one primitive: the four vertices of `attributes` as two triangles (0 1 2,
    /// 0 2 3), with `material`.
    fn two_triangles(
        &mut self,
        name: &str,
        attributes: Attributes,
        material: Option<Index<json::Material>>,
    ) -> Index<json::Mesh> {
        self.mesh(name, attributes, &[0, 1, 2, 0, 2, 3], material)
    }

    /// A mesh of one primitive: the triangles `indices` of `attributes`, with `material`.
    fn mesh(
        &mut self,
        name: &str,
        attributes: Attributes,
        indices: &[u16],
        material: Option<Index<json::Material>>,
    ) -> Index<json::Mesh> {
        let indices = self.indices(indices);
        self.root.push(json::Mesh {
            name: Some(name.into()),
            primitives: vec![json::mesh::Primitive {
                attributes,
                indices: Some(indices),
                material,
                mode: Checked::Valid(json::mesh::Mode::Triangles),
                targets: None,
                extensions: None,
                extras: Default::default(),
            }],
            weights: None,
            extensions: None,
            extras: Default::default(),
        })
    }

    /// The roof's triangles (flat-shaded: three vertices each) with a plain roofing material
    /// (no textures).
    fn roof(&mut self, roof: &Triangles) -> Index<json::Mesh> {
        use json::accessor::Type;
        use json::material::{PbrBaseColorFactor, PbrMetallicRoughness, StrengthFactor};
        use json::mesh::Semantic;
        let positions: Vec<f32> = roof.iter().flatten().flatten().copied().collect();
        let normals: Vec<f32> = roof.iter().flat_map(|t| face_normal(t).repeat(3)).collect();
        let mut attributes = BTreeMap::new();
        let pos = self.attribute(&positions, 3, Type::Vec3);
        attributes.insert(Checked::Valid(Semantic::Positions), pos);
        let nor = self.attribute(&normals, 3, Type::Vec3);
        attributes.insert(Checked::Valid(Semantic::Normals), nor);
        let material = self.root.push(json::Material {
            name: Some("roof".into()),
            pbr_metallic_roughness: PbrMetallicRoughness {
                base_color_factor: PbrBaseColorFactor([0.22, 0.21, 0.2, 1.0]),
                metallic_factor: StrengthFactor(0.0),
                roughness_factor: StrengthFactor(0.9),
                ..Default::default()
            },
            ..Default::default()
        });
        let indices: Vec<u16> = (0..3 * roof.len() as u16).collect();
        self.mesh("roof", attributes, &indices, Some(material))
    }

    /// One mesh of `v`'s quads with `material`.
    fn merged_mesh(&mut self, v: &Vertices, material: Index<json::Material>) -> Index<json::Mesh> {
        use json::accessor::Type;
        use json::mesh::Semantic;
        let mut attributes = BTreeMap::new();
        let pos = self.attribute(&v.positions, 3, Type::Vec3);
        attributes.insert(Checked::Valid(Semantic::Positions), pos);
        let nor = self.attribute(&v.normals, 3, Type::Vec3);
        attributes.insert(Checked::Valid(Semantic::Normals), nor);
        let uv = self.attribute(&v.uvs, 2, Type::Vec2);
        attributes.insert(Checked::Valid(Semantic::TexCoords(0)), uv);
        self.mesh("building", attributes, &v.indices, Some(material))
    }

    /// The atlas material: base colour and occlusion/roughness/metalness, no normal map or
    /// emission (for a building seen from afar).
    fn atlas_material(&mut self, base: &[u8], orm: &[u8]) -> Index<json::Material> {
        let base = self.texture(base, "albedo-atlas");
        let orm = self.texture(orm, "orm-atlas");
        self.root.push(base_orm_material("building", base, orm))
    }

    /// Triangle indices (counter-clockwise seen from +z: the front face).
    fn indices(&mut self, indices: &[u16]) -> Index<json::Accessor> {
        let bytes: Vec<u8> = indices.iter().flat_map(|v| v.to_le_bytes()).collect();
        let view = self.view(&bytes, Some(json::buffer::Target::ElementArrayBuffer));
        self.root.push(json::Accessor {
            buffer_view: Some(view),
            byte_offset: None,
            count: USize64::from(indices.len()),
            component_type: Checked::Valid(json::accessor::GenericComponentType(
                json::accessor::ComponentType::U16,
            )),
            type_: Checked::Valid(json::accessor::Type::Scalar),
            min: None,
            max: None,
            name: None,
            normalized: false,
            sparse: None,
            extensions: None,
            extras: Default::default(),
        })
    }

    /// An embedded PNG texture (linear filtering with mipmaps, repeating).
    fn texture(&mut self, png: &[u8], name: &str) -> json::texture::Info {
        let view = self.view(png, None);
        let source = self.root.push(json::Image {
            buffer_view: Some(view),
            mime_type: Some(json::image::MimeType("image/png".into())),
            name: Some(name.into()),
            uri: None,
            extensions: None,
            extras: Default::default(),
        });
        if self.root.samplers.is_empty() {
            use json::texture::{MagFilter, MinFilter, WrappingMode};
            self.root.push(json::texture::Sampler {
                mag_filter: Some(Checked::Valid(MagFilter::Linear)),
                min_filter: Some(Checked::Valid(MinFilter::LinearMipmapLinear)),
                name: None,
                wrap_s: Checked::Valid(WrappingMode::Repeat),
                wrap_t: Checked::Valid(WrappingMode::Repeat),
                extensions: None,
                extras: Default::default(),
            });
        }
        let index = self.root.push(json::Texture {
            name: Some(name.into()),
            sampler: Some(Index::new(0)),
            source,
            extensions: None,
            extras: Default::default(),
        });
        json::texture::Info {
            index,
            tex_coord: 0,
            extensions: None,
            extras: Default::default(),
        }
    }

    /// The facade's material: base colour from the render (the label colours without one),
    /// occlusion, roughness and metalness from `orm.png`, the normal map in glTF's +Y
    /// convention whatever the bundle's, and the emission mask (emissive factor 0: raise it
    /// in the engine for lit windows).
    fn material(&mut self, t: &Textures) -> Index<json::Material> {
        use json::material::{EmissiveFactor, NormalTexture};
        let base = self.texture(t.base, "albedo");
        let orm = self.texture(t.orm, "orm");
        let normal = self.texture(t.normal, "normal");
        let emission = self.texture(t.emission, "emission");
        self.root.push(json::Material {
            normal_texture: Some(NormalTexture {
                index: normal.index,
                scale: 1.0,
                tex_coord: 0,
                extensions: None,
                extras: Default::default(),
            }),
            emissive_texture: Some(emission),
            emissive_factor: EmissiveFactor([0.0, 0.0, 0.0]),
            ..base_orm_material("facade", base, orm)
        })
    }

    /// The GLB bytes: the JSON chunk and the buffer.
    fn finish(mut self) -> Result<Vec<u8>> {
        self.pad();
        self.root.push(json::Buffer {
            byte_length: USize64::from(self.bin.len()),
            name: None,
            uri: None,
            extensions: None,
            extras: Default::default(),
        });
        self.root.asset.generator = Some(format!("facade-studio {}", env!("CARGO_PKG_VERSION")));
        let text = self
            .root
            .to_vec()
            .map_err(|e| Error::msg(format!("cannot write the glTF JSON: {e}")))?;
        let glb = gltf::binary::Glb {
            header: gltf::binary::Header {
                magic: *b"glTF",
                version: 2,
                // Written by to_vec.
                length: 0,
            },
            json: Cow::Owned(text),
            bin: Some(Cow::Owned(self.bin)),
        };
        glb.to_vec()
            .map_err(|e| Error::msg(format!("cannot write the GLB: {e}")))
    }
}

/// `normal` (in the convention `y`) in glTF's +Y convention; None when it is in it already.
pub fn normal_y_up(normal: &RgbImage, y: NormalY) -> Option<RgbImage> {
    if y == NormalY::Up {
        return None;
    }
    let mut out = normal.clone();
    for p in out.pixels_mut() {
        p.0[1] = 255 - p.0[1];
    }
    Some(out)
}
