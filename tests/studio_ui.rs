//! The painting window driven through its real widgets with egui_kittest: classes by swatch and
//! key, brush and rectangle strokes, fill, undo/redo, import, save/reopen, error dialogs, and a
//! render from the worker reaching the preview.
#![cfg(feature = "studio")]

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use eframe::App as _;
use egui::{Event, Key, Modifiers, PointerButton, Pos2};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use facade_studio::backend::BackendChoice;
use facade_studio::document::project::Project;
use facade_studio::label_map::LabelMap;
use facade_studio::ui::{StudioApp, StudioOptions};

fn options(state: &Path) -> StudioOptions {
    StudioOptions {
        model: None,
        backend: BackendChoice::Cpu,
        state_dir: state.to_path_buf(),
        open: None,
        render: false,
        ..StudioOptions::default()
    }
}

fn harness(app: StudioApp) -> Harness<'static, StudioApp> {
    let mut frame = eframe::Frame::_new_kittest();
    Harness::builder()
        .with_size(egui::vec2(1280.0, 760.0))
        .with_max_steps(12)
        .build_ui_state(
            move |ui, app: &mut StudioApp| {
                app.logic(ui.ctx(), &mut frame);
                app.ui(ui, &mut frame);
            },
            app,
        )
}

fn settle(h: &mut Harness<'static, StudioApp>) {
    h.run_steps(3);
}

fn blank_app(state: &Path) -> Harness<'static, StudioApp> {
    let mut app = StudioApp::new(options(state));
    app.doc = facade_studio::document::Document::new(LabelMap::filled(256, 256, 1));
    let mut h = harness(app);
    settle(&mut h);
    h
}

fn at(h: &Harness<'static, StudioApp>, x: i32, y: i32) -> Pos2 {
    h.state().canvas.screen_pos((x, y))
}

fn press(h: &mut Harness<'static, StudioApp>, pos: Pos2, pressed: bool, modifiers: Modifiers) {
    h.event_modifiers(
        Event::PointerButton {
            pos,
            button: PointerButton::Primary,
            pressed,
            modifiers,
        },
        modifiers,
    );
}

/// A primary-button drag through `points` (map pixels).
fn drag(h: &mut Harness<'static, StudioApp>, points: &[(i32, i32)]) {
    let first = at(h, points[0].0, points[0].1);
    h.hover_at(first);
    h.step();
    press(h, first, true, Modifiers::NONE);
    h.step();
    for &(x, y) in &points[1..] {
        let p = at(h, x, y);
        h.hover_at(p);
        h.step();
    }
    let last = *points.last().unwrap();
    let p = at(h, last.0, last.1);
    press(h, p, false, Modifiers::NONE);
    h.step();
    settle(h);
}

fn click(h: &mut Harness<'static, StudioApp>, x: i32, y: i32, modifiers: Modifiers) {
    let p = at(h, x, y);
    h.hover_at(p);
    h.step();
    press(h, p, true, modifiers);
    press(h, p, false, modifiers);
    h.step();
    settle(h);
}

#[test]
fn classes_are_chosen_by_swatch_and_by_key() {
    let state = tempfile::tempdir().unwrap();
    let mut h = blank_app(state.path());
    h.get_by_label("swatch door").click();
    settle(&mut h);
    assert_eq!(
        h.state().palette.classes[h.state().tools.class as usize].name,
        "door"
    );
    h.key_press(Key::Num7);
    settle(&mut h);
    assert_eq!(
        h.state().palette.classes[h.state().tools.class as usize].name,
        "balcony"
    );
    h.key_press(Key::Minus);
    settle(&mut h);
    assert_eq!(
        h.state().palette.classes[h.state().tools.class as usize].name,
        "pillar"
    );
    // Tool keys and brush size keys.
    h.key_press(Key::R);
    settle(&mut h);
    assert_eq!(h.state().tools.tool, facade_studio::ui::tools::Tool::Rect);
    let r = h.state().tools.radius;
    h.key_press(Key::CloseBracket);
    settle(&mut h);
    assert!(h.state().tools.radius > r);
}

