//! The models shipped in assets/ (labels and sketch): they load on the CPU backend and render a
//! layout (or its outline sketch) the way a facade looks (an untrained generator does not), and
//! half-precision weights render like full precision.

mod common;

use facade_studio::backend::cpu_device;
use facade_studio::checkpoint;
use facade_studio::generate::sample::random_sample;
use facade_studio::label_map::LabelMap;
use facade_studio::models::default_model_path;
use facade_studio::palette::Palette;
use facade_studio::render::Renderer;
use image::RgbImage;

fn mean_luma(img: &RgbImage, map: &LabelMap, class: u8) -> f64 {
    let (mut sum, mut n) = (0.0, 0usize);
    assert_eq!((img.width(), img.height()), (map.width, map.height));
    assert_eq!(img.pixels().len(), map.ids.len());
    for (p, &c) in img.pixels().zip(&map.ids) {
        if c == class {
            sum += 0.299 * p.0[0] as f64 + 0.587 * p.0[1] as f64 + 0.114 * p.0[2] as f64;
            n += 1;
        }
    }
    sum / n.max(1) as f64
}

/// (window luma, wall luma, sky/background luma) averaged over a few sample layouts.
fn region_lumas(renderer: &Renderer) -> (f64, f64, f64) {
    let palette = Palette::cmp_facades();
    let (mut win, mut wall, mut sky) = (0.0, 0.0, 0.0);
    for seed in 1..=4 {
        let map = random_sample(256, 256, seed, &palette);
        let img = renderer
            .render(&map, &facade_studio::style::Style::none(), None)
            .unwrap();
        win += mean_luma(&img, &map, palette.index_of("window").unwrap()) / 4.0;
        wall += mean_luma(&img, &map, palette.index_of("facade").unwrap()) / 4.0;
        sky += mean_luma(&img, &map, palette.index_of("background").unwrap()) / 4.0;
    }
    (win, wall, sky)
}

#[test]
fn the_shipped_model_renders_windows_darker_than_walls() {
    let path = default_model_path();
    assert!(path.is_file(), "{} is missing", path.display());
    let renderer = Renderer::load(&path, cpu_device()).unwrap();
    assert_eq!(renderer.meta.model.ngf, 32);
    assert_eq!(renderer.unit(), 256);
    let (win, wall, sky) = region_lumas(&renderer);
    eprintln!("shipped model: window {win:.1}, wall {wall:.1}, background {sky:.1}");
    // With no style the model paints an average facade (MODEL.md: its colours come from the
    // style), still with windows darker than walls.
    assert!(
        wall - win > 8.0,
        "windows ({win:.1}) should be clearly darker than walls ({wall:.1})"
    );

    // An untrained generator of the same shape tells them apart far less (its gap is the input
    // colours leaking through random weights: 10 on these layouts, against the trained 27).
    let device = cpu_device();
    let generator = facade_studio::model::seeded_init(&device.device, 5, || {
        let g = renderer.meta.model.init_generator(&device.device);
        facade_studio::model::materialize(&g);
        g
    });
    let untrained = Renderer::new(generator, renderer.meta.clone(), device, "untrained".into());
    let (uwin, uwall, _) = region_lumas(&untrained);
    eprintln!("untrained: window {uwin:.1}, wall {uwall:.1}");
    assert!(
        (uwall - uwin).abs() < 0.5 * (wall - win),
        "an untrained model separates them by {:.1}, the shipped one by {:.1}",
        uwall - uwin,
        wall - win
    );
}

#[test]
fn half_precision_weights_render_like_full_precision() {
    let tmp = tempfile::tempdir().unwrap();
    let config = common::tiny_model(64).with_ngf(16);
    let device = cpu_device();
    let generator = facade_studio::model::seeded_init(&device.device, 9, || {
        let g = config.init_generator(&device.device);
        facade_studio::model::materialize(&g);
        g
    });
    let meta = common::model_meta("t", &config);
    let full = tmp.path().join("full.fsw");
    let half = tmp.path().join("half.fsw");
    checkpoint::save_model(&full, &meta, &generator).unwrap();
    checkpoint::save_model_half(&half, &meta, &generator).unwrap();
    let (fs, hs) = (
        std::fs::metadata(&full).unwrap().len(),
        std::fs::metadata(&half).unwrap().len(),
    );
    assert!((hs as f64) < 0.6 * fs as f64, "half file {hs} vs full {fs}");
    let map = random_sample(64, 64, 2, &Palette::cmp_facades());
    let a = Renderer::load(&full, cpu_device())
        .unwrap()
        .render(&map, &facade_studio::style::Style::none(), None)
        .unwrap();
    let b = Renderer::load(&half, cpu_device())
        .unwrap()
        .render(&map, &facade_studio::style::Style::none(), None)
        .unwrap();
    assert_eq!(a.dimensions(), b.dimensions());
    let max = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(x, y)| (*x as i32 - *y as i32).abs())
        .max()
        .unwrap();
    assert!(max <= 3, "half precision changes pixels by up to {max}");
}

