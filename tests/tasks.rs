//! Tasks other than labels: `dataset derive` makes sketch (and greyscale) pairs from photos, a
//! sketch model trains on them, renders sketches, and refuses label maps (and the other way
//! round) with a message naming both tasks.

mod common;

use common::{s, text};

use std::path::Path;

use facade_studio::data::derive::{DeriveKind, derive, derive_folder, photo_of};
use facade_studio::label_map::LabelMap;
use facade_studio::palette::Palette;
use facade_studio::task::Task;
use image::{Rgb, RgbImage};

/// Trains a tiny model of `task` for two steps on `data` into the run folder `run`.
fn train_tiny(task: &str, data: &Path, run: &Path) {
    let trained = common::facade_cli(&[
        "train",
        "--task",
        task,
        "--data",
        s(data),
        "--out",
        s(run),
        "--ngf",
        "8",
        "--size",
        "32",
        "--max-steps",
        "2",
        "--backend",
        "cpu",
    ]);
    assert!(trained.status.success(), "{}", text(&trained));
}

/// `facade-studio render --task TASK --model MODEL` of `input` into `output`, on the CPU.
fn render_task(task: &str, model: &Path, input: &Path, output: &Path) -> std::process::Output {
    common::facade_cli(&[
        "render",
        "--task",
        task,
        "--model",
        s(model),
        "--input",
        s(input),
        "--output",
        s(output),
        "--backend",
        "cpu",
    ])
}

/// Saves the input half (right) of the 64×32 pair at `pair` as `out`.
fn save_right_half(pair: &Path, out: &Path) {
    let pair = image::open(pair).unwrap().to_rgb8();
    let half = image::imageops::crop_imm(&pair, 32, 0, 32, 32).to_image();
    half.save(out).unwrap();
}

/// A photo of two flat halves: dark left, light right, split at x = 32.
fn two_tone(size: u32) -> RgbImage {
    RgbImage::from_fn(size, size, |x, _| match x < size / 2 {
        true => Rgb([60, 50, 40]),
        false => Rgb([200, 190, 180]),
    })
}

#[test]
fn a_sketch_is_black_lines_on_white_where_the_photo_has_edges() {
    let sketch = derive(&two_tone(64), DeriveKind::Edges);
    assert_eq!(sketch.dimensions(), (64, 64));
    let ink = |x: u32, y: u32| sketch.get_pixel(x, y).0 == [0, 0, 0];
    assert!(
        sketch
            .pixels()
            .all(|p| p.0 == [0, 0, 0] || p.0 == [255, 255, 255]),
        "paper and ink only"
    );
    // The boundary between the halves is drawn (in one of the two columns beside it) in every
    // row away from the picture's border, and the flat areas stay paper.
    for y in 4..60 {
        assert!(
            ink(31, y) || ink(32, y),
            "row {y}: the edge is a connected line"
        );
        assert!(!ink(10, y) && !ink(50, y), "row {y}: flat areas stay blank");
    }
    let lines = sketch.pixels().filter(|p| p.0 == [0, 0, 0]).count();
    assert!(lines <= 2 * 64, "{lines} ink pixels: the line is thin");
    let grey = derive(&two_tone(64), DeriveKind::Grey);
    assert_eq!(
        grey.get_pixel(5, 5).0,
        [51, 51, 51],
        "luminance of (60, 50, 40)"
    );
}

#[test]
fn derive_writes_photo_and_sketch_pairs_skips_bad_files_and_keeps_user_folders() {
    let tmp = tempfile::tempdir().unwrap();
    let from = tmp.path().join("facades");
    common::make_dataset(&from, 3, 64);
    std::fs::write(from.join("4.jpg"), b"not a jpeg").unwrap();
    let out = tmp.path().join("sketches");
    let mut seen = Vec::new();
    let report = derive_folder(&from, &out, DeriveKind::Edges, &mut |k, n| {
        seen.push((k, n))
    })
    .unwrap();
    assert_eq!(report.written, 3);
    assert_eq!(report.skipped.len(), 1);
    assert!(
        report.skipped[0].0.ends_with("4.jpg"),
        "{:?}",
        report.skipped
    );
    assert_eq!(seen.last(), Some(&(4, 4)));
    for k in 1..=3 {
        let pair = image::open(out.join(format!("{k}.png"))).unwrap().to_rgb8();
        assert_eq!(pair.dimensions(), (128, 64));
        let source = image::open(from.join(format!("{k}.jpg")))
            .unwrap()
            .to_rgb8();
        let photo = photo_of(source);
        let left = image::imageops::crop_imm(&pair, 0, 0, 64, 64).to_image();
        assert_eq!(
            left, photo,
            "the photo half is the source's photo, unchanged"
        );
        let right = image::imageops::crop_imm(&pair, 64, 0, 64, 64).to_image();
        assert_eq!(right, derive(&photo, DeriveKind::Edges));
        // The sketch palette reads it back as paper and ink, nothing unknown.
        let sketch_palette = Task::named("sketch").unwrap().palette();
        let (ids, snap) = sketch_palette.snap(&right);
        assert_eq!(snap.unknown, 0);
        assert!(ids.contains(&0) && ids.contains(&1), "both paper and ink");
    }
    // A folder with something in it is never written into.
    let again = derive_folder(&from, &out, DeriveKind::Grey, &mut |_, _| {});
    let e = again.unwrap_err().to_string();
    assert!(e.contains("sketches") && e.contains("is not empty"), "{e}");
    let cli = common::facade_cli(&[
        "dataset",
        "derive",
        "--kind",
        "edges",
        "--from",
        s(&from),
        "--out",
        s(&out),
    ]);
    assert!(!cli.status.success());
    assert!(text(&cli).contains("is not empty"), "{}", text(&cli));
}

