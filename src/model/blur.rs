//! The [1, 2, 1] / 4 blur of anti-aliased resampling (Zhang 2019; StyleGAN2's up- and
//! downsampling filters): a low-pass that removes the Nyquist frequency entirely, applied
//! separably along both image axes with the edge rows and columns repeated (a constant stays
//! constant up to the border).

use burn::prelude::*;

/// `x` `[N, C, H, W]` filtered by [1, 2, 1] / 4 along H and then W.
pub fn blur(x: Tensor<4>) -> Tensor<4> {
    blur_along(blur_along(x, 2), 3)
}

fn blur_along(x: Tensor<4>, dim: usize) -> Tensor<4> {
    let n = x.dims()[dim];
    if n < 2 {
        return x;
    }
    let first = x.clone().narrow(dim, 0, 1);
    let last = x.clone().narrow(dim, n - 1, 1);
    let padded = Tensor::cat(vec![first, x, last], dim);
    let before = padded.clone().narrow(dim, 0, n);
    let centre = padded.clone().narrow(dim, 1, n);
    let after = padded.narrow(dim, 2, n);
    (before + after + centre * 2.0) * 0.25
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device() -> Device {
        Default::default()
    }

    #[test]
    fn a_constant_is_unchanged_and_a_checkerboard_vanishes_inside() {
        let d = device();
        let c = blur(Tensor::<4>::full([1, 2, 6, 6], 0.7, &d));
        let v: Vec<f32> = c.into_data().to_vec().unwrap();
        assert_eq!(v.len(), 72);
        assert!(v.iter().all(|x| (x - 0.7).abs() < 1e-6), "{v:?}");

        let board: Vec<f32> = (0..36)
            .map(|i| if (i / 6 + i % 6) % 2 == 0 { 1.0 } else { -1.0 })
            .collect();
        let x = Tensor::<1>::from_floats(board.as_slice(), &d).reshape([1, 1, 6, 6]);
        let v: Vec<f32> = blur(x).into_data().to_vec().unwrap();
        assert_eq!(v.len(), 36);
        for row in 1..5 {
            for col in 1..5 {
                assert!(v[row * 6 + col].abs() < 1e-6, "({row}, {col}): {}", v[row * 6 + col]);
            }
        }
    }

    #[test]
    fn an_impulse_spreads_as_the_outer_product_of_1_2_1() {
        let d = device();
        let mut one = vec![0.0f32; 25];
        one[12] = 16.0;
        let x = Tensor::<1>::from_floats(one.as_slice(), &d).reshape([1, 1, 5, 5]);
        let v: Vec<f32> = blur(x).into_data().to_vec().unwrap();
        let taps = [0.0, 1.0, 2.0, 1.0, 0.0];
        assert_eq!(v.len(), 25);
        for r in 0..5 {
            for c in 0..5 {
                assert!((v[r * 5 + c] - taps[r] * taps[c]).abs() < 1e-5, "({r}, {c})");
            }
        }
    }
}
