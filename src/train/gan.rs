//! One pix2pix training step: D on real and detached fake pairs, then G with BCE + λ·L1, and
//! optionally pix2pixHD's feature matching (the fake pair's discriminator activations pulled
//! towards the real pair's), a moving average of G's weights, and the second-step recipe's
//! parts: hinge loss, a faster discriminator, DiffAugment, focal frequency loss.

use burn::optim::GradientsParams;
use burn::prelude::*;

use super::adam::Adam;
use super::config::GanLoss;
use super::diff_augment;
use super::ema::Ema;
use crate::data::Batch;
use crate::data::augment::mix_seed;
use crate::model::discriminator::ScaleOutput;
use crate::model::focal_frequency::focal_frequency;
use crate::model::loss::{bce_with_logits, hinge_d, hinge_g, l1, one_hot};
use crate::model::spectral_envelope::{Rings, frequencies_below, spectral_envelope};
use crate::model::{Discriminator, DropoutMasks, Generator, ModelConfig};

/// The losses of a step (before weighting; GAN terms averaged over the discriminator scales).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Losses {
    pub g_gan: f32,
    pub g_l1: f32,
    /// Feature-matching loss (0 when it is off).
    pub g_feat: f32,
    pub d_real: f32,
    pub d_fake: f32,
    /// Focal frequency loss (0 when it is off).
    pub g_freq: f32,
    /// Spectral envelope loss (0 when it is off).
    pub g_spec: f32,
}

impl Losses {
    pub fn is_finite(&self) -> bool {
        [
            self.g_gan,
            self.g_l1,
            self.g_feat,
            self.d_real,
            self.d_fake,
            self.g_freq,
            self.g_spec,
        ]
        .iter()
        .all(|v| v.is_finite())
    }
}

/// What a discriminator's logits cost, averaged over its scales: for D, `real` says which
/// pairs they judged; for G (`Judged::Generator`), the render should pass as real.
#[derive(Clone, Copy)]
enum Judged {
    Real,
    Fake,
    Generator,
}

fn gan_loss(kind: GanLoss, outputs: &[ScaleOutput], judged: Judged) -> Tensor<1> {
    let n = outputs.len().max(1) as f32;
    let one = |logits: Tensor<4>| match (kind, judged) {
        (GanLoss::Bce, Judged::Real | Judged::Generator) => bce_with_logits(logits, true),
        (GanLoss::Bce, Judged::Fake) => bce_with_logits(logits, false),
        (GanLoss::Hinge, Judged::Real) => hinge_d(logits, true),
        (GanLoss::Hinge, Judged::Fake) => hinge_d(logits, false),
        (GanLoss::Hinge, Judged::Generator) => hinge_g(logits),
    };
    outputs
        .iter()
        .map(|o| one(o.logits.clone()))
        .reduce(|a, b| a + b)
        .expect("a discriminator has at least one scale")
        / n
}

/// pix2pixHD's feature matching: L1 between the fake and (detached) real activations of every
/// block, averaged over scales (each block weighted 4 / (n_layers + 1) = 1 for n_layers = 3).
fn feature_matching(fake: &[ScaleOutput], real: &[ScaleOutput]) -> Tensor<1> {
    assert_eq!(
        fake.len(),
        real.len(),
        "one output per scale for both pairs"
    );
    let n = fake.len().max(1) as f32;
    fake.iter()
        .zip(real)
        .flat_map(|(f, r)| {
            assert_eq!(f.features.len(), r.features.len());
            f.features.iter().zip(&r.features)
        })
        .map(|(f, r)| l1(f.clone(), r.clone().detach()))
        .reduce(|a, b| a + b)
        .expect("a discriminator has blocks")
        / n
}

/// The discriminator step's losses and the finiteness check of its new weights (still on the device).
pub(super) struct DStep {
    real: Tensor<1>,
    fake: Tensor<1>,
    sum: Option<Tensor<1>>,
}

/// The generator step's losses and the finiteness check of its new weights (still on the device).
pub(super) struct GStep {
    gan: Tensor<1>,
    l1: Tensor<1>,
    feat: Option<Tensor<1>>,
    freq: Option<Tensor<1>>,
    spec: Option<Tensor<1>>,
    sum: Option<Tensor<1>>,
}

