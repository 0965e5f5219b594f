//! The training panel driven through its widgets: start a run on a tiny generated dataset with a
//! tiny model on the CPU, watch losses and a sample arrive, pause, resume, stop, hot-swap the
//! checkpoint into the preview, and reopen the run's curve.
#![cfg(feature = "studio")]

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use eframe::App as _;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use facade_studio::backend::BackendChoice;
use facade_studio::ui::training_panel::{RunState, TrainingPanel};
use facade_studio::ui::{StudioApp, StudioOptions};

fn harness(app: StudioApp) -> Harness<'static, StudioApp> {
    let mut frame = eframe::Frame::_new_kittest();
    Harness::builder()
        .with_size(egui::vec2(1280.0, 900.0))
        .build_ui_state(
            move |ui, app: &mut StudioApp| {
                app.logic(ui.ctx(), &mut frame);
                app.ui(ui, &mut frame);
            },
            app,
        )
}

fn wait_until(h: &mut Harness<'static, StudioApp>, what: &str, done: impl Fn(&StudioApp) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while !done(h.state()) {
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}: {:?}",
            h.state().training().state()
        );
        h.step();
        std::thread::sleep(Duration::from_millis(10));
    }
    h.step();
}

#[test]
fn train_from_the_panel_pause_resume_stop_and_hot_swap() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    common::make_dataset(&data, 4, 32);
    let run = tmp.path().join("run");

    // The preview starts on a tiny model too.
    let model = tmp.path().join("tiny.fsw");
    common::save_untrained_model(&model, "tiny", &common::tiny_model(32), 1);
    let app = StudioApp::new(StudioOptions {
        model: Some(model.clone()),
        backend: BackendChoice::Cpu,
        state_dir: tmp.path().join("state"),
        open: None,
        render: true,
        ..StudioOptions::default()
    });
    let mut h = harness(app);
    h.step();

    h.get_by_label("Train").click();
    h.step();
    {
        let panel = h.state_mut().training_mut();
        let mut settings = panel.settings();
        settings.data_dir = data.display().to_string();
        settings.run_dir = run.display().to_string();
        settings.config.model = common::tiny_model(32);
        settings.config.holdout = 1;
        settings.config.epochs = 400;
        panel.restore(settings);
        panel.set_backend(BackendChoice::Cpu);
    }
    h.get_by_label("Scan").click();
    h.step();
    assert!(
        matches!(h.state().training().dataset_summary(), Some(Ok(s)) if s.starts_with("4 pairs"))
    );
    // The checkpoints' learned judges are a setting of the run, off unless ticked.
    let judges =
        |h: &Harness<'static, StudioApp>| h.state().training().settings().config.checkpoint_judges;
    assert!(!judges(&h));
    h.get_by_label("learned judges").click();
    h.step();
    assert!(judges(&h));
    h.get_by_label("learned judges").click();
    h.step();
    assert!(!judges(&h));

    h.get_by_label("Start").click();
    h.step();
    wait_until(&mut h, "loss points", |a| {
        a.training().curve().rows.len() >= 3
    });
    wait_until(&mut h, "a sample image", |a| {
        a.training().sample_count() > 0
    });
    assert!(
        h.state()
            .training()
            .curve()
            .rows
            .iter()
            .all(|l| l.g_l1.is_finite())
    );

    h.get_by_label("Pause").click();
    h.step();
    wait_until(&mut h, "pause", |a| {
        *a.training().state() == RunState::Paused
    });
    let paused_at = h.state().training().curve().rows.len();
    std::thread::sleep(Duration::from_millis(300));
    h.step();
    assert_eq!(
        h.state().training().curve().rows.len(),
        paused_at,
        "no steps while paused"
    );

    h.get_by_label("Resume").click();
    h.step();
    wait_until(&mut h, "more steps after resuming", |a| {
        a.training().curve().rows.len() > paused_at + 2
    });

    h.get_by_label("Stop").click();
    h.step();
    wait_until(&mut h, "stop", |a| {
        *a.training().state() == RunState::Stopped
    });
    let checkpoint = h
        .state()
        .training()
        .latest_checkpoint()
        .map(Path::to_path_buf)
        .expect("stopping leaves a checkpoint");
    assert!(checkpoint.is_file());

    // Hot swap: the preview loads the checkpoint without restarting.
    wait_until(&mut h, "the first preview model", |a| {
        a.preview().model.is_some()
    });
    h.get_by_label("Use for preview").click();
    h.step();
    wait_until(&mut h, "the swapped model", |a| {
        a.preview().model_path().as_deref() == Some(checkpoint.as_path())
    });

    // A reopened run folder shows its curve.
    let steps = h.state().training().curve().rows.len();
    let mut reopened = TrainingPanel::default();
    reopened.follow_run(&run);
    assert_eq!(reopened.curve().rows.len(), steps);
    assert_eq!(reopened.latest_checkpoint(), Some(checkpoint.as_path()));
}

