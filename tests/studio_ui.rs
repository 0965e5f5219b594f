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
use facade_studio::ui::{Command, StudioApp, StudioOptions};

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

/// Options that run `steps` (a script's RON text, written as steps.ron in `dir`) at start.
fn scripted(dir: &Path, steps: &str) -> StudioOptions {
    let script = dir.join("steps.ron");
    std::fs::write(&script, steps).unwrap();
    StudioOptions {
        script: Some(script),
        ..options(dir)
    }
}

fn harness(app: StudioApp) -> Harness<'static, StudioApp> {
    harness_sized(app, egui::vec2(1280.0, 760.0))
}

fn harness_sized(app: StudioApp, size: egui::Vec2) -> Harness<'static, StudioApp> {
    let mut frame = eframe::Frame::_new_kittest();
    Harness::builder()
        .with_size(size)
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
    let mut h = harness(StudioApp::new(StudioOptions {
        blank: Some((256, 256)),
        ..options(state)
    }));
    settle(&mut h);
    h
}

fn at(h: &Harness<'static, StudioApp>, x: i32, y: i32) -> Pos2 {
    h.state().canvas().screen_pos((x, y))
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
        h.state().palette().classes[h.state().tools().class as usize].name,
        "door"
    );
    h.key_press(Key::Num7);
    settle(&mut h);
    assert_eq!(
        h.state().palette().classes[h.state().tools().class as usize].name,
        "balcony"
    );
    h.key_press(Key::Minus);
    settle(&mut h);
    assert_eq!(
        h.state().palette().classes[h.state().tools().class as usize].name,
        "pillar"
    );
    // Tool keys and brush size keys.
    h.key_press(Key::R);
    settle(&mut h);
    assert_eq!(h.state().tools().tool, facade_studio::ui::tool::Tool::Rect);
    let r = h.state().tools().radius;
    h.key_press(Key::CloseBracket);
    settle(&mut h);
    assert!(h.state().tools().radius > r);
}

#[test]
fn brush_stroke_rectangle_fill_and_undo_redo_edit_the_map() {
    let state = tempfile::tempdir().unwrap();
    let mut h = blank_app(state.path());
    // Brush: window class, radius 2, a horizontal stroke along y = 50.
    h.key_press(Key::Num3);
    h.key_press(Key::B);
    settle(&mut h);
    h.state_mut().execute(Command::SetBrushRadius(2));
    drag(&mut h, &[(40, 50), (60, 50), (80, 50), (100, 50)]);
    {
        let map = &h.state().doc().map;
        for x in [40, 55, 70, 85, 100] {
            assert_eq!(map.get(x, 50), 2, "stroke missing at x = {x}");
        }
        assert_eq!(map.get(70, 55), 1, "the brush is only radius 2");
    }
    let after_stroke = h.state().doc().map.clone();

    // Rectangle: door class from (120, 120) to (160, 200).
    h.key_press(Key::Num4);
    h.key_press(Key::R);
    settle(&mut h);
    drag(&mut h, &[(120, 120), (140, 160), (160, 200)]);
    {
        let map = &h.state().doc().map;
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
        let map = &h.state().doc().map;
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
        h.state().doc().map,
        after_stroke,
        "two undos bring back the map after the stroke"
    );
    h.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, Key::Z);
    settle(&mut h);
    assert_eq!(
        h.state().doc().map.get(140, 170),
        3,
        "redo brings the rectangle back"
    );
    // The whole stroke is one undo step.
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    settle(&mut h);
    assert!(
        h.state().doc().map.ids.iter().all(|&c| c == 1),
        "one undo removes the whole stroke"
    );

    // Alt-click picks the class under the pointer.
    h.state_mut()
        .execute(Command::Edit(facade_studio::document::Edit::Rect {
            a: (5, 5),
            b: (5, 5),
            class: 6,
        }));
    h.key_press(Key::B);
    settle(&mut h);
    click(&mut h, 5, 5, Modifiers::ALT);
    assert_eq!(h.state().tools().class, 6);
}

#[test]
fn importing_a_jpeg_smeared_label_image_snaps_it_to_the_palette() {
    let state = tempfile::tempdir().unwrap();
    let mut h = blank_app(state.path());
    let palette = facade_studio::palette::Palette::cmp_facades();
    let layout = facade_studio::generate::sample::random_sample(128, 128, 3, &palette);
    let jpeg = state.path().join("layout.jpg");
    let mut bytes = Vec::new();
    layout
        .to_rgb(&palette)
        .write_with_encoder(image::codecs::jpeg::JpegEncoder::new_with_quality(
            &mut bytes, 80,
        ))
        .unwrap();
    std::fs::write(&jpeg, bytes).unwrap();
    h.state_mut()
        .execute(Command::ImportLabels(Some(jpeg.clone())));
    settle(&mut h);
    assert!(h.state().errors().is_empty(), "{:?}", h.state().errors());
    let map = h.state().doc().map.clone();
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
    assert!(h.state().doc().map.ids.iter().all(|&c| c == 1));
}

#[test]
fn save_and_reopen_give_the_same_painting() {
    let state = tempfile::tempdir().unwrap();
    let mut h = blank_app(state.path());
    h.key_press(Key::Num3);
    h.key_press(Key::R);
    settle(&mut h);
    drag(&mut h, &[(10, 10), (90, 60)]);
    assert!(h.state().doc().is_dirty());
    let file = state.path().join("painting.ron");
    h.state_mut().execute(Command::Vary);
    let seed = h.state().preview().seed;
    assert_ne!(seed, StudioApp::new(options(state.path())).preview().seed);
    h.state_mut().execute(Command::SaveAs(Some(file.clone())));
    assert!(h.state().errors().is_empty(), "{:?}", h.state().errors());
    assert!(!h.state().doc().is_dirty());
    let saved = h.state().doc().map.clone();

    let mut other = StudioApp::new(StudioOptions {
        open: Some(file.clone()),
        ..options(state.path())
    });
    assert!(other.errors().is_empty(), "{:?}", other.errors());
    assert_eq!(other.doc().map, saved);
    assert_eq!(other.preview().seed, seed, "the project keeps the seed");
    assert_eq!(other.recent().first(), Some(&file));
    // Exports write PNGs of the canvas size.
    let labels = state.path().join("labels.png");
    other.execute(Command::ExportLabels(Some(labels.clone())));
    assert!(other.errors().is_empty(), "{:?}", other.errors());
    assert_eq!(image::open(&labels).unwrap().width(), 256);
    other.execute(Command::ExportRender(Some(state.path().join("r.png"))));
    let error = other.errors().first().cloned().unwrap_or_default();
    assert!(
        error.contains("no render yet"),
        "no render yet is an error, not a panic: {error}"
    );
    other.execute(Command::New {
        width: 512,
        height: 256,
    });
    assert_eq!((other.doc().map.width, other.doc().map.height), (512, 256));
}