#[test]
fn brush_stroke_rectangle_fill_and_undo_redo_edit_the_map() {
    let state = tempfile::tempdir().unwrap();
    let mut h = blank_app(state.path());
    // Brush: window class, radius 2, a horizontal stroke along y = 50.
    h.key_press(Key::Num3);
    h.key_press(Key::B);
    settle(&mut h);
    h.state_mut().tools.radius = 2;
    drag(&mut h, &[(40, 50), (60, 50), (80, 50), (100, 50)]);
    {
        let map = &h.state().doc.map;
        for x in [40, 55, 70, 85, 100] {
            assert_eq!(map.get(x, 50), 2, "stroke missing at x = {x}");
        }
        assert_eq!(map.get(70, 55), 1, "the brush is only radius 2");
    }
    let after_stroke = h.state().doc.map.clone();

    // Rectangle: door class from (120, 120) to (160, 200).
    h.key_press(Key::Num4);
    h.key_press(Key::R);
    settle(&mut h);
    drag(&mut h, &[(120, 120), (140, 160), (160, 200)]);
    {
        let map = &h.state().doc.map;
        assert_eq!(map.get(120, 120), 3);
        assert_eq!(map.get(160, 200), 3);
        assert_eq!(map.get(140, 170), 3);
        assert_eq!(map.get(161, 170), 1);
        assert_eq!(map.get(140, 201), 1);
    }

    // Flood fill the wall with the shop class: everything but the stroke and the door.
    h.key_press(Key::Equals);
    h.key_press(Key::F);
    settle(&mut h);
    click(&mut h, 10, 10, Modifiers::NONE);
    {
        let map = &h.state().doc.map;
        assert_eq!(map.get(10, 10), 11);
        assert_eq!(map.get(250, 250), 11);
        assert_eq!(map.get(140, 170), 3, "the door is another region");
        assert_eq!(map.get(70, 50), 2);
    }

    // Undo twice (fill, rectangle) with the keys; redo once.
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    settle(&mut h);
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    settle(&mut h);
    assert_eq!(
        h.state().doc.map,
        after_stroke,
        "two undos bring back the map after the stroke"
    );
    h.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, Key::Z);
    settle(&mut h);
    assert_eq!(
        h.state().doc.map.get(140, 170),
        3,
        "redo brings the rectangle back"
    );
    // The whole stroke is one undo step.
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    settle(&mut h);
    assert!(
        h.state().doc.map.ids.iter().all(|&c| c == 1),
        "one undo removes the whole stroke"
    );

    // Alt-click picks the class under the pointer.
    h.state_mut().doc.map.set(5, 5, 6);
    h.state_mut().doc.revision += 1;
    h.key_press(Key::B);
    settle(&mut h);
    click(&mut h, 5, 5, Modifiers::ALT);
    assert_eq!(h.state().tools.class, 6);
}

#[test]
fn importing_a_jpeg_smeared_label_image_snaps_it_to_the_palette() {
    let state = tempfile::tempdir().unwrap();
    let mut h = blank_app(state.path());
    let palette = facade_studio::palette::Palette::cmp_facades();
    let layout = facade_studio::document::sample::facade_layout(128, 128, 3, &palette);
    let jpeg = state.path().join("layout.jpg");
    let mut bytes = Vec::new();
    layout
        .to_rgb(&palette)
        .write_with_encoder(image::codecs::jpeg::JpegEncoder::new_with_quality(
            &mut bytes, 80,
        ))
        .unwrap();
    std::fs::write(&jpeg, bytes).unwrap();
    h.state_mut().import_labels(&jpeg).unwrap();
    settle(&mut h);
    let map = h.state().doc.map.clone();
    assert_eq!((map.width, map.height), (256, 256), "resized to the canvas");
    let expected = layout.resized(256, 256);
    assert_eq!(map.ids.len(), expected.ids.len());
    let same = map
        .ids
        .iter()
        .zip(&expected.ids)
        .filter(|(a, b)| a == b)
        .count();
    assert!(same as f64 / map.ids.len() as f64 > 0.97);
    // One undo step.
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    settle(&mut h);
    assert!(h.state().doc.map.ids.iter().all(|&c| c == 1));
}

