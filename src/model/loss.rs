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

/// Mean absolute error.
pub fn l1<const D: usize>(a: Tensor<D>, b: Tensor<D>) -> Tensor<1> {
    (a - b).abs().mean()
}
