//! Bounded random mutation of every file format the app reads (not coverage-guided fuzzing, but
//! the same question): label images, projects, palettes and weights files, damaged thousands of
//! ways, must give an error or a value — never a panic, never a huge allocation.

mod common;

use std::path::Path;

use facade_studio::checkpoint::Container;
use facade_studio::document::project::Project;
use facade_studio::palette::Palette;
use rand::{Rng, SeedableRng, rngs::StdRng};

/// Flips, deletes, duplicates and truncates bytes of `seed_bytes`.
fn mutate(rng: &mut StdRng, seed_bytes: &[u8]) -> Vec<u8> {
    let mut b = seed_bytes.to_vec();
    for _ in 0..rng.random_range(1..8) {
        if b.is_empty() {
            b.push(rng.random());
            continue;
        }
        let i = rng.random_range(0..b.len());
        match rng.random_range(0..5) {
            0 => b[i] ^= 1 << rng.random_range(0..8),
            1 => b[i] = rng.random(),
            2 => {
                b.remove(i);
            }
            3 => {
                let x = b[i];
                b.insert(i, x);
            }
            _ => b.truncate(i),
        }
    }
    b
}

fn no_panic<T>(what: &str, case: usize, f: impl FnOnce() -> T) {
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    assert!(r.is_ok(), "{what}: mutated input #{case} panicked");
}

#[test]
fn damaged_label_images_never_panic() {
    let palette = Palette::cmp_facades();
    let map = facade_studio::document::sample::facade_layout(64, 64, 1, &palette);
    let mut png = Vec::new();
    map.to_rgb(&palette)
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let mut jpg = Vec::new();
    map.to_rgb(&palette)
        .write_with_encoder(image::codecs::jpeg::JpegEncoder::new_with_quality(
            &mut jpg, 80,
        ))
        .unwrap();
    let mut rng = StdRng::seed_from_u64(1);
    for case in 0..1500 {
        let src = if case % 2 == 0 { &png } else { &jpg };
        let bytes = mutate(&mut rng, src);
        no_panic("image", case, || {
            facade_studio::image_io::decode_rgb(&bytes, Path::new("x.png"))
        });
    }
}

#[test]
fn damaged_projects_and_palettes_never_panic() {
    let palette = Palette::cmp_facades();
    let map = facade_studio::document::sample::facade_layout(32, 32, 2, &palette);
    let project = ron::to_string(&Project::from_map(&map, "cmp_facades", 3, "m")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.ron");
    let mut rng = StdRng::seed_from_u64(2);
    for case in 0..1500 {
        let bytes = mutate(&mut rng, project.as_bytes());
        std::fs::write(&path, &bytes).unwrap();
        no_panic("project", case, || {
            if let Ok(p) = Project::load(&path) {
                let _ = p.to_map(12, &path);
            }
        });
        let text = String::from_utf8_lossy(&mutate(
            &mut rng,
            facade_studio::palette::CMP_FACADES_RON.as_bytes(),
        ))
        .into_owned();
        no_panic("palette", case, || Palette::parse(&text));
    }
    // A project that declares a giant canvas is refused before anything is allocated.
    let huge = Project {
        width: 1 << 30,
        height: 1 << 30,
        runs: vec![(0, u32::MAX)],
        ..Project::from_map(&map, "cmp_facades", 0, "")
    };
    assert!(huge.to_map(12, &path).is_err());
}

#[test]
fn damaged_weights_files_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m.fsw");
    let config = facade_studio::model::ModelConfig::new()
        .with_ngf(4)
        .with_ndf(4)
        .with_size(32);
    let device = facade_studio::backend::cpu_device();
    let meta = common::model_meta("m", &config);
    facade_studio::checkpoint::save_model(&model, &meta, &config.init_generator(&device.device))
        .unwrap();
    let good = std::fs::read(&model).unwrap();
    let mut rng = StdRng::seed_from_u64(3);
    let damaged = dir.path().join("d.fsw");
    for case in 0..400 {
        let bytes = mutate(&mut rng, &good);
        no_panic("container", case, || {
            Container::from_bytes(&bytes, Path::new("d.fsw"))
        });
        std::fs::write(&damaged, &bytes).unwrap();
        no_panic("model", case, || {
            facade_studio::checkpoint::load_generator(&damaged, &device.device)
        });
    }
    // Damage inside a checksum-valid file reaches the weights parser itself.
    let sections = Container::from_bytes(&good, Path::new("m.fsw"))
        .unwrap()
        .sections;
    for case in 0..300 {
        let mut c = Container::default();
        for (name, data) in &sections {
            let data = if name == "generator" || case % 7 == 0 {
                mutate(&mut rng, data)
            } else {
                data.clone()
            };
            c.push(name, data);
        }
        std::fs::write(&damaged, c.to_bytes()).unwrap();
        no_panic("weights", case, || {
            facade_studio::checkpoint::load_generator(&damaged, &device.device)
        });
    }
    // A checksum-valid container with a lying section length is refused, not trusted.
    let mut c = Container::default();
    c.push("meta", b"{}".to_vec());
    let mut bytes = c.to_bytes();
    let len_at = 8 + 4 + 4 + 2 + 4; // magic, version, count, name length, "meta"
    bytes[len_at..len_at + 8].copy_from_slice(&u64::MAX.to_le_bytes());
    let n = bytes.len();
    let crc = crc32fast::hash(&bytes[..n - 4]);
    bytes[n - 4..].copy_from_slice(&crc.to_le_bytes());
    assert!(Container::from_bytes(&bytes, Path::new("lie.fsw")).is_err());
}
