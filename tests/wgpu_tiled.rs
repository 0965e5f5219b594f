//! The GPU path with `FACADE_GPU_CONV=tiled`: the forward convolutions through the tiled
//! matrix-product kernel (src/kernels/tiled.rs) instead of Burn's. A process of its own, since the
//! setting is read once per process; on lavapipe in CI, like tests/wgpu_backend.rs.
#![cfg(feature = "gpu")]

mod common;

use common::gpu::{
    assert_losses_agree, batch64, pixel_diff, render_shipped, same_start, wgpu_or_skip,
};
use facade_studio::backend;

/// Sets `FACADE_GPU_CONV=tiled` before any convolution of this process reads it.
fn tiled_convolutions() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    // SAFETY: every test here calls this first, and nothing else in this process reads or writes
    // the environment concurrently with the first call (the Once holds the others back).
    ONCE.call_once(|| unsafe { std::env::set_var("FACADE_GPU_CONV", "tiled") });
    assert_eq!(facade_studio::kernels::gpu_conv(), "tiled");
}

/// The shipped model renders a 256² layout through the tiled kernel as on the CPU: at most 2/255
/// apart anywhere and 0.05/255 on average, the bound Burn's own GPU convolution is held to.
#[test]
fn the_shipped_model_renders_through_the_tiled_kernel_as_on_the_cpu() {
    tiled_convolutions();
    let Some(gpu) = wgpu_or_skip() else { return };
    let on_cpu = render_shipped(backend::cpu_device());
    let before = facade_studio::kernels::tiled::calls();
    let on_gpu = render_shipped(gpu);
    let tiled = facade_studio::kernels::tiled::calls() - before;
    let (max, mean) = pixel_diff(&on_cpu, &on_gpu);
    eprintln!("shipped model, tiled wgpu vs CPU: max {max}/255, mean {mean:.4}/255, {tiled} tiled");
    // A 256² render has 7 layers with at least 256 output positions and 16 channels (4 of the
    // encoder, 3 of the decoder); loading may render once more to tune the kernels.
    assert!(
        tiled >= 7,
        "only {tiled} convolutions took the tiled kernel"
    );
    assert!(
        max <= 2 && mean <= 0.05,
        "tiled wgpu and CPU renders of the shipped model differ: max {max}, mean {mean}"
    );
}

/// Three steps of the default recipe (two discriminators, feature matching) at ngf 16 on 64²,
/// with the tiled kernel in the generator's and the discriminators' wider layers, give the CPU's
/// losses within 2 %.
#[test]
fn the_default_recipe_trains_through_the_tiled_kernel_as_on_the_cpu() {
    tiled_convolutions();
    let Some(gpu) = wgpu_or_skip() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let config = common::tiny_model(64)
        .with_ngf(16)
        .with_ndf(16)
        .with_style_channels(0);
    let objective =
        facade_studio::train::gan::Objective::from(&facade_studio::train::TrainConfig::default());
    let (mut host, mut device, _) = same_start(&config, objective, &gpu, tmp.path());
    let batch = batch64();
    let before = facade_studio::kernels::tiled::calls();
    for step in 0..3 {
        let (h, d) = (
            host.step(&batch, step, 1e-4),
            device.step(&batch, step, 1e-4),
        );
        assert!(h.is_finite() && d.is_finite(), "{h:?} {d:?}");
        assert_losses_agree(step, &h, &d, 0.02);
    }
    let tiled = facade_studio::kernels::tiled::calls() - before;
    assert!(
        tiled >= 12,
        "only {tiled} convolutions took the tiled kernel in 3 steps"
    );
}
