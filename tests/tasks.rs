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
    let trained = train_tiny_with(task, data, run, &[]);
    assert!(trained.status.success(), "{}", text(&trained));
}

/// [`train_tiny`] with `extra` options, whatever the outcome.
fn train_tiny_with(task: &str, data: &Path, run: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
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
    ];
    args.extend_from_slice(extra);
    common::facade_cli(&args)
}

/// `facade-studio dataset derive --kind KIND` of `from` into `out`, which must say it wrote `n`.
fn derive_pairs(kind: &str, from: &Path, out: &Path, n: usize) {
    let derived = common::facade_cli(&[
        "dataset",
        "derive",
        "--kind",
        kind,
        "--from",
        s(from),
        "--out",
        s(out),
    ]);
    let said = text(&derived);
    assert!(said.contains(&format!("wrote {n} pairs")), "{said}");
}

/// Four synthetic CMP facades pairs in `tmp/facades` and their `dataset derive --kind KIND` in
/// `tmp/NAME`: both folders.
fn derived_four(tmp: &Path, kind: &str, name: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let facades = tmp.join("facades");
    common::make_dataset(&facades, 4, 32);
    let out = tmp.join(name);
    derive_pairs(kind, &facades, &out, 4);
    (facades, out)
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
fn derive_writes_photo_and_sketch_pairs_skips_bad_files_refuses_bad_options_and_keeps_user_folders()
{
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
    // A hint share is for hinted sketches, and a share is 0 to 1.
    let new_out = tmp.path().join("new");
    for (kind, share, says) in [
        ("edges", "1", "--hint-share is for --kind hinted-edges only"),
        ("hinted-edges", "1.5", "give a number from 0 to 1"),
    ] {
        let cli = common::facade_cli(&[
            "dataset",
            "derive",
            "--kind",
            kind,
            "--hint-share",
            share,
            "--from",
            s(&from),
            "--out",
            s(&new_out),
        ]);
        assert!(!cli.status.success());
        assert!(text(&cli).contains(says), "{}", text(&cli));
        assert!(!new_out.exists(), "nothing written");
    }
}

#[test]
fn a_sketch_model_trains_renders_sketches_and_refuses_label_maps() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, sketches) = derived_four(tmp.path(), "edges", "sketches");
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

/// [`train_tiny`] of a sketch model with an OASIS discriminator on `data` into `run`, which must
/// succeed and say `says`: the run's `config.json`.
fn train_sketch_oasis(data: &Path, run: &Path, says: &str) -> serde_json::Value {
    let oasis = ["--discriminator", "oasis", "--ndf", "4", "--holdout", "1"];
    let trained = train_tiny_with("sketch", data, run, &oasis);
    let said = text(&trained);
    assert!(trained.status.success(), "{said}");
    assert!(said.contains(says), "{said}");
    serde_json::from_slice(&std::fs::read(run.join("config.json")).unwrap()).unwrap()
}

