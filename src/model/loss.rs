//! The pix2pix losses: binary cross-entropy on logits (numerically stable form) and L1.

use burn::prelude::*;

/// softplus(z) = log(1 + e^z), computed without overflow.
fn softplus<const D: usize>(z: Tensor<D>) -> Tensor<D> {
    z.clone().clamp_min(0.0) + z.abs().neg().exp().log1p()
}

/// Mean BCE of `logits` against an all-`target` label (`true` = real).
pub fn bce_with_logits<const D: usize>(logits: Tensor<D>, target: bool) -> Tensor<1> {
    // BCE(x, 1) = softplus(-x); BCE(x, 0) = softplus(x).
    let z = if target { logits.neg() } else { logits };
    softplus(z).mean()
}

/// One-hot planes `[n, classes, h, w]` of the class ids laid out `[n, h, w]` (row-major); an id
/// of `classes` or more leaves its pixel all zero.
pub fn one_hot(ids: &[u8], classes: usize, [n, h, w]: [usize; 3], device: &Device) -> Tensor<4> {
    let plane = h * w;
    assert_eq!(ids.len(), n * plane, "one id per pixel");
    let mut planes = vec![0f32; n * classes * plane];
    for (i, &id) in ids.iter().enumerate() {
        let (sample, px) = (i / plane, i % plane);
        if (id as usize) < classes {
            planes[(sample * classes + id as usize) * plane + px] = 1.0;
        }
    }
    Tensor::from_data(TensorData::new(planes, [n, classes, h, w]), device)
}

/// Mean absolute error.
pub fn l1<const D: usize>(a: Tensor<D>, b: Tensor<D>) -> Tensor<1> {
    (a - b).abs().mean()
}

/// The discriminator's hinge loss (Lim & Ye 2017; SPADE's): mean(relu(1 − x)) on real logits,
/// mean(relu(1 + x)) on fake ones.
pub fn hinge_d<const D: usize>(logits: Tensor<D>, real: bool) -> Tensor<1> {
    let margin = if real { logits.neg() } else { logits };
    (margin + 1.0).clamp_min(0.0).mean()
}

/// The generator's hinge loss: −mean(x) on the logits of its render.
pub fn hinge_g<const D: usize>(logits: Tensor<D>) -> Tensor<1> {
    logits.mean().neg()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn logits(values: &[f32]) -> Tensor<1> {
        Tensor::from_data(
            TensorData::new(values.to_vec(), [values.len()]),
            &Device::flex(),
        )
    }

    #[test]
    fn hinge_counts_only_logits_inside_the_margin() {
        let x = logits(&[2.0, 0.5, -0.5, -3.0]);
        // real: relu(1 − x) = 0, 0.5, 1.5, 4 → 1.5; fake: relu(1 + x) = 3, 1.5, 0.5, 0 → 1.25.
        assert_eq!(hinge_d(x.clone(), true).into_scalar::<f32>(), 1.5);
        assert_eq!(hinge_d(x.clone(), false).into_scalar::<f32>(), 1.25);
        assert_eq!(hinge_g(x).into_scalar::<f32>(), 0.25);
    }
}
