//! Styles: per-class colours taken from photos, encoded as generator inputs, learned from
//! training pairs, and asked for from the command line (`render --style/--style-seed/--colour`,
//! `eval --style`, `generate`) and in project files.

mod common;

use common::s;

use std::path::Path;

use facade_studio::backend::cpu_device;
use facade_studio::data::augment::AugmentConfig;
use facade_studio::data::prefetch::{Schedule, preload};
use facade_studio::data::{Dataset, Prefetcher};
use facade_studio::document::project::Project;
use facade_studio::label_map::LabelMap;
use facade_studio::palette::Palette;
use facade_studio::render::Renderer;
use facade_studio::style::photo::{LabelSource, style_of_image};
use facade_studio::style::{self, Style};
use image::{Rgb, RgbImage};

/// Left half class 1 (facade), right half class 2 (window), one 3×3 door (class 3).
fn two_class_map() -> LabelMap {
    LabelMap::from_fn(64, 32, |x, y| match (x, y) {
        (0..3, 0..3) => 3,
        (0..32, _) => 1,
        _ => 2,
    })
}

#[test]
fn a_photo_style_is_each_class_mean_colour_and_tiny_classes_stay_free() {
    let map = two_class_map();
    // Facade pixels alternate 100/110 red, windows are flat blue.
    let photo = RgbImage::from_fn(64, 32, |x, y| match map.get(x, y) {
        1 => Rgb([100 + 10 * ((x + y) % 2) as u8, 50, 20]),
        2 => Rgb([10, 20, 200]),
        _ => Rgb([255, 255, 255]),
    });
    let style = Style::of_photo(&photo, &map);
    assert_eq!(style.get(1), Some([105, 50, 20]));
    assert_eq!(style.get(2), Some([10, 20, 200]));
    assert_eq!(style.get(3), None, "9 door pixels are too few for a colour");
    assert_eq!(style.get(0), None, "no background pixels");
    assert_eq!(style.count(), 2);
}

#[test]
fn style_planes_hold_the_class_colour_and_a_mask_where_the_style_sets_one() {
    let mut style = Style::none();
    style.set(1, Some([255, 0, 127]));
    let ids = [1u8, 2, 1];
    let mut out = vec![9.0f32; 2]; // planes are appended after what is there
    style.encode_planar(&ids, 3, &mut out);
    assert_eq!(out.len(), 2 + style::CHANNELS * ids.len());
    let planes = &out[2..];
    let expected = [
        1.0,
        0.0,
        1.0, // R
        -1.0,
        0.0,
        -1.0, // G
        127.0 / 127.5 - 1.0,
        0.0,
        127.0 / 127.5 - 1.0, // B
        1.0,
        0.0,
        1.0, // given
    ];
    assert_eq!(planes.len(), expected.len());
    for (k, (a, b)) in planes.iter().zip(expected).enumerate() {
        assert!((a - b).abs() < 1e-6, "value {k}: {a} vs {b}");
    }
}

#[test]
fn class_colours_parse_by_name_or_number_and_bad_ones_say_what_is_wrong() {
    let palette = Palette::cmp_facades();
    let mut style = Style::none();
    style.set_from_arg("facade=#A04030", &palette).unwrap();
    style.set_from_arg("3=#000010", &palette).unwrap();
    assert_eq!(style.get(1), Some([0xa0, 0x40, 0x30]));
    assert_eq!(style.get(2), Some([0, 0, 0x10]), "3 is the app's window");
    let err = style.set_from_arg("roof=#112233", &palette).unwrap_err();
    assert!(
        err.contains("roof") && err.contains("facade, window"),
        "{err}"
    );
    let err = style.set_from_arg("13=#112233", &palette).unwrap_err();
    assert!(err.contains("1…12"), "{err}");
    let err = style.set_from_arg("facade=red", &palette).unwrap_err();
    assert!(err.contains("#RRGGBB"), "{err}");
    let err = style.set_from_arg("facade", &palette).unwrap_err();
    assert!(err.contains("CLASS=#RRGGBB"), "{err}");
}

