//! pix2pix: the U-Net generator, the 70×70 PatchGAN discriminator, their shared configuration and
//! the losses (Isola et al., CVPR 2017).

pub mod blend;
pub mod config;
pub mod discriminator;
pub mod dropout;
pub mod focal_frequency;
pub mod generator;
pub mod input_planes;
pub mod loss;
pub mod modulation;
pub mod norm;
pub mod oasis;
pub mod spectral_envelope;
pub mod upsample;

pub use config::{ModelConfig, NormKind, Upsample};
pub use discriminator::Discriminator;
pub use dropout::DropoutMasks;
pub use generator::Generator;

/// Runs `init` right after seeding `device`'s random generator, holding a process-wide lock so
/// that no other thread draws from that generator in between (Burn's seed is global on some
/// backends). Makes weight initialisation reproducible from `seed`.
pub fn seeded_init<T>(device: &burn::prelude::Device, seed: u64, init: impl FnOnce() -> T) -> T {
    let _guard = init_lock();
    device.seed(seed);
    init()
}

/// Runs `init`, which builds a module whose initial values are about to be replaced (the
/// template weights are loaded into), under [`seeded_init`]'s lock: its throwaway draws would
/// otherwise land between another thread's seeding and its draws and change what that thread
/// initialises.
pub fn template_init<T>(init: impl FnOnce() -> T) -> T {
    let _guard = init_lock();
    init()
}

fn init_lock() -> std::sync::MutexGuard<'static, ()> {
    static INIT: std::sync::Mutex<()> = std::sync::Mutex::new(());
    INIT.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Burn initialises parameters lazily, on first use; this draws them all now (inside
/// [`seeded_init`], so the draws come from the seeded generator in a fixed order).
pub fn materialize<M: burn::module::Module>(module: &M) {
    struct Touch;
    impl burn::module::ModuleVisitor for Touch {
        fn visit_float<const D: usize>(
            &mut self,
            param: &burn::module::Param<burn::prelude::Tensor<D>>,
        ) {
            let _ = param.val();
        }
    }
    module.visit(&mut Touch);
}
