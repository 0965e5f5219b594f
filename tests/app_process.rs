//! The real app process: paint through a script, kill -9 the process, and check that the next
//! start offers exactly that painting back. Needs a display: it runs under `xvfb-run` (CI
//! installs Xvfb and sets FACADE_REQUIRE_DISPLAY=1 so this cannot silently skip).
#![cfg(feature = "studio")]

mod common;

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use facade_studio::document::project::Project;
use facade_studio::document::{Document, Edit};
use facade_studio::generate::sample::random_sample;
use facade_studio::palette::Palette;
use facade_studio::ui::{StudioApp, StudioOptions};

fn have_xvfb() -> bool {
    let found = Command::new("sh")
        .args(["-c", "command -v xvfb-run"])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        assert!(
            !common::required("FACADE_REQUIRE_DISPLAY"),
            "FACADE_REQUIRE_DISPLAY is set but xvfb-run is missing"
        );
        eprintln!("SKIPPED: xvfb-run is not installed (apt-get install xvfb xauth)");
    }
    found
}

#[test]
fn a_killed_app_offers_its_painting_at_the_next_start() {
    if !have_xvfb() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("state");
    let edits = vec![
        Edit::Rect {
            a: (10, 10),
            b: (120, 60),
            class: 11,
        },
        Edit::Stroke {
            points: vec![(5, 200), (100, 210), (200, 220)],
            radius: 4,
            class: 6,
        },
        Edit::Fill {
            at: (250, 2),
            class: 7,
        },
    ];
    let script = tmp.path().join("strokes.ron");
    std::fs::write(&script, ron::to_string(&edits).unwrap()).unwrap();

    let mut child = launch_app(tmp.path(), &state, &script);
    let recovery = state.join("recovery.ron");
    let deadline = Instant::now() + Duration::from_secs(90);
    while !recovery.is_file() {
        if Instant::now() > deadline || child.try_wait().unwrap().is_some() {
            let _ = Command::new("kill")
                .args(["-9", "--", &format!("-{}", child.id())])
                .status();
            panic!("the app wrote no recovery file");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(300));
    // kill -9 the app and its X server: no clean exit, no chance to tidy up.
    let status = Command::new("kill")
        .args(["-9", "--", &format!("-{}", child.id())])
        .status()
        .unwrap();
    assert!(status.success());
    let _ = child.wait();

    let palette = Palette::cmp_facades();
    let mut expected = Document::new(random_sample(256, 256, 1, &palette));
    for e in edits {
        expected.apply(e);
    }
    let project = Project::load(&recovery).unwrap();
    assert_eq!(
        project.to_map(palette.len(), &recovery).unwrap(),
        expected.map
    );

    // The next start offers it.
    let next = StudioApp::new(StudioOptions {
        state_dir: state,
        render: false,
        ..StudioOptions::default()
    });
    let offered = next
        .offered_recovery()
        .expect("the next start offers the recovery file");
    assert_eq!(
        offered.to_map(palette.len(), &recovery).unwrap(),
        expected.map
    );
}

#[test]
fn a_script_paints_undoes_saves_exports_and_quits_the_real_app() {
    if !have_xvfb() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("state");
    let out = tmp.path().join("out.ron");
    let labels = tmp.path().join("labels.png");
    let script = tmp.path().join("steps.ron");
    std::fs::write(
        &script,
        format!(
            r#"[Rect(a: (10, 10), b: (120, 60), class: "shop"),
                Fill(at: (250, 2), class: 7),
                Undo,
                Save({out:?}),
                ExportLabels({labels:?}),
                Quit]"#
        ),
    )
    .unwrap();
    let mut child = launch_app(tmp.path(), &state, &script);
    // Quit closes the window by itself: the work was saved, so nothing asks first.
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = Command::new("kill")
                .args(["-9", "--", &format!("-{}", child.id())])
                .status();
            panic!("the app did not quit at the end of its script");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "{status}");

    let palette = Palette::cmp_facades();
    let mut expected = Document::new(random_sample(256, 256, 1, &palette));
    expected.apply(Edit::Rect {
        a: (10, 10),
        b: (120, 60),
        class: 11,
    });
    let saved = Project::load(&out)
        .unwrap()
        .to_map(palette.len(), &out)
        .unwrap();
    assert!(
        saved == expected.map,
        "out.ron holds the painting after Undo"
    );
    let png = image::open(&labels).unwrap().to_rgb8();
    assert_eq!(png.get_pixel(50, 30).0, palette.colour(11));
    assert!(
        !state.join("recovery.ron").exists(),
        "a clean exit leaves no recovery file"
    );
}

/// The real app under Xvfb on the CPU, running `script`, its state in `state` and everything else
/// it writes under `home` (its own process group, so a kill reaches the whole tree).
fn launch_app(home: &Path, state: &Path, script: &Path) -> std::process::Child {
    let runtime = home.join("xdg");
    std::fs::create_dir_all(&runtime).unwrap();
    Command::new("xvfb-run")
        .args([
            "-a",
            "-s",
            "-screen 0 1280x800x24",
            env!("CARGO_BIN_EXE_facade-studio"),
        ])
        .args(["--backend", "cpu", "--script", script.to_str().unwrap()])
        .env("FACADE_STATE_DIR", state)
        .env("XDG_RUNTIME_DIR", &runtime)
        .env("HOME", home)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .unwrap()
}