#[test]
fn corrupt_files_show_an_error_dialog_and_keep_the_painting() {
    let state = tempfile::tempdir().unwrap();
    let mut h = blank_app(state.path());
    h.key_press(Key::Num3);
    h.key_press(Key::R);
    settle(&mut h);
    drag(&mut h, &[(10, 10), (50, 50)]);
    let before = h.state().doc().map.clone();

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
        h.state_mut()
            .execute(Command::Open(Some(path.to_path_buf())));
    }
    settle(&mut h);
    assert_eq!(h.state().doc().map, before, "the painting is untouched");
    let errors = h.state().errors().to_vec();
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
    assert_eq!(h.state().errors().len(), 2);
}

#[test]
fn unsaved_work_is_autosaved_and_offered_at_the_next_start() {
    let state = tempfile::tempdir().unwrap();
    let mut h = blank_app(state.path());
    h.key_press(Key::Num3);
    h.key_press(Key::R);
    settle(&mut h);
    drag(&mut h, &[(30, 30), (70, 80)]);
    let painted = h.state().doc().map.clone();
    // The first change is written at once (then at most every few seconds).
    let recovery = state.path().join("recovery.ron");
    assert!(recovery.is_file(), "recovery file written");
    drop(h); // a crash: no clean exit

    let mut h = harness(StudioApp::new(options(state.path())));
    settle(&mut h);
    assert!(h.state().offered_recovery().is_some());
    h.get_by_label("Restore").click();
    settle(&mut h);
    assert_eq!(h.state().doc().map, painted);
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
    while h.state().preview().renders == 0 && Instant::now() < deadline {
        h.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    let preview = &h.state().preview();
    assert!(
        preview.renders > 0,
        "no render arrived: {:?}",
        preview.error
    );
    assert_eq!(preview.model_name(), Some("tiny test model"));
    let img = preview.image.as_ref().unwrap();
    assert_eq!(img.dimensions(), (256, 256));
    assert!(
        preview
            .model
            .as_ref()
            .map_or("", |m| m.device.as_str())
            .contains("CPU")
    );
    // A stroke makes a new revision, and its render arrives too.
    let shown = preview.shown.unwrap().0;
    h.key_press(Key::R);
    h.step();
    drag(&mut h, &[(10, 10), (100, 100)]);
    let deadline = Instant::now() + Duration::from_secs(60);
    while h.state().preview().shown.map(|s| s.0) == Some(shown) && Instant::now() < deadline {
        h.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        h.state().preview().shown.map(|s| s.0),
        Some(h.state().doc().revision)
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
    h.state_mut().execute(Command::SetBrushRadius(1));
    drag(&mut h, &[(20, 200), (100, 200), (200, 200)]);
    {
        let map = &h.state().doc().map;
        assert_eq!(map.get(20, 200), 9);
        assert_eq!(map.get(110, 201), 9, "radius 1 covers the next row");
        assert_eq!(map.get(110, 203), 1);
    }
    // Eraser paints the background class (facade) over the line.
    h.key_press(Key::E);
    settle(&mut h);
    h.state_mut().execute(Command::SetBrushRadius(3));
    drag(&mut h, &[(100, 200), (120, 200)]);
    assert_eq!(
        h.state().doc().map.get(110, 200),
        h.state().palette().background
    );
    assert_eq!(
        h.state().doc().map.get(50, 200),
        9,
        "outside the eraser the line stays"
    );

    // The wheel zooms about the pointer: the pixel under it stays put.
    let before_zoom = h.state().canvas().zoom;
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
    assert!(h.state().canvas().zoom > before_zoom * 1.2, "zoomed in");
    assert_eq!(
        h.state().canvas().hover,
        Some((128, 128)),
        "the pixel under the pointer stays under it"
    );
    // Middle-drag pans.
    let pan = h.state().canvas().pan;
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
    assert!((h.state().canvas().pan - pan).length() > 20.0, "panned");
    assert_eq!(
        h.state().doc().map.get(100, 100),
        1,
        "panning does not paint"
    );

    // File → New → 512 × 256 gives a wide canvas of the background class.
    h.get_by_label("File").click();
    settle(&mut h);
    h.get_by_label("New").click();
    settle(&mut h);
    h.get_by_label("512 × 256").click();
    settle(&mut h);
    let map = &h.state().doc().map;
    assert_eq!((map.width, map.height), (512, 256));
    assert!(map.ids.iter().all(|&c| c == h.state().palette().background));
}

/// Opens `menu` and clicks `item` in it.
fn menu(h: &mut Harness<'static, StudioApp>, menu: &str, item: &str) {
    h.get_by_label(menu).click();
    settle(h);
    h.get_by_label(item).click();
    settle(h);
}

fn assert_same_painting(a: &Harness<'static, StudioApp>, b: &Harness<'static, StudioApp>) {
    let (a, b) = (&a.state().doc(), &b.state().doc());
    assert_eq!((a.map.width, a.map.height), (b.map.width, b.map.height));
    assert_eq!(a.map.ids.len(), b.map.ids.len());
    assert!(a.map == b.map, "the two paintings differ");
    assert_eq!(a.revision, b.revision);
    assert_eq!((a.can_undo(), a.can_redo()), (b.can_undo(), b.can_redo()));
}

#[test]
fn a_menu_item_its_button_and_its_shortcut_give_the_same_result() {
    let (state_a, state_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut by_menu = blank_app(state_a.path());
    let mut by_key = blank_app(state_b.path());
    // Tools and classes: the panel's buttons and the keys.
    by_menu.get_by_label("Rectangle (R)").click();
    by_menu.get_by_label("window  [3]").click();
    settle(&mut by_menu);
    by_key.key_press(Key::R);
    by_key.key_press(Key::Num3);
    settle(&mut by_key);
    for h in [&by_menu, &by_key] {
        assert_eq!(h.state().tools().tool, facade_studio::ui::tool::Tool::Rect);
        assert_eq!(h.state().tools().class, 2);
    }
    for h in [&mut by_menu, &mut by_key] {
        drag(h, &[(10, 10), (60, 40)]);
        h.key_press(Key::Num4);
        settle(h);
        drag(h, &[(100, 100), (150, 180)]);
    }
    assert_same_painting(&by_menu, &by_key);
    assert_eq!(
        by_menu.state().doc().map.get(120, 140),
        3,
        "the door is painted"
    );

    // Undo: Edit → "Undo (Ctrl+Z)" and Ctrl+Z.
    menu(&mut by_menu, "Edit", "Undo (Ctrl+Z)");
    by_key.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    settle(&mut by_key);
    assert_same_painting(&by_menu, &by_key);
    assert_eq!(
        by_menu.state().doc().map.get(120, 140),
        1,
        "the door is undone"
    );
    assert_eq!(by_menu.state().doc().map.get(30, 30), 2, "the window stays");

    // Redo: Edit → "Redo (Ctrl+Shift+Z)" and Ctrl+Shift+Z.
    menu(&mut by_menu, "Edit", "Redo (Ctrl+Shift+Z)");
    by_key.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, Key::Z);
    settle(&mut by_key);
    assert_same_painting(&by_menu, &by_key);
    assert_eq!(
        by_menu.state().doc().map.get(120, 140),
        3,
        "the door is back"
    );

    // The toolbar's Undo / Redo and Redo's second shortcut, Ctrl+Y.
    by_menu.get_by_label("Undo").click();
    settle(&mut by_menu);
    by_key.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    settle(&mut by_key);
    assert_same_painting(&by_menu, &by_key);
    by_menu.get_by_label("Redo").click();
    settle(&mut by_menu);
    by_key.key_press_modifiers(Modifiers::COMMAND, Key::Y);
    settle(&mut by_key);
    assert_same_painting(&by_menu, &by_key);
    assert_eq!(by_key.state().doc().map.get(120, 140), 3);

    // Save: File → "Save (Ctrl+S)" and Ctrl+S, each to its project's file (no dialog).
    let (file_a, file_b) = (state_a.path().join("a.ron"), state_b.path().join("b.ron"));
    for (h, file) in [(&mut by_menu, &file_a), (&mut by_key, &file_b)] {
        // Saved once under its name, then one more edit that only Save can write.
        h.state_mut().execute(Command::SaveAs(Some(file.clone())));
        h.state_mut()
            .execute(Command::Edit(facade_studio::document::Edit::Rect {
                a: (200, 10),
                b: (220, 30),
                class: 4,
            }));
        assert!(h.state().doc().is_dirty());
    }
    menu(&mut by_menu, "File", "Save (Ctrl+S)");
    by_key.key_press_modifiers(Modifiers::COMMAND, Key::S);
    settle(&mut by_key);
    for (h, file) in [(&by_menu, &file_a), (&by_key, &file_b)] {
        assert!(h.state().errors().is_empty(), "{:?}", h.state().errors());
        assert!(!h.state().doc().is_dirty(), "saved");
        assert_eq!(h.state().recent().first(), Some(file));
        let saved = Project::load(file).unwrap().to_map(12, file).unwrap();
        assert!(
            saved == h.state().doc().map,
            "{} holds the painting",
            file.display()
        );
    }
}

#[test]
fn a_script_paints_undoes_saves_and_exports_through_the_app_commands() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.ron");
    let labels = dir.path().join("labels.png");
    let steps = format!(
        r#"[
                Rect(a: (1, 1), b: (9, 9), class: "window"),
                Rect(a: (20, 20), b: (40, 40), class: "door"),
                Undo,
                Save({out:?}),
                ExportLabels({labels:?}),
                ZoomIn,
                Rect(a: (50, 50), b: (60, 60), class: 3),
            ]"#
    );
    let app = StudioApp::new(scripted(dir.path(), &steps));
    let mut h = harness(app);
    settle(&mut h);
    assert!(h.state().errors().is_empty(), "{:?}", h.state().errors());

    // The saved project is the painting after Undo: the window, no door.
    let palette = facade_studio::palette::Palette::cmp_facades();
    let mut expected = facade_studio::document::Document::new(
        facade_studio::generate::sample::random_sample(256, 256, 1, &palette),
    );
    expected.apply(facade_studio::document::Edit::Rect {
        a: (1, 1),
        b: (9, 9),
        class: 2,
    });
    let saved = Project::load(&out).unwrap().to_map(12, &out).unwrap();
    assert!(
        saved == expected.map,
        "out.ron holds the painting after Undo"
    );
    assert_eq!(h.state().project_path(), Some(out.as_path()));
    assert_eq!(h.state().recent().first(), Some(&out));
    let png = image::open(&labels).unwrap().to_rgb8();
    assert_eq!(png.dimensions(), (256, 256));
    assert_eq!(png.get_pixel(5, 5).0, palette.colour(2), "the window");
    // The steps after Save ran too, as ordinary commands: zoomed, painted, unsaved, undoable.
    assert!(!h.state().canvas().fit, "ZoomIn leaves fit mode");
    assert_eq!(h.state().doc().map.get(55, 55), 3);
    assert!(h.state().doc().is_dirty());
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    settle(&mut h);
    assert!(
        h.state().doc().map == expected.map,
        "Ctrl+Z undoes the last scripted edit"
    );
}

