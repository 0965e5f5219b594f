//! Crashes and divergence: a training process killed with SIGKILL resumes from its last
//! checkpoint and then produces exactly the losses of an uninterrupted run; a NaN in a step sends
//! the run back to its last good state, which it continues from; a run whose losses keep blowing
//! up stops with a clear message and keeps its last good checkpoint.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use facade_studio::backend::BackendChoice;
use facade_studio::checkpoint;
use facade_studio::events::{StepLosses, TrainEvent};
use facade_studio::train::state::load_checkpoint;
use facade_studio::train::{Faults, RunDir, Start, TrainConfig, TrainJob, loss_log, spawn};

fn train_cmd(data: &Path, run: &Path, resume: bool) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_facade-studio"));
    c.args([
        "train",
        "--data",
        data.to_str().unwrap(),
        "--out",
        run.to_str().unwrap(),
    ])
    .args([
        "--ngf",
        "8",
        "--size",
        "32",
        "--epochs",
        "100",
        "--max-steps",
        "120",
    ])
    .args([
        "--checkpoint-every",
        "4",
        "--sample-every",
        "1000",
        "--seed",
        "3",
        "--backend",
        "cpu",
    ])
    .stdout(Stdio::null())
    .stderr(Stdio::null());
    if resume {
        c.arg("--resume");
    }
    c
}

#[test]
fn a_killed_training_run_resumes_and_matches_an_uninterrupted_one() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    common::make_dataset(&data, 5, 32);

    let straight = tmp.path().join("straight");
    assert!(
        train_cmd(&data, &straight, false)
            .status()
            .unwrap()
            .success()
    );

    // Kill -9 once a few checkpoints exist, mid-run.
    let killed = tmp.path().join("killed");
    let mut child = train_cmd(&data, &killed, false).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let rows = loss_log::read(&RunDir::new(&killed).losses())
            .unwrap_or_default()
            .len();
        if rows >= 13 || Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let newest = RunDir::new(&killed)
        .checkpoints()
        .first()
        .map(|c| c.0)
        .expect("a checkpoint before the kill");
    assert!(
        newest < 120,
        "the run was killed before it finished (newest checkpoint {newest})"
    );

    assert!(train_cmd(&data, &killed, true).status().unwrap().success());
    let a = loss_log::read(&RunDir::new(&straight).losses()).unwrap();
    let b = loss_log::read(&RunDir::new(&killed).losses()).unwrap();
    assert_eq!(
        b.iter().map(|r| r.step).collect::<Vec<_>>(),
        (0..120).collect::<Vec<_>>(),
        "each step logged once"
    );
    assert_eq!(a.len(), b.len(), "both runs log every step");
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(
            (x.g_gan, x.g_l1, x.g_feat, x.d_real, x.d_fake),
            (y.g_gan, y.g_l1, y.g_feat, y.d_real, y.d_fake),
            "step {}",
            x.step
        );
    }
}

/// A short CPU run of a tiny model on `data`, checkpointing every 4 steps, with `faults`.
fn faulty_run(data: &Path, run: &Path, nan_at: Vec<u64>) -> (Vec<TrainEvent>, Vec<StepLosses>) {
    let train = TrainConfig {
        model: common::tiny_model(32),
        data: data.to_path_buf(),
        epochs: 100,
        checkpoint_every: 4,
        sample_every: 1000,
        max_steps: Some(10),
        ..TrainConfig::default()
    };
    let handle = spawn(TrainJob {
        faults: Faults {
            nan_at,
            ..Faults::default()
        },
        ..TrainJob::new(run, train, BackendChoice::Cpu)
    });
    let events: Vec<TrainEvent> = handle.events.iter().collect();
    handle.join();
    let log = loss_log::read(&RunDir::new(run).losses()).unwrap();
    (events, log)
}

fn restored(events: &[TrainEvent]) -> Vec<(u64, u64, Option<std::path::PathBuf>, f64)> {
    events
        .iter()
        .filter_map(|e| match e {
            TrainEvent::Restored(r) => Some((r.failed_step, r.step, r.from.clone(), r.lr)),
            _ => None,
        })
        .collect()
}

