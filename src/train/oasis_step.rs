//! The training step with an OASIS discriminator (see [`crate::model::oasis`]): the
//! discriminator segments the real photo into the layout's classes, the render into "fake",
//! and keeps its reading of a LabelMix of the two consistent; the generator's render has to be
//! read as the layout. DiffAugment, when on, moves the one-hot labels with their photo.

use burn::prelude::*;

use super::gan::{DStep, GStep, GanTrainer};
use crate::data::augment::mix_seed;
use crate::model::oasis::{
    LABELMIX_WEIGHT, fake_loss, labelmix, labelmix_loss, labelmix_mask, layout_loss,
};

impl GanTrainer {
    /// `(labels, photo)` as the discriminator sees them in `phase` of `step`: both through the
    /// same DiffAugment draw (when on), split again.
    fn oasis_view(
        &self,
        labels: &Tensor<4>,
        photo: Tensor<4>,
        step: u64,
        phase: u64,
    ) -> (Tensor<4>, Tensor<4>) {
        let classes = labels.dims()[1];
        let pair = Tensor::cat(vec![labels.clone(), photo], 1);
        let seen = self.seen_by_d(pair, classes, step, phase);
        let channels = seen.dims()[1];
        (
            seen.clone().narrow(1, 0, classes),
            seen.narrow(1, classes, channels - classes),
        )
    }

    /// Real photo → its layout, render → "fake", plus LabelMix; `d_fake` logs the fake term.
    pub(super) fn oasis_discriminator_step(
        &mut self,
        labels: &Tensor<4>,
        target: &Tensor<4>,
        fake: &Tensor<4>,
        step: u64,
        lr: f64,
    ) -> DStep {
        let (seen_labels, real) = self.oasis_view(labels, target.clone(), step, 0);
        let (_, fake) = self.oasis_view(labels, fake.clone().detach(), step, 0);
        let d = &self.discriminator;
        let segment = |photo: Tensor<4>| d.segment(photo).expect("an OASIS discriminator");
        let real_logits = segment(real.clone());
        let fake_logits = segment(fake.clone());
        let d_real = layout_loss(real_logits.clone(), &seen_labels);
        let d_fake = fake_loss(fake_logits.clone(), &seen_labels);
        let mask = labelmix_mask(&seen_labels, mix_seed(self.seed, step, 0x1AB));
        let mixed_logits = segment(labelmix(&mask, real, fake));
        let mix = labelmix_loss(mixed_logits, real_logits, fake_logits, &mask);
        let d_loss = d_real.clone() + d_fake.clone() + mix * LABELMIX_WEIGHT;
        self.discriminator_update(d_loss, d_real, d_fake, lr)
    }

    /// The render has to be read as the layout by the (frozen) discriminator.
    pub(super) fn oasis_generator_step(
        &mut self,
        labels: &Tensor<4>,
        fake: Tensor<4>,
        target: Tensor<4>,
        step: u64,
        lr: f64,
    ) -> GStep {
        let frozen = self.discriminator.clone().no_grad();
        let (seen_labels, seen_fake) = self.oasis_view(labels, fake.clone(), step, 1);
        let logits = frozen.segment(seen_fake).expect("an OASIS discriminator");
        let gan = layout_loss(logits, &seen_labels);
        self.generator_update(gan, None, fake, target, lr)
    }
}