/// The values of one-element tensors, read back in one transfer.
fn read_scalars<const N: usize>(scalars: Vec<Tensor<1>>) -> [f32; N] {
    assert_eq!(scalars.len(), N, "one value per tensor");
    let values = Tensor::cat(scalars, 0)
        .into_data()
        .convert::<f32>()
        .try_into_vec::<f32>()
        .unwrap_or_else(|_| vec![f32::NAN; N]);
    values.try_into().unwrap_or([f32::NAN; N])
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
    pub opt_g: Adam,
    pub opt_d: Adam,
    /// The averaged generator, when the run keeps one.
    pub ema: Option<Ema>,
    pub objective: Objective,
    pub seed: u64,
    /// The spectral envelope loss's rings for the last picture size trained.
    rings: Option<Rings>,
}

/// The loss weights and averaging of a run (from its `TrainConfig`).
#[derive(Debug, Clone, Copy)]
pub struct Objective {
    pub beta1: f32,
    pub l1_weight: f32,
    pub lambda_feat: f32,
    pub ema_decay: f64,
    pub gan_loss: GanLoss,
    pub d_lr_scale: f64,
    pub diff_augment: bool,
    pub diff_augment_colour: bool,
    pub ffl_weight: f32,
    pub spectral_weight: f32,
    pub spectral_weight_end: Option<f32>,
    /// The run's base learning rate (the spectral weight's schedule follows its decay).
    pub lr: f64,
    pub spectral_skip_lattice: bool,
    pub spectral_from: f32,
    pub oasis_layout: bool,
}

impl From<&super::TrainConfig> for Objective {
    fn from(t: &super::TrainConfig) -> Objective {
        Objective {
            beta1: t.beta1,
            l1_weight: t.l1_weight,
            lambda_feat: t.lambda_feat,
            ema_decay: t.ema_decay,
            gan_loss: t.gan_loss,
            d_lr_scale: t.d_lr_scale,
            diff_augment: t.diff_augment,
            diff_augment_colour: t.diff_augment_colour,
            ffl_weight: t.ffl_weight,
            spectral_weight: t.spectral_weight,
            spectral_weight_end: t.spectral_weight_end,
            lr: t.lr,
            spectral_skip_lattice: t.spectral_skip_lattice,
            spectral_from: t.spectral_from,
            oasis_layout: t.oasis_layout,
        }
    }
}

impl Objective {
    /// The spectral envelope weight at learning rate `lr`: `spectral_weight` while the rate is
    /// the run's own, moving linearly to `spectral_weight_end` as the rate decays to zero.
    pub fn spectral_weight_at(&self, lr: f64) -> f32 {
        let Some(end) = self.spectral_weight_end else {
            return self.spectral_weight;
        };
        let decayed = (1.0 - lr / self.lr).clamp(0.0, 1.0) as f32;
        self.spectral_weight + (end - self.spectral_weight) * decayed
    }
}

/// Adam as pix2pix uses it (β1 = 0.5, β2 = 0.999, ε = 1e-8).
pub fn adam(beta1: f32) -> Adam {
    Adam::new(beta1)
}

impl GanTrainer {
    /// Fresh models on `device` (autodiff is switched on here), initialised from `seed`.
    pub fn new(
        config: ModelConfig,
        device: &Device,
        seed: u64,
        objective: Objective,
    ) -> GanTrainer {
        let device = device.clone().autodiff();
        let (generator, discriminator) = crate::model::seeded_init(&device, seed, || {
            let g = config.init_generator(&device);
            let d = config.init_discriminator(&device);
            crate::model::materialize(&g);
            crate::model::materialize(&d);
            (g, d)
        });
        GanTrainer::from_models(config, device, generator, discriminator, seed, objective)
    }

    /// A trainer around existing models on `device` (with autodiff), fresh optimizers, and an
    /// average that starts at `generator` when the objective keeps one.
    pub fn from_models(
        config: ModelConfig,
        device: Device,
        generator: Generator,
        discriminator: Discriminator,
        seed: u64,
        objective: Objective,
    ) -> GanTrainer {
        let ema = (objective.ema_decay > 0.0).then(|| Ema::new(objective.ema_decay, &generator));
        GanTrainer {
            config,
            device,
            generator,
            discriminator,
            opt_g: adam(objective.beta1),
            opt_d: adam(objective.beta1),
            ema,
            objective,
            seed,
            rings: None,
        }
    }