#[test]
fn a_failing_script_step_stops_the_script_and_names_the_step() {
    let dir = tempfile::tempdir().unwrap();
    let after = dir.path().join("after.ron");
    let render = dir.path().join("r.png");
    let steps = format!(
        r#"[Rect(a: (1, 1), b: (9, 9), class: "window"), ExportRender({render:?}), Save({after:?})]"#
    );
    // No render worker: the export cannot wait for a render, so it fails and says why.
    let app = StudioApp::new(scripted(dir.path(), &steps));
    let errors = app.errors().to_vec();
    assert_eq!(errors.len(), 1, "{errors:?}");
    for part in ["steps.ron", "step 2", "ExportRender", "no render yet"] {
        assert!(
            errors[0].contains(part),
            "{part:?} missing from {}",
            errors[0]
        );
    }
    assert_eq!(app.doc().map.get(5, 5), 2, "step 1 ran");
    assert!(!after.exists(), "step 3 did not run");
    assert!(!render.exists());
}

#[test]
fn a_scripted_render_export_waits_for_the_render() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("tiny.fsw");
    common::save_untrained_model(&model, "tiny test model", &common::tiny_model(32), 1);
    let (render, pair) = (dir.path().join("r.png"), dir.path().join("pair.png"));
    let bundle = dir.path().join("bundle");
    let steps = format!(
        r#"[Rect(a: (0, 0), b: (255, 127), class: "window"), ExportRender({render:?}),
                Fill(at: (0, 255), class: "shop"), Vary, ExportSideBySide({pair:?}),
                ExportBundle({bundle:?})]"#
    );
    let app = StudioApp::new(StudioOptions {
        model: Some(model),
        render: true,
        ..scripted(dir.path(), &steps)
    });
    assert!(!render.exists(), "no render yet: the export waits");
    assert_eq!(app.doc().map.get(0, 0), 2, "the steps before it ran");
    let mut h = harness(app);
    let deadline = Instant::now() + Duration::from_secs(90);
    while !bundle.join("facade.json").exists() && Instant::now() < deadline {
        h.step();
        assert!(h.state().errors().is_empty(), "{:?}", h.state().errors());
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(image::open(&render).unwrap().width(), 256);
    let pair = image::open(&pair).unwrap().to_rgb8();
    assert_eq!(pair.dimensions(), (512, 256));
    let palette = facade_studio::palette::Palette::cmp_facades();
    assert_eq!(
        pair.get_pixel(256, 255).0,
        palette.colour(11),
        "the labels half shows the fill that came before the export"
    );
    assert_ne!(h.state().preview().seed, 0, "Vary ran");

    // The game-engine bundle: the canvas's labels and maps, and rectangles that redraw it.
    for name in [
        "labels.png",
        "albedo.png",
        "emission.png",
        "height.png",
        "normal.png",
        "orm.png",
    ] {
        let img = image::open(bundle.join(name)).unwrap();
        assert_eq!((img.width(), img.height()), (256, 256), "{name}");
    }
    let desc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(bundle.join("facade.json")).unwrap())
            .unwrap();
    let regions = desc["regions"].as_array().unwrap();
    let top =
        serde_json::json!({"class": "window", "px": [0, 0, 255, 127], "m": [0.0, 0.0, 16.0, 8.0]});
    assert!(
        regions.contains(&top),
        "the painted rectangle is one region"
    );
    let (labels, _) = LabelMap::load_image(&bundle.join("labels.png"), &palette).unwrap();
    let drawn = common::draw_regions(&desc, &palette);
    assert!(
        same_map(&drawn, &labels),
        "facade.json's rectangles redraw labels.png"
    );
    assert_eq!(desc["seed"].as_u64(), Some(h.state().preview().seed));
    // facade.glb: a 16 × 16 m quad (256 px at the panel's 16 px/m) carrying the render.
    let (root, bin) = common::read_glb(&bundle.join("facade.glb"));
    let (w, h_m) = common::glb_quad_size(&root);
    assert!(
        (w - 16.0).abs() < 1e-4 && (h_m - 16.0).abs() < 1e-4,
        "{w} × {h_m} m"
    );
    let base = root.materials[0]
        .pbr_metallic_roughness
        .base_color_texture
        .as_ref();
    assert_eq!(
        common::glb_texture(&root, &bin, base.unwrap().index.value()).to_rgb8(),
        image::open(bundle.join("albedo.png")).unwrap().to_rgb8()
    );
}