#[test]
fn a_sketch_model_trains_renders_sketches_and_refuses_label_maps() {
    let tmp = tempfile::tempdir().unwrap();
    let facades = tmp.path().join("facades");
    common::make_dataset(&facades, 4, 32);
    let sketches = tmp.path().join("sketches");
    let derived = common::facade_cli(&[
        "dataset",
        "derive",
        "--kind",
        "edges",
        "--from",
        s(&facades),
        "--out",
        s(&sketches),
    ]);
    assert!(
        text(&derived).contains("wrote 4 pairs"),
        "{}",
        text(&derived)
    );
    let run = tmp.path().join("run");
    train_tiny("sketch", &sketches, &run);
    let model = tmp.path().join("sketch.fsw");
    let exported = common::facade_cli(&["export", "--model", s(&run), "--output", s(&model)]);
    assert!(exported.status.success(), "{}", text(&exported));

    // A sketch renders with --task sketch.
    let input = tmp.path().join("sketch.png");
    save_right_half(&sketches.join("1.png"), &input);
    let output = tmp.path().join("photo.png");
    let render = |task: &str, model: &Path| render_task(task, model, &input, &output);
    let ok = render("sketch", &model);
    assert!(ok.status.success(), "{}", text(&ok));
    assert_eq!(image::open(&output).unwrap().width(), 32);

    // The sketch model refuses label maps; the labels model refuses sketches: both named.
    let refused = text(&render("labels", &model));
    assert!(
        refused.contains("trained for the sketch task") && refused.contains("for the labels task"),
        "{refused}"
    );
    let labels_model = tmp.path().join("labels.fsw");
    common::save_untrained_model(&labels_model, "labels", &common::tiny_model(32), 1);
    let refused = text(&render("sketch", &labels_model));
    assert!(
        refused.contains("trained for the labels task") && refused.contains("for the sketch task"),
        "{refused}"
    );
    assert!(text(&render("colour", &model)).contains("unknown task \"colour\""));
}

#[test]
fn a_sketch_is_a_two_class_label_map() {
    // Painting, snapping and encoding are the label code on the sketch palette.
    let palette: Palette = Task::named("sketch").unwrap().palette();
    let mut map = LabelMap::filled(8, 8, palette.background);
    map.set(3, 3, 1);
    let rgb = map.to_rgb(&palette);
    assert_eq!(rgb.get_pixel(0, 0).0, [255, 255, 255]);
    assert_eq!(rgb.get_pixel(3, 3).0, [0, 0, 0]);
    let (ids, _) = palette.snap(&rgb);
    assert_eq!(ids, map.ids);
}

#[test]
fn a_second_palette_paints_and_trains_from_a_pix2pix_folder_in_its_colours() {
    // Cityscapes: 19 classes; a small pix2pix folder drawn in its colours.
    let palette = Task::named("cityscapes").unwrap().palette();
    assert_eq!(palette.len(), 19);
    assert_eq!(palette.index_of("car"), Some(13));
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("streets");
    std::fs::create_dir_all(&data).unwrap();
    for k in 0..3u64 {
        let cmp = facade_studio::bench::synthetic_layout(32, k + 1);
        let ids = cmp.ids.iter().map(|&c| (c * 3 + k as u8) % 19).collect();
        let map = LabelMap::from_ids(32, 32, ids).unwrap();
        // Painting on this palette: the colours read back as the same classes.
        let (snapped, report) = palette.snap(&map.to_rgb(&palette));
        assert_eq!(snapped, map.ids);
        assert_eq!(report.unknown, 0);
        common::pair_image(&map, &palette)
            .save(data.join(format!("{}.png", k + 1)))
            .unwrap();
    }
    let run = tmp.path().join("run");
    train_tiny("cityscapes", &data, &run);
    let input = tmp.path().join("street.png");
    save_right_half(&data.join("1.png"), &input);
    let output = tmp.path().join("photo.png");
    let render = render_task("cityscapes", &run, &input, &output);
    assert!(render.status.success(), "{}", text(&render));
    assert_eq!(image::open(&output).unwrap().width(), 32);
    // No Cityscapes model is shipped: the message says how to get one.
    let refused = common::facade_cli(&[
        "render",
        "--task",
        "cityscapes",
        "--input",
        s(&input),
        "--output",
        s(&output),
        "--backend",
        "cpu",
    ]);
    let shown = text(&refused);
    assert!(
        shown.contains("no cityscapes model is shipped") && shown.contains("--task cityscapes"),
        "{shown}"
    );
}
