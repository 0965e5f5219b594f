//! The GPU path through burn-wgpu, tested for real where an adapter exists (CI installs
//! lavapipe, Mesa's software Vulkan, and sets FACADE_REQUIRE_WGPU=1 so this cannot silently skip).
#![cfg(feature = "gpu")]

mod common;

use facade_studio::backend::{self, BackendChoice};
use facade_studio::render::Renderer;
use facade_studio::train::GanTrainer;

fn wgpu_or_skip() -> Option<backend::SelectedDevice> {
    let mut notes = Vec::new();
    let selected = backend::select(BackendChoice::Wgpu, &mut |m| notes.push(m)).unwrap();
    match selected.backend {
        "wgpu" => Some(selected),
        _ => {
            let e = notes.join("; ");
            assert!(
                std::env::var("FACADE_REQUIRE_WGPU").is_err(),
                "FACADE_REQUIRE_WGPU is set but wgpu is unavailable: {e}"
            );
            eprintln!("SKIPPED: no wgpu adapter here ({e})");
            None
        }
    }
}

#[test]
fn the_same_weights_render_alike_on_wgpu_and_cpu_and_train_on_wgpu() {
    let Some(gpu) = wgpu_or_skip() else { return };
    eprintln!("wgpu device: {}", gpu.description);
    let tmp = tempfile::tempdir().unwrap();
    let config = common::tiny_model(64);
    let cpu = backend::cpu_device();
    let path = tmp.path().join("tiny.fsw");
    common::save_untrained_model(&path, "tiny", &config, 11);

    let map = facade_studio::bench::synthetic_layout(64, 2);
    let on_cpu = Renderer::load(&path, cpu)
        .unwrap()
        .render(&map, None)
        .unwrap();
    let on_gpu = Renderer::load(&path, gpu.clone())
        .unwrap()
        .render(&map, None)
        .unwrap();
    let diffs: Vec<i32> = on_cpu
        .as_raw()
        .iter()
        .zip(on_gpu.as_raw())
        .map(|(a, b)| (*a as i32 - *b as i32).abs())
        .collect();
    let max = diffs.iter().max().copied().unwrap_or(0);
    let mean = diffs.iter().sum::<i32>() as f64 / diffs.len() as f64;
    assert!(
        max <= 3 && mean < 0.5,
        "wgpu and CPU renders differ: max {max}, mean {mean}"
    );

    // A few training steps on the GPU path give finite losses.
    let mut trainer = GanTrainer::new(config, &gpu.device, 1, 0.5, 100.0);
    let mut batch = facade_studio::data::Batch::new(64);
    let palette = facade_studio::palette::Palette::cmp_facades();
    let pair = facade_studio::data::augment::Resized {
        photo: common::photo_for(&map),
        labels: map,
    };
    batch.push(&pair, 0, 0, false, &palette);
    for step in 0..3 {
        let l = trainer.step(&batch, step, 2e-4);
        assert!(l.is_finite(), "{l:?}");
    }
}

#[test]
fn auto_prefers_the_cpu_over_a_software_adapter() {
    let Some(gpu) = wgpu_or_skip() else { return };
    let mut notes = Vec::new();
    let auto = backend::select(BackendChoice::Auto, &mut |m| notes.push(m)).unwrap();
    if gpu.software {
        assert_eq!(auto.backend, "cpu");
        assert!(notes.iter().any(|n| n.contains("software")), "{notes:?}");
    } else {
        assert_eq!(auto.backend, "wgpu");
    }
}

#[test]
fn a_gpu_failure_while_training_goes_on_on_the_cpu_from_the_last_checkpoint() {
    use facade_studio::events::TrainEvent;
    use facade_studio::train::{Faults, TrainConfig, TrainJob, loss_log, spawn};
    let Some(_gpu) = wgpu_or_skip() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    common::make_dataset(&data, 3, 32);
    let run = tmp.path().join("run");
    let train = TrainConfig {
        data: data.clone(),
        epochs: 100,
        checkpoint_every: 2,
        sample_every: 1000,
        max_steps: Some(5),
        ..TrainConfig::default()
    };
    let model = common::tiny_model(32);
    let handle = spawn(TrainJob {
        faults: Faults {
            gpu_failure_at: vec![3],
            ..Faults::default()
        },
        ..TrainJob::new(run.clone(), model, train, BackendChoice::Wgpu)
    });
    let events: Vec<TrainEvent> = handle.events.iter().collect();
    handle.join();
    assert!(
        matches!(events.last(), Some(TrainEvent::Finished { step: 5, .. })),
        "{:?}",
        events.last()
    );
    let restored: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            TrainEvent::Restored(r) => Some(r.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(restored.len(), 1, "{restored:?}");
    let r = &restored[0];
    assert_eq!((r.failed_step, r.step), (3, 2));
    assert_eq!(
        r.from,
        Some(facade_studio::checkpoint::checkpoint_path(&run, 2))
    );
    assert_eq!(
        r.lr,
        TrainConfig::default().lr,
        "a GPU failure keeps the learning rate"
    );
    assert!(r.backend.starts_with("CPU"), "{}", r.backend);
    assert!(
        r.reason.contains("GPU failed") && r.reason.contains("out of GPU memory"),
        "{r}"
    );
    assert!(
        r.to_string()
            .contains("Went back to checkpoint-00000002.fsw (step 2)"),
        "{r}"
    );
    let log = loss_log::read(&run.join(loss_log::FILE_NAME)).unwrap();
    assert_eq!(
        log.iter().map(|r| r.step).collect::<Vec<_>>(),
        vec![0, 1, 2, 3, 4]
    );
    assert!(run.join("model.fsw").exists());
}

/// A real out-of-memory on the GPU: a 4096² render needs buffers above the adapter's limit
/// (burn-wgpu reports "can't allocate buffer"). The preview says so, moves to the CPU and
/// still delivers the render.
#[test]
fn a_gpu_out_of_memory_render_falls_back_to_the_cpu() {
    use facade_studio::events::{RenderEvent, RenderRequest};
    use facade_studio::render::worker::RenderWorker;
    let Some(_gpu) = wgpu_or_skip() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("tiny.fsw");
    common::save_untrained_model(&path, "tiny", &common::tiny_model(64), 3);
    let worker = RenderWorker::start(path, BackendChoice::Wgpu, Box::new(|| {}));
    let next = || {
        worker
            .events
            .recv_timeout(std::time::Duration::from_secs(600))
            .expect("the render worker answers")
    };
    let RenderEvent::ModelReady { device, .. } = next() else {
        panic!("the model loads")
    };
    assert!(device.contains("GPU"), "{device}");
    worker.request(RenderRequest {
        revision: 1,
        map: facade_studio::bench::synthetic_layout(4096, 5),
        seed: 0,
    });
    let RenderEvent::ModelFailed(message) = next() else {
        panic!("the GPU render fails first")
    };
    eprintln!("{message}");
    assert!(
        message.contains("GPU failed") && message.contains("switching the preview to the CPU"),
        "{message}"
    );
    assert!(
        message.contains("out of GPU memory"),
        "a real allocation failure: {message}"
    );
    let RenderEvent::ModelReady { device, .. } = next() else {
        panic!("the model is reloaded on the CPU")
    };
    assert!(device.starts_with("CPU"), "{device}");
    let RenderEvent::Rendered {
        revision, image, ..
    } = next()
    else {
        panic!("the render arrives from the CPU")
    };
    assert_eq!((revision, image.width(), image.height()), (1, 4096, 4096));
    assert!(image.pixels().any(|p| p.0 != image.get_pixel(0, 0).0));
}