#[test]
fn a_dropped_project_opens_like_file_open() {
    let state = tempfile::tempdir().unwrap();
    let mut h = blank_app(state.path());
    let file = state.path().join("dropped.ron");
    let mut map = LabelMap::filled(128, 64, 1);
    map.set(3, 4, 7);
    Project::from_map(&map, "cmp_facades", 9, "")
        .save(&file)
        .unwrap();
    #[derive(Debug)]
    struct Dropped(std::path::PathBuf);
    impl egui::DroppedFile for Dropped {
        fn path(&self) -> &Path {
            &self.0
        }
        fn bytes(&self) -> Result<Vec<u8>, String> {
            std::fs::read(&self.0).map_err(|e| e.to_string())
        }
    }
    h.input_mut()
        .dropped_files
        .push(std::sync::Arc::new(Dropped(file.clone())));
    h.step();
    settle(&mut h);
    assert!(h.state().errors().is_empty(), "{:?}", h.state().errors());
    assert!(h.state().doc().map == map);
    assert_eq!(h.state().project_path(), Some(file.as_path()));
    assert_eq!(h.state().preview().seed, 9);
}

#[test]
fn command_line_folders_win_over_the_remembered_training_settings() {
    use facade_studio::ui::persisted::Persisted;
    let state = tempfile::tempdir().unwrap();
    let mut remembered = StudioApp::new(options(state.path())).training().settings();
    remembered.data_dir = "remembered/facades".into();
    remembered.run_dir = "remembered/run".into();
    remembered.config.epochs = 7;
    let generated = facade_studio::generate::FacadeParams {
        seed: 9,
        ..Default::default()
    };
    let persisted = || Persisted {
        recent: vec![],
        tools: None,
        training: Some(remembered.clone()),
        generate: Some(generated.clone()),
    };

    // Without folders on the command line, the last session's settings come back.
    let app = StudioApp::restored(options(state.path()), Some(persisted()));
    assert_eq!(app.training().data_dir(), "remembered/facades");
    assert_eq!(app.training().run_dir(), "remembered/run");
    assert_eq!(app.training().settings().config.epochs, 7);
    assert_eq!(
        app.generate().params,
        generated,
        "the Generate panel's parameters come back"
    );

    // `--train-data` and `--run` replace them (a run folder with no run in it yet).
    let (data, run) = (state.path().join("data"), state.path().join("run"));
    std::fs::create_dir_all(&data).unwrap();
    let app = StudioApp::restored(
        StudioOptions {
            train_data: Some(data.clone()),
            run_dir: Some(run.clone()),
            ..options(state.path())
        },
        Some(persisted()),
    );
    assert_eq!(app.training().data_dir(), data.display().to_string());
    assert_eq!(app.training().run_dir(), run.display().to_string());
    assert_eq!(app.mode(), facade_studio::ui::command::Mode::Train);
}

#[test]
fn the_generate_panel_replaces_the_canvas_live_as_one_undo_step() {
    use facade_studio::generate::{FacadeParams, labels, layout};
    let state = tempfile::tempdir().unwrap();
    let mut h = blank_app(state.path());
    let blank = h.state().doc().map.clone();
    let palette = h.state().palette().clone();
    let facade = |p: &FacadeParams| labels(&layout(p), &palette).unwrap();

    h.get_by_label("Generate facade").click();
    settle(&mut h);
    h.get_by_label("Generate").click();
    settle(&mut h);
    let first = FacadeParams::default();
    assert!(
        same_map(&h.state().doc().map, &facade(&first)),
        "not the generated facade"
    );
    h.get_by_label("New seed").click();
    settle(&mut h);
    let second = FacadeParams {
        seed: 2,
        ..first.clone()
    };
    assert!(
        same_map(&h.state().doc().map, &facade(&second)),
        "not the next seed's facade"
    );
    assert!(!same_map(&facade(&first), &facade(&second)));

    // Both generations are one undo step back to the painting before them.
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    settle(&mut h);
    assert!(
        same_map(&h.state().doc().map, &blank),
        "one undo did not restore the painting"
    );

    // Parameters that cannot be built are explained, and the canvas stays.
    h.state_mut().generate_params_mut().window_width_m = 5.0;
    settle(&mut h);
    h.get_by_label_contains("--window-width 5 m does not fit a bay");
    h.get_by_label("Generate").click();
    settle(&mut h);
    assert!(
        same_map(&h.state().doc().map, &blank),
        "an impossible facade replaced the painting"
    );
}