#[test]
fn a_pair_gives_its_own_labels_and_a_plain_photo_goes_to_the_segmenter() {
    let palette = Palette::cmp_facades();
    let map = facade_studio::bench::synthetic_layout(64, 2);
    let pair = common::pair_image(&map, &palette);
    let (style, source) = style_of_image(&pair, &palette, || panic!("no segmenter for a pair"))
        .expect("a pair has a style");
    assert_eq!(source, LabelSource::Pair);
    assert_eq!(style, Style::of_photo(&common::photo_for(&map), &map));
    // A photo that is not a pair needs the segmenter; its failure is the error.
    let photo = common::photo_for(&map);
    let err = style_of_image(&photo, &palette, || {
        Err(facade_studio::Error::msg("no segmenter here"))
    })
    .unwrap_err();
    assert_eq!(err.to_string(), "no segmenter here");
    let tiny = RgbImage::new(8, 8);
    let err = style_of_image(&tiny, &palette, || panic!()).unwrap_err();
    assert!(err.to_string().contains("8×8"), "{err}");
}

#[test]
fn a_model_without_style_inputs_widened_renders_exactly_as_before_whatever_the_style() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("plain.fsw");
    let config = common::tiny_model(32).with_style_channels(0);
    common::save_untrained_model(&path, "plain", &config, 4);
    let plain = Renderer::load(&path, cpu_device()).unwrap();
    assert!(!plain.takes_style());
    let map = facade_studio::bench::synthetic_layout(32, 1);
    let before = plain.render(&map, &Style::none(), None).unwrap();

    let widened = plain.generator.clone().with_extra_inputs(style::CHANNELS);
    assert_eq!(widened.inputs(), 3 + style::CHANNELS);
    let mut meta = plain.meta.clone();
    meta.model.style_channels = style::CHANNELS;
    let mut styled = Renderer::new(widened, meta, cpu_device(), path.clone());
    styled.exact_colours = false; // the generator alone
    assert!(styled.takes_style());
    let red = common::style_bank().styles[0].clone();
    for style in [Style::none(), red] {
        let after = styled.render(&map, &style, None).unwrap();
        assert_eq!(
            after.as_raw(),
            before.as_raw(),
            "zero weights ignore the style planes"
        );
    }
}

#[test]
fn styled_batches_carry_the_pairs_style_whole_in_part_or_not_at_all() {
    let tmp = tempfile::tempdir().unwrap();
    common::make_dataset(tmp.path(), 3, 64);
    let palette = Palette::cmp_facades();
    let dataset = Dataset::open(tmp.path()).unwrap();
    let (pairs, bad) = preload(&dataset, &palette, 64, 1, &|_, _| {});
    assert!(bad.is_empty());
    assert!(
        pairs.iter().all(|p| p.style.count() >= 2),
        "the photos' classes have colours"
    );
    let schedule = Schedule {
        pairs: pairs.len(),
        batch: 1,
        seed: 5,
    };
    let pairs = std::sync::Arc::new(pairs);
    let prefetch = Prefetcher::start(
        pairs.clone(),
        palette,
        AugmentConfig::eval(64),
        schedule,
        0,
        2,
        Some(0.25),
    );
    let plane = 64 * 64;
    let (mut whole, mut none, mut part) = (0, 0, 0);
    for _ in 0..60 {
        let batch = prefetch.next().unwrap();
        assert_eq!(batch.channels(), 3 + style::CHANNELS);
        assert_eq!(batch.input.len(), batch.channels() * plane);
        let given = &batch.input[6 * plane..7 * plane];
        let classes_given: std::collections::BTreeSet<u8> = batch
            .labels
            .iter()
            .zip(given)
            .filter(|(_, g)| **g == 1.0)
            .map(|(c, _)| *c)
            .collect();
        let classes: std::collections::BTreeSet<u8> = batch.labels.iter().copied().collect();
        match classes_given.len() {
            0 => none += 1,
            n if n == classes.len() => whole += 1,
            _ => part += 1,
        }
        // Where a class is given, the colour planes hold that class's colour of some pair.
        let k = batch.labels.iter().zip(given).position(|(_, g)| *g == 1.0);
        if let Some(k) = k {
            let class = batch.labels[k];
            let rgb: Vec<u8> = (0..3)
                .map(|c| ((batch.input[(3 + c) * plane + k] + 1.0) * 127.5).round() as u8)
                .collect();
            // No crop or flip here: the pixel sits at the same place in the pair.
            let at = ((k % 64) as u32, (k / 64) as u32);
            let is_pairs = |p: &facade_studio::data::augment::Resized| {
                let local = p.style.colour_at(class, at, (64, 64));
                let whole = p.style.get(class);
                [local, whole].contains(&Some([rgb[0], rgb[1], rgb[2]]))
            };
            assert!(
                pairs.iter().any(is_pairs),
                "class {class} colour {rgb:?} is some pair's"
            );
        }
    }
    assert!(
        whole > 5 && none > 5 && part > 5,
        "{whole} whole, {none} none, {part} part"
    );
}

