//! The fuzzers' inputs, replayed through the entry points they fuzz (`facade_studio::untrusted`):
//! the seeds in `fuzz/seeds/<target>/` are valid files and must load; every input a fuzzer found
//! a problem with is kept in `tests/fuzz_inputs/<target>/` and must now give an error (or load),
//! never a panic. `fuzz/run.sh` explains how to add one.

mod common;

use std::path::{Path, PathBuf};

use facade_studio::untrusted;

type Entry = fn(&[u8]) -> Result<(), String>;

fn targets() -> Vec<(&'static str, Entry)> {
    vec![
        ("label_image", |b| {
            untrusted::label_image(b)
                .map(drop)
                .map_err(|e| e.to_string())
        }),
        ("project", |b| {
            untrusted::project(b).map(drop).map_err(|e| e.to_string())
        }),
        ("palette", |b| {
            untrusted::palette(b).map(drop).map_err(|e| e.to_string())
        }),
        ("weights", |b| {
            untrusted::weights_resealed(b).map_err(|e| e.to_string())?;
            untrusted::weights(b).map_err(|e| e.to_string())
        }),
    ]
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.file_name().is_some_and(|n| n != ".gitkeep"))
        .collect();
    found.sort();
    found
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn every_fuzz_seed_is_a_valid_file() {
    for (target, entry) in targets() {
        let seeds = files(&root().join("fuzz/seeds").join(target));
        assert!(!seeds.is_empty(), "fuzz/seeds/{target} has no seeds");
        for seed in seeds {
            let bytes = std::fs::read(&seed).unwrap();
            if let Err(e) = entry(&bytes) {
                panic!("{}: {e}", seed.display());
            }
        }
    }
}

#[test]
fn inputs_the_fuzzers_found_give_errors_not_panics() {
    let mut replayed = 0;
    for (target, entry) in targets() {
        for input in files(&root().join("tests/fuzz_inputs").join(target)) {
            let bytes = std::fs::read(&input).unwrap();
            let outcome = std::panic::catch_unwind(|| entry(&bytes));
            match outcome {
                Ok(Ok(())) => eprintln!("{}: loads", input.display()),
                Ok(Err(e)) => {
                    assert!(!e.is_empty(), "{}: an empty error message", input.display());
                    eprintln!("{}: {e}", input.display());
                }
                Err(_) => panic!("{} panics in {target}", input.display()),
            }
            replayed += 1;
        }
    }
    eprintln!("{replayed} fuzzer findings replayed");
}

/// A weights file that describes a huge model (ngf 512 at 1024 px: 14 GB of weights) but holds a
/// few bytes is refused before anything is allocated.
#[test]
fn a_weights_file_that_promises_a_huge_model_is_refused_before_allocating() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("tiny.fsw");
    let config = common::tiny_model(16).with_ngf(1).with_ndf(1);
    common::save_untrained_model(&path, "tiny", &config, 1);
    let bytes = std::fs::read(&path).unwrap();
    let container = facade_studio::checkpoint::Container::from_bytes(&bytes, &path).unwrap();
    let mut swollen = facade_studio::checkpoint::Container::default();
    for (name, data) in &container.sections {
        let data = if name == "meta" {
            String::from_utf8(data.clone())
                .unwrap()
                .replace("\"ngf\": 1,", "\"ngf\": 512,")
                .replace("\"size\": 16,", "\"size\": 1024,")
                .into_bytes()
        } else {
            data.clone()
        };
        swollen.push(name, data);
    }
    let swollen = swollen.to_bytes();
    assert_ne!(swollen.len(), bytes.len(), "the description was changed");
    let e = untrusted::weights(&swollen).unwrap_err().to_string();
    assert!(e.contains("needs at least"), "{e}");
}

fn rss_mb() -> f64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: f64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0.0);
    pages * 4096.0 / 1048576.0
}

/// The fuzzer's first finding (`tests/fuzz_inputs/weights/oom-…`): memory grew with every weights
/// file loaded, ~44 KB per tiny checkpoint, until libFuzzer's 4 GB limit. Checkpoints were loaded
/// onto the autodiff device, and Burn never frees tracked tensors that take no part in a backward
/// pass (tracel-ai/burn#4970). They now load without autodiff and are switched to training
/// (`Module::train`) only when training starts.
#[test]
fn loading_weights_again_and_again_does_not_grow_memory() {
    if !Path::new("/proc/self/statm").exists() {
        eprintln!("SKIPPED: no /proc/self/statm to read memory use from");
        return;
    }
    let seeds = root().join("fuzz/seeds/weights");
    let model = std::fs::read(seeds.join("model-ngf1.fsw")).unwrap();
    let checkpoint = std::fs::read(seeds.join("checkpoint-ngf1.fsw")).unwrap();
    let load = || {
        untrusted::weights(&model).unwrap();
        untrusted::weights(&checkpoint).unwrap();
    };
    for _ in 0..200 {
        load();
    }
    let before = rss_mb();
    for _ in 0..2000 {
        load();
    }
    let grown = rss_mb() - before;
    // Before the fix this grew by ~200 MB.
    assert!(grown < 40.0, "memory grew by {grown:.1} MB over 2000 loads");
}

