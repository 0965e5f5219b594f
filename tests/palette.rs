//! The palette: the shipped file, validation errors that name the line, snapping of
//! JPEG-smeared label images, and the encoding the generator sees.

use facade_studio::bench::synthetic_layout;
use facade_studio::label_map::LabelMap;
use facade_studio::palette::Palette;

#[test]
fn shipped_palette_has_the_twelve_cmp_classes() {
    let p = Palette::cmp_facades();
    assert_eq!(p.len(), 12);
    assert_eq!(p.classes[0].name, "background");
    assert_eq!(p.classes[0].rgb, (0, 0, 223));
    assert_eq!(p.classes[1].name, "facade");
    assert_eq!(p.classes[2].rgb, (0, 128, 255));
    assert_eq!(p.classes[11].name, "shop");
    assert_eq!(p.classes[11].rgb, (175, 0, 0));
    assert_eq!(p.classes[p.background as usize].name, "facade");
    let file = Palette::load(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/palettes/cmp_facades.ron"
    )))
    .unwrap();
    assert_eq!(file, p);
}

#[test]
fn duplicate_ids_and_colours_are_errors_naming_the_line() {
    let src = facade_studio::palette::CMP_FACADES_RON
        .replace("(id: 3, name: \"window\"", "(id: 2, name: \"window\"");
    let err = Palette::parse(&src).unwrap_err();
    let line = src
        .lines()
        .position(|l| l.contains("name: \"window\""))
        .unwrap()
        + 1;
    assert!(err.contains(&format!("line {line}")), "{err}");
    assert!(err.contains("id 2"), "{err}");

    let src =
        facade_studio::palette::CMP_FACADES_RON.replace("rgb: (0, 128, 255)", "rgb: (0, 48, 255)");
    let err = Palette::parse(&src).unwrap_err();
    let line = src
        .lines()
        .position(|l| l.contains("name: \"window\""))
        .unwrap()
        + 1;
    assert!(err.contains(&format!("line {line}")), "{err}");
    assert!(err.contains("colour"), "{err}");

    assert!(Palette::parse("not ron").is_err());
}

#[test]
fn snapping_recovers_a_jpeg_smeared_label_map() {
    let palette = Palette::cmp_facades();
    // A layout with every class in it, in blocks.
    let mut map = synthetic_layout(128, 5);
    for (i, x0) in (0..12u32).map(|i| (i, i * 10)) {
        for y in 100..120 {
            for x in x0..x0 + 10 {
                map.set(x, y, i as u8);
            }
        }
    }
    let clean = map.to_rgb(&palette);
    let mut jpeg = Vec::new();
    clean
        .write_with_encoder(image::codecs::jpeg::JpegEncoder::new_with_quality(
            &mut jpeg, 75,
        ))
        .unwrap();
    let smeared = image::load_from_memory(&jpeg).unwrap().to_rgb8();
    assert_ne!(
        smeared, clean,
        "JPEG must actually smear the colours for this test to mean anything"
    );
    let (snapped, report) = LabelMap::from_rgb(&smeared, &palette);
    assert_eq!(snapped.ids.len(), map.ids.len());
    let same = snapped
        .ids
        .iter()
        .zip(&map.ids)
        .filter(|(a, b)| a == b)
        .count();
    let share = same as f64 / map.ids.len() as f64;
    assert!(
        share > 0.97,
        "only {share:.3} of pixels snapped back to their class"
    );
    assert!(report.unknown_fraction() < 0.01);
    // Every class survives.
    for c in 0..12u8 {
        assert!(snapped.ids.contains(&c), "class {c} lost");
    }
}

#[test]
fn encoding_scales_palette_colours_to_minus_one_one_planar() {
    let palette = Palette::cmp_facades();
    let mut out = Vec::new();
    palette.encode_planar(&[0, 11], &mut out);
    // background (0, 0, 223), shop (175, 0, 0); planes R, G, B.
    let expect = [
        -1.0,
        175.0 / 127.5 - 1.0,
        -1.0,
        -1.0,
        223.0 / 127.5 - 1.0,
        -1.0,
    ];
    assert_eq!(out.len(), expect.len(), "{out:?}");
    for (a, b) in out.iter().zip(expect) {
        assert!((a - b).abs() < 1e-6, "{out:?}");
    }
}