/// Equal maps (compared without printing 65 536 ids on failure).
fn same_map(a: &LabelMap, b: &LabelMap) -> bool {
    (a.width, a.height) == (b.width, b.height) && a.ids == b.ids
}

#[test]
fn the_preview_has_the_canvas_size_even_off_the_training_grid() {
    let state = tempfile::tempdir().unwrap();
    let model = state.path().join("tiny.fsw");
    // Trained at 32 px: a 40×24 canvas is no multiple of it, so it renders by blended tiles.
    common::save_untrained_model(&model, "tiny test model", &common::tiny_model(32), 1);
    let mut h = harness(StudioApp::new(StudioOptions {
        model: Some(model),
        render: true,
        blank: Some((40, 24)),
        ..options(state.path())
    }));
    let deadline = Instant::now() + Duration::from_secs(60);
    while h.state().preview().renders == 0 && Instant::now() < deadline {
        h.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    let img = h
        .state()
        .preview()
        .image
        .as_ref()
        .expect("a render arrived");
    assert_eq!(img.dimensions(), (40, 24));
}

/// Steps the app until `done` holds (or a minute passes), with the worker running.
fn step_until(h: &mut Harness<'static, StudioApp>, done: impl Fn(&StudioApp) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done(h.state()) && Instant::now() < deadline {
        h.step();
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The app rendering with a tiny style-capable model (three training styles) saved in `state`.
fn styled_app(state: &Path) -> Harness<'static, StudioApp> {
    let model = state.join("styled.fsw");
    common::save_styled_model(&model, 32);
    harness(StudioApp::new(StudioOptions {
        model: Some(model),
        render: true,
        ..options(state)
    }))
}

#[test]
fn with_no_style_the_preview_draws_plausible_colours_and_vary_draws_others() {
    let state = tempfile::tempdir().unwrap();
    let mut h = styled_app(state.path());
    step_until(&mut h, |a| a.preview().renders > 0);
    let a = h.state();
    assert!(a.doc().style.is_empty());
    let drawn = a.preview().style_for(a.doc());
    let facade = a.palette().index_of("facade").unwrap();
    let walls: Vec<[u8; 3]> = common::style_bank()
        .styles
        .iter()
        .filter_map(|s| s.get(facade))
        .collect();
    let wall = drawn.get(facade).expect("the wall gets a colour");
    assert!(drawn.is_drawn(facade), "a hint, not an exact colour");
    assert!(
        walls
            .iter()
            .any(|w| (0..3).all(|c| w[c].abs_diff(wall[c]) <= 30)),
        "{wall:?} is near one of the training walls {walls:?}"
    );
    // Vary draws again (over a few seeds the wall changes); "Draw colours" off leaves it free.
    let mut seen = vec![wall];
    for _ in 0..6 {
        h.state_mut().execute(Command::Vary);
        let a = h.state();
        seen.push(a.preview().style_for(a.doc()).get(facade).unwrap());
    }
    seen.dedup();
    assert!(seen.len() > 1, "Vary changes the drawn colours: {seen:?}");
    h.get_by_label("Draw colours").click();
    settle(&mut h);
    let a = h.state();
    assert!(a.preview().model_colours);
    assert_eq!(a.preview().style_for(a.doc()), a.doc().style);
}

#[test]
fn the_preview_offers_the_detail_step_at_its_default_amount() {
    let state = tempfile::tempdir().unwrap();
    let mut h = styled_app(state.path());
    step_until(&mut h, |a| a.preview().renders > 0);
    assert!(h.query_all_by_label("Detail").next().is_some());
    assert_eq!(
        h.state().preview().detail.0,
        facade_studio::render::detail::DEFAULT_AMOUNT
    );
}

#[test]
fn export_building_fronts_a_building_with_the_painting_and_opens_its_3d_preview() {
    let state = tempfile::tempdir().unwrap();
    let mut h = styled_app(state.path());
    step_until(&mut h, |a| a.preview().renders > 0);
    let out = state.path().join("house");
    h.state_mut()
        .execute(Command::ExportBuilding(Some(out.clone())));
    step_until(&mut h, |a| {
        a.building().written > 0 || !a.errors().is_empty()
    });
    let a = h.state();
    assert!(a.errors().is_empty(), "{:?}", a.errors());
    for file in [
        "building.glb",
        "building-lod1.glb",
        "building.json",
        "front/albedo.png",
        "back/albedo.png",
    ] {
        assert!(out.join(file).is_file(), "{file} written");
    }
    // The front is the painting without its sky and margins, at the wall's size; its labels
    // keep the painting's classes, the other walls are generated.
    let painted: std::collections::BTreeSet<u8> = a.doc().map.ids.iter().copied().collect();
    let front = image::open(out.join("front/labels.png")).unwrap().to_rgb8();
    let palette = &a.palette();
    let rgb = |c: u8| {
        let (r, g, b) = palette.classes[c as usize].rgb;
        [r, g, b]
    };
    let background = rgb(palette.index_of("background").unwrap());
    assert!(
        front.pixels().all(|p| p.0 != background),
        "no sky left on the front wall"
    );
    assert!(
        front
            .pixels()
            .all(|p| { painted.iter().any(|&c| rgb(c) == p.0) })
    );
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("building.json")).unwrap()).unwrap();
    let width_m = json["footprint_m"][0].as_f64().unwrap();
    let px_per_m = json["px_per_m"].as_f64().unwrap();
    assert!(
        (width_m * px_per_m - front.width() as f64).abs() <= 1.0,
        "{width_m} m, {} px",
        front.width()
    );
    let view = a.building().view.as_ref().expect("the 3D preview opens");
    assert_eq!(view.wall_count(), 4);
    assert!(view.open);
}