/// Writes the seed files in `fuzz/seeds/` (run by hand when a format changes:
/// `cargo test --release --test fuzz_regressions -- --ignored`).
#[test]
#[ignore]
fn write_fuzz_seeds() {
    use facade_studio::document::project::Project;
    use facade_studio::palette::Palette;
    let seeds = root().join("fuzz/seeds");
    let palette = Palette::cmp_facades();
    let dir = |name: &str| {
        let d = seeds.join(name);
        std::fs::create_dir_all(&d).unwrap();
        d
    };

    let labels = dir("label_image");
    let map = facade_studio::bench::synthetic_layout(32, 3);
    let rgb = map.to_rgb(&palette);
    rgb.save(labels.join("layout-32.png")).unwrap();
    let mut jpeg = Vec::new();
    rgb.write_with_encoder(image::codecs::jpeg::JpegEncoder::new_with_quality(
        &mut jpeg, 80,
    ))
    .unwrap();
    std::fs::write(labels.join("layout-32.jpg"), jpeg).unwrap();
    image::imageops::resize(&rgb, 24, 40, image::imageops::FilterType::Nearest)
        .save(labels.join("odd-24x40.png"))
        .unwrap();

    let project = Project::from_map(&map, &palette.name, 7, "default");
    project.save(&dir("project").join("layout-32.ron")).unwrap();

    std::fs::copy(
        root().join("palettes/cmp_facades.ron"),
        dir("palette").join("cmp_facades.ron"),
    )
    .unwrap();

    let weights = dir("weights");
    let config = common::tiny_model(16).with_ngf(1).with_ndf(1);
    common::save_untrained_model(&weights.join("model-ngf1.fsw"), "seed", &config, 1);
    let device = facade_studio::backend::cpu_device().device;
    let mut trainer = facade_studio::train::GanTrainer::new(
        config.clone(),
        &device,
        1,
        facade_studio::train::gan::Objective::from(&facade_studio::train::TrainConfig::default()),
    );
    let mut batch = facade_studio::data::Batch::new(16);
    let small = map.resized(16, 16);
    let pair = facade_studio::data::augment::Resized {
        style: Default::default(),
        layout: None,
        photo: common::photo_for(&small),
        labels: small,
    };
    batch.push(&pair, 0, 0, false, &palette);
    trainer.step(&batch, 0, 2e-4);
    let mut meta = common::model_meta("seed", &config);
    meta.kind = facade_studio::checkpoint::FileKind::Checkpoint;
    meta.train =
        facade_studio::train::state::settings_json(&facade_studio::train::TrainConfig::default());
    facade_studio::train::state::save_checkpoint(
        &weights.join("checkpoint-ngf1.fsw"),
        &facade_studio::train::state::TrainState {
            meta,
            generator: trainer.generator.clone(),
            discriminator: trainer.discriminator.clone(),
            generator_ema: None,
            opt_g: trainer.opt_g.clone(),
            opt_d: trainer.opt_d.clone(),
            fresh_optimizer: false,
        },
    )
    .unwrap();
}

/// The overflow the weights fuzzer found (an optimizer section declaring an enormous tensor) is
/// refused as too large. Without the checked sum, release builds would wrap it into a "state ends
/// early" error instead, so this test fails if the fix is reverted even without overflow checks.
#[test]
fn the_optimizer_overflow_is_refused_as_too_large() {
    let input =
        root().join("tests/fuzz_inputs/weights/crash-d1b260273d598b95c222184838ebb574386ce792");
    let mut bytes = std::fs::read(&input).unwrap();
    // Reseal the checksum, as the fuzzer's target does, so the optimizer reader sees the section.
    let body = bytes.len() - 4;
    let crc = crc32fast::hash(&bytes[..body]).to_le_bytes();
    bytes[body..].copy_from_slice(&crc);
    let err = match facade_studio::train::state::checkpoint_from_bytes(
        &bytes,
        std::path::Path::new("found.fsw"),
        &burn::prelude::Device::flex(),
        facade_studio::train::adam::Adam::new(0.5),
        facade_studio::train::adam::Adam::new(0.5),
    ) {
        Ok(_) => panic!("the overflowing checkpoint loaded"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("optimizer state is too large"), "{err}");
}