#[test]
fn a_bad_dataset_folder_is_shown_not_fatal() {
    let tmp = tempfile::tempdir().unwrap();
    let app = StudioApp::new(StudioOptions {
        render: false,
        state_dir: tmp.path().join("state"),
        backend: BackendChoice::Cpu,
        ..StudioOptions::default()
    });
    let mut h = harness(app);
    h.step();
    h.get_by_label("Train").click();
    h.step();
    let panel = h.state_mut().training_mut();
    let mut settings = panel.settings();
    settings.data_dir = tmp.path().join("nothing-here").display().to_string();
    settings.run_dir = tmp.path().join("run").display().to_string();
    panel.restore(settings);
    panel.set_backend(BackendChoice::Cpu);
    h.get_by_label("Scan").click();
    h.step();
    assert!(
        matches!(h.state().training().dataset_summary(), Some(Err(e)) if e.contains("nothing-here"))
    );
    h.get_by_label("Start").click();
    h.step();
    wait_until(&mut h, "the failure", |a| {
        matches!(a.training().state(), RunState::Failed(_))
    });
    let RunState::Failed(e) = h.state().training().state() else {
        unreachable!()
    };
    assert!(e.contains("nothing-here"), "{e}");
}

/// Appends `line` to the JSON-lines file `path`, as a run logs a checkpoint's figures.
fn append_line(path: &Path, line: &serde_json::Value) {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    writeln!(file, "{line}").unwrap();
}

#[test]
fn the_panel_shows_the_held_out_figures_of_the_newest_checkpoint() {
    use facade_studio::train::{TrainConfig, TrainJob};
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    common::make_dataset(&data, 3, 32);
    let run = tmp.path().join("run");
    let train = TrainConfig {
        model: common::tiny_model(32),
        data: data.clone(),
        holdout: 1,
        checkpoint_every: 2,
        sample_every: 2,
        max_steps: Some(2),
        ..TrainConfig::default()
    };
    let handle = facade_studio::train::spawn(TrainJob::new(&run, train, BackendChoice::Cpu));
    let events: Vec<_> = handle.events.iter().collect();
    assert!(
        events.iter().any(|e| matches!(
            e,
            facade_studio::events::TrainEvent::Evaluated { step: 2, .. }
        )),
        "the checkpoint measured the held-out pair"
    );

    // The Train tab opened on the run folder, as `facade-studio --run RUN` does.
    let open_run = || {
        let mut h = harness(StudioApp::new(StudioOptions {
            render: false,
            state_dir: tmp.path().join("state"),
            backend: BackendChoice::Cpu,
            run_dir: Some(run.clone()),
            ..StudioOptions::default()
        }));
        h.step();
        h.step();
        h
    };
    let h = open_run();
    let (step, figures) = h
        .state()
        .training()
        .figures()
        .cloned()
        .expect("figures from evals.jsonl");
    assert_eq!((step, figures.pairs), (2, 1));
    h.get_by_label_contains("held out at step 2 (1 pairs): L1");
    // Followed, not trained here: the step without a made-up end ("/ 0").
    assert!(h.query_all_by_label("step 2").count() >= 1);
    assert!(h.query_by_label_contains("step 2 / ").is_none());
    h.get_by_label_contains("realism (1.00 = like the photos): sharpness");
    assert!(
        h.query_by_label_contains("distribution: KID").is_none(),
        "one held-out pair gives no KID"
    );

    // A later checkpoint measured on enough pairs for the distribution figure.
    let evals = run.join("evals.jsonl");
    let text = std::fs::read_to_string(&evals).unwrap();
    let mut line: serde_json::Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    line["step"] = 4.into();
    line["kid"] = serde_json::json!({"renders": 0.25, "blurred": 0.5, "real_halves": 0.02});
    append_line(&evals, &line);
    let h = open_run();
    h.get_by_label_contains("held out at step 4");
    h.get_by_label_contains(
        "distribution: KID 0.250 (blurred photos 0.500, photos against photos 0.020)",
    );
    // A checkpoint logged with the figure's standard error shows it.
    line["step"] = 5.into();
    line["kid"]["renders_se"] = 0.04.into();
    append_line(&evals, &line);
    let h = open_run();
    h.get_by_label_contains("held out at step 5");
    h.get_by_label_contains("distribution: KID 0.250 ± 0.040 (blurred photos 0.500");

    // Every checkpoint's figures, for the chart over the run: in step order, a step logged
    // twice (a resumed run measured it again) keeping its later line.
    line["step"] = 4.into();
    line["l1"] = 0.125.into();
    append_line(&evals, &line);
    let mut h = open_run();
    let history = h.state().training().figure_history();
    let steps: Vec<u64> = history.iter().map(|(s, _)| *s).collect();
    assert_eq!(steps, [2, 4, 5]);
    assert_eq!(history[1].1.l1, 0.125);
    h.get_by_label("Held-out figures over the run");
    assert!(h.query_by_label_contains("learned judges:").is_none());
    h.get_by_label("KID").click();
    h.step();
    assert_eq!(
        h.state().training().figure_group(),
        facade_studio::ui::training_panel::FigureGroup::Distribution
    );

    // A checkpoint judged (`--checkpoint-judges on`) shows the judges' patch accuracy.
    let verdict = |grey: bool, accuracy: f64| {
        let config = facade_studio::eval::judge::JudgeConfig {
            grey,
            ..Default::default()
        };
        serde_json::json!({
            "config": config, "told_apart": 0.9, "told_apart_se": 0.05, "auc": 0.9,
            "margins": [], "accuracy": accuracy, "accuracy_se": 0.02, "accuracies": [],
            "renders_taken": 0.3, "photos_taken": 0.7, "by_class": []
        })
    };
    line["step"] = 6.into();
    line["judge"] = serde_json::json!([verdict(false, 0.73), verdict(true, 0.665)]);
    append_line(&evals, &line);
    let h = open_run();
    h.get_by_label("learned judges: colour 73 % ± 2 · luminance 66 % ± 2");
}

