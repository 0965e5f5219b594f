//! The OASIS discriminator's losses (Schönfeld et al., "You Only Need Adversarial Supervision
//! for Semantic Image Synthesis", ICLR 2021): the discriminator is a segmenter with one more
//! class, "fake". On a real photo it must find the layout's classes (each class weighted by
//! its inverse frequency in the batch, so windows count as much as walls); on a render it must
//! answer "fake" everywhere; the generator wins when its render is read as the layout. LabelMix
//! asks the discriminator's reading of a photo made of real and fake regions (whole classes
//! from either) to be the same mix of its readings of the two.
//!
//! Labels come as one-hot planes `[N, C, H, W]`; a pixel whose planes are all zero (moved in by
//! DiffAugment's translation, or cut out) counts in no term.

use burn::prelude::*;
use burn::tensor::activation::log_softmax;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// The LabelMix consistency weight (OASIS: 10).
pub const LABELMIX_WEIGHT: f32 = 10.0;

/// OASIS's class balancing: each pixel weighted by N·H·W / (classes present · pixels of its
/// class) over the batch, so every class present weighs the same in total.
fn balance(labels: &Tensor<4>) -> Tensor<4> {
    let [n, c, h, w] = labels.dims();
    let counts = labels.clone().sum_dim(0).sum_dim(2).sum_dim(3); // [1, C, 1, 1]
    let present = counts.clone().greater_elem(0.0).float().sum();
    let scale = present.recip().reshape([1, 1, 1, 1]) * (n * h * w) as f32;
    let per_class = counts.clamp_min(1.0).recip() * scale;
    (labels.clone() * per_class.expand([n, c, h, w]))
        .sum_dim(1)
        .detach()
}

/// The real-photo term (and the generator's): class-balanced cross-entropy of `logits`
/// (`[N, C + 1, H, W]`) against the layout `labels` (`[N, C, H, W]`), averaged over all pixels.
pub fn layout_loss(logits: Tensor<4>, labels: &Tensor<4>) -> Tensor<1> {
    let [n, c, h, w] = labels.dims();
    let log_p = log_softmax(logits, 1).narrow(1, 0, c);
    let picked = (log_p * labels.clone()).sum_dim(1);
    (picked * balance(labels)).sum().neg() / (n * h * w) as f32
}

/// The fake term: cross-entropy towards "fake" (the last output) on every labelled pixel,
/// averaged over all pixels.
pub fn fake_loss(logits: Tensor<4>, labels: &Tensor<4>) -> Tensor<1> {
    let [n, c, h, w] = labels.dims();
    let log_fake = log_softmax(logits, 1).narrow(1, c, 1);
    let labelled = labels.clone().sum_dim(1).detach();
    (log_fake * labelled).sum().neg() / (n * h * w) as f32
}

/// LabelMix's mask `[N, 1, H, W]`: 1 on the classes drawn (each class of each sample with
/// probability ½, from `seed`) — which regions the mixed photo takes from the real one.
pub fn labelmix_mask(labels: &Tensor<4>, seed: u64) -> Tensor<4> {
    let [n, c, _, _] = labels.dims();
    let mut rng = StdRng::seed_from_u64(seed);
    let bits: Vec<f32> = (0..n * c)
        .map(|_| rng.random_bool(0.5) as u8 as f32)
        .collect();
    let bits = Tensor::<4>::from_data(TensorData::new(bits, [n, c, 1, 1]), &labels.device());
    (labels.clone() * bits).sum_dim(1)
}

/// `real` where `mask` (`[N, 1, H, W]`) is 1 and `fake` where it is 0, on every channel: the
/// mixed photo, and the mix of the discriminator's readings the mixed photo's must equal.
pub fn labelmix(mask: &Tensor<4>, real: Tensor<4>, fake: Tensor<4>) -> Tensor<4> {
    let [_, k, _, _] = real.dims();
    let m = mask.clone().repeat_dim(1, k);
    real * m.clone() + fake * (m.neg() + 1.0)
}