#[test]
fn save_and_reopen_give_the_same_painting() {
    let state = tempfile::tempdir().unwrap();
    let mut h = blank_app(state.path());
    h.key_press(Key::Num3);
    h.key_press(Key::R);
    settle(&mut h);
    drag(&mut h, &[(10, 10), (90, 60)]);
    assert!(h.state().doc.is_dirty());
    let file = state.path().join("painting.ron");
    h.state_mut().preview.seed = 42;
    h.state_mut().save_project(&file).unwrap();
    assert!(!h.state().doc.is_dirty());
    let saved = h.state().doc.map.clone();

    let mut other = StudioApp::new(StudioOptions {
        open: Some(file.clone()),
        ..options(state.path())
    });
    assert!(other.errors.is_empty(), "{:?}", other.errors);
    assert_eq!(other.doc.map, saved);
    assert_eq!(other.preview.seed, 42);
    assert_eq!(other.recent.first(), Some(&file));
    // Exports write PNGs of the canvas size.
    let labels = state.path().join("labels.png");
    other.export_labels(&labels).unwrap();
    assert_eq!(image::open(&labels).unwrap().width(), 256);
    assert!(
        other.export_render(&state.path().join("r.png")).is_err(),
        "no render yet is an error, not a panic"
    );
    other.new_canvas(512, 256);
    assert_eq!((other.doc.map.width, other.doc.map.height), (512, 256));
}

#[test]
fn corrupt_files_show_an_error_dialog_and_keep_the_painting() {
    let state = tempfile::tempdir().unwrap();
    let mut h = blank_app(state.path());
    h.key_press(Key::Num3);
    h.key_press(Key::R);
    settle(&mut h);
    drag(&mut h, &[(10, 10), (50, 50)]);
    let before = h.state().doc.map.clone();

    let bad_project = state.path().join("broken.ron");
    std::fs::write(
        &bad_project,
        "(version: 1, width: 4, height: 4, palette: \"cmp\", runs: [(0, 3)], seed: 0, model: \"\")",
    )
    .unwrap();
    let bad_image = state.path().join("broken.png");
    std::fs::write(&bad_image, b"\x89PNG\r\n\x1a\nnot really").unwrap();
    let garbage = state.path().join("garbage.ron");
    std::fs::write(&garbage, "{{{{ not ron").unwrap();
    for path in [&bad_project, &bad_image, &garbage] {
        h.state_mut().open_any(path);
    }
    settle(&mut h);
    assert_eq!(h.state().doc.map, before, "the painting is untouched");
    let errors = h.state().errors.clone();
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert!(
        errors[0].contains("broken.ron") && errors[0].contains("16"),
        "{}",
        errors[0]
    );
    assert!(errors[1].contains("broken.png"), "{}", errors[1]);
    assert!(errors[2].contains("garbage.ron"), "{}", errors[2]);
    // The dialog is shown and dismissed with OK, one error at a time.
    h.get_by_label("Something went wrong");
    h.get_by_label("OK").click();
    settle(&mut h);
    assert_eq!(h.state().errors.len(), 2);
}

#[test]
fn unsaved_work_is_autosaved_and_offered_at_the_next_start() {
    let state = tempfile::tempdir().unwrap();
    let mut h = blank_app(state.path());
    h.key_press(Key::Num3);
    h.key_press(Key::R);
    settle(&mut h);
    drag(&mut h, &[(30, 30), (70, 80)]);
    let painted = h.state().doc.map.clone();
    // The first change is written at once (then at most every few seconds).
    let recovery = state.path().join("recovery.ron");
    assert!(recovery.is_file(), "recovery file written");
    drop(h); // a crash: no clean exit

    let mut h = harness(StudioApp::new(options(state.path())));
    settle(&mut h);
    assert!(h.state().offer_recovery.is_some());
    h.get_by_label("Restore").click();
    settle(&mut h);
    assert_eq!(h.state().doc.map, painted);
    let project = Project::load(&recovery).unwrap();
    assert_eq!(project.to_map(12, &recovery).unwrap(), painted);
}