#[test]
fn a_nan_step_goes_back_to_the_last_good_state_and_training_goes_on() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    common::make_dataset(&data, 3, 32);
    let lr = TrainConfig::default().lr;
    let (events, clean) = faulty_run(&data, &tmp.path().join("clean"), vec![]);
    assert!(restored(&events).is_empty());
    assert!(matches!(
        events.last(),
        Some(TrainEvent::Finished { step: 10, .. })
    ));

    // A NaN in step 6's input poisons its losses, gradients and weights. The run goes back to
    // checkpoint 4 at half the learning rate and finishes.
    let run = tmp.path().join("nan-at-6");
    let (events, log) = faulty_run(&data, &run, vec![6]);
    assert!(
        matches!(events.last(), Some(TrainEvent::Finished { step: 10, .. })),
        "{:?}",
        events.last()
    );
    assert_eq!(
        restored(&events),
        vec![(6, 4, Some(RunDir::new(&run).checkpoint(4)), lr * 0.5)]
    );
    assert_eq!(
        log.iter().map(|r| r.step).collect::<Vec<_>>(),
        (0..10).collect::<Vec<_>>(),
        "each step logged once: the failed stretch is replaced"
    );
    assert!(log.iter().all(|r| {
        [r.g_gan, r.g_l1, r.d_real, r.d_fake]
            .iter()
            .all(|v| v.is_finite())
    }));
    // Steps before the checkpoint are the clean run's; step 4 starts from exactly the clean
    // run's state at 4 (D's losses and G's L1 are measured before any update of that step).
    let key = |r: &StepLosses| (r.step, r.g_gan, r.g_l1, r.d_real, r.d_fake, r.lr);
    assert_eq!(
        log[..4].iter().map(key).collect::<Vec<_>>(),
        clean[..4].iter().map(key).collect::<Vec<_>>()
    );
    assert_eq!(
        (log[4].d_real, log[4].d_fake, log[4].g_l1),
        (clean[4].d_real, clean[4].d_fake, clean[4].g_l1)
    );
    assert!(
        (log[4].lr - clean[4].lr * 0.5).abs() < 1e-12,
        "{} {}",
        log[4].lr,
        clean[4].lr
    );
    // The halved rate is the run's from now on: a resume keeps it.
    let final_ck = RunDir::new(&run).checkpoints()[0].1.clone();
    let state = load_checkpoint(
        &final_ck,
        &facade_studio::backend::cpu_device().device.autodiff(),
        facade_studio::train::gan::adam(0.5),
        facade_studio::train::gan::adam(0.5),
    )
    .unwrap();
    assert_eq!(state.config().unwrap().lr, lr * 0.5);

    // Before the first checkpoint, the last good state is the run's (seeded) starting weights.
    let (events, log) = faulty_run(&data, &tmp.path().join("nan-at-1"), vec![1]);
    assert!(matches!(
        events.last(),
        Some(TrainEvent::Finished { step: 10, .. })
    ));
    assert_eq!(restored(&events), vec![(1, 0, None, lr * 0.5)]);
    assert_eq!(
        (log[0].d_real, log[0].d_fake, log[0].g_l1),
        (clean[0].d_real, clean[0].d_fake, clean[0].g_l1)
    );
    assert_eq!(log.len(), 10);
}

#[test]
fn exploding_losses_stop_the_run_and_keep_the_last_checkpoint() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    common::make_dataset(&data, 3, 32);
    let run = tmp.path().join("run");
    let job = |resume: bool, max_steps: u64, lr_override: Option<f64>| {
        let train = TrainConfig {
            model: common::tiny_model(32),
            data: data.clone(),
            epochs: 100,
            checkpoint_every: 1,
            sample_every: 1000,
            max_steps: Some(max_steps),
            ..TrainConfig::default()
        };
        TrainJob {
            start: if resume { Start::Resume } else { Start::Fresh },
            lr_override,
            ..TrainJob::new(run.clone(), train, BackendChoice::Cpu)
        }
    };
    // Three good steps, then resume with a learning rate no model survives.
    let handle = spawn(job(false, 3, None));
    assert!(matches!(
        handle.events.iter().last(),
        Some(TrainEvent::Finished { step: 3, .. })
    ));
    let handle = spawn(job(true, 50, Some(1e30)));
    let events: Vec<TrainEvent> = handle.events.iter().collect();
    handle.join();
    let Some(TrainEvent::Failed(message)) = events.last() else {
        panic!("the run should fail, got {:?}", events.last());
    };
    assert!(
        message.contains("not finite") && message.contains("--lr"),
        "{message}"
    );
    // Every checkpoint left behind is a good one: it loads and holds finite weights.
    let (step, path) = RunDir::new(&run)
        .checkpoints()
        .into_iter()
        .next()
        .expect("a checkpoint is kept");
    assert_eq!(step, 3, "no checkpoint is written from a diverged step");
    assert!(message.contains(&path.display().to_string()), "{message}");
    let loaded =
        checkpoint::load_generator(&path, &facade_studio::backend::cpu_device().device).unwrap();
    assert_eq!(loaded.meta.step, 3);
    let map = facade_studio::bench::synthetic_layout(32, 1);
    let render = facade_studio::render::Renderer::load(&path, facade_studio::backend::cpu_device())
        .unwrap()
        .render(&map, &facade_studio::style::Style::none(), None)
        .unwrap();
    assert!(
        render.pixels().any(|p| p.0 != render.get_pixel(0, 0).0),
        "the kept model still renders an image"
    );
}

#[test]
fn a_full_disk_while_saving_keeps_the_old_file() {
    let tmp = tempfile::tempdir().unwrap();
    let model = tmp.path().join("model.fsw");
    common::save_untrained_model(&model, "tiny", &common::tiny_model(64).with_ngf(16), 1);
    assert!(std::fs::metadata(&model).unwrap().len() > 200_000);
    let target = tmp.path().join("existing.fsw");
    std::fs::write(&target, b"the previous file").unwrap();
    // The file-size limit makes writes past ~100 KB fail, as a full disk does (SIGXFSZ ignored so
    // the write returns an error instead of killing the process).
    let out = Command::new("sh")
        .arg("-c")
        .arg(r#"ulimit -f 200; trap "" XFSZ; exec "$0" export --model "$1" --output "$2""#)
        .arg(env!("CARGO_BIN_EXE_facade-studio"))
        .arg(&model)
        .arg(&target)
        .output()
        .unwrap();
    assert!(!out.status.success(), "the save must fail");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("existing.fsw"), "{err}");
    assert_eq!(
        std::fs::read(&target).unwrap(),
        b"the previous file",
        "the old file is intact"
    );
    let leftovers: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "temporary files are cleaned up: {leftovers:?}"
    );
}
