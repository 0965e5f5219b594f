//! Reading the dataset layouts, augmentation that crops and flips both halves alike, and bad files
//! reported by name.

mod common;

use std::path::Path;

use facade_studio::bench::synthetic_layout;
use facade_studio::data::augment::{AugmentConfig, Batch, draw_augmentation, resize_pair};
use facade_studio::data::dataset::load_pair;
use facade_studio::data::prefetch::{Prefetcher, Schedule, preload};
use facade_studio::data::{Dataset, Layout};
use facade_studio::palette::Palette;

#[test]
fn opens_the_pix2pix_layout_in_natural_order_and_splits() {
    let dir = tempfile::tempdir().unwrap();
    common::make_dataset(dir.path(), 12, 32);
    let ds = Dataset::open(dir.path()).unwrap();
    assert_eq!(ds.layout, Layout::Pix2Pix);
    let names: Vec<String> = ds.pairs.iter().map(|p| p.name()).collect();
    assert_eq!(names[..3], ["1", "2", "3"]);
    assert_eq!(names[11], "12", "10, 11, 12 come after 9");
    let (train, val) = ds.split_last(2);
    assert_eq!(train.len(), 10);
    assert_eq!(
        val.pairs.iter().map(|p| p.name()).collect::<Vec<_>>(),
        ["11", "12"]
    );

    // A folder holding train/ opens its train split.
    let parent = tempfile::tempdir().unwrap();
    common::make_dataset(&parent.path().join("train"), 3, 32);
    assert_eq!(Dataset::open(parent.path()).unwrap().len(), 3);
}

#[test]
fn pair_halves_are_photo_left_labels_right() {
    let dir = tempfile::tempdir().unwrap();
    common::make_dataset(dir.path(), 1, 64);
    let palette = Palette::cmp_facades();
    let ds = Dataset::open(dir.path()).unwrap();
    let pair = load_pair(&ds.pairs[0], &palette).unwrap();
    let truth = synthetic_layout(64, 1);
    assert_eq!(pair.photo.dimensions(), (64, 64));
    assert_eq!(pair.labels.ids.len(), truth.ids.len());
    let agree = pair
        .labels
        .ids
        .iter()
        .zip(&truth.ids)
        .filter(|(a, b)| a == b)
        .count();
    assert!(
        agree as f64 / truth.ids.len() as f64 > 0.97,
        "labels come from the right half"
    );
    let expected_photo = common::photo_for(&truth);
    let err = facade_studio::eval::metrics::mean_abs_error(&pair.photo, &expected_photo);
    assert!(err < 0.03, "photo comes from the left half (error {err})");
}

#[test]
fn cmp_base_layout_is_recognised() {
    let dir = tempfile::tempdir().unwrap();
    let palette = Palette::cmp_facades();
    let map = synthetic_layout(40, 2);
    common::photo_for(&map)
        .save(dir.path().join("cmp_b0001.jpg"))
        .unwrap();
    map.to_rgb(&palette)
        .save(dir.path().join("cmp_b0001.png"))
        .unwrap();
    let ds = Dataset::open(dir.path()).unwrap();
    assert_eq!(ds.layout, Layout::CmpBase);
    assert_eq!(ds.len(), 1);
    let pair = load_pair(&ds.pairs[0], &palette).unwrap();
    assert_eq!(pair.labels, map);
}

#[test]
fn augmentation_crops_and_flips_both_halves_alike() {
    // A pair whose photo *is* the colour label image: after augmentation the target must equal
    // the input exactly, whatever crop and flip were drawn.
    let palette = Palette::cmp_facades();
    let map = synthetic_layout(64, 9);
    let pair = facade_studio::data::Pair {
        photo: map.to_rgb(&palette),
        labels: map,
        layout: None,
    };
    let config = AugmentConfig::for_size(64);
    assert_eq!(config.load_size, 72);
    let resized = resize_pair(&pair, config.load_size);
    // Nearest-neighbour on both, so the photo still equals the labels' colours.
    let resized = facade_studio::data::augment::Resized {
        style: Default::default(),
        layout: None,
        photo: resized.labels.to_rgb(&palette),
        labels: resized.labels,
    };
    let mut seen = std::collections::HashSet::new();
    for seed in 0..40 {
        let (x, y, flip) = draw_augmentation(&config, seed);
        assert!(x <= 8 && y <= 8);
        seen.insert((x, y, flip));
        let mut batch = Batch::new(64);
        batch.push(&resized, x, y, flip, &palette);
        assert_eq!(batch.input.len(), 3 * 64 * 64);
        assert_eq!(batch.target.len(), batch.input.len());
        for (a, b) in batch.input.iter().zip(&batch.target) {
            assert!(
                (a - b).abs() < 1e-6,
                "input and target differ after crop ({x},{y}) flip {flip}"
            );
        }
    }
    assert!(seen.len() > 10, "crops vary with the seed");
    assert!(
        seen.iter().any(|s| s.2) && seen.iter().any(|s| !s.2),
        "both flips occur"
    );
    // Same seed, same augmentation.
    assert_eq!(draw_augmentation(&config, 3), draw_augmentation(&config, 3));
}