#[test]
fn the_gallery_swatches_and_style_from_photo_set_the_style_and_the_render_follows() {
    let state = tempfile::tempdir().unwrap();
    let mut h = styled_app(state.path());
    let bank = common::style_bank();
    // The gallery shows the model's three styles, rendered.
    step_until(&mut h, |a| {
        a.preview().gallery.received >= 3 && a.preview().renders > 0
    });
    assert_eq!(h.state().preview().gallery.styles.len(), 3);
    assert!(
        h.state().preview().gallery.received >= 3,
        "thumbnails rendered"
    );
    for style in &h.state().preview().gallery.styles {
        assert!(
            bank.styles.contains(style),
            "gallery styles come from the model"
        );
    }

    // A click on a thumbnail applies its style, and the render follows.
    let before = h.state().preview().image.clone().unwrap();
    h.get_by_label("style 2").click();
    settle(&mut h);
    let chosen = h.state().preview().gallery.styles[1].clone();
    assert_eq!(h.state().doc().style, chosen);
    let revision = h.state().doc().revision;
    step_until(&mut h, |a| a.preview().shown.map(|s| s.0) == Some(revision));
    let after = h.state().preview().image.clone().unwrap();
    assert_ne!(
        before.as_raw(),
        after.as_raw(),
        "the render shows the style"
    );
    // A style change is one undo step, like a stroke.
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    settle(&mut h);
    assert!(h.state().doc().style.is_empty(), "undo restores no style");
    h.key_press_modifiers(Modifiers::COMMAND, Key::Y);
    settle(&mut h);
    assert_eq!(h.state().doc().style, chosen, "redo applies it again");

    // The swatches: free a set class, set a free one to the gallery's typical colour.
    let palette = h.state().palette().clone();
    let facade = palette.index_of("facade").unwrap();
    let door = palette.index_of("door").unwrap();
    h.get_by_label("free facade").click();
    settle(&mut h);
    assert_eq!(h.state().doc().style.get(facade), None);
    h.get_by_label("colour door").click();
    settle(&mut h);
    assert_eq!(
        h.state().doc().style.get(door),
        Some([128, 128, 128]),
        "no style sets doors"
    );
    h.get_by_label("colour facade").click();
    settle(&mut h);
    let typical = h.state().preview().gallery.typical[facade as usize];
    assert_eq!(h.state().doc().style.get(facade), Some(typical));
    assert_eq!(typical, [155, 116, 106], "the mean of the three walls");

    // "No style" frees every class; "More" draws again from the same three.
    h.get_by_label("No style").click();
    settle(&mut h);
    assert!(h.state().doc().style.is_empty());

    // Style from photo: a pix2pix pair gives its own labels' colours.
    let map = facade_studio::bench::synthetic_layout(32, 5);
    let pair = state.path().join("pair.png");
    common::pair_image(&map, &palette).save(&pair).unwrap();
    h.state_mut()
        .execute(Command::StyleFromPhoto(Some(pair.clone())));
    settle(&mut h);
    let expected = facade_studio::style::Style::of_photo(&common::photo_for(&map), &map);
    assert_eq!(h.state().doc().style, expected);
    let notice = h.state().notice().unwrap_or_default();
    assert!(
        notice.contains("pair.png") && notice.contains("pair's labels"),
        "{notice}"
    );

    // The style is saved with the project and comes back with it.
    let project = state.path().join("styled.ron");
    h.state_mut()
        .execute(Command::SaveAs(Some(project.clone())));
    h.state_mut().execute(Command::SetStyle(Box::default()));
    h.state_mut().execute(Command::Open(Some(project)));
    settle(&mut h);
    assert_eq!(h.state().doc().style, expected);
}

#[test]
fn a_script_sets_class_colours_takes_a_photo_style_and_saves_it() {
    let dir = tempfile::tempdir().unwrap();
    let palette = facade_studio::palette::Palette::cmp_facades();
    let map = facade_studio::bench::synthetic_layout(32, 5);
    let pair = dir.path().join("pair.png");
    common::pair_image(&map, &palette).save(&pair).unwrap();
    let (a, b) = (dir.path().join("a.ron"), dir.path().join("b.ron"));
    let steps = format!(
        r#"[
                Colour(class: "facade", rgb: (200, 30, 20)),
                Save({a:?}),
                StyleFromPhoto({pair:?}),
                NoStyle,
                Undo,
                Save({b:?}),
            ]"#
    );
    let app = StudioApp::new(scripted(dir.path(), &steps));
    let mut h = harness(app);
    settle(&mut h);
    assert!(h.state().errors().is_empty(), "{:?}", h.state().errors());
    let first = Project::load(&a).unwrap().style;
    assert_eq!(first.get(1), Some([200, 30, 20]));
    assert_eq!(first.count(), 1);
    // Undo took back "NoStyle": the photo's style is what was saved.
    let expected = facade_studio::style::Style::of_photo(&common::photo_for(&map), &map);
    assert_eq!(Project::load(&b).unwrap().style, expected);
}