#[test]
fn the_shipped_model_takes_a_style_and_its_gallery_holds_the_training_photos_styles() {
    let mut renderer = Renderer::load(&default_model_path(), cpu_device()).unwrap();
    assert!(renderer.takes_style());
    assert_eq!(
        renderer.style_bank().len(),
        360,
        "one style per training pair"
    );
    // The generator alone (no exact-colour step) paints a wall red or white when asked.
    renderer.exact_colours = false;
    let palette = Palette::cmp_facades();
    let wall = palette.index_of("facade").unwrap();
    let map = random_sample(256, 256, 2, &palette);
    let wall_colour = |rgb: [u8; 3]| {
        let mut style = facade_studio::style::Style::none();
        style.set(wall, Some(rgb));
        let img = renderer.render(&map, &style, None).unwrap();
        let px: Vec<[u8; 3]> = img
            .pixels()
            .zip(&map.ids)
            .filter(|(_, c)| **c == wall)
            .map(|(p, _)| p.0)
            .collect();
        let mean = |c: usize| px.iter().map(|p| p[c] as f64).sum::<f64>() / px.len() as f64;
        [mean(0), mean(1), mean(2)]
    };
    let red = wall_colour([170, 60, 45]);
    let white = wall_colour([235, 232, 225]);
    eprintln!("red wall asked: {red:?}; white wall asked: {white:?}");
    assert!(red[0] - red[2] > 40.0, "a red wall comes out red: {red:?}");
    assert!(
        white[2] - red[2] > 60.0,
        "a white wall is lighter in blue than a red one"
    );
}

#[test]
fn the_shipped_sketch_model_paints_windows_darker_than_walls_from_their_outlines() {
    use facade_studio::data::derive::{DeriveKind, derive};
    use facade_studio::task::Task;
    let sketch_task = Task::named("sketch").unwrap();
    let device = cpu_device();
    let renderer = Renderer::load(&sketch_task.default_model_path(), device).unwrap();
    assert_eq!(renderer.meta.task, "sketch");
    assert_eq!(renderer.palette, sketch_task.palette());
    let cmp = Palette::cmp_facades();
    let (window, wall) = (
        cmp.index_of("window").unwrap(),
        cmp.index_of("facade").unwrap(),
    );
    let (mut dark, mut light) = (0.0, 0.0);
    for seed in 1..=3 {
        // The outline drawing of a facade layout: what an artist would sketch.
        let layout = random_sample(256, 256, seed, &cmp);
        let drawing = derive(&layout.to_rgb(&cmp), DeriveKind::Edges);
        let (ids, _) = renderer.palette.snap(&drawing);
        let sketch = LabelMap::from_ids(256, 256, ids).unwrap();
        let render = renderer
            .render(&sketch, &facade_studio::style::Style::none(), None)
            .unwrap();
        dark += mean_luma(&render, &layout, window);
        light += mean_luma(&render, &layout, wall);
    }
    let (dark, light) = (dark / 3.0, light / 3.0);
    println!("sketch model: window luma {dark:.1}, wall luma {light:.1}");
    assert!(dark + 8.0 < light, "windows {dark:.1} vs walls {light:.1}");
}

#[test]
fn window_hints_on_a_sketch_make_its_windows_read_as_windows() {
    use facade_studio::data::derive::sketch;
    use facade_studio::data::hints::hinted_sketch;
    use facade_studio::segment::Segmenter;
    use facade_studio::task::Task;
    let sketch_task = Task::named("sketch").unwrap();
    let renderer = Renderer::load(&sketch_task.default_model_path(), cpu_device()).unwrap();
    let segmenter = Segmenter::shipped_on_cpu().unwrap();
    let cmp = Palette::cmp_facades();
    let window = cmp.index_of("window").unwrap();
    // The window IoU of the segmenter's reading of the render against the layout.
    let (mut plain, mut hinted) = (0.0, 0.0);
    for seed in 1..=3 {
        let layout = random_sample(256, 256, seed, &cmp);
        let lines = sketch(&layout.to_rgb(&cmp));
        for (share, iou) in [(0.0, &mut plain), (1.0, &mut hinted)] {
            let drawing = hinted_sketch(&lines, &layout, seed, Some(share));
            let (ids, _) = renderer.palette.snap(&drawing);
            let input = LabelMap::from_ids(256, 256, ids).unwrap();
            let render = renderer
                .render(&input, &facade_studio::style::Style::none(), None)
                .unwrap();
            let read = segmenter.segment(&render).unwrap();
            assert_eq!(read.len(), layout.ids.len());
            let both =
                (layout.ids.iter().zip(&read)).filter(|&(&c, &r)| c == window && r == window);
            let either =
                (layout.ids.iter().zip(&read)).filter(|&(&c, &r)| c == window || r == window);
            *iou += both.count() as f64 / either.count().max(1) as f64 / 3.0;
        }
    }
    println!("sketch model: window IoU {plain:.3} from lines, {hinted:.3} with window hints");
    assert!(
        hinted > plain + 0.03,
        "with hints {hinted:.2}, from lines {plain:.2}"
    );
}
