//! One pix2pix training step: D on real and detached fake pairs, then G with BCE + λ·L1.

use burn::optim::GradientsParams;
use burn::prelude::*;

use super::adam::HostAdam;
use crate::data::Batch;
use crate::data::augment::mix_seed;
use crate::model::loss::{bce_with_logits, l1};
use crate::model::{Discriminator, DropoutMasks, Generator, ModelConfig};

/// The four losses of a step (before weighting).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Losses {
    pub g_gan: f32,
    pub g_l1: f32,
    pub d_real: f32,
    pub d_fake: f32,
}

impl Losses {
    pub fn is_finite(&self) -> bool {
        [self.g_gan, self.g_l1, self.d_real, self.d_fake]
            .iter()
            .all(|v| v.is_finite())
    }
}

impl GanTrainer {
    /// False when the last step left a NaN or infinite weight in either model.
    pub fn weights_finite(&self) -> bool {
        self.opt_g.finite && self.opt_d.finite
    }
}

/// The models, their optimizers and the device (with autodiff) they train on.
pub struct GanTrainer {
    pub config: ModelConfig,
    pub device: Device,
    pub generator: Generator,
    pub discriminator: Discriminator,
    pub opt_g: HostAdam,
    pub opt_d: HostAdam,
    pub l1_weight: f32,
    pub seed: u64,
}

/// Adam as pix2pix uses it (β1 = 0.5, β2 = 0.999, ε = 1e-8).
pub fn adam(beta1: f32) -> HostAdam {
    HostAdam::new(beta1)
}

impl GanTrainer {
    /// Fresh models on `device` (autodiff is switched on here), initialised from `seed`.
    pub fn new(
        config: ModelConfig,
        device: &Device,
        seed: u64,
        beta1: f32,
        l1_weight: f32,
    ) -> GanTrainer {
        let device = device.clone().autodiff();
        let (generator, discriminator) = crate::model::seeded_init(&device, seed, || {
            let g = config.init_generator(&device);
            let d = config.init_discriminator(&device);
            crate::model::materialize(&g);
            crate::model::materialize(&d);
            (g, d)
        });
        GanTrainer {
            config,
            device,
            generator,
            discriminator,
            opt_g: adam(beta1),
            opt_d: adam(beta1),
            l1_weight,
            seed,
        }
    }

    pub fn tensors(&self, batch: &Batch) -> (Tensor<4>, Tensor<4>) {
        let shape = [batch.n, 3, batch.size, batch.size];
        let input = Tensor::from_data(TensorData::new(batch.input.clone(), shape), &self.device);
        let target = Tensor::from_data(TensorData::new(batch.target.clone(), shape), &self.device);
        (input, target)
    }

    /// One D step and one G step on `batch` at learning rate `lr`. `step` seeds the dropout.
    pub fn step(&mut self, batch: &Batch, step: u64, lr: f64) -> Losses {
        let (input, target) = self.tensors(batch);
        let mut masks = DropoutMasks::seeded(mix_seed(self.seed, step, 0xD20), self.config.dropout);
        let fake = self.generator.forward(input.clone(), &mut masks);

        // Discriminator: real pairs → 1, fake pairs (no gradient into G) → 0.
        let real_logits = self
            .discriminator
            .forward(Tensor::cat(vec![input.clone(), target.clone()], 1));
        let fake_logits = self
            .discriminator
            .forward(Tensor::cat(vec![input.clone(), fake.clone().detach()], 1));
        let d_real = bce_with_logits(real_logits, true);
        let d_fake = bce_with_logits(fake_logits, false);
        let d_loss = (d_real.clone() + d_fake.clone()) * 0.5;
        let grads = GradientsParams::from_grads(d_loss.backward(), &self.discriminator);
        self.discriminator = self.opt_d.step(lr, self.discriminator.clone(), grads);

        // Generator: fool the updated D, stay close to the photo. D's weights get no gradient.
        let frozen = self.discriminator.clone().no_grad();
        let g_gan = bce_with_logits(
            frozen.forward(Tensor::cat(vec![input, fake.clone()], 1)),
            true,
        );
        let g_l1 = l1(fake, target);
        let g_loss = g_gan.clone() + g_l1.clone() * self.l1_weight;
        let grads = GradientsParams::from_grads(g_loss.backward(), &self.generator);
        self.generator = self.opt_g.step(lr, self.generator.clone(), grads);

        Losses {
            g_gan: g_gan.into_scalar::<f32>(),
            g_l1: g_l1.into_scalar::<f32>(),
            d_real: d_real.into_scalar::<f32>(),
            d_fake: d_fake.into_scalar::<f32>(),
        }
    }

    /// The generator without autodiff, for rendering samples.
    pub fn inference_generator(&self) -> Generator {
        self.generator.valid()
    }
}
