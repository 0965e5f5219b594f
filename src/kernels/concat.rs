//! `relu(cat([a, b], channels))`, the input of every decoder layer but the innermost (the skip
//! connection beside the layer below), as one pass forward and one backward instead of a copy
//! and an activation pass, each with a tensor of its own.

use rayon::prelude::*;

/// Values per parallel task.
const CHUNK: usize = 1 << 14;

/// `a [n, a_len]` and `b [n, b_len]` (per sample: channels × plane) into `y [n, a_len + b_len]`,
/// negative values as zero.
pub fn forward(a: &[f32], b: &[f32], n: usize) -> Vec<f32> {
    let (a_len, b_len) = lens(a.len(), b.len(), n);
    let mut y = vec![0.0; a.len() + b.len()];
    for (s, out) in y.chunks_mut(a_len + b_len).enumerate() {
        let (to_a, to_b) = out.split_at_mut(a_len);
        relu_into(to_a, &a[s * a_len..][..a_len]);
        relu_into(to_b, &b[s * b_len..][..b_len]);
    }
    y
}

/// The gradients of `a` and `b` given the output `y` and its gradient `dy`: `dy` where `y > 0`,
/// zero elsewhere, split back into the two parts.
pub fn backward(y: &[f32], dy: &[f32], a_len: usize, n: usize) -> (Vec<f32>, Vec<f32>) {
    assert_eq!(y.len(), dy.len(), "concat: gradient size");
    assert!(n > 0 && y.len().is_multiple_of(n), "concat: batch size");
    let len = y.len() / n;
    assert!(a_len <= len, "concat: first part larger than the whole");
    let b_len = len - a_len;
    let (mut da, mut db) = (vec![0.0; n * a_len], vec![0.0; n * b_len]);
    for s in 0..n {
        let (y, dy) = (&y[s * len..][..len], &dy[s * len..][..len]);
        mask_into(&mut da[s * a_len..][..a_len], &y[..a_len], &dy[..a_len]);
        mask_into(&mut db[s * b_len..][..b_len], &y[a_len..], &dy[a_len..]);
    }
    (da, db)
}

/// Values per sample of each part.
fn lens(a: usize, b: usize, n: usize) -> (usize, usize) {
    assert!(
        n > 0 && a.is_multiple_of(n) && b.is_multiple_of(n),
        "concat: parts of another batch size"
    );
    (a / n, b / n)
}

fn relu_into(out: &mut [f32], x: &[f32]) {
    out.par_chunks_mut(CHUNK)
        .zip(x.par_chunks(CHUNK))
        .for_each(|(out, x)| {
            out.iter_mut()
                .zip(x)
                .for_each(|(o, &v)| *o = if v > 0.0 { v } else { 0.0 });
        });
}

fn mask_into(out: &mut [f32], y: &[f32], dy: &[f32]) {
    out.par_chunks_mut(CHUNK)
        .zip(y.par_chunks(CHUNK).zip(dy.par_chunks(CHUNK)))
        .for_each(|(out, (y, dy))| {
            out.iter_mut()
                .zip(y.iter().zip(dy))
                .for_each(|(o, (&y, &d))| *o = if y > 0.0 { d } else { 0.0 });
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_each_sample_and_routes_the_gradient_back() {
        // Two samples; a has 2 values per sample, b has 3.
        let a = [1.0, -1.0, 2.0, 0.0];
        let b = [-3.0, 4.0, 5.0, 6.0, -7.0, 0.5];
        let y = forward(&a, &b, 2);
        assert_eq!(y, vec![1.0, 0.0, 0.0, 4.0, 5.0, 2.0, 0.0, 6.0, 0.0, 0.5]);
        let dy: Vec<f32> = (1..=10).map(|v| v as f32).collect();
        let (da, db) = backward(&y, &dy, 2, 2);
        assert_eq!(da, vec![1.0, 0.0, 6.0, 0.0]);
        assert_eq!(db, vec![0.0, 4.0, 5.0, 8.0, 0.0, 10.0]);
    }
}
