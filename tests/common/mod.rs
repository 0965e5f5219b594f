//! Small data the tests make themselves: synthetic facades in the pix2pix layout.
#![allow(dead_code)]

#[cfg(feature = "gpu")]
pub mod gpu;

use std::path::Path;

use facade_studio::bench::synthetic_layout;
use facade_studio::label_map::LabelMap;
use facade_studio::model::ModelConfig;
use facade_studio::palette::Palette;
use image::{Rgb, RgbImage};

/// Saves [`synthetic_layout`]`(size, seed)` as a label image in the CMP colours at `path`.
pub fn save_layout(path: &Path, size: u32, seed: u64) {
    synthetic_layout(size, seed)
        .to_rgb(&Palette::cmp_facades())
        .save(path)
        .unwrap();
}

/// A plausible "photo" for a layout: each class a fixed shade with a little texture.
pub fn photo_for(map: &LabelMap) -> RgbImage {
    let shades: [[u8; 3]; 12] = [
        [120, 150, 200],
        [200, 180, 150],
        [40, 50, 60],
        [90, 60, 40],
        [220, 210, 190],
        [180, 170, 160],
        [60, 60, 60],
        [100, 110, 90],
        [210, 200, 170],
        [190, 160, 130],
        [170, 160, 150],
        [80, 40, 40],
    ];
    let mut img = RgbImage::new(map.width, map.height);
    for y in 0..map.height {
        for x in 0..map.width {
            let s = shades[map.get(x, y) as usize % 12];
            let t = ((x * 7 + y * 13) % 9) as u8;
            img.put_pixel(
                x,
                y,
                Rgb([
                    s[0].saturating_add(t),
                    s[1].saturating_add(t),
                    s[2].saturating_add(t),
                ]),
            );
        }
    }
    img
}

/// A pix2pix pair image: photo left, colour labels right.
pub fn pair_image(map: &LabelMap, palette: &Palette) -> RgbImage {
    let mut img = RgbImage::new(2 * map.width, map.height);
    image::imageops::replace(&mut img, &photo_for(map), 0, 0);
    image::imageops::replace(&mut img, &map.to_rgb(palette), map.width as i64, 0);
    img
}

/// Writes `n` pairs of `size`×`size` as `1.jpg … n.jpg` (JPEG quality 90, like the real data).
pub fn make_dataset(dir: &Path, n: usize, size: u32) {
    std::fs::create_dir_all(dir).unwrap();
    let palette = Palette::cmp_facades();
    for i in 0..n {
        let map = synthetic_layout(size, i as u64 + 1);
        let img = pair_image(&map, &palette);
        let mut bytes = Vec::new();
        let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 90);
        img.write_with_encoder(enc).unwrap();
        std::fs::write(dir.join(format!("{}.jpg", i + 1)), bytes).unwrap();
    }
}

/// A tiny model for fast tests.
pub fn tiny_model(size: usize) -> ModelConfig {
    ModelConfig::new().with_ngf(8).with_ndf(8).with_size(size)
}

/// The description stored with a test model.
pub fn model_meta(name: &str, config: &ModelConfig) -> facade_studio::checkpoint::Meta {
    facade_studio::checkpoint::Meta {
        styles: Default::default(),
        kind: facade_studio::checkpoint::FileKind::Model,
        name: name.into(),
        step: 0,
        model: config.clone(),
        train: None,
        seconds: 0.0,
        task: "labels".into(),
        palette: None,
    }
}

/// Saves a freshly initialised (seeded) generator of `config` as a model file at `path`.
pub fn save_untrained_model(path: &Path, name: &str, config: &ModelConfig, seed: u64) {
    save_untrained_model_as(path, &model_meta(name, config), seed);
}

/// As [`save_untrained_model`], described by `meta` (e.g. with a style bank).
pub fn save_untrained_model_as(path: &Path, meta: &facade_studio::checkpoint::Meta, seed: u64) {
    let device = facade_studio::backend::cpu_device().device;
    let generator = facade_studio::model::seeded_init(&device, seed, || {
        let g = meta.model.init_generator(&device);
        facade_studio::model::materialize(&g);
        g
    });
    facade_studio::checkpoint::save_model(path, meta, &generator).unwrap();
}

/// Three distinct styles (red, white, dark walls) as a model's gallery.
pub fn style_bank() -> facade_studio::style::StyleBank {
    let palette = Palette::cmp_facades();
    let wall = palette.index_of("facade").unwrap();
    let window = palette.index_of("window").unwrap();
    let styles = [[170, 60, 40], [235, 235, 228], [60, 55, 50]]
        .into_iter()
        .map(|rgb| {
            let mut s = facade_studio::style::Style::none();
            s.set(wall, Some(rgb));
            s.set(window, Some([30, 40, 50]));
            s
        })
        .collect();
    facade_studio::style::StyleBank { styles }
}