/// LabelMix's consistency term: the reading of the mixed photo against the same mix of the
/// readings of the real and the fake one (mean squared difference of the logits).
pub fn labelmix_loss(
    mixed: Tensor<4>,
    real: Tensor<4>,
    fake: Tensor<4>,
    mask: &Tensor<4>,
) -> Tensor<1> {
    (mixed - labelmix(mask, real, fake)).powi_scalar(2).mean()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::loss::one_hot;

    fn device() -> Device {
        Device::flex()
    }

    /// Logits that put `confidence` on `class` at every pixel.
    fn sure_of(class: usize, n: usize, k: usize, size: usize, confidence: f32) -> Tensor<4> {
        let mut v = vec![0f32; n * k * size * size];
        let plane = size * size;
        for s in 0..n {
            for px in 0..plane {
                v[(s * k + class) * plane + px] = confidence;
            }
        }
        Tensor::from_data(TensorData::new(v, [n, k, size, size]), &device())
    }

    #[test]
    fn balancing_gives_every_present_class_the_same_total_weight() {
        // 2×2 image: three pixels of class 0, one of class 2 (of 3 classes).
        let labels = one_hot(&[0, 0, 0, 2], 3, [1, 2, 2], &device());
        let w: Vec<f32> = balance(&labels).into_data().try_to_vec::<f32>().unwrap();
        // N·H·W = 4, 2 classes present: class 0 pixels 4 / (2·3), the class-2 pixel 4 / (2·1).
        let expected = [4.0 / 6.0, 4.0 / 6.0, 4.0 / 6.0, 2.0];
        assert_eq!(w.len(), expected.len());
        for (got, want) in w.iter().zip(expected) {
            assert!((got - want).abs() < 1e-6, "{w:?}");
        }
    }

    #[test]
    fn the_layout_loss_is_low_for_the_right_classes_and_the_fake_loss_for_fake() {
        let labels = one_hot(&[1; 4], 2, [1, 2, 2], &device());
        let right = layout_loss(sure_of(1, 1, 3, 2, 8.0), &labels).into_scalar::<f32>();
        let wrong = layout_loss(sure_of(2, 1, 3, 2, 8.0), &labels).into_scalar::<f32>();
        assert!(right < 0.01 && wrong > 7.0, "{right} {wrong}");
        let fake = fake_loss(sure_of(2, 1, 3, 2, 8.0), &labels).into_scalar::<f32>();
        let not_fake = fake_loss(sure_of(1, 1, 3, 2, 8.0), &labels).into_scalar::<f32>();
        assert!(fake < 0.01 && not_fake > 7.0, "{fake} {not_fake}");
    }

    #[test]
    fn unlabelled_pixels_count_in_no_term() {
        // Class id 9 is outside the 2 classes: an all-zero pixel, like a translated-in border.
        let labels = one_hot(&[1, 1, 9, 9], 2, [1, 2, 2], &device());
        let right = sure_of(1, 1, 3, 2, 8.0);
        // Sure of "fake" instead on the two unlabelled pixels: each term would move if it
        // counted them (the layout term up, the fake term down).
        let mut v: Vec<f32> = right.clone().into_data().try_to_vec::<f32>().unwrap();
        for px in [2, 3] {
            v[4 + px] = 0.0;
            v[8 + px] = 8.0;
        }
        let fake_outside = Tensor::<4>::from_data(TensorData::new(v, [1, 3, 2, 2]), &device());
        let a = layout_loss(right.clone(), &labels).into_scalar::<f32>();
        let b = layout_loss(fake_outside.clone(), &labels).into_scalar::<f32>();
        assert!((a - b).abs() < 1e-6, "{a} {b}");
        let (a, b) = (
            fake_loss(right, &labels).into_scalar::<f32>(),
            fake_loss(fake_outside, &labels).into_scalar::<f32>(),
        );
        assert!((a - b).abs() < 1e-6, "{a} {b}");
    }

    #[test]
    fn the_labelmix_mask_takes_whole_classes_and_the_loss_is_zero_for_a_consistent_reading() {
        let labels = one_hot(&[0, 1, 0, 1, 1, 1, 0, 0], 2, [2, 2, 2], &device());
        let mask: Vec<f32> = labelmix_mask(&labels, 3)
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        assert_eq!(mask.len(), 8);
        // Within a sample, pixels of one class share their value.
        assert_eq!(mask[0], mask[2]);
        assert_eq!(mask[1], mask[3]);
        assert_eq!(mask[6], mask[7]);
        assert_eq!(mask[4], mask[5]);
        let mask = labelmix_mask(&labels, 3);
        let (real, fake) = (sure_of(0, 2, 3, 2, 4.0), sure_of(2, 2, 3, 2, 4.0));
        let consistent = labelmix(&mask, real.clone(), fake.clone());
        let zero =
            labelmix_loss(consistent, real.clone(), fake.clone(), &mask).into_scalar::<f32>();
        assert!(zero.abs() < 1e-9, "{zero}");
        let off = labelmix_loss(real.clone() * 0.0, real, fake, &mask).into_scalar::<f32>();
        assert!(off > 1.0, "{off}");
    }
}