    /// The spectral envelope loss's rings for `w`×`h` renders (the lattice's frequencies and
    /// those below `spectral_from` left out, as the objective says), built once per size.
    fn spectral_rings(&mut self, w: usize, h: usize) -> &Rings {
        if self.rings.as_ref().is_none_or(|r| r.size != (w, h)) {
            let o = self.objective;
            let mut skip = match o.spectral_skip_lattice {
                true => crate::eval::lattice::peak_blocks(w, h),
                false => Vec::new(),
            };
            skip.extend(frequencies_below(w, h, o.spectral_from as f64));
            self.rings = Some(Rings::new(w, h, &skip, &self.device));
        }
        self.rings.as_ref().expect("built above")
    }

    pub fn tensors(&self, batch: &Batch) -> (Tensor<4>, Tensor<4>) {
        let shape = [batch.n, 3, batch.size, batch.size];
        let input_shape = [batch.n, batch.channels(), batch.size, batch.size];
        let input = Tensor::from_data(
            TensorData::new(batch.input.clone(), input_shape),
            &self.device,
        );
        let target = Tensor::from_data(TensorData::new(batch.target.clone(), shape), &self.device);
        (input, target)
    }

    /// One D step and one G step on `batch` at learning rate `lr`. `step` seeds the dropout.
    pub fn step(&mut self, batch: &Batch, step: u64, lr: f64) -> Losses {
        crate::kernels::on_workers(|| self.step_on_workers(batch, step, lr))
    }

    fn step_on_workers(&mut self, batch: &Batch, step: u64, lr: f64) -> Losses {
        let (input, target) = self.tensors(batch);
        let mut masks = DropoutMasks::seeded(mix_seed(self.seed, step, 0xD20), self.config.dropout);
        let fake = self.generator.forward(input.clone(), &mut masks);
        let (d, g) = match self.config.d_classes {
            0 => {
                // The discriminator judges photos against the labels only, never the style.
                let labels = input.narrow(1, 0, self.config.in_channels);
                let real_pair = Tensor::cat(vec![labels.clone(), target.clone()], 1);
                let fake_pair = Tensor::cat(vec![labels, fake.clone()], 1);
                let d = self.discriminator_step(&real_pair, &fake_pair, step, lr);
                (
                    d,
                    self.generator_step(real_pair, fake_pair, fake, target, step, lr),
                )
            }
            classes => {
                let shape = [batch.n, batch.size, batch.size];
                let ids = match self.objective.oasis_layout {
                    true => &batch.layout,
                    false => &batch.labels,
                };
                let labels = one_hot(ids, classes, shape, &self.device);
                let d = self.oasis_discriminator_step(&labels, &target, &fake, step, lr);
                (
                    d,
                    self.oasis_generator_step(&labels, fake, target, step, lr),
                )
            }
        };

        // One read-back per step (each one waits for the GPU to finish everything queued).
        let device = d.real.device().inner();
        let zero = || Tensor::<1>::zeros([1], &device);
        let scalars = [
            Some(g.gan),
            Some(g.l1),
            g.feat,
            Some(d.real),
            Some(d.fake),
            d.sum,
            g.sum,
            g.freq,
            g.spec,
        ]
        .map(|t| t.map_or_else(zero, |t| t.detach().inner()));
        let values = read_scalars(scalars.into());
        let [
            g_gan,
            g_l1,
            g_feat,
            d_real,
            d_fake,
            d_sum,
            g_sum,
            g_freq,
            g_spec,
        ] = values;
        self.opt_d.check_finite(d_sum);
        self.opt_g.check_finite(g_sum);
        Losses {
            g_gan,
            g_l1,
            g_feat,
            d_real,
            d_fake,
            g_freq,
            g_spec,
        }
    }

    /// `pair` as the discriminator sees it: with DiffAugment's draw for `step` and `phase`
    /// (0: D's step, 1: G's), or as it is.
    /// `labels` is the number of label planes in front of the photo.
    pub(super) fn seen_by_d(
        &self,
        pair: Tensor<4>,
        labels: usize,
        step: u64,
        phase: u64,
    ) -> Tensor<4> {
        if !self.objective.diff_augment {
            return pair;
        }
        let [n, _, h, w] = pair.dims();
        let seed = mix_seed(self.seed, step, 0xDA0 + phase);
        let draws = diff_augment::draws(seed, n, h.min(w));
        let colour = self.objective.diff_augment_colour;
        diff_augment::augment(pair, labels, &draws, colour)
    }