/// Saves an untrained style-capable model with [`style_bank`] as its gallery.
pub fn save_styled_model(path: &Path, size: usize) {
    let mut meta = model_meta("tiny styled model", &tiny_model(size));
    meta.styles = style_bank();
    save_untrained_model_as(path, &meta, 3);
}

/// Whether a `FACADE_REQUIRE_*` value asks for the test to run: set to anything but empty, `0`,
/// `false`, `no` or `off`.
pub fn is_required(value: Option<&str>) -> bool {
    match value.map(str::trim) {
        None | Some("") => false,
        Some(v) => !["0", "false", "no", "off"]
            .iter()
            .any(|off| v.eq_ignore_ascii_case(off)),
    }
}

/// `is_required` of the environment variable `name`.
pub fn required(name: &str) -> bool {
    is_required(std::env::var(name).ok().as_deref())
}

/// A path as a command-line argument.
pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// What a finished command printed: its standard output, then its standard error.
pub fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Runs the facade-studio binary with `args` (no colours), as a user would.
pub fn facade_cli(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_facade-studio"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("running facade-studio")
}

/// Draws facade.json's regions in order, as its description promises.
pub fn draw_regions(desc: &serde_json::Value, palette: &Palette) -> LabelMap {
    let (w, h) = (
        desc["width_px"].as_u64().unwrap(),
        desc["height_px"].as_u64().unwrap(),
    );
    let mut map = LabelMap::filled(w as u32, h as u32, 0);
    for r in desc["regions"].as_array().unwrap() {
        let id = palette.index_of(r["class"].as_str().unwrap()).unwrap();
        let px: Vec<u32> = r["px"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as u32)
            .collect();
        assert_eq!(px.len(), 4);
        for y in px[1]..=px[3] {
            for x in px[0]..=px[2] {
                map.set(x, y, id);
            }
        }
    }
    map
}

/// A facade.glb's JSON and binary chunk (the GLB container checked by the `gltf` crate).
pub fn read_glb(path: &Path) -> (gltf::json::Root, Vec<u8>) {
    let bytes = std::fs::read(path).unwrap();
    let glb = gltf::Glb::from_slice(&bytes).unwrap();
    let root = gltf::json::Root::from_slice(&glb.json).unwrap();
    (root, glb.bin.expect("a BIN chunk").into_owned())
}

/// The width and height (metres) of the quad in a facade.glb: its positions' bounds.
pub fn glb_quad_size(root: &gltf::json::Root) -> (f64, f64) {
    glb_quad_size_of(root, 0)
}

/// The width and height (metres, in its own frame) of the quad of mesh `mesh`.
pub fn glb_quad_size_of(root: &gltf::json::Root, mesh: usize) -> (f64, f64) {
    glb_bounds_of(root, mesh, [0, 1])
}

/// The extent (metres) of mesh `mesh`'s positions along the two `axes` (0 = x, 1 = y, 2 = z).
pub fn glb_bounds_of(root: &gltf::json::Root, mesh: usize, axes: [usize; 2]) -> (f64, f64) {
    let primitive = &root.meshes[mesh].primitives[0];
    let positions = primitive
        .attributes
        .iter()
        .find(|(k, _)| {
            **k == gltf::json::validation::Checked::Valid(gltf::json::mesh::Semantic::Positions)
        })
        .map(|(_, a)| &root.accessors[a.value()])
        .unwrap();
    let axis = |v: &Option<serde_json::Value>, k: usize| v.as_ref().unwrap()[k].as_f64().unwrap();
    let extent = |k: usize| axis(&positions.max, k) - axis(&positions.min, k);
    (extent(axes[0]), extent(axes[1]))
}

/// The picture of texture `texture` embedded in a facade.glb.
pub fn glb_texture(root: &gltf::json::Root, bin: &[u8], texture: usize) -> image::DynamicImage {
    let source = root.textures[texture].source.value();
    let view = &root.buffer_views[root.images[source].buffer_view.unwrap().value()];
    let start = view.byte_offset.map_or(0, |o| o.0 as usize);
    let png = &bin[start..start + view.byte_length.0 as usize];
    image::load_from_memory_with_format(png, image::ImageFormat::Png).unwrap()
}

/// The outlines palette of the "shapes" task file (shape outlines → filled shapes).
pub const OUTLINES_RON: &str = r#"(name: "outlines", background: 1, classes: [
    (id: 1, name: "paper", rgb: (255, 255, 255), key: "1"),
    (id: 2, name: "circle", rgb: (200, 0, 0), key: "2"),
    (id: 3, name: "square", rgb: (0, 0, 200), key: "3"),
])"#;

/// Writes the "shapes" task file and its palette into `dir` (created); the task file's path.
pub fn write_shapes_task(dir: &Path) -> std::path::PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("outlines.ron"), OUTLINES_RON).unwrap();
    let task_file = dir.join("shapes.ron");
    std::fs::write(
        &task_file,
        r#"(name: "shapes", about: "shape outlines to filled shapes", menu: "Shapes",
            palette: "outlines.ron", default_model: "shapes.fsw")"#,
    )
    .unwrap();
    task_file
}
