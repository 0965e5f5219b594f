//! `facade-studio generate`: parametric facades as bundles (labels.png, albedo.png, facade.json)
//! whose description reproduces the labels exactly, from seeds, with bad parameters refused by
//! name and nothing half-written.

mod common;

use common::{s, text};

use std::path::Path;

use facade_studio::generate::{FacadeParams, GroundFloor, labels, layout};
use facade_studio::label_map::LabelMap;
use facade_studio::palette::Palette;

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn a_set_of_bundles_whose_descriptions_reproduce_their_labels() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("street");
    let palette = Palette::cmp_facades();
    let shown = text(&common::facade_cli(&[
        "generate",
        "--out",
        s(&out),
        "--count",
        "3",
        "--seed",
        "7",
        "--width-m",
        "20",
        "--height-m",
        "12",
        "--px-per-m",
        "12",
        "--backend",
        "cpu",
    ]));
    assert!(shown.contains("wrote 3 facades of 240×144 px"), "{shown}");
    let index = json(&out.join("index.json"));
    let entries = index.as_array().unwrap();
    assert_eq!(entries.len(), 3);
    let mut styles = Vec::new();
    for (k, e) in entries.iter().enumerate() {
        let dir = out.join(e["folder"].as_str().unwrap());
        assert_eq!(e["seed"].as_u64(), Some(7 + k as u64));
        let desc = json(&dir.join("facade.json"));
        let (on_disk, report) = LabelMap::load_image(&dir.join("labels.png"), &palette).unwrap();
        assert_eq!((on_disk.width, on_disk.height), (240, 144));
        assert_eq!(report.unknown_fraction(), 0.0);
        assert_eq!(
            common::draw_regions(&desc, &palette).ids,
            on_disk.ids,
            "{}",
            dir.display()
        );
        let floors = desc["floors"].as_u64().unwrap();
        assert!((3..=5).contains(&floors));
        assert_eq!(
            desc["floor_tops_px"].as_array().unwrap().len() as u64,
            floors + 1
        );
        let albedo = image::open(dir.join("albedo.png")).unwrap().to_rgb8();
        assert_eq!(albedo.dimensions(), (240, 144));
        for name in ["height.png", "normal.png", "orm.png"] {
            let map = image::open(dir.join(name)).unwrap();
            assert_eq!((map.width(), map.height()), (240, 144), "{name}");
        }
        // Lit at night: exactly the windows, doors and shop fronts.
        let emission = image::open(dir.join("emission.png")).unwrap().to_luma8();
        let lit: Vec<u8> = ["window", "door", "shop"]
            .iter()
            .map(|c| palette.index_of(c).unwrap())
            .collect();
        assert_eq!(emission.as_raw().len(), on_disk.ids.len());
        for (e, id) in emission.as_raw().iter().zip(&on_disk.ids) {
            assert_eq!(*e == 255, lit.contains(id));
        }
        assert!(desc["model"].as_str().unwrap().contains("CMP facades"));
        // Each facade is rendered in a gallery style, recorded as class → #rrggbb.
        let style = desc["style"].as_object().unwrap();
        assert!(
            style["facade"].as_str().unwrap().starts_with('#'),
            "{style:?}"
        );
        styles.push(style.clone());
    }
    assert!(
        styles[0] != styles[1] && styles[1] != styles[2],
        "a street's facades differ"
    );
    // The atlases hold every facade's maps exactly where atlas.json says, edges repeated around.
    let atlas = json(&out.join("atlas.json"));
    let pad = atlas["padding"].as_u64().unwrap() as u32;
    let labels_atlas = image::open(out.join("atlas-labels.png")).unwrap().to_rgb8();
    let facades = atlas["facades"].as_array().unwrap();
    assert_eq!(facades.len(), 3);
    for f in facades {
        let own = image::open(out.join(f["folder"].as_str().unwrap()).join("labels.png"))
            .unwrap()
            .to_rgb8();
        let (x, y) = (
            f["x"].as_u64().unwrap() as u32,
            f["y"].as_u64().unwrap() as u32,
        );
        let uv = f["uv"].as_array().unwrap();
        assert_eq!(uv[0].as_f64(), Some(x as f64 / labels_atlas.width() as f64));
        for (px, py, p) in own.enumerate_pixels() {
            assert_eq!(labels_atlas.get_pixel(x + px, y + py), p);
        }
        assert_eq!(
            labels_atlas.get_pixel(x - pad, y - pad),
            own.get_pixel(0, 0)
        );
        assert_eq!(
            labels_atlas.get_pixel(x + 239 + pad, y + 143 + pad),
            own.get_pixel(239, 143)
        );
    }
    for map in ["albedo", "emission", "height", "normal", "orm"] {
        let a = image::open(out.join(format!("atlas-{map}.png"))).unwrap();
        assert_eq!((a.width(), a.height()), labels_atlas.dimensions(), "{map}");
    }

    // Metres: the right edge of the facade is at its width.
    let desc = json(&out.join("facade-001/facade.json"));
    let wall = &desc["regions"][0];
    assert_eq!(wall["class"], "facade");
    assert_eq!(wall["m"][2].as_f64(), Some(20.0));
}

