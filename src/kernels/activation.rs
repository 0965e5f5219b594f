//! Leaky ReLU (ReLU at slope 0) forward and backward, one pass each over a slice.

use rayon::prelude::*;

/// Values per parallel task: large enough that the split costs nothing next to the work.
const CHUNK: usize = 1 << 14;

/// `x ← x` where `x > 0`, `slope · x` elsewhere (on a tensor nothing else holds).
pub fn forward_in_place(x: &mut [f32], slope: f32) {
    x.par_chunks_mut(CHUNK).for_each(|x| {
        x.iter_mut()
            .for_each(|v| *v = if *v > 0.0 { *v } else { *v * slope });
    });
}

/// `dx = dy` where `x > 0`, `slope · dy` elsewhere.
pub fn backward(x: &[f32], dy: &[f32], slope: f32) -> Vec<f32> {
    assert_eq!(x.len(), dy.len(), "activation: gradient size");
    let mut dx = vec![0.0; x.len()];
    dx.par_chunks_mut(CHUNK)
        .zip(x.par_chunks(CHUNK).zip(dy.par_chunks(CHUNK)))
        .for_each(|(dx, (x, dy))| {
            dx.iter_mut()
                .zip(x.iter().zip(dy))
                .for_each(|(o, (&v, &d))| *o = if v > 0.0 { d } else { d * slope });
        });
    dx
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negative_values_are_scaled_forward_and_backward() {
        let x = [-2.0, -0.5, 0.0, 0.5, 3.0];
        let forward = |slope| {
            let mut y = x;
            forward_in_place(&mut y, slope);
            y
        };
        assert_eq!(forward(0.2), [-0.4, -0.1, 0.0, 0.5, 3.0]);
        assert_eq!(forward(0.0), [0.0, 0.0, 0.0, 0.5, 3.0]);
        assert_eq!(
            backward(&x, &[1.0, 2.0, 3.0, 4.0, 5.0], 0.2),
            vec![0.2, 0.4, 0.6, 4.0, 5.0]
        );
    }
}
