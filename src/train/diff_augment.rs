//! Differentiable augmentation of what the discriminator sees (DiffAugment, Zhao et al. 2020):
//! colour, translation and cutout applied to real *and* fake pairs, so that a discriminator
//! trained on 360 photos cannot memorise them, and the generator still gets gradients through
//! the same transforms. The label planes move with their photo (translation, cutout); only the
//! photo's colours change. Draws come from a seed, so a resumed run augments exactly as before.

use burn::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// One draw of the three transforms for one sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Draw {
    /// Added to every photo value (±0.5 for values in [-1, 1]).
    pub brightness: f32,
    /// Multiplies each pixel's distance from its channel mean (0 … 2).
    pub saturation: f32,
    /// Multiplies the distance from the picture's mean (0.5 … 1.5).
    pub contrast: f32,
    /// Shift right and down, in pixels (up to 1/8 of the side either way; zeros come in).
    pub shift: (i64, i64),
    /// Top-left corner of the zeroed square (half the side, may reach past the border).
    pub cutout: (i64, i64),
}

impl Draw {
    /// The draw of `rng` for a `size`-pixel square (DiffAugment's ranges).
    pub fn random(rng: &mut StdRng, size: usize) -> Draw {
        let s = size as i64;
        let shift = (s / 8).max(1);
        let half = s / 2;
        Draw {
            brightness: rng.random_range(-0.5..0.5),
            saturation: rng.random_range(0.0..2.0),
            contrast: rng.random_range(0.5..1.5),
            shift: (
                rng.random_range(-shift..=shift),
                rng.random_range(-shift..=shift),
            ),
            cutout: (
                rng.random_range(0..=s) - half / 2,
                rng.random_range(0..=s) - half / 2,
            ),
        }
    }
}

/// The draws for a batch of `n` from `seed` (one per sample).
pub fn draws(seed: u64, n: usize, size: usize) -> Vec<Draw> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n).map(|_| Draw::random(&mut rng, size)).collect()
}

/// `pair` (`[N, L + 3, H, W]`: `L` label planes, then the photo) with `draws[i]` applied to
/// sample `i`; without `colour`, translation and cutout only (the photo's colours stay, so the
/// discriminator can still judge them).
pub fn augment(pair: Tensor<4>, labels: usize, draws: &[Draw], colour: bool) -> Tensor<4> {
    let [n, _, _, _] = pair.dims();
    assert_eq!(draws.len(), n, "one draw per sample");
    let samples = draws
        .iter()
        .enumerate()
        .map(|(i, draw)| augment_one(pair.clone().narrow(0, i, 1), labels, draw, colour))
        .collect();
    Tensor::cat(samples, 0)
}

fn augment_one(pair: Tensor<4>, labels: usize, draw: &Draw, recolour: bool) -> Tensor<4> {
    let [_, c, _, _] = pair.dims();
    let pair = match recolour {
        true => {
            let label_planes = pair.clone().narrow(1, 0, labels);
            let photo = colour(pair.narrow(1, labels, c - labels), draw);
            Tensor::cat(vec![label_planes, photo], 1)
        }
        false => pair,
    };
    cutout(translate(pair, draw.shift), draw.cutout)
}

/// Brightness, saturation and contrast, in DiffAugment's order.
fn colour(photo: Tensor<4>, draw: &Draw) -> Tensor<4> {
    let x = photo + draw.brightness;
    let mean = x.clone().mean_dim(1);
    let x = (x - mean.clone()) * draw.saturation + mean;
    let mean = x.clone().mean_dim(1).mean_dim(2).mean_dim(3);
    (x - mean.clone()) * draw.contrast + mean
}

/// Moves the picture `dx` right and `dy` down; the uncovered border is zero.
pub fn translate(x: Tensor<4>, (dx, dy): (i64, i64)) -> Tensor<4> {
    shift_axis(shift_axis(x, 3, dx), 2, dy)
}

fn shift_axis(x: Tensor<4>, axis: usize, by: i64) -> Tensor<4> {
    let dims = x.dims();
    let len = dims[axis];
    let by_abs = (by.unsigned_abs() as usize).min(len);
    if by_abs == 0 {
        return x;
    }
    let mut zero_dims = dims;
    zero_dims[axis] = by_abs;
    let zeros = Tensor::zeros(zero_dims, &x.device());
    let kept = len - by_abs;
    if by > 0 {
        Tensor::cat(vec![zeros, x.narrow(axis, 0, kept)], axis)
    } else {
        Tensor::cat(vec![x.narrow(axis, by_abs, kept), zeros], axis)
    }
}