#[test]
fn seeds_repeat_and_differ_and_parameters_shape_the_facade() {
    let palette = Palette::cmp_facades();
    let p = FacadeParams {
        floors: (4, 4),
        bays: (5, 5),
        ground: GroundFloor::Doors,
        balcony: 0.0,
        ..FacadeParams::default()
    };
    let a = labels(&layout(&p), &palette).unwrap();
    assert_eq!(a.ids, labels(&layout(&p), &palette).unwrap().ids);
    let other = FacadeParams {
        seed: 2,
        ..p.clone()
    };
    assert_ne!(a.ids, labels(&layout(&other), &palette).unwrap().ids);

    let l = layout(&p);
    assert_eq!((l.floors, l.bays), (4, 5));
    let count = |class: &str| l.regions.iter().filter(|r| r.class == class).count();
    // 4 floors × 5 bays of windows, plus the ground floor's windows between its doors (bays 1, 3).
    assert_eq!(count("window"), 4 * 5 + 2);
    assert_eq!(count("door"), 3);
    assert_eq!(count("balcony"), 0);
    assert_eq!(count("shop"), 0);
    // A plain ground floor leaves the door's bay free: no window overlaps the door.
    for bays in [5, 6, 7] {
        let plain = FacadeParams {
            ground: GroundFloor::Plain,
            bays: (bays, bays),
            ..p.clone()
        };
        let l = layout(&plain);
        let door = l.regions.iter().find(|r| r.class == "door").unwrap();
        let ground_top = *l.floor_tops.last().unwrap();
        for w in l
            .regions
            .iter()
            .filter(|r| r.class == "window" && r.y0 >= ground_top)
        {
            let apart = w.x1 < door.x0 || w.x0 > door.x1 || w.y1 < door.y0 || w.y0 > door.y1;
            assert!(
                apart,
                "{bays} bays: window {w:?} overlaps the door {door:?}"
            );
        }
    }
    let all_balconies = FacadeParams { balcony: 1.0, ..p };
    assert_eq!(
        layout(&all_balconies)
            .regions
            .iter()
            .filter(|r| r.class == "balcony")
            .count(),
        20
    );
}

#[test]
fn bad_parameters_are_refused_by_name_and_nothing_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("set");
    let cases: [(&[&str], &str); 4] = [
        (&["--floors", "0"], "--floors 0-0: give at least 1"),
        (
            &["--window-width", "5"],
            "--window-width 5 m does not fit a bay",
        ),
        (&["--px-per-m", "900"], "above the limit of 8192 a side"),
        (
            &["--bays", "three"],
            "give a whole number or a range like 3-5",
        ),
    ];
    for (extra, message) in cases {
        let mut args = vec!["generate", "--out", s(&out), "--no-render"];
        args.extend_from_slice(extra);
        let result = common::facade_cli(&args);
        let shown = text(&result);
        assert!(!result.status.success(), "{extra:?} was accepted");
        assert!(shown.contains(message), "{extra:?}: {shown}");
        assert!(!out.exists(), "{extra:?} left {}", out.display());
    }
}