#[test]
fn a_sketch_models_oasis_discriminator_reads_the_facade_labels_kept_beside_hinted_pairs() {
    let tmp = tempfile::tempdir().unwrap();
    let (facades, hinted) = derived_four(tmp.path(), "hinted-edges", "hinted");
    // Each pair's facade labels are kept under its name: the source pair's, snapped.
    let cmp = Palette::cmp_facades();
    let sources = facade_studio::data::Dataset::open(&facades).unwrap();
    for (k, source) in (1..=4).zip(&sources.pairs) {
        let kept = hinted.join("labels").join(format!("{k}.png"));
        let (kept, snap) = LabelMap::load_image(&kept, &cmp).unwrap();
        assert_eq!(snap.unknown_fraction(), 0.0, "pair {k}: exact CMP colours");
        let truth = facade_studio::data::dataset::load_pair(source, &cmp).unwrap();
        assert_eq!(kept.ids, truth.labels.ids, "pair {k}");
    }
    let derived = facade_studio::data::Dataset::open(&hinted).unwrap();
    assert_eq!(derived.len(), 4, "the labels folder is no pair");
    assert!(derived.has_layouts());

    let run = tmp.path().join("run");
    let config = train_sketch_oasis(&hinted, &run, "into the facade classes of");
    assert_eq!(config["oasis_layout"], true);
    assert_eq!(
        config["model"]["d_classes"], 12,
        "the CMP classes, not the sketch's"
    );

    // Label consistency is measured against the kept labels, no --truth-labels needed.
    let report = tmp.path().join("report");
    let eval = common::facade_cli(&[
        "eval",
        "--model",
        s(&run),
        "--data",
        s(&hinted),
        "--last",
        "2",
        "--out",
        s(&report),
        "--backend",
        "cpu",
        "--json",
    ]);
    let said = text(&eval);
    assert!(eval.status.success(), "{said}");
    assert!(said.contains("\"consistency\":{"), "{said}");

    // A run that reads them refuses to go on without them, naming the pair and the fix.
    std::fs::remove_file(hinted.join("labels").join("2.png")).unwrap();
    let resumed = train_tiny_with("sketch", &hinted, &run, &["--resume"]);
    let said = text(&resumed);
    assert!(!resumed.status.success());
    assert!(
        said.contains("2.png")
            && said.contains("has no facade labels")
            && said.contains("dataset derive"),
        "{said}"
    );
    // Without them an OASIS discriminator tells the sketch's own classes apart.
    let plain = tmp.path().join("plain");
    let config = train_sketch_oasis(&hinted, &plain, "the sketch task's own classes");
    assert_eq!(config["oasis_layout"], false);
    let sketch_classes = Task::named("sketch").unwrap().palette().len();
    assert_eq!(config["model"]["d_classes"], sketch_classes);
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

/// A smooth warm colour photo of `w`×`h` (no palette's colours).
fn colour_photo(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        let v = ((x * 3 + y * 2) % 160) as u8;
        Rgb([v + 70, v + 50, v + 20])
    })
}

#[test]
fn a_colourisation_model_trains_on_grey_pairs_and_colourises_a_photo_of_any_size() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, greys) = derived_four(tmp.path(), "grey", "greys");
    let run = tmp.path().join("run");
    train_tiny("grey", &greys, &run);

    // A colour photo of an odd size is made grey (said) and colourised at its own size.
    let photo = tmp.path().join("photo.png");
    colour_photo(50, 37).save(&photo).unwrap();
    let output = tmp.path().join("colour.png");
    let done = render_task("grey", &run, &photo, &output);
    assert!(done.status.success(), "{}", text(&done));
    assert!(text(&done).contains("converted to grey"), "{}", text(&done));
    let colour = image::open(&output).unwrap().to_rgb8();
    assert_eq!(colour.dimensions(), (50, 37));
    // It keeps the photo's luminance (where no channel is clipped) and only adds colour.
    let luma = image::imageops::grayscale(&colour_photo(50, 37));
    for (p, g) in colour.pixels().zip(luma.pixels()) {
        let y = 0.2126 * p.0[0] as f32 + 0.7152 * p.0[1] as f32 + 0.0722 * p.0[2] as f32;
        let clipped = p.0.iter().any(|&c| c == 0 || c == 255);
        assert!(
            clipped || (y - g.0[0] as f32).abs() <= 2.0,
            "{:?} for grey {}",
            p.0,
            g.0[0]
        );
    }

    // A label map is refused, naming the file and the task that fits; nothing is written.
    let labels = tmp.path().join("labels.png");
    let palette = Palette::cmp_facades();
    facade_studio::bench::synthetic_layout(48, 2)
        .to_rgb(&palette)
        .save(&labels)
        .unwrap();
    let refused_out = tmp.path().join("refused.png");
    let refused = render_task("grey", &run, &labels, &refused_out);
    assert!(!refused.status.success());
    let shown = text(&refused);
    assert!(
        shown.contains("labels.png") && shown.contains("--task labels"),
        "{shown}"
    );
    assert!(!refused_out.exists());
}

