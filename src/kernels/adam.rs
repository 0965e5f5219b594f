//! Adam's update of one parameter, in the two forms the optimiser (`train::adam`) runs: on the
//! CPU, a vectorised loop in place in the weights, in parallel runs; off the CPU, one GPU kernel
//! launch per parameter (`gpu_adam.rs`), where tensor operations took about six (the two moments,
//! the step, the new weights, and a sum to check that they are finite).
//!
//! The rule: `m ← β1·m + (1−β1)·g`, `v ← β2·v + (1−β2)·g²`, `w ← w − lr·(m/c1) / (√(v/c2) + ε)`.

/// Adam's constants for one update of one parameter.
#[derive(Debug, Clone, Copy)]
pub struct AdamCoefficients {
    pub lr: f32,
    pub b1: f32,
    pub b2: f32,
    /// Bias corrections 1 − β^t.
    pub c1: f32,
    pub c2: f32,
    pub eps: f32,
}

/// The update of every weight on the host, in parallel runs. False when a weight is no longer
/// finite.
pub fn host_update(
    w: &mut [f32],
    g: &[f32],
    m: &mut [f32],
    v: &mut [f32],
    k: AdamCoefficients,
) -> bool {
    use rayon::prelude::*;
    const RUN: usize = 1 << 14;
    let n = w.len();
    assert!(
        g.len() == n && m.len() == n && v.len() == n,
        "adam: gradient or state of another size"
    );
    w.par_chunks_mut(RUN)
        .zip(g.par_chunks(RUN))
        .zip(m.par_chunks_mut(RUN))
        .zip(v.par_chunks_mut(RUN))
        .map(|(((w, g), m), v)| super::simd::wide(|| update_run(w, g, m, v, k)))
        .reduce(|| true, |a, b| a && b)
}

/// One run of [`host_update`] (slices of one length).
fn update_run(w: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32], k: AdamCoefficients) -> bool {
    let AdamCoefficients {
        lr,
        b1,
        b2,
        c1,
        c2,
        eps,
    } = k;
    let mut finite = true;
    let state = m.iter_mut().zip(v.iter_mut());
    for ((w, &g), (m, v)) in w.iter_mut().zip(g).zip(state) {
        *m = b1 * *m + (1.0 - b1) * g;
        *v = b2 * *v + (1.0 - b2) * g * g;
        *w -= lr * (*m / c1) / ((*v / c2).sqrt() + eps);
        finite &= w.is_finite();
    }
    finite
}