#[test]
fn use_for_preview_runs_the_preview_checkpoint_command() {
    let tmp = tempfile::tempdir().unwrap();
    let first = tmp.path().join("first.fsw");
    common::save_untrained_model(&first, "first", &common::tiny_model(32), 1);
    // A run folder whose newest checkpoint the Train tab offers.
    let run = tmp.path().join("run");
    std::fs::create_dir_all(&run).unwrap();
    let newest = run.join("checkpoint-00000002.fsw");
    common::save_untrained_model(&newest, "newest", &common::tiny_model(32), 2);
    let app = StudioApp::new(StudioOptions {
        model: Some(first.clone()),
        backend: BackendChoice::Cpu,
        state_dir: tmp.path().join("state"),
        render: true,
        ..StudioOptions::default()
    });
    let mut h = harness(app);
    h.step();
    wait_until(&mut h, "the first preview model", |a| {
        a.preview().model_path().as_deref() == Some(first.as_path())
    });
    h.get_by_label("Train").click();
    h.step();
    h.state_mut().training_mut().follow_run(&run);
    h.step();
    h.get_by_label("Use for preview").click();
    h.step();
    // `StudioApp::run` said what it did, and the worker swapped the model.
    assert_eq!(
        h.state().notice(),
        Some(format!("preview now uses {}", newest.display()).as_str())
    );
    wait_until(&mut h, "the swapped model", |a| {
        a.preview().model_path().as_deref() == Some(newest.as_path())
    });
    assert_eq!(h.state().preview().model_name(), Some("newest"));

    // The same command without a render worker says so instead.
    let app = StudioApp::new(StudioOptions {
        backend: BackendChoice::Cpu,
        state_dir: tmp.path().join("state2"),
        render: false,
        ..StudioOptions::default()
    });
    let mut h = harness(app);
    h.step();
    h.get_by_label("Train").click();
    h.step();
    h.state_mut().training_mut().follow_run(&run);
    h.step();
    h.get_by_label("Use for preview").click();
    h.step();
    assert_eq!(
        h.state().notice(),
        Some("no render worker to load the model into")
    );
}