/// `render --from-photo PHOTO --output OUT` with the shipped model, plus `extra` arguments.
fn from_photo(photo: &Path, output: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["render", "--from-photo", s(photo), "--output", s(output)];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["--backend", "cpu"]);
    common::facade_cli(&args)
}

/// Mean of each channel.
fn mean_rgb(image: &RgbImage) -> [f64; 3] {
    let n = (image.width() * image.height()) as f64;
    let mut sum = [0f64; 3];
    for p in image.pixels() {
        for (total, &v) in sum.iter_mut().zip(p.0.iter()) {
            *total += v as f64;
        }
    }
    sum.map(|v| v / n)
}

#[test]
fn render_from_photo_reads_its_labels_and_renders_it_in_its_own_colours_or_others() {
    let tmp = tempfile::tempdir().unwrap();
    let palette = Palette::cmp_facades();
    let photo =
        common::photo_for(&facade_studio::bench::synthetic_layout(300, 4).resized(300, 200));
    let photo_path = tmp.path().join("photo.png");
    photo.save(&photo_path).unwrap();
    let output = tmp.path().join("restyled.png");
    let labels = tmp.path().join("labels.png");
    let done = from_photo(&photo_path, &output, &["--labels-out", s(&labels)]);
    assert!(done.status.success(), "{}", text(&done));

    // The photo's aspect at the model's scale (shorter side 256), labels in the palette.
    let render = image::open(&output).unwrap().to_rgb8();
    assert_eq!(render.dimensions(), (384, 256));
    let read = image::open(&labels).unwrap().to_rgb8();
    assert_eq!(read.dimensions(), (384, 256));
    assert_eq!(
        palette.snap(&read).1.unknown,
        0,
        "labels in the CMP colours"
    );
    // Its own colours: each labelled region takes the photo's colour there.
    let (own, theirs) = (mean_rgb(&render), mean_rgb(&photo));
    for c in 0..3 {
        assert!(
            (own[c] - theirs[c]).abs() < 20.0,
            "{own:?} vs the photo's {theirs:?}"
        );
    }
    // Another colour for one class: the same building, redder.
    let red = tmp.path().join("red.png");
    let done = from_photo(&photo_path, &red, &["--colour", "facade=#C03020"]);
    assert!(done.status.success(), "{}", text(&done));
    let redder = mean_rgb(&image::open(&red).unwrap().to_rgb8());
    assert!(
        redder[0] - redder[2] > own[0] - own[2] + 10.0,
        "{redder:?} vs {own:?}"
    );

    // Too small a photo: its size and the minimum, and nothing written.
    let small = tmp.path().join("small.png");
    colour_photo(40, 30).save(&small).unwrap();
    let small_out = tmp.path().join("small-out.png");
    let refused = text(&from_photo(&small, &small_out, &[]));
    assert!(
        refused.contains("small.png") && refused.contains("40×30") && refused.contains("64×64"),
        "{refused}"
    );
    assert!(!small_out.exists());
}

/// Outline (right) and filled (left) shapes on 32×32: a circle and a square placed by `k`.
fn shapes_pair(k: u32) -> RgbImage {
    let (cx, cy, r) = (10 + k * 3, 12 + k, 6.0 + k as f32);
    let (sx, sy, side) = (18 + k, 4 + 2 * k, 9 + k);
    let mut pair = RgbImage::from_pixel(64, 32, Rgb([255, 255, 255]));
    for y in 0..32u32 {
        for x in 0..32u32 {
            let d = ((x as f32 - cx as f32).powi(2) + (y as f32 - cy as f32).powi(2)).sqrt();
            let in_square = (sx..sx + side).contains(&x) && (sy..sy + side).contains(&y);
            let on_square =
                in_square && (x == sx || x == sx + side - 1 || y == sy || y == sy + side - 1);
            if d <= r {
                pair.put_pixel(x, y, Rgb([40, 160, 60]));
            }
            if in_square {
                pair.put_pixel(x, y, Rgb([230, 200, 40]));
            }
            if (d - r).abs() < 0.7 {
                pair.put_pixel(32 + x, y, Rgb([200, 0, 0]));
            }
            if on_square {
                pair.put_pixel(32 + x, y, Rgb([0, 0, 200]));
            }
        }
    }
    pair
}

