//! The command line, run as a user runs it: train, render (file and folder), eval, bench, and
//! errors that name the file.

mod common;

use common::s;

use std::path::Path;
use std::process::{Command, Output};

fn facade(args: &[&str]) -> Output {
    common::facade_cli(args)
}

fn ok(out: &Output) -> String {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "command failed:\n{text}");
    text
}

#[test]
fn train_render_and_eval_from_the_command_line() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    common::make_dataset(&data, 4, 32);
    std::fs::write(data.join("5.jpg"), b"\xFF\xD8 not really a JPEG").unwrap();
    let run = tmp.path().join("run");
    let text = ok(&facade(&[
        "train",
        "--data",
        s(&data),
        "--out",
        s(&run),
        "--ngf",
        "8",
        "--size",
        "32",
        "--epochs",
        "2",
        "--backend",
        "cpu",
        "--checkpoint-every",
        "5",
        "--sample-every",
        "4",
    ]));
    assert!(text.contains("finished at step 8"), "{text}");
    // Warnings and epoch lines reach a log too (stderr is not a terminal here).
    assert!(
        text.contains("warning: skipped:") && text.contains("5.jpg"),
        "{text}"
    );
    assert!(text.contains("epoch 1: mean G_L1"), "{text}");
    // Resuming without --epochs keeps the run's plan (2 epochs: nothing left to train).
    let text = ok(&facade(&[
        "train",
        "--data",
        s(&data),
        "--out",
        s(&run),
        "--resume",
        "--backend",
        "cpu",
    ]));
    assert!(text.contains("steps 8..8"), "{text}");
    // It says where the run stands before it goes on (the Train tab reads the same).
    assert!(
        text.contains("8 steps logged (last: step 7, epoch 1), 2 samples, newest checkpoint")
            && text.contains("checkpoint-00000008"),
        "{text}"
    );
    // --epochs is the total: asking for 3 with --resume trains one more epoch.
    let text = ok(&facade(&[
        "train",
        "--data",
        s(&data),
        "--out",
        s(&run),
        "--epochs",
        "3",
        "--resume",
        "--backend",
        "cpu",
    ]));
    assert!(
        text.contains("steps 8..12") && text.contains("finished at step 12"),
        "{text}"
    );
    assert!(
        !text.contains("model options given now are ignored"),
        "resuming without model options keeps the run's model quietly: {text}"
    );

    // Render one file: a 40×24 label image is rounded to the model's 32-px unit.
    let labels = tmp.path().join("labels.png");
    facade_studio::bench::synthetic_layout(40, 3)
        .resized(40, 24)
        .to_rgb(&facade_studio::palette::Palette::cmp_facades())
        .save(&labels)
        .unwrap();
    let photo = tmp.path().join("photo.png");
    ok(&facade(&[
        "render",
        "--model",
        s(&run),
        "--input",
        s(&labels),
        "--output",
        s(&photo),
        "--backend",
        "cpu",
    ]));
    let img = image::open(&photo).unwrap();
    assert_eq!((img.width(), img.height()), (32, 32));

    // Render a folder: every image, same stems.
    let inputs = tmp.path().join("inputs");
    std::fs::create_dir_all(&inputs).unwrap();
    std::fs::copy(&labels, inputs.join("a.png")).unwrap();
    std::fs::copy(&labels, inputs.join("b.png")).unwrap();
    let outputs = tmp.path().join("outputs");
    ok(&facade(&[
        "render",
        "--model",
        s(&run.join("model.fsw")),
        "--input",
        s(&inputs),
        "--output",
        s(&outputs),
        "--backend",
        "cpu",
    ]));
    assert!(outputs.join("a.png").is_file() && outputs.join("b.png").is_file());

    // Eval prints JSON and writes the report.
    let report = tmp.path().join("report");
    let text = ok(&facade(&[
        "eval",
        "--model",
        s(&run),
        "--data",
        s(&data),
        "--out",
        s(&report),
        "--json",
        "--backend",
        "cpu",
    ]));
    let json: serde_json::Value =
        serde_json::from_str(text.lines().find(|l| l.starts_with('{')).unwrap()).unwrap();
    assert_eq!(json["pairs"], 4);
    assert!(json["psnr"].as_f64().unwrap() > 5.0);
    assert!(json["ssim"].as_f64().is_some() && json["l1"].as_f64().unwrap() < 1.0);
    assert!(report.join("grid.png").is_file() && report.join("metrics.json").is_file());
    let grid = image::open(report.join("grid.png")).unwrap();
    assert_eq!((grid.width(), grid.height()), (96, 128));
}