#[test]
fn render_takes_a_style_photo_a_gallery_seed_and_class_colours() {
    let tmp = tempfile::tempdir().unwrap();
    let model = tmp.path().join("styled.fsw");
    common::save_styled_model(&model, 32);
    let palette = Palette::cmp_facades();
    let map = facade_studio::bench::synthetic_layout(32, 3);
    let input = tmp.path().join("labels.png");
    map.to_rgb(&palette).save(&input).unwrap();
    let pair = tmp.path().join("pair.png");
    common::pair_image(&map, &palette).save(&pair).unwrap();
    let render = |name: &str, extra: &[&str]| {
        let out = tmp.path().join(name);
        let mut args = vec!["render", "--model", s(&model), "--backend", "cpu"];
        args.extend(["--input", s(&input), "--output", s(&out)]);
        args.extend(extra);
        let o = common::facade_cli(&args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        image::open(&out).unwrap().to_rgb8()
    };
    let plain = render("plain.png", &[]);
    let styled = render("styled.png", &["--style", s(&pair)]);
    let seeded = render("seeded.png", &["--style-seed", "1"]);
    let seeded_again = render("seeded2.png", &["--style-seed", "1"]);
    let coloured = render("coloured.png", &["--colour", "facade=#ff0000"]);
    assert_ne!(
        plain.as_raw(),
        styled.as_raw(),
        "a style changes the render"
    );
    assert_ne!(plain.as_raw(), seeded.as_raw());
    assert_ne!(plain.as_raw(), coloured.as_raw());
    assert_eq!(
        seeded.as_raw(),
        seeded_again.as_raw(),
        "a seed draws the same style"
    );
    // Without a style the prior draws one per --seed; --model-colours leaves the classes to the
    // model (what every render did before the prior).
    let model_colours = render("model.png", &["--model-colours"]);
    let other_seed = render("seed5.png", &["--seed", "5"]);
    let other_seed_model = render("seed5m.png", &["--seed", "5", "--model-colours"]);
    assert_ne!(plain.as_raw(), model_colours.as_raw());
    assert_ne!(other_seed.as_raw(), other_seed_model.as_raw());
    // A chosen colour is exact, whatever the prior draws around it.
    let facade = palette.index_of("facade").unwrap();
    let mean = |img: &image::RgbImage| {
        let px: Vec<&image::Rgb<u8>> = (img.pixels().zip(&map.ids))
            .filter(|(_, id)| **id == facade)
            .map(|(p, _)| p)
            .collect();
        assert!(!px.is_empty() && img.len() == map.ids.len() * 3);
        [0, 1, 2].map(|c| px.iter().map(|p| p[c] as f32).sum::<f32>() / px.len() as f32)
    };
    let red = mean(&coloured);
    assert!(red[0] > 200.0 && red[1] < 40.0 && red[2] < 40.0, "{red:?}");
}

#[test]
fn style_options_fail_clearly() {
    let tmp = tempfile::tempdir().unwrap();
    let palette = Palette::cmp_facades();
    let input = tmp.path().join("labels.png");
    facade_studio::bench::synthetic_layout(32, 3)
        .to_rgb(&palette)
        .save(&input)
        .unwrap();
    let out = tmp.path().join("out.png");
    let run = |model: &Path, extra: &[&str]| {
        let mut args = vec!["render", "--model", s(model), "--backend", "cpu"];
        args.extend(["--input", s(&input), "--output", s(&out)]);
        args.extend(extra);
        let o = common::facade_cli(&args);
        assert!(!o.status.success(), "{extra:?} should fail");
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    let plain = tmp.path().join("plain.fsw");
    let config = common::tiny_model(32).with_style_channels(0);
    common::save_untrained_model(&plain, "plain", &config, 1);
    let err = run(&plain, &["--style-seed", "2"]);
    assert!(
        err.contains("plain.fsw") && err.contains("takes no style"),
        "{err}"
    );

    let no_bank = tmp.path().join("nobank.fsw");
    common::save_untrained_model(&no_bank, "no bank", &common::tiny_model(32), 1);
    let err = run(&no_bank, &["--style-seed", "2"]);
    assert!(
        err.contains("nobank.fsw") && err.contains("no gallery"),
        "{err}"
    );

    let notes = tmp.path().join("notes.jpg");
    std::fs::write(&notes, b"not a photo").unwrap();
    let err = run(&no_bank, &["--style", s(&notes)]);
    assert!(
        err.contains("notes.jpg") && err.contains("PNG or JPEG"),
        "{err}"
    );
    let tiny = tmp.path().join("tiny.png");
    RgbImage::new(8, 8).save(&tiny).unwrap();
    let err = run(&no_bank, &["--style", s(&tiny)]);
    assert!(err.contains("tiny.png: is 8×8"), "{err}");
    let err = run(&no_bank, &["--colour", "roof=#123456"]);
    assert!(err.contains("--colour") && err.contains("roof"), "{err}");
}

#[test]
fn projects_keep_their_style_and_version_1_files_still_open() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("p.ron");
    let map = two_class_map();
    let style = common::style_bank().styles[1].clone();
    Project::from_map(&map, "cmp_facades", 3, "m")
        .with_style(&style)
        .save(&path)
        .unwrap();
    let back = Project::load(&path).unwrap();
    assert_eq!(back.style, style);
    assert!(back.to_map(12, &path).unwrap() == map);
    // A version 1 file, as the first release wrote it: no style field.
    let v1 = r#"(version: 1, width: 3, height: 1, palette: "cmp_facades", runs: [(1, 2), (2, 1)], seed: 4, model: "m")"#;
    std::fs::write(&path, v1).unwrap();
    let old = Project::load(&path).unwrap();
    assert_eq!((old.version, old.seed), (1, 4));
    assert_eq!(old.style, Style::none());
    assert_eq!(old.to_map(12, &path).unwrap().ids, vec![1, 1, 2]);
    // A newer version than this build is refused with a message.
    std::fs::write(&path, v1.replace("version: 1", "version: 3")).unwrap();
    let err = Project::load(&path)
        .unwrap()
        .to_map(12, &path)
        .unwrap_err()
        .to_string();
    assert!(err.contains("p.ron") && err.contains("version 3"), "{err}");
}

#[test]
fn eval_renders_each_layout_in_its_own_its_photo_alone_another_or_a_drawn_style_and_draws_the_style_grid()
 {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    common::make_dataset(&data, 4, 32);
    let model = tmp.path().join("styled.fsw");
    common::save_styled_model(&model, 32);
    let mut l1 = Vec::new();
    for mode in ["none", "own", "other", "prior", "photo"] {
        let out = tmp.path().join(format!("report-{mode}"));
        let o = common::facade_cli(&[
            "eval",
            "--model",
            s(&model),
            "--data",
            s(&data),
            "--out",
            s(&out),
            "--backend",
            "cpu",
            "--style",
            mode,
            "--json",
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(report["style"], mode);
        l1.push(report["l1"].as_f64().unwrap());
        let grid = image::open(out.join("grid-styles.png")).unwrap();
        // layout | photo | none | prior | own | other
        assert_eq!((grid.width(), grid.height()), (6 * 32, 4 * 32));
    }
    assert!(
        l1[0] != l1[1] && l1[1] != l1[2] && l1[3] != l1[0] && l1[4] != l1[0],
        "styles change the renders: {l1:?}"
    );
    // The photo alone needs the segmenter to read its labels; without one, eval says so.
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_facade-studio"))
        .args(["eval", "--model", s(&model), "--data", s(&data)])
        .args(["--out", s(&tmp.path().join("r")), "--backend", "cpu"])
        .args(["--style", "photo"])
        .env("FACADE_SEGMENTER", tmp.path().join("gone.fsw"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("--style photo") && err.contains("--segmenter"),
        "{err}"
    );
}

#[test]
fn a_picked_colour_keeps_the_generators_light_and_shade() {
    // The generator shaded the wall darker towards the ground; the user picked one colour.
    let map = LabelMap::filled(64, 64, 1);
    let mut render = RgbImage::from_fn(64, 64, |_, y| Rgb([60 + y as u8, 70 + y as u8, 80]));
    let mut style = Style::none();
    style.set(1, Some([150, 120, 90]));
    style::match_means(&mut render, &map, &style);
    // One shift for the class: the shading is kept, the mean is the picked colour.
    assert_eq!(
        render.get_pixel(9, 60).0[0] - render.get_pixel(9, 4).0[0],
        56
    );
    let mean = |c: usize| render.pixels().map(|p| p.0[c] as f64).sum::<f64>() / 4096.0;
    assert!(
        (mean(0) - 150.0).abs() < 1.0
            && (mean(1) - 120.0).abs() < 1.0
            && (mean(2) - 90.0).abs() < 1.0,
        "{} {} {}",
        mean(0),
        mean(1),
        mean(2)
    );
}

#[test]
fn a_photo_style_keeps_its_light_and_shade_per_grid_cell_until_a_colour_is_picked() {
    // One class over the whole picture: bright in the top half, dark in the bottom half.
    let map = LabelMap::filled(64, 64, 1);
    let photo = RgbImage::from_fn(64, 64, |_, y| match y < 32 {
        true => Rgb([200, 200, 200]),
        false => Rgb([40, 40, 40]),
    });
    let mut style = Style::of_photo(&photo, &map);
    assert_eq!(
        style.get(1),
        Some([120, 120, 120]),
        "the whole picture's mean"
    );
    assert_eq!(style.colour_at(1, (5, 5), (64, 64)), Some([200; 3]));
    assert_eq!(style.colour_at(1, (60, 60), (64, 64)), Some([40; 3]));
    // Between the halves the colour changes smoothly, with no step at the cell border.
    let column: Vec<u8> = (0..64)
        .map(|y| style.colour_at(1, (5, y), (64, 64)).unwrap()[0])
        .collect();
    assert!(
        column.windows(2).all(|p| p[1] <= p[0] && p[0] - p[1] <= 40),
        "{column:?}"
    );
    let mid = column[32];
    assert!(mid > 40 && mid < 200, "{column:?}");
    // On a canvas of another size the cells scale with it.
    assert_eq!(style.colour_at(1, (500, 900), (512, 1024)), Some([40; 3]));
    assert_eq!(
        style.uniform().colour_at(1, (60, 60), (64, 64)),
        Some([120; 3])
    );
    // Picking a colour makes the class one colour everywhere.
    style.set(1, Some([10, 20, 30]));
    assert_eq!(style.colour_at(1, (5, 5), (64, 64)), Some([10, 20, 30]));
    assert_eq!(style.colour_at(1, (60, 60), (64, 64)), Some([10, 20, 30]));
}

#[test]
fn exact_colours_shift_each_styled_class_to_its_style_mean_and_leave_free_ones_alone() {
    let map = two_class_map();
    // A render whose facade came out grey and whose windows are textured.
    let mut render = RgbImage::from_fn(64, 32, |x, y| match map.get(x, y) {
        2 => Rgb([90 + ((x * 3 + y) % 20) as u8, 90, 90]),
        _ => Rgb([128, 128, 128]),
    });
    let windows_before: Vec<Rgb<u8>> = (40..64).map(|x| *render.get_pixel(x, 10)).collect();
    let mut style = Style::none();
    style.set(1, Some([180, 60, 40]));
    facade_studio::style::match_means(&mut render, &map, &style);
    // Far from the border the facade is exactly the style's colour.
    assert_eq!(render.get_pixel(12, 16).0, [180, 60, 40]);
    let mean = |x0: u32, x1: u32| {
        let px: Vec<[u8; 3]> = (x0..x1)
            .flat_map(|x| (0..32).map(move |y| (x, y)))
            .filter(|&(x, y)| map.get(x, y) == 1)
            .map(|(x, y)| render.get_pixel(x, y).0)
            .collect();
        (0..3)
            .map(|c| px.iter().map(|p| p[c] as f64).sum::<f64>() / px.len() as f64)
            .collect::<Vec<_>>()
    };
    let m = mean(0, 32);
    assert!(
        (m[0] - 180.0).abs() < 2.0 && (m[1] - 60.0).abs() < 2.0,
        "{m:?}"
    );
    // The free windows keep their texture away from the border.
    let windows_after: Vec<Rgb<u8>> = (40..64).map(|x| *render.get_pixel(x, 10)).collect();
    assert_eq!(windows_before, windows_after);
}

#[test]
fn style_changes_undo_like_strokes_and_a_picker_drag_is_one_step() {
    let mut doc = facade_studio::document::Document::new(two_class_map());
    let mut red = Style::none();
    red.set(1, Some([200, 0, 0]));
    doc.set_style(red.clone(), None);
    // Dragging the facade picker: three changes with the same key.
    for r in [180, 160, 140] {
        let mut s = doc.style.clone();
        s.set(1, Some([r, 0, 0]));
        doc.set_style(s, Some(1));
    }
    assert_eq!(doc.style.get(1), Some([140, 0, 0]));
    assert!(doc.undo());
    assert_eq!(doc.style, red, "the whole drag is one step");
    assert!(doc.undo());
    assert!(doc.style.is_empty());
    assert!(doc.redo() && doc.redo());
    assert_eq!(doc.style.get(1), Some([140, 0, 0]));
    // Setting the same style again is no step at all.
    let revision = doc.revision;
    doc.set_style(doc.style.clone(), None);
    assert_eq!(doc.revision, revision);
}

#[test]
fn the_style_free_share_of_training_steps_is_the_configured_one() {
    use rand::SeedableRng;
    let mut style = Style::none();
    for class in 0..4u8 {
        style.set(class, Some([40 * class, 90, 200]));
    }
    let mut rng = rand::rngs::StdRng::seed_from_u64(9);
    let nones = |share: f64, rng: &mut rand::rngs::StdRng| {
        (0..4000)
            .filter(|_| style.dropped(share, rng).is_empty())
            .count()
    };
    assert_eq!(nones(1.0, &mut rng), 4000);
    // Style-free: the `share`, plus the parts (8 in 15 of the rest) that drop all four classes
    // (1 in 16).
    for share in [0.0, 0.25, 0.5] {
        let got = nones(share, &mut rng) as f64;
        let expected = 4000.0 * (share + (1.0 - share) * 8.0 / 15.0 / 16.0);
        assert!(
            (got - expected).abs() < 4.0 * expected.max(100.0).sqrt(),
            "share {share}: {got} style-free of 4000, expected ≈ {expected}"
        );
    }
}