#[test]
fn prefetched_batches_are_reproducible_and_resumable() {
    let dir = tempfile::tempdir().unwrap();
    common::make_dataset(dir.path(), 5, 32);
    let palette = Palette::cmp_facades();
    let ds = Dataset::open(dir.path()).unwrap();
    let config = AugmentConfig::for_size(32);
    let (pairs, bad) = preload(&ds, &palette, config.load_size, 2, &|_, _| {});
    assert!(bad.is_empty());
    let pairs = std::sync::Arc::new(pairs);
    let schedule = || Schedule {
        pairs: 5,
        batch: 2,
        seed: 4,
    };
    assert_eq!(schedule().steps_per_epoch(), 2);
    let a = Prefetcher::start(
        pairs.clone(),
        palette.clone(),
        config,
        schedule(),
        0,
        2,
        None,
    );
    let first: Vec<_> = (0..6).map(|_| a.next().unwrap()).collect();
    drop(a);
    let b = Prefetcher::start(pairs, palette, config, schedule(), 3, 2, None);
    let resumed: Vec<_> = (0..3).map(|_| b.next().unwrap()).collect();
    assert_eq!(
        first[3..],
        resumed[..],
        "starting at step 3 gives the same batches as running to it"
    );
    assert_eq!(first[0].n, 2);
    assert_ne!(first[0], first[1]);
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn bad_files_are_named_and_skipped() {
    let dir = tempfile::tempdir().unwrap();
    common::make_dataset(dir.path(), 3, 32);
    let good = std::fs::read(dir.path().join("1.jpg")).unwrap();
    write(&dir.path().join("4.jpg"), &good[..good.len() / 3]); // truncated JPEG
    image::RgbImage::new(30, 30)
        .save(dir.path().join("5.png"))
        .unwrap(); // not 2:1
    write(&dir.path().join("6.jpg"), b"this is not an image");
    let palette = Palette::cmp_facades();
    let ds = Dataset::open(dir.path()).unwrap();
    assert_eq!(ds.len(), 6);
    for (name, needle) in [
        ("4.jpg", "4.jpg"),
        ("5.png", "twice as wide"),
        ("6.jpg", "6.jpg"),
    ] {
        let src = ds.pairs.iter().find(|p| p.path.ends_with(name)).unwrap();
        let err = match load_pair(src, &palette) {
            Ok(_) => panic!("{name} was accepted"),
            Err(e) => e.to_string(),
        };
        assert!(err.contains(name), "{err}");
        assert!(err.contains(needle), "{err}");
    }
    let (good, bad) = preload(&ds, &palette, 36, 2, &|_, _| {});
    assert_eq!(good.len(), 3);
    assert_eq!(bad.len(), 3);

    let empty = tempfile::tempdir().unwrap();
    let err = Dataset::open(empty.path()).unwrap_err().to_string();
    assert!(
        err.contains("no image pairs") && err.contains("download"),
        "{err}"
    );
    let err = Dataset::open(&empty.path().join("missing"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("missing"), "{err}");
}

/// A PNG whose header claims `w`×`h` pixels, with no image data behind it.
fn png_header_only(w: u32, h: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB
    out.extend_from_slice(&13u32.to_be_bytes());
    out.extend_from_slice(&ihdr);
    out.extend_from_slice(&crc32fast::hash(&ihdr).to_be_bytes());
    for chunk in [&b"IDAT"[..], &b"IEND"[..]] {
        out.extend_from_slice(&0u32.to_be_bytes());
        out.extend_from_slice(chunk);
        out.extend_from_slice(&crc32fast::hash(chunk).to_be_bytes());
    }
    out
}

#[test]
fn huge_images_are_refused_before_decoding() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.png");
    std::fs::write(&path, png_header_only(40000, 20000)).unwrap();
    let err = facade_studio::image_io::load_rgb(&path)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("huge.png") && err.contains("40000×20000") && err.contains("limit"),
        "{err}"
    );
    // Within the limits, the same header fails as truncated, naming the file.
    std::fs::write(&path, png_header_only(64, 64)).unwrap();
    let err = facade_studio::image_io::load_rgb(&path)
        .unwrap_err()
        .to_string();
    assert!(err.contains("huge.png"), "{err}");
}