#[test]
fn a_render_from_the_worker_reaches_the_preview() {
    let state = tempfile::tempdir().unwrap();
    // A tiny model on the CPU backend.
    let model = state.path().join("tiny.fsw");
    common::save_untrained_model(&model, "tiny test model", &common::tiny_model(32), 1);
    let app = StudioApp::new(StudioOptions {
        model: Some(model),
        render: true,
        ..options(state.path())
    });
    let mut h = harness(app);
    let deadline = Instant::now() + Duration::from_secs(60);
    while h.state().preview.renders == 0 && Instant::now() < deadline {
        h.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    let preview = &h.state().preview;
    assert!(
        preview.renders > 0,
        "no render arrived: {:?}",
        preview.error
    );
    assert_eq!(preview.model_name.as_deref(), Some("tiny test model"));
    let img = preview.image.as_ref().unwrap();
    assert_eq!(img.dimensions(), (256, 256));
    assert!(preview.device.as_deref().unwrap_or("").contains("CPU"));
    // A stroke makes a new revision, and its render arrives too.
    let shown = preview.shown.unwrap().0;
    h.key_press(Key::R);
    h.step();
    drag(&mut h, &[(10, 10), (100, 100)]);
    let deadline = Instant::now() + Duration::from_secs(60);
    while h.state().preview.shown.map(|s| s.0) == Some(shown) && Instant::now() < deadline {
        h.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        h.state().preview.shown.map(|s| s.0),
        Some(h.state().doc.revision)
    );
}

#[test]
fn line_eraser_zoom_pan_and_new_canvas_from_the_menu() {
    let state = tempfile::tempdir().unwrap();
    let mut h = blank_app(state.path());
    // Line: molding (key 0), radius 1, from (20, 200) to (200, 200).
    h.key_press(Key::Num0);
    h.key_press(Key::L);
    settle(&mut h);
    h.state_mut().tools.radius = 1;
    drag(&mut h, &[(20, 200), (100, 200), (200, 200)]);
    {
        let map = &h.state().doc.map;
        assert_eq!(map.get(20, 200), 9);
        assert_eq!(map.get(110, 201), 9, "radius 1 covers the next row");
        assert_eq!(map.get(110, 203), 1);
    }
    // Eraser paints the background class (facade) over the line.
    h.key_press(Key::E);
    settle(&mut h);
    h.state_mut().tools.radius = 3;
    drag(&mut h, &[(100, 200), (120, 200)]);
    assert_eq!(
        h.state().doc.map.get(110, 200),
        h.state().palette.background
    );
    assert_eq!(
        h.state().doc.map.get(50, 200),
        9,
        "outside the eraser the line stays"
    );

    // The wheel zooms about the pointer: the pixel under it stays put.
    let before_zoom = h.state().canvas.zoom;
    let p = at(&h, 128, 128);
    h.hover_at(p);
    h.step();
    h.event(Event::MouseWheel {
        unit: egui::MouseWheelUnit::Point,
        delta: egui::vec2(0.0, 120.0),
        phase: egui::TouchPhase::Move,
        source: egui::MouseWheelSource::Wheel,
        modifiers: Modifiers::NONE,
    });
    settle(&mut h);
    assert!(h.state().canvas.zoom > before_zoom * 1.2, "zoomed in");
    assert_eq!(
        h.state().canvas.hover,
        Some((128, 128)),
        "the pixel under the pointer stays under it"
    );
    // Middle-drag pans.
    let pan = h.state().canvas.pan;
    let from = at(&h, 100, 100);
    h.event(Event::PointerMoved(from));
    h.event(Event::PointerButton {
        pos: from,
        button: PointerButton::Middle,
        pressed: true,
        modifiers: Modifiers::NONE,
    });
    h.step();
    for i in 1..=4 {
        h.event(Event::PointerMoved(
            from + egui::vec2(10.0 * i as f32, 5.0 * i as f32),
        ));
        h.step();
    }
    h.event(Event::PointerButton {
        pos: from + egui::vec2(40.0, 20.0),
        button: PointerButton::Middle,
        pressed: false,
        modifiers: Modifiers::NONE,
    });
    settle(&mut h);
    assert!((h.state().canvas.pan - pan).length() > 20.0, "panned");
    assert_eq!(h.state().doc.map.get(100, 100), 1, "panning does not paint");

    // File → New → 512 × 256 gives a wide canvas of the background class.
    h.get_by_label("File").click();
    settle(&mut h);
    h.get_by_label("New").click();
    settle(&mut h);
    h.get_by_label("512 × 256").click();
    settle(&mut h);
    let map = &h.state().doc.map;
    assert_eq!((map.width, map.height), (512, 256));
    assert!(map.ids.iter().all(|&c| c == h.state().palette.background));
}