#[test]
fn a_pix2pix_folder_of_another_kind_trains_and_renders_through_a_task_file_alone() {
    // Shape outlines → filled shapes: a palette file and a task file, no code.
    let tmp = tempfile::tempdir().unwrap();
    let kind = tmp.path().join("shapes-task");
    let task_file = common::write_shapes_task(&kind);
    let data = tmp.path().join("shapes");
    std::fs::create_dir_all(&data).unwrap();
    for k in 0..4 {
        shapes_pair(k)
            .save(data.join(format!("{}.png", k + 1)))
            .unwrap();
    }
    let run = tmp.path().join("run");
    train_tiny(s(&task_file), &data, &run);
    let model = tmp.path().join("shapes.fsw");
    let exported = common::facade_cli(&["export", "--model", s(&run), "--output", s(&model)]);
    assert!(exported.status.success(), "{}", text(&exported));
    // The model carries its palette: it renders the task's input with the task file.
    let input = tmp.path().join("outline.png");
    let pair = shapes_pair(2);
    image::imageops::crop_imm(&pair, 32, 0, 32, 32)
        .to_image()
        .save(&input)
        .unwrap();
    let output = tmp.path().join("filled.png");
    let done = render_task(s(&task_file), &model, &input, &output);
    assert!(done.status.success(), "{}", text(&done));
    assert_eq!(image::open(&output).unwrap().width(), 32);
    let meta = facade_studio::checkpoint::load_generator(
        &model,
        &facade_studio::backend::cpu_device().device,
    )
    .unwrap()
    .meta;
    assert_eq!(meta.task, "shapes");
    assert!(meta.palette.unwrap_or_default().contains("circle"));
    // As the labels task it is refused, and told how to pass the task file.
    let refused = text(&render_task("labels", &model, &input, &output));
    assert!(
        refused.contains("trained for the shapes task") && refused.contains("shapes task file"),
        "{refused}"
    );
    // A task file whose palette file is missing names that file.
    let broken = kind.join("broken.ron");
    std::fs::write(
        &broken,
        r#"(name: "broken", about: "x", menu: "x", palette: "missing.ron", default_model: "x.fsw")"#,
    )
    .unwrap();
    let refused = text(&render_task(s(&broken), &model, &input, &output));
    assert!(refused.contains("missing.ron"), "{refused}");
}

#[test]
fn the_shipped_grey_model_puts_colour_into_a_grey_photo() {
    let tmp = tempfile::tempdir().unwrap();
    let photo = tmp.path().join("grey.png");
    let grey = image::imageops::grayscale(&common::photo_for(
        &facade_studio::bench::synthetic_layout(256, 3),
    ));
    image::DynamicImage::ImageLuma8(grey).save(&photo).unwrap();
    let output = tmp.path().join("colour.png");
    let done = common::facade_cli(&[
        "render",
        "--task",
        "grey",
        "--input",
        s(&photo),
        "--output",
        s(&output),
        "--backend",
        "cpu",
    ]);
    assert!(done.status.success(), "{}", text(&done));
    let colour = image::open(&output).unwrap().to_rgb8();
    assert_eq!(colour.dimensions(), (256, 256));
    let spread = |p: &Rgb<u8>| p.0.iter().max().unwrap() - p.0.iter().min().unwrap();
    let coloured = colour.pixels().filter(|p| spread(p) > 12).count();
    assert!(coloured > 256 * 256 / 10, "only {coloured} coloured pixels");
}