#[test]
fn render_errors_name_the_file_and_exit_nonzero() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("broken.png");
    std::fs::write(&bad, b"\x89PNG\r\n\x1a\n truncated").unwrap();
    let out = facade(&[
        "render",
        "--model",
        s(&tmp.path().join("nope.fsw")),
        "--input",
        s(&bad),
        "--output",
        "x.png",
        "--backend",
        "cpu",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("nope.fsw"), "{err}");

    let data = tmp.path().join("data");
    common::make_dataset(&data, 2, 32);
    let run = tmp.path().join("run");
    ok(&facade(&[
        "train",
        "--data",
        s(&data),
        "--out",
        s(&run),
        "--ngf",
        "4",
        "--size",
        "32",
        "--max-steps",
        "1",
        "--backend",
        "cpu",
    ]));
    let out = facade(&[
        "render",
        "--model",
        s(&run),
        "--input",
        s(&bad),
        "--output",
        s(&tmp.path().join("o.png")),
        "--backend",
        "cpu",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("broken.png"), "{err}");

    let out = facade(&[
        "train",
        "--data",
        s(&tmp.path().join("missing")),
        "--out",
        s(&tmp.path().join("run2")),
        "--backend",
        "cpu",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing"));
}

/// The JSON row of `bench` on a tiny model on the CPU, with `extra` options.
fn bench_row(extra: &[&str]) -> serde_json::Value {
    let mut args = vec![
        "bench",
        "--ngf",
        "4",
        "--size",
        "32",
        "--renders",
        "3",
        "--steps",
        "2",
        "--backend",
        "cpu",
        "--json",
    ];
    args.extend_from_slice(extra);
    let text = ok(&facade(&args));
    serde_json::from_str(text.lines().find(|l| l.starts_with('{')).unwrap()).unwrap()
}

#[test]
fn bench_prints_json_rows() {
    let row = bench_row(&[]);
    for key in [
        "ngf",
        "size",
        "backend",
        "render_ms_p50",
        "render_ms_p95",
        "train_step_ms_p50",
        "batch",
        "train_images_per_s",
        "recipe",
        "threads",
        "peak_rss_mb",
    ] {
        assert!(row.get(key).is_some(), "missing {key}: {row}");
    }
    assert_eq!(row["ngf"], 4);
    assert_eq!(row["backend"], "cpu");
    assert!(row["train_step_ms_p50"].as_f64().unwrap() > 0.0);
    // images/s is the batch over the step time.
    let ips = row["train_images_per_s"].as_f64().unwrap();
    let step = row["train_step_ms_p50"].as_f64().unwrap();
    assert!((ips - 1000.0 / step).abs() < 1e-6 * ips, "{row}");
    assert_eq!(row["recipe"], "default");

    // The OASIS discriminator is timed on request, and the row says so; the OASIS recipe
    // brings its own, and PatchGANs can still be asked for.
    for (extra, recipe) in [
        (
            &["--discriminator", "oasis", "--ndf", "4"][..],
            "default + oasis D (ndf 4)",
        ),
        (&["--recipe", "oasis"][..], "oasis"),
        (
            &["--recipe", "oasis", "--discriminator", "patch"][..],
            "oasis + PatchGAN D",
        ),
    ] {
        let row = bench_row(extra);
        assert_eq!(row["recipe"], recipe);
        assert!(row["train_step_ms_p50"].as_f64().unwrap() > 0.0, "{row}");
    }
}

#[test]
fn render_writes_seeded_variations_for_a_folder() {
    let tmp = tempfile::tempdir().unwrap();
    // A tiny model at 64 px has one dropout block, so seeds give different facades.
    let model = tmp.path().join("m.fsw");
    common::save_untrained_model(&model, "tiny", &common::tiny_model(64), 1);
    let inputs = tmp.path().join("in");
    std::fs::create_dir_all(&inputs).unwrap();
    for name in ["a", "b"] {
        common::save_layout(&inputs.join(format!("{name}.png")), 64, 1);
    }
    let out = tmp.path().join("out");
    ok(&facade(&[
        "render",
        "--model",
        s(&model),
        "--input",
        s(&inputs),
        "--output",
        s(&out),
        "--variations",
        "3",
        "--backend",
        "cpu",
    ]));
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "a-v1.png", "a-v2.png", "a-v3.png", "b-v1.png", "b-v2.png", "b-v3.png"
        ]
    );
    let v1 = image::open(out.join("a-v1.png")).unwrap().to_rgb8();
    let v2 = image::open(out.join("a-v2.png")).unwrap().to_rgb8();
    assert_ne!(v1, v2, "each variation is another facade");
    assert_eq!(
        v1,
        image::open(out.join("b-v1.png")).unwrap().to_rgb8(),
        "same layout, same seed, same render"
    );
}

#[test]
fn render_detail_is_the_sharpening_step_after_the_model_and_is_checked() {
    let tmp = tempfile::tempdir().unwrap();
    let model = tmp.path().join("m.fsw");
    common::save_untrained_model(&model, "tiny", &common::tiny_model(64), 1);
    let input = tmp.path().join("layout.png");
    common::save_layout(&input, 64, 1);
    let render = |detail: Option<&str>| {
        let out = tmp
            .path()
            .join(format!("out-{}.png", detail.unwrap_or("default")));
        let mut args = vec!["render", "--model", s(&model), "--input", s(&input)];
        args.extend(["--output", s(&out), "--backend", "cpu"]);
        if let Some(d) = detail {
            args.extend(["--detail", d]);
        }
        ok(&facade(&args));
        image::open(&out).unwrap().to_rgb8()
    };
    let raw = render(Some("0"));
    let sharp = render(Some("1"));
    assert_ne!(raw, sharp);
    assert_eq!(
        sharp,
        facade_studio::render::detail::sharpen(raw.clone(), 1.0)
    );
    let default = facade_studio::render::detail::DEFAULT_AMOUNT;
    assert_eq!(
        render(None),
        facade_studio::render::detail::sharpen(raw.clone(), default)
    );
    let out = facade(&[
        "render",
        "--model",
        s(&model),
        "--input",
        s(&input),
        "--detail",
        "3",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("from 0 (off) to 2"),
        "{err}"
    );
}

/// Trains a tiny run with `extra` options and returns its `config.json`.
fn train_config(tmp: &Path, name: &str, extra: &[&str]) -> serde_json::Value {
    let data = tmp.join("data");
    if !data.is_dir() {
        common::make_dataset(&data, 2, 64);
    }
    let run = tmp.join(name);
    let mut args = vec![
        "train",
        "--data",
        s(&data),
        "--out",
        s(&run),
        "--ngf",
        "4",
        "--size",
        "64",
        "--max-steps",
        "1",
        "--backend",
        "cpu",
    ];
    args.extend_from_slice(extra);
    ok(&facade(&args));
    serde_json::from_slice(&std::fs::read(run.join("config.json")).unwrap()).unwrap()
}

#[test]
fn presets_give_the_paper_recipe_or_the_default_one() {
    let tmp = tempfile::tempdir().unwrap();
    let paper = train_config(tmp.path(), "paper", &["--preset", "paper"]);
    assert_eq!(paper["model"]["upsample"], "Transposed");
    assert_eq!(paper["model"]["num_d"], 1);
    assert_eq!(paper["model"]["norm"], "Batch");
    assert_eq!(paper["lambda_feat"], 0.0);
    assert_eq!(paper["ema_decay"], 0.0);
    assert_eq!(paper["l1_weight"], 100.0);
    let default = train_config(tmp.path(), "default", &[]);
    assert_eq!(default["model"]["upsample"], "NearestConv");
    assert_eq!(default["model"]["num_d"], 2);
    assert_eq!(default["model"]["norm"], "Instance");
    assert_eq!(default["lambda_feat"], 10.0);
    assert_eq!(default["ema_decay"], 0.999);
    // An option given on top of a preset wins.
    let mixed = train_config(
        tmp.path(),
        "mixed",
        &["--preset", "paper", "--num-d", "2", "--ema-decay", "0.99"],
    );
    assert_eq!(mixed["model"]["num_d"], 2);
    assert_eq!(mixed["model"]["upsample"], "Transposed");
    assert_eq!(mixed["ema_decay"], 0.99);
    // The OASIS preset: its discriminator over the task's classes, at the segmenter's width.
    let oasis = train_config(tmp.path(), "oasis", &["--preset", "oasis"]);
    assert_eq!(oasis["model"]["d_classes"], 12);
    assert_eq!(oasis["model"]["ndf"], 16);
    assert_eq!(oasis["l1_weight"], 10.0);
    assert_eq!(oasis["diff_augment_colour"], false);
    assert_eq!(oasis["oasis_from_segmenter"], true);
    let fresh = train_config(
        tmp.path(),
        "oasis-fresh",
        &["--preset", "oasis", "--oasis-from-segmenter", "off"],
    );
    assert_eq!(fresh["oasis_from_segmenter"], false);
    let patch = train_config(
        tmp.path(),
        "oasis-patch",
        &["--preset", "oasis", "--discriminator", "patch"],
    );
    assert_eq!(patch["model"]["d_classes"], 0);
    let plain = train_config(tmp.path(), "plain-oasis", &["--discriminator", "oasis"]);
    assert_eq!(plain["model"]["d_classes"], 12);
    assert_eq!(
        plain["lambda_feat"], 10.0,
        "the default recipe's, unused by OASIS"
    );
}

#[test]
fn a_transposed_model_fine_tunes_into_nearest_conv_but_not_back() {
    let tmp = tempfile::tempdir().unwrap();
    let old = tmp.path().join("old.fsw");
    common::save_untrained_model(
        &old,
        "old",
        &facade_studio::model::ModelConfig::paper(4).with_size(64),
        2,
    );
    let tuned = train_config(tmp.path(), "tuned", &["--init-from", s(&old)]);
    assert_eq!(tuned["model"]["upsample"], "NearestConv");
    assert_eq!(
        tuned["model"]["norm"], "Batch",
        "the loaded model's shape is kept"
    );
    let newer = tmp.path().join("tuned").join("model.fsw");
    let out = facade(&[
        "train",
        "--data",
        s(&tmp.path().join("data")),
        "--out",
        s(&tmp.path().join("back")),
        "--init-from",
        s(&newer),
        "--upsample",
        "transposed",
        "--max-steps",
        "1",
        "--backend",
        "cpu",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("model.fsw") && err.contains("cannot be turned back"),
        "{err}"
    );
}

#[test]
fn segmenter_trains_and_eval_reports_realism_and_label_consistency() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    common::make_dataset(&data, 4, 256);
    // A broken training pair is skipped with a warning naming it (as `train` does).
    std::fs::write(data.join("0.jpg"), b"not a JPEG").unwrap();
    let seg = tmp.path().join("seg.fsw");
    let text = ok(&facade(&[
        "segmenter",
        "train",
        "--data",
        s(&data),
        "--out",
        s(&seg),
        "--holdout",
        "1",
        "--epochs",
        "2",
        "--ngf",
        "2",
        "--backend",
        "cpu",
    ]));
    assert!(
        text.contains("epoch 2/2") && text.contains("held out: pixel acc"),
        "{text}"
    );
    assert!(
        text.contains("warning: skipped:") && text.contains("0.jpg"),
        "{text}"
    );
    assert!(std::fs::metadata(&seg).unwrap().len() > 1000);

    // The segmenter is not a model that renders.
    let out = facade(&[
        "render",
        "--model",
        s(&seg),
        "--input",
        "x.png",
        "--output",
        "y.png",
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("segmenter"));

    let model = tmp.path().join("m.fsw");
    common::save_untrained_model(&model, "tiny", &common::tiny_model(256).with_ngf(2), 1);
    let report = tmp.path().join("report");
    let args = |json: bool| {
        let mut a = vec![
            "eval",
            "--model",
            s(&model),
            "--data",
            s(&data),
            "--out",
            s(&report),
            "--segmenter",
            s(&seg),
            "--backend",
            "cpu",
        ];
        if json {
            a.push("--json");
        }
        a
    };
    let text = ok(&facade(&args(false)));
    assert!(text.contains("realism (renders / real photos"), "{text}");
    assert!(
        text.contains("standard errors (jackknife over the pairs): sharpness"),
        "{text}"
    );
    assert!(
        text.contains("label consistency (segmenter on renders | on real photos)"),
        "{text}"
    );
    assert!(text.contains("IoU per class: background"), "{text}");
    assert!(
        text.contains("distribution (KID on the segmenter's features"),
        "{text}"
    );
    let text = ok(&facade(&args(true)));
    let json: serde_json::Value =
        serde_json::from_str(text.lines().find(|l| l.starts_with('{')).unwrap()).unwrap();
    for key in [
        "sharpness",
        "hf_power",
        "grid",
        "colour_spread",
        "saturation",
    ] {
        let v = json["realism"][key].as_f64().unwrap();
        assert!(v.is_finite() && v >= 0.0, "{key}: {v}");
        let se = json["realism_se"][key].as_f64().unwrap();
        assert!(se.is_finite() && se >= 0.0, "{key} ± {se}");
    }
    // The renders of an untrained model differ from pair to pair: the sharpness ratio does too.
    assert!(json["realism_se"]["sharpness"].as_f64().unwrap() > 0.0);
    // Against its own report the same model differs by nothing; a folder without per-pair
    // figures is named with what to do.
    let again = tmp.path().join("again");
    let mut with = args(false);
    with.extend(["--judge", "grey", "--judge-steps", "20"]);
    with.extend(["--renders", "--against", s(&report)]);
    let i = with.iter().position(|a| *a == s(&report)).unwrap();
    with[i] = s(&again);
    let text = ok(&facade(&with));
    // The judges' verdict, and the other report has none to compare with.
    assert!(
        text.contains("learned judge (luminance, 4 judges × 20 steps")
            && text.contains("patch accuracy"),
        "{text}"
    );
    assert!(
        text.contains("learned judge (luminance): that report has no verdict of the same settings"),
        "{text}"
    );
    assert!(
        text.contains("L1 +0.000 ± 0.000  sharpness +0.000 ± 0.000  HF power +0.000 ± 0.000"),
        "{text}"
    );
    assert!(
        text.contains("mIoU +0.000 ± 0.000  KID +0.000 ± 0.000"),
        "{text}"
    );
    // --renders: every evaluated pair's render, named like the pair, at the model's size.
    let pairs = json["pairs"].as_u64().unwrap() as usize;
    let mut names: Vec<String> = std::fs::read_dir(again.join("renders"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), pairs, "{names:?}");
    assert!(
        names.iter().all(|n| n.ends_with(".png") && n != "0.png"),
        "{names:?}"
    );
    let first = image::open(again.join("renders").join(&names[0])).unwrap();
    assert_eq!((first.width(), first.height()), (256, 256));
    // With --judge: the photo and the render side by side, as the judge saw them.
    let judged = image::open(again.join("judged-luminance").join(&names[0])).unwrap();
    assert_eq!((judged.width(), judged.height()), (512, 256));
    assert_eq!(
        std::fs::read_dir(again.join("judged-luminance"))
            .unwrap()
            .count(),
        pairs
    );
    let bare = tmp.path().join("bare");
    std::fs::create_dir_all(&bare).unwrap();
    with.pop();
    with.push(s(&bare));
    let out = facade(&with);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("bare/pairs.json") && err.contains("eval --out"),
        "{err}"
    );
    let c = &json["consistency"];
    for side in ["renders", "real"] {
        let miou = c[side]["mean_iou"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&miou), "{side}: {miou}");
        assert_eq!(c[side]["class_iou"].as_array().unwrap().len(), 12);
    }
    // An untrained model's renders are further from the photos than the photos from each other.
    let kid = |key: &str| json["kid"][key].as_f64().unwrap();
    assert!(kid("blurred").is_finite(), "{}", json["kid"]);
    assert!(kid("renders") > kid("real_halves"), "{}", json["kid"]);
}

#[cfg(feature = "studio")]
#[test]
fn without_a_display_the_app_says_what_runs_headless() {
    let tmp = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_facade-studio"))
        .args(["--backend", "cpu"])
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env("FACADE_STATE_DIR", tmp.path())
        .env("XDG_RUNTIME_DIR", tmp.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("the window could not open"), "{err}");
    assert!(
        err.contains("facade-studio --help") && err.contains("xvfb-run -a facade-studio"),
        "{err}"
    );
}

#[test]
fn a_run_without_the_segmenter_says_so_and_trains_on() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    common::make_dataset(&data, 3, 32);
    let missing = tmp.path().join("gone/segmenter.fsw");
    let run = tmp.path().join("run");
    let out = Command::new(env!("CARGO_BIN_EXE_facade-studio"))
        .args([
            "train",
            "--data",
            s(&data),
            "--out",
            s(&run),
            "--ngf",
            "4",
            "--size",
            "32",
            "--holdout",
            "1",
            "--max-steps",
            "2",
            "--checkpoint-every",
            "2",
            "--backend",
            "cpu",
        ])
        .env("NO_COLOR", "1")
        .env("FACADE_SEGMENTER", &missing)
        .output()
        .unwrap();
    let text = ok(&out);
    assert!(
        text.contains("no label consistency or KID at checkpoints")
            && text.contains(&missing.display().to_string())
            && text.contains("FACADE_SEGMENTER"),
        "{text}"
    );
    // The other held-out figures are still measured.
    assert!(text.contains("step 2: held-out L1"), "{text}");
    assert!(!text.contains("mIoU"), "{text}");
}