#[test]
fn a_sketch_model_turns_the_canvas_into_paper_and_ink_and_the_task_menu_switches_back() {
    let state = tempfile::tempdir().unwrap();
    // A tiny sketch model: the studio follows its task as soon as it loads.
    let model = state.path().join("sketch.fsw");
    let mut meta = common::model_meta("tiny sketch model", &common::tiny_model(32));
    meta.task = "sketch".into();
    common::save_untrained_model_as(&model, &meta, 2);
    let app = StudioApp::new(StudioOptions {
        model: Some(model),
        render: true,
        ..options(state.path())
    });
    let mut h = harness(app);
    step_until(&mut h, |a| a.palette().name == "sketch");
    assert_eq!(
        h.state().palette().name,
        "sketch",
        "{:?}",
        h.state().preview().error
    );
    let paper = h.state().palette().background;
    assert!(
        h.state().doc().map.ids.iter().all(|&c| c == paper),
        "blank paper"
    );
    assert_eq!(
        h.state().tools().radius,
        1,
        "a pen as thin as the sketches learned from"
    );
    // Ink (key 2) with the pen (brush), then the eraser gives paper back.
    h.key_press(Key::Num2);
    h.key_press(Key::B);
    settle(&mut h);
    h.state_mut().execute(Command::SetBrushRadius(1));
    drag(&mut h, &[(30, 40), (90, 40), (150, 40)]);
    let ink = 1 - paper;
    assert_eq!(h.state().doc().map.get(90, 40), ink);
    h.key_press(Key::E);
    settle(&mut h);
    h.state_mut().execute(Command::SetBrushRadius(3));
    drag(&mut h, &[(140, 40), (150, 40)]);
    assert_eq!(h.state().doc().map.get(145, 40), paper);
    assert_eq!(
        h.state().doc().map.get(60, 40),
        ink,
        "outside the eraser the line stays"
    );
    // The sketch's render arrives from the sketch model.
    let revision = h.state().doc().revision;
    step_until(&mut h, |a| a.preview().shown.map(|s| s.0) == Some(revision));
    assert_eq!(h.state().preview().shown.map(|s| s.0), Some(revision));
    let sketch = h.state().doc().map.clone();
    // The facade generator paints labels: not on paper. Random sample draws a facade's
    // outlines in ink instead (one undo step).
    assert!(h.query_by_label("Generate facade").is_none());
    h.state_mut().execute(Command::RandomSample);
    settle(&mut h);
    let drawn = h.state().doc().map.clone();
    let inked = drawn.ids.iter().filter(|&&c| c == ink).count();
    assert!(inked > 500, "{inked} ink pixels of outlines");
    let classes = h.state().palette().len();
    assert!(drawn.ids.iter().all(|&c| (c as usize) < classes));
    h.state_mut().execute(Command::Undo);
    settle(&mut h);
    assert_eq!(h.state().doc().map, sketch);

    // Task → Labels: the unsaved sketch is kept in a project, the canvas is labels again.
    menu(&mut h, "Task", "Labels: paint classes");
    assert_eq!(h.state().palette().name, "cmp_facades");
    let kept = h.state().recent()[0].clone();
    assert!(
        kept.starts_with(state.path().join("kept")),
        "{}",
        kept.display()
    );
    assert!(
        h.state().notice().unwrap_or("").contains("kept in"),
        "{:?}",
        h.state().notice()
    );
    let facade = h.state().palette().background;
    assert!(h.state().doc().map.ids.iter().all(|&c| c == facade));
    // Opening the kept project switches back to the sketch task with the sketch on it.
    h.state_mut().execute(Command::Open(Some(kept)));
    settle(&mut h);
    assert_eq!(h.state().palette().name, "sketch");
    assert_eq!(h.state().doc().map, sketch);
}

#[test]
fn a_sketch_project_opened_at_start_renders_with_the_shipped_sketch_model() {
    let state = tempfile::tempdir().unwrap();
    let project = state.path().join("sketch.ron");
    let mut map = LabelMap::filled(256, 256, 0);
    for x in 40..200 {
        map.set(x, 128, 1);
    }
    Project::from_map(&map, "sketch", 0, "")
        .save(&project)
        .unwrap();
    let app = StudioApp::new(StudioOptions {
        open: Some(project),
        render: true,
        ..options(state.path())
    });
    let mut h = harness(app);
    step_until(&mut h, |a| a.preview().renders > 0);
    let app = h.state();
    assert_eq!(app.palette().name, "sketch");
    assert_eq!(app.doc().map, map, "the sketch stays on the canvas");
    let model = app.preview().model_name().unwrap_or("");
    assert!(
        model.contains("sketch"),
        "{model:?} {:?}",
        app.preview().error
    );
}

#[test]
fn an_unsaved_sketch_is_offered_back_as_a_sketch_after_a_crash() {
    let state = tempfile::tempdir().unwrap();
    let mut h = blank_app(state.path());
    h.state_mut().execute(Command::SetTask("sketch".into()));
    settle(&mut h);
    assert_eq!(h.state().palette().name, "sketch");
    h.key_press(Key::Num2);
    h.key_press(Key::R);
    settle(&mut h);
    drag(&mut h, &[(30, 30), (70, 80)]);
    let painted = h.state().doc().map.clone();
    assert_eq!(painted.get(30, 30), 1, "ink");
    drop(h); // a crash

    let mut h = harness(StudioApp::new(options(state.path())));
    settle(&mut h);
    h.get_by_label("Restore").click();
    settle(&mut h);
    assert_eq!(
        h.state().palette().name,
        "sketch",
        "restored on its own palette"
    );
    assert_eq!(h.state().doc().map, painted);
}

#[test]
fn a_photo_to_colourise_lands_grey_on_the_grey_task_and_a_label_map_is_refused() {
    use facade_studio::ui::command::Command;
    let state = tempfile::tempdir().unwrap();
    let mut h = blank_app(state.path());
    // A label map given to colourise: refused by name, the painting and task unchanged.
    let palette = facade_studio::palette::Palette::cmp_facades();
    let labels = state.path().join("labels.png");
    facade_studio::bench::synthetic_layout(64, 2)
        .to_rgb(&palette)
        .save(&labels)
        .unwrap();
    let before = h.state().doc().map.clone();
    h.state_mut().execute(Command::ColourisePhoto(Some(labels)));
    settle(&mut h);
    assert_eq!(h.state().doc().map, before);
    assert_eq!(h.state().palette().name, "cmp_facades");
    let error = h.state().errors().first().cloned().unwrap_or_default();
    assert!(
        error.contains("labels.png") && error.contains("--task labels"),
        "{error}"
    );
    h.get_by_label("OK").click();
    settle(&mut h);
    assert!(h.state().errors().is_empty(), "{:?}", h.state().errors());

    // A colour photo: the grey task, the photo's size within 512, its luminance, a note.
    let photo = state.path().join("photo.png");
    let colour = image::RgbImage::from_fn(600, 300, |x, y| {
        image::Rgb([(x % 200) as u8 + 40, (y % 150) as u8 + 60, 90])
    });
    colour.save(&photo).unwrap();
    h.state_mut().execute(Command::ColourisePhoto(Some(photo)));
    settle(&mut h);
    let app = h.state();
    assert!(app.errors().is_empty(), "{:?}", app.errors());
    assert_eq!(app.palette().name, "grey");
    assert_eq!((app.doc().map.width, app.doc().map.height), (512, 256));
    let luma = image::imageops::grayscale(&image::imageops::resize(
        &colour,
        512,
        256,
        image::imageops::FilterType::Nearest,
    ));
    let shown = app.palette().colour(app.doc().map.get(100, 50))[0] as i32;
    assert!((shown - luma.get_pixel(100, 50).0[0] as i32).abs() <= 2);
    let notice = app.notice().unwrap_or_default();
    assert!(notice.contains("converted to grey"), "{notice}");
    // The level picker (at mid-grey), not a 255-entry class list.
    assert!(
        !h.query_all_by_label("brush grey")
            .collect::<Vec<_>>()
            .is_empty()
    );
    assert!(h.query_by_label("swatch grey 0").is_none());
    assert_eq!(app_class_grey(&h), 128);
}

/// The grey the brush paints in the app `h`.
fn app_class_grey(h: &Harness<'static, StudioApp>) -> u8 {
    let app = h.state();
    app.palette().colour(app.tools().class)[0]
}

