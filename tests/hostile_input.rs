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

/// Runs `f` on a damaged input: it must not panic, and an error must name `file` and say more
/// than that (what is wrong). Returns how many errors were seen (0 or 1).
fn refused_or_read<T, E: std::fmt::Display>(
    what: &str,
    case: usize,
    file: &str,
    f: impl FnOnce() -> Result<T, E>,
) -> usize {
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    let Ok(result) = r else {
        panic!("{what}: mutated input #{case} panicked");
    };
    match result {
        Ok(_) => 0,
        Err(e) => {
            let message = e.to_string();
            assert!(
                message.contains(file) && message.len() > file.len() + 15,
                "{what} #{case}: the error does not name {file} and the problem: {message}"
            );
            1
        }
    }
}

#[test]
fn damaged_label_images_never_panic() {
    let palette = Palette::cmp_facades();
    let map = facade_studio::generate::sample::random_sample(64, 64, 1, &palette);
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
    let mut refused = 0;
    for case in 0..1500 {
        let src = if case % 2 == 0 { &png } else { &jpg };
        let bytes = mutate(&mut rng, src);
        refused += refused_or_read("image", case, "x.png", || {
            facade_studio::image_io::decode_rgb(&bytes, Path::new("x.png"))
        });
    }
    assert!(
        refused > 300,
        "most damage is caught: {refused} of 1500 refused"
    );
    // The failure table's rows in docs/robustness.md, word for word.
    let truncated = &jpg[..jpg.len() / 2];
    let err = facade_studio::image_io::decode_rgb(truncated, Path::new("x.jpg")).unwrap_err();
    assert!(
        err.to_string()
            .contains("x.jpg: the JPEG ends early (no end-of-image marker): the file is truncated. Re-download or re-export it."),
        "{err}"
    );
    let err = facade_studio::image_io::decode_rgb(b"hello", Path::new("x.png")).unwrap_err();
    assert!(err.to_string().contains("not a PNG or JPEG image"), "{err}");
}

#[test]
fn damaged_projects_and_palettes_never_panic() {
    let palette = Palette::cmp_facades();
    let map = facade_studio::generate::sample::random_sample(32, 32, 2, &palette);
    let project = ron::to_string(&Project::from_map(&map, "cmp_facades", 3, "m")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.ron");
    let mut rng = StdRng::seed_from_u64(2);
    let (mut projects_refused, mut palettes_refused) = (0, 0);
    for case in 0..1500 {
        let bytes = mutate(&mut rng, project.as_bytes());
        std::fs::write(&path, &bytes).unwrap();
        projects_refused += refused_or_read("project", case, "p.ron", || {
            Project::load(&path).and_then(|p| p.to_map(12, &path))
        });
        let text = String::from_utf8_lossy(&mutate(
            &mut rng,
            facade_studio::palette::CMP_FACADES_RON.as_bytes(),
        ))
        .into_owned();
        // A palette is parsed from text; the file name is added by the loader (below).
        let r = std::panic::catch_unwind(|| Palette::parse(&text));
        match r {
            Ok(Err(m)) => {
                assert!(
                    m.len() > 10,
                    "palette #{case}: an error that says nothing: {m}"
                );
                palettes_refused += 1;
            }
            Ok(Ok(_)) => {}
            Err(_) => panic!("palette #{case} panicked"),
        }
    }
    assert!(
        projects_refused > 300,
        "{projects_refused} damaged projects refused"
    );
    assert!(
        palettes_refused > 300,
        "{palettes_refused} damaged palettes refused"
    );
    let bad_palette = dir.path().join("bad-palette.ron");
    std::fs::write(&bad_palette, "(name: \"x\", classes: [").unwrap();
    let err = Palette::load(&bad_palette).unwrap_err().to_string();
    assert!(err.contains("bad-palette.ron"), "{err}");
    // The failure table's row (docs/robustness.md): a canvas size that disagrees with the data.
    let short = Project {
        runs: vec![(0, 10)],
        ..Project::from_map(&map, "cmp_facades", 0, "")
    };
    let err = short.to_map(12, &path).unwrap_err().to_string();
    assert!(
        err.contains("p.ron: the label data holds 10 pixels but the canvas is 32×32 = 1024; the file is damaged"),
        "{err}"
    );
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
    let mut refused = 0;
    for case in 0..400 {
        let bytes = mutate(&mut rng, &good);
        refused_or_read("container", case, "d.fsw", || {
            Container::from_bytes(&bytes, Path::new("d.fsw"))
        });
        std::fs::write(&damaged, &bytes).unwrap();
        refused += refused_or_read("model", case, "d.fsw", || {
            facade_studio::checkpoint::load_generator(&damaged, &device.device)
        });
    }
    assert!(
        refused > 350,
        "damage is caught by the checksum: {refused} of 400"
    );
    // The failure table's row (docs/robustness.md) for a torn file.
    std::fs::write(&damaged, &good[..good.len() - 100]).unwrap();
    let err = facade_studio::checkpoint::load_generator(&damaged, &device.device)
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("d.fsw: checksum mismatch (truncated or corrupted). The file is damaged: use an earlier checkpoint or re-download the model."),
        "{err}"
    );
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
        refused_or_read("weights", case, "d.fsw", || {
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
    let err = Container::from_bytes(&bytes, Path::new("lie.fsw"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("lie.fsw") && err.contains("section runs past the end"),
        "{err}"
    );
}