/// `export --mix-with`: the weights blended between two models of one architecture — at 0 the
/// first model's renders to the pixel, at 1 the second's, between them neither; models of two
/// widths are refused naming the file.
#[test]
fn export_blends_two_models_of_one_architecture() {
    let tmp = tempfile::tempdir().unwrap();
    let path = |name: &str| tmp.path().join(name);
    let config = common::tiny_model(32);
    common::save_untrained_model(&path("a.fsw"), "a", &config, 1);
    common::save_untrained_model(&path("b.fsw"), "b", &config, 2);
    common::save_untrained_model(&path("wide.fsw"), "wide", &config.clone().with_ngf(16), 3);
    common::save_layout(&path("labels.png"), 32, 3);
    let render = |model: &Path| {
        let out = model.with_extension("png");
        ok(&facade(&[
            "render",
            "--model",
            s(model),
            "--input",
            s(&path("labels.png")),
            "--output",
            s(&out),
            "--backend",
            "cpu",
        ]));
        image::open(&out).unwrap().to_rgb8()
    };
    let blend = |w: &str, other: &str| {
        let out = path(&format!("mix-{w}-{other}"));
        let (a, other) = (path("a.fsw"), path(other));
        let args = [
            "export",
            "--model",
            s(&a),
            "--mix-with",
            s(&other),
            "--mix",
            w,
            "--output",
            s(&out),
        ];
        (facade(&args), out)
    };
    let (a, b) = (render(&path("a.fsw")), render(&path("b.fsw")));
    assert_ne!(
        a, b,
        "two seeds must render differently for the test to mean anything"
    );
    let at = |w: &str| {
        let (out, file) = blend(w, "b.fsw");
        ok(&out);
        render(&file.with_extension("fsw"))
    };
    assert_eq!(at("0"), a);
    assert_eq!(at("1"), b);
    let half = at("0.5");
    assert!(half != a && half != b);
    // The blend is named for both (what the status bar shows).
    let meta = facade_studio::checkpoint::load_generator(
        &path("mix-0.5-b.fsw"),
        &facade_studio::backend::cpu_device().device,
    )
    .unwrap()
    .meta;
    assert_eq!(meta.name, "a blended 50 % towards b");
    let (out, _) = blend("0.5", "wide.fsw");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("wide.fsw") && err.contains("one architecture"),
        "{err}"
    );
}