    /// Discriminator: real pairs → real, fake pairs (no gradient into G) → fake; both pairs
    /// through the same augmentation.
    fn discriminator_step(
        &mut self,
        real_pair: &Tensor<4>,
        fake_pair: &Tensor<4>,
        step: u64,
        lr: f64,
    ) -> DStep {
        let kind = self.objective.gan_loss;
        let labels = self.config.in_channels;
        let real_out =
            (self.discriminator).forward(self.seen_by_d(real_pair.clone(), labels, step, 0));
        let fake = self.seen_by_d(fake_pair.clone().detach(), labels, step, 0);
        let fake_out = self.discriminator.forward(fake);
        let d_real = gan_loss(kind, &real_out, Judged::Real);
        let d_fake = gan_loss(kind, &fake_out, Judged::Fake);
        let d_loss = (d_real.clone() + d_fake.clone()) * 0.5;
        self.discriminator_update(d_loss, d_real, d_fake, lr)
    }

    /// The discriminator's Adam step on `d_loss` at the run's D rate.
    pub(super) fn discriminator_update(
        &mut self,
        d_loss: Tensor<1>,
        real: Tensor<1>,
        fake: Tensor<1>,
        lr: f64,
    ) -> DStep {
        let grads = GradientsParams::from_grads(d_loss.backward(), &self.discriminator);
        let lr = lr * self.objective.d_lr_scale;
        let (discriminator, sum) =
            (self.opt_d).step_unchecked(lr, self.discriminator.clone(), grads);
        self.discriminator = discriminator;
        DStep { real, fake, sum }
    }

    /// Generator: fool the updated D, stay close to the photo (L1, and with their weights the
    /// real pair's D activations and the photo's spectrum). D's weights get no gradient.
    fn generator_step(
        &mut self,
        real_pair: Tensor<4>,
        fake_pair: Tensor<4>,
        fake: Tensor<4>,
        target: Tensor<4>,
        step: u64,
        lr: f64,
    ) -> GStep {
        let o = self.objective;
        let frozen = self.discriminator.clone().no_grad();
        let labels = self.config.in_channels;
        let fake_out = frozen.forward(self.seen_by_d(fake_pair, labels, step, 1));
        let gan = gan_loss(o.gan_loss, &fake_out, Judged::Generator);
        let feat = (o.lambda_feat > 0.0).then(|| {
            let real_out = frozen.forward(self.seen_by_d(real_pair, labels, step, 1));
            feature_matching(&fake_out, &real_out)
        });
        self.generator_update(gan, feat, fake, target, lr)
    }

    /// The generator's update from its adversarial terms: plus λ·L1 and the focal frequency
    /// and spectral envelope losses, Adam, and the weight average.
    pub(super) fn generator_update(
        &mut self,
        gan: Tensor<1>,
        feat: Option<Tensor<1>>,
        fake: Tensor<4>,
        target: Tensor<4>,
        lr: f64,
    ) -> GStep {
        let o = self.objective;
        let l1_loss = l1(fake.clone(), target.clone());
        let mut g_loss = gan.clone() + l1_loss.clone() * o.l1_weight;
        if let Some(feat) = &feat {
            g_loss = g_loss + feat.clone() * o.lambda_feat;
        }
        let freq = (o.ffl_weight > 0.0).then(|| focal_frequency(fake.clone(), target.clone()));
        if let Some(freq) = &freq {
            g_loss = g_loss + freq.clone() * o.ffl_weight;
        }
        let spectral_weight = o.spectral_weight_at(lr);
        let spec = (spectral_weight > 0.0).then(|| {
            let [_, _, h, w] = fake.dims();
            spectral_envelope(fake, target, self.spectral_rings(w, h))
        });
        if let Some(spec) = &spec {
            g_loss = g_loss + spec.clone() * spectral_weight;
        }
        let grads = GradientsParams::from_grads(g_loss.backward(), &self.generator);
        let (generator, sum) = self.opt_g.step_unchecked(lr, self.generator.clone(), grads);
        self.generator = generator;
        if let Some(ema) = &mut self.ema {
            ema.update(&self.generator);
        }
        GStep {
            gan,
            l1: l1_loss,
            feat,
            freq,
            spec,
            sum,
        }
    }

    /// The generator that renders: the weight average when the run keeps one, else the
    /// trained weights (without autodiff).
    pub fn render_generator(&self) -> Generator {
        match &self.ema {
            Some(ema) => ema.generator.clone(),
            None => self.generator.valid(),
        }
    }
}