#[test]
fn a_photo_opened_as_labels_paints_its_labels_and_takes_its_colours() {
    use facade_studio::ui::command::Command;
    let state = tempfile::tempdir().unwrap();
    let mut h = blank_app(state.path());
    h.state_mut().execute(Command::SetTask("sketch".into()));
    settle(&mut h);
    // A pix2pix pair: its own labels (no segmenter needed) at the model's scale.
    let palette = facade_studio::palette::Palette::cmp_facades();
    let map = facade_studio::bench::synthetic_layout(128, 5);
    let pair = state.path().join("pair.png");
    common::pair_image(&map, &palette).save(&pair).unwrap();
    h.state_mut()
        .execute(Command::OpenPhotoAsLabels(Some(pair)));
    settle(&mut h);
    let app = h.state();
    assert!(app.errors().is_empty(), "{:?}", app.errors());
    assert_eq!(app.palette().name, "cmp_facades", "back on the labels task");
    assert_eq!(app.doc().map, map.resized(256, 256));
    let count = app.doc().style.count();
    assert!(
        count >= 2,
        "the photo's wall and window colours are the style ({count} classes)"
    );
    let wall = palette.index_of("facade").unwrap();
    let photo_wall = common::photo_for(&map);
    let taken = app.doc().style.get(wall).unwrap();
    let (x, y) = (0..128 * 128)
        .map(|k| (k % 128, k / 128))
        .find(|&(x, y)| map.get(x, y) == wall)
        .unwrap();
    let there = photo_wall.get_pixel(x, y).0;
    for c in 0..3 {
        assert!(
            (taken[c] as i32 - there[c] as i32).abs() <= 8,
            "{taken:?} vs {there:?}"
        );
    }
    // Too small a photo: its size and the minimum, the painting kept.
    let small = state.path().join("small.png");
    image::RgbImage::new(40, 30).save(&small).unwrap();
    let before = h.state().doc().map.clone();
    h.state_mut()
        .execute(Command::OpenPhotoAsLabels(Some(small)));
    settle(&mut h);
    assert_eq!(h.state().doc().map, before);
    let error = h.state().errors().first().cloned().unwrap_or_default();
    assert!(
        error.contains("small.png") && error.contains("40×30") && error.contains("64×64"),
        "{error}"
    );
}

/// Task → Open task file paints the file's palette and loads the model beside it (or says how
/// to train one); loading a model of a task file from elsewhere switches the studio to the
/// palette the model keeps.
#[test]
fn a_task_file_opens_in_the_task_menu_and_its_model_brings_its_palette() {
    use facade_studio::ui::command::Command;
    let state = tempfile::tempdir().unwrap();
    let kind = state.path().join("shapes");
    let task_file = common::write_shapes_task(&kind);
    let mut h = harness(StudioApp::new(StudioOptions {
        render: true,
        ..options(state.path())
    }));
    step_until(&mut h, |a| a.preview().model.is_some());
    assert_eq!(h.state().palette().name, "cmp_facades");

    // No model yet: the palette is there to paint, and the notice says how to get a model.
    h.state_mut()
        .execute(Command::OpenTaskFile(Some(task_file.clone())));
    settle(&mut h);
    assert_eq!(h.state().palette().name, "outlines");
    assert_eq!(h.state().palette().len(), 3);
    let notice = h.state().notice().unwrap_or_default();
    assert!(
        notice.contains("no model yet") && notice.contains("shapes.fsw"),
        "{notice}"
    );

    // The model beside the file: opening the task again renders with it.
    let mut meta = common::model_meta("shapes model", &common::tiny_model(32));
    meta.task = "shapes".into();
    meta.palette = Some(common::OUTLINES_RON.into());
    common::save_untrained_model_as(&kind.join("shapes.fsw"), &meta, 3);
    back_on_labels(&mut h);
    h.state_mut()
        .execute(Command::OpenTaskFile(Some(task_file)));
    let renders = h.state().preview().renders;
    step_until(&mut h, |a| {
        a.preview().model_name() == Some("shapes model") && a.preview().renders > renders
    });
    assert_eq!(h.state().palette().name, "outlines");
    assert_eq!(h.state().preview().error, None);

    // Back on labels, Load model… with the shapes model: the studio follows its palette.
    back_on_labels(&mut h);
    h.state_mut()
        .execute(Command::LoadModel(Some(kind.join("shapes.fsw"))));
    step_until(&mut h, |a| a.palette().name == "outlines");
    assert_eq!(h.state().palette().name, "outlines");
    assert_eq!(h.state().errors(), Vec::<String>::new());

    // A task file that is not one: an error naming it, the studio unchanged.
    let bad = state.path().join("bad.ron");
    std::fs::write(&bad, "(name: 3)").unwrap();
    h.state_mut().execute(Command::OpenTaskFile(Some(bad)));
    settle(&mut h);
    assert_eq!(h.state().palette().name, "outlines");
    let errors = h.state().errors().join("\n");
    assert!(
        errors.contains("bad.ron") && errors.contains("not a task file"),
        "{errors}"
    );
}

/// Task → Labels, until the labels model is back in the preview.
fn back_on_labels(h: &mut Harness<'static, StudioApp>) {
    let labels = Command::SetTask("labels".into());
    h.state_mut().execute(labels);
    step_until(h, |a| {
        a.preview()
            .model_name()
            .is_some_and(|n| !n.contains("shapes"))
    });
    assert_eq!(h.state().palette().name, "cmp_facades");
}

/// A ten-digit seed (what Vary draws) in a narrow window wraps the seed row rather than widening
/// the render panel, which would keep the width (it is remembered) after the seed shrinks.
#[test]
fn a_long_seed_does_not_widen_the_render_panel() {
    let state = tempfile::tempdir().unwrap();
    let app = StudioApp::new(StudioOptions {
        blank: Some((256, 256)),
        ..options(state.path())
    });
    let mut h = harness_sized(app, egui::vec2(640.0, 600.0));
    settle(&mut h);
    let panel_left = |h: &Harness<'static, StudioApp>| h.get_by_label("Render").rect().left();
    let before = panel_left(&h);
    h.state_mut().execute(Command::Vary);
    settle(&mut h);
    let seed = h.state().preview().seed;
    assert!(seed >= 1_000_000_000, "Vary drew a ten-digit seed: {seed}");
    let after = panel_left(&h);
    assert!(
        (after - before).abs() < 0.5,
        "the render panel's left edge moved from {before} to {after} with seed {seed}"
    );
    assert!(
        h.get_by_label("Vary").rect().right() <= 640.0,
        "Vary stays inside the window"
    );
}