/// Zeroes a square of half the side with its top-left corner at `(x0, y0)` (clipped).
pub fn cutout(x: Tensor<4>, (x0, y0): (i64, i64)) -> Tensor<4> {
    let [_, _, h, w] = x.dims();
    let side = (h.min(w) / 2) as i64;
    let mut mask = vec![1.0f32; h * w];
    for y in y0.max(0)..(y0 + side).min(h as i64) {
        for x in x0.max(0)..(x0 + side).min(w as i64) {
            mask[y as usize * w + x as usize] = 0.0;
        }
    }
    let mask = Tensor::<4>::from_data(TensorData::new(mask, [1, 1, h, w]), &x.device());
    x * mask
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ramp(c: usize, h: usize, w: usize) -> Tensor<4> {
        let values: Vec<f32> = (0..c * h * w).map(|i| i as f32 / 100.0).collect();
        Tensor::from_data(TensorData::new(values, [1, c, h, w]), &Device::flex())
    }

    fn values(t: Tensor<4>) -> Vec<f32> {
        t.into_data().try_into_vec::<f32>().unwrap()
    }

    #[test]
    fn translation_moves_pixels_and_fills_zeros() {
        let x = ramp(1, 4, 4);
        let moved = values(translate(x.clone(), (1, -2)));
        let original = values(x);
        // Pixel (row 2, col 0) goes to (row 0, col 1); the last two rows and first column are 0.
        assert_eq!(moved[1], original[2 * 4]);
        assert_eq!(moved[3], original[2 * 4 + 2]);
        assert!(moved[8..].iter().all(|&v| v == 0.0));
        assert!((0..4).all(|r| moved[r * 4] == 0.0));
    }

    #[test]
    fn cutout_zeroes_a_clipped_square_only() {
        let x = ramp(2, 4, 4) + 1.0;
        let cut = values(cutout(x, (3, -1)));
        // side 2 from (3, -1): only (row 0, col 3) is inside the picture, on both planes.
        let zeros: Vec<usize> = (0..cut.len()).filter(|&i| cut[i] == 0.0).collect();
        assert_eq!(zeros, vec![3, 16 + 3]);
    }

    /// A draw that changes every colour, with this shift and cutout.
    fn recolouring(shift: (i64, i64), cutout: (i64, i64)) -> Draw {
        Draw {
            brightness: 0.3,
            saturation: 1.5,
            contrast: 0.7,
            shift,
            cutout,
        }
    }

    #[test]
    fn labels_move_but_keep_their_colours() {
        let pair = ramp(6, 8, 8);
        let draw = recolouring((0, 0), (100, 100));
        let out = values(augment(pair.clone(), 3, &[draw], true));
        let before = values(pair.clone());
        assert_eq!(out.len(), before.len());
        assert_eq!(out[..3 * 64], before[..3 * 64], "label planes untouched");
        assert_ne!(out[3 * 64..], before[3 * 64..], "photo planes recoloured");
        let kept = values(augment(pair, 3, &[draw], false));
        assert_eq!(
            kept, before,
            "without colour, nothing else moves at this draw"
        );
    }

    #[test]
    fn without_colour_the_photo_only_moves_with_its_labels() {
        let pair = ramp(6, 8, 8);
        let draw = recolouring((2, -1), (5, 0));
        let out = values(augment(pair.clone(), 3, &[draw], false));
        let moved = values(cutout(translate(pair, (2, -1)), (5, 0)));
        assert_eq!(out, moved);
    }

    #[test]
    fn draws_are_seeded_and_in_range() {
        let a = draws(42, 3, 256);
        assert_eq!(a, draws(42, 3, 256));
        assert_ne!(a, draws(43, 3, 256));
        for d in a {
            assert!(d.shift.0.abs() <= 32 && d.shift.1.abs() <= 32);
            assert!((0.0..2.0).contains(&d.saturation) && (0.5..1.5).contains(&d.contrast));
        }
    }
}
