//! Element-wise passes over slices, in parallel runs (the shared loop of the activation kernels).

use rayon::prelude::*;

/// Values per parallel task: large enough that the split costs nothing next to the work.
const RUN: usize = 1 << 14;

/// `x[i] ← f(x[i])`.
pub fn map_in_place(x: &mut [f32], f: impl Fn(f32) -> f32 + Sync) {
    x.par_chunks_mut(RUN)
        .for_each(|x| x.iter_mut().for_each(|v| *v = f(*v)));
}

/// `out[i] ← f(a[i])`.
pub fn map_into(out: &mut [f32], a: &[f32], f: impl Fn(f32) -> f32 + Sync) {
    assert_eq!(out.len(), a.len(), "element-wise: sizes differ");
    out.par_chunks_mut(RUN)
        .zip(a.par_chunks(RUN))
        .for_each(|(out, a)| out.iter_mut().zip(a).for_each(|(o, &v)| *o = f(v)));
}

/// `out[i] ← f(a[i], b[i])`.
pub fn zip_into(out: &mut [f32], a: &[f32], b: &[f32], f: impl Fn(f32, f32) -> f32 + Sync) {
    assert!(
        out.len() == a.len() && a.len() == b.len(),
        "element-wise: sizes differ"
    );
    out.par_chunks_mut(RUN)
        .zip(a.par_chunks(RUN).zip(b.par_chunks(RUN)))
        .for_each(|(out, (a, b))| {
            out.iter_mut()
                .zip(a.iter().zip(b))
                .for_each(|(o, (&a, &b))| *o = f(a, b));
        });
}

/// A new vector `f(a[i], b[i])`.
pub fn zip(a: &[f32], b: &[f32], f: impl Fn(f32, f32) -> f32 + Sync) -> Vec<f32> {
    let mut out = vec![0.0; a.len()];
    zip_into(&mut out, a, b, f);
    out
}
