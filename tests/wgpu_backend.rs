//! The GPU path through burn-wgpu, tested for real where an adapter exists (CI installs
//! lavapipe, Mesa's software Vulkan, and sets FACADE_REQUIRE_WGPU=1 so this cannot silently skip).

mod common;

use facade_studio::backend::{self, BackendChoice};
use facade_studio::render::Renderer;
use facade_studio::train::GanTrainer;

fn wgpu_or_skip() -> Option<backend::SelectedDevice> {
    match backend::select(BackendChoice::Wgpu, &mut |_| {}) {
        Ok(d) => Some(d),
        Err(e) => {
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
