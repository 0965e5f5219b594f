//! Hinted sketches (`dataset derive --kind hinted-edges`): some windows, doors and shops of a
//! facade pair's labels filled with the sketch palette's hint colours under the ink, whole
//! regions at a time, a different share on each sketch.

mod common;

use facade_studio::data::derive::{DeriveKind, derive_folder};
use facade_studio::data::hints::hinted_sketch;
use facade_studio::label_map::LabelMap;
use facade_studio::palette::Palette;
use facade_studio::task::Task;
use image::{GrayImage, Luma};

const PAPER: [u8; 3] = [255, 255, 255];
const INK: [u8; 3] = [0, 0, 0];

/// A 64² wall with four windows (12² squares in a row), a door and a shop front.
fn facade_labels() -> LabelMap {
    let cmp = Palette::cmp_facades();
    let id = |name| cmp.index_of(name).unwrap();
    LabelMap::from_fn(64, 64, |x, y| match (x, y) {
        (_, 4..16) if x % 16 >= 2 && x % 16 < 14 => id("window"),
        (4..14, 40..60) => id("door"),
        (20..60, 44..60) => id("shop"),
        _ => id("facade"),
    })
}

/// Paper with one ink line across every window (row 10) and one down the door (column 8).
fn line_sketch() -> GrayImage {
    GrayImage::from_fn(64, 64, |x, y| {
        Luma([if y == 10 || x == 8 { 0 } else { 255 }])
    })
}

fn hint_colour(name: &str) -> [u8; 3] {
    let sketch = Task::named("sketch").unwrap().palette();
    sketch.colour(sketch.index_of(name).unwrap())
}

#[test]
fn hints_fill_whole_regions_of_their_class_under_the_ink_in_varying_shares() {
    let (labels, sketch) = (facade_labels(), line_sketch());
    let cmp = Palette::cmp_facades();
    let class_at = |x: u32, y: u32| cmp.classes[labels.get(x, y) as usize].name.clone();
    let mut windows_hinted = Vec::new();
    for seed in 0..60 {
        let out = hinted_sketch(&sketch, &labels, seed, None);
        assert_eq!(out.dimensions(), (64, 64));
        for (x, y, p) in out.enumerate_pixels() {
            let want_ink = sketch.get_pixel(x, y).0[0] == 0;
            assert_eq!(
                p.0 == INK,
                want_ink,
                "seed {seed} ({x}, {y}): ink stays on top"
            );
            if p.0 != INK && p.0 != PAPER {
                let hint = format!("{} hint", class_at(x, y));
                assert_eq!(p.0, hint_colour(&hint), "seed {seed} ({x}, {y})");
            }
        }
        // Each window is hinted whole or not at all (its corner decides, the ink lines aside).
        let mut hinted = 0;
        for w in 0..4 {
            let corner = out.get_pixel(16 * w + 2, 4).0;
            let inside = (4..16).filter(|&y| y != 10);
            let cells = inside.flat_map(|y| (16 * w + 2..16 * w + 14).map(move |x| (x, y)));
            for (x, y) in cells.filter(|&(x, _)| x != 8) {
                assert_eq!(
                    out.get_pixel(x, y).0,
                    corner,
                    "seed {seed}: window {w} split"
                );
            }
            hinted += usize::from(corner != PAPER);
        }
        windows_hinted.push(hinted);
    }
    assert!(windows_hinted.contains(&0), "some sketches carry no hints");
    assert!(windows_hinted.contains(&4), "some hint every window");
    assert!(
        windows_hinted.iter().any(|&n| n > 0 && n < 4),
        "some hint a part: {windows_hinted:?}"
    );
    assert_eq!(
        hinted_sketch(&sketch, &labels, 7, None),
        hinted_sketch(&sketch, &labels, 7, None),
        "the seed decides"
    );
}

#[test]
fn a_fixed_share_hints_every_region_or_none_on_every_sketch() {
    let (labels, sketch) = (facade_labels(), line_sketch());
    let window = hint_colour("window hint");
    for seed in 0..10 {
        let all = hinted_sketch(&sketch, &labels, seed, Some(1.0));
        let none = hinted_sketch(&sketch, &labels, seed, Some(0.0));
        for w in 0..4 {
            assert_eq!(
                all.get_pixel(16 * w + 2, 4).0,
                window,
                "seed {seed}: window {w}"
            );
        }
        assert_eq!(
            all.get_pixel(5, 45).0,
            hint_colour("door hint"),
            "seed {seed}"
        );
        assert_eq!(
            all.get_pixel(30, 50).0,
            hint_colour("shop hint"),
            "seed {seed}"
        );
        assert!(
            none.pixels().all(|p| p.0 == PAPER || p.0 == INK),
            "seed {seed}: share 0 leaves a plain sketch"
        );
    }
}

#[test]
fn a_rim_thinner_than_five_pixels_is_no_region_to_hint() {
    // A pillar whose JPEG-smeared rim snapped to "shop": 2 px of shop each side of it.
    let cmp = Palette::cmp_facades();
    let id = |name| cmp.index_of(name).unwrap();
    let mut labels = facade_labels();
    for y in 0..30 {
        for x in 30..40 {
            let rim = !(32..38).contains(&x);
            labels.set(x, y, if rim { id("shop") } else { id("pillar") });
        }
    }
    let out = hinted_sketch(&line_sketch(), &labels, 1, Some(1.0));
    for (x, y) in [(30, 20), (31, 20), (38, 20), (39, 20)] {
        assert_eq!(
            out.get_pixel(x, y).0,
            PAPER,
            "({x}, {y}): the rim stays paper"
        );
    }
    assert_eq!(
        out.get_pixel(30, 50).0,
        hint_colour("shop hint"),
        "the shop front"
    );
}

#[test]
fn derive_hinted_edges_reads_the_pairs_labels_and_skips_photos_without_them() {
    let tmp = tempfile::tempdir().unwrap();
    let from = tmp.path().join("facades");
    common::make_dataset(&from, 6, 64);
    image::RgbImage::new(64, 64)
        .save(from.join("7.png"))
        .unwrap();
    let out = tmp.path().join("hinted");
    let report = derive_folder(&from, &out, DeriveKind::HintedEdges, &mut |_, _| {}).unwrap();
    assert_eq!(report.written, 6);
    assert_eq!(report.skipped.len(), 1, "{:?}", report.skipped);
    let why = &report.skipped[0].1;
    assert!(
        why.contains("7.png") && why.contains("not a pix2pix pair") && why.contains("--kind edges"),
        "{why}"
    );
    let sketch_palette = Task::named("sketch").unwrap().palette();
    let mut hints = 0;
    for k in 1..=6 {
        let pair = image::open(out.join(format!("{k}.png"))).unwrap().to_rgb8();
        assert_eq!(pair.dimensions(), (128, 64));
        let right = image::imageops::crop_imm(&pair, 64, 0, 64, 64).to_image();
        let (ids, snap) = sketch_palette.snap(&right);
        assert_eq!(
            snap.unknown, 0,
            "pair {k}: paper, ink and hint colours only"
        );
        hints += ids.iter().filter(|&&id| id >= 2).count();
    }
    assert!(hints > 0, "the synthetic facades' windows get hints");
}
