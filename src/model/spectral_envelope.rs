//! Spectral envelope loss (after Durall et al., CVPR 2020, "Watch your up-convolution"): the
//! render's luminance power, averaged over rings of equal spatial frequency, should follow its
//! photo's, compared on a log scale. Unlike the focal frequency loss (which compares spectra
//! with their phases, and so pulls texture that cannot be placed exactly towards none at all),
//! it asks only *how much* detail there is at each scale: a render too smooth for its photo is
//! pushed to make fine texture, and power piled up over a whole ring (a one-pixel checkerboard)
//! is pushed back down. A few peaks within a ring — the 8-pixel lattice of `eval`'s grid
//! figure — barely move a ring's mean, so it does not hold a grid down (measured in MODEL.md).
//! They can still pay a ring's debt, though: a render short of texture in a ring is credited for
//! lattice peaks there as for texture. With `skip` (the lattice peaks and their neighbours, see
//! `eval::lattice::peak_blocks`) those frequencies are in no ring, so only power elsewhere in
//! the ring counts. No pretrained network.

use burn::prelude::*;

use super::focal_frequency::power_spectrum;
use crate::image_io::BT601;

/// Rings from the lowest frequency to the corner of the spectrum.
const RINGS: usize = 32;

/// Below any power a 256² photo has in a ring, so log(0) never happens.
const FLOOR: f32 = 1e-8;

/// Rec. 601 luminance of `[N, 3, H, W]` pictures, `[N, 1, H, W]`.
fn luminance(x: Tensor<4>) -> Tensor<4> {
    let weights =
        Tensor::<1>::from_floats(BT601.map(|v| v as f32), &x.device()).reshape([1, 3, 1, 1]);
    (x * weights).sum_dim(1)
}

/// `[H·W, RINGS]`: column r averages the frequencies whose distance from zero (in cycles per
/// pixel, scaled so the corner is 1) falls in ring r. The zero frequency (the mean, which L1
/// already holds) and the frequencies `skip` (flat indices `ky·w + kx`) are in none.
fn ring_means(h: usize, w: usize, skip: &[usize], device: &Device) -> Tensor<2> {
    let corner = 0.5f64.hypot(0.5);
    // The ring of each frequency, row-major from (0, 0).
    let rings: Vec<usize> = (0..h * w)
        .map(|k| {
            let r = distance_from_zero(k, w, h) / corner;
            ((r * RINGS as f64) as usize).min(RINGS - 1)
        })
        .collect();
    let mut counted = vec![true; h * w];
    counted[0] = false;
    for &k in skip {
        counted[k] = false;
    }
    let members = || rings.iter().enumerate().filter(|(k, _)| counted[*k]);
    let mut counts = [0usize; RINGS];
    for (_, &r) in members() {
        counts[r] += 1;
    }
    let mut matrix = vec![0f32; h * w * RINGS];
    for (k, &r) in members() {
        matrix[k * RINGS + r] = 1.0 / counts[r] as f32;
    }
    Tensor::from_data(TensorData::new(matrix, [h * w, RINGS]), device)
}

/// The frequencies of a `w`×`h` spectrum closer than `cycles` (cycles per pixel) to zero, as flat
/// indices `ky·w + kx`: what the loss leaves out to compare only the finer scales.
pub fn frequencies_below(w: usize, h: usize, cycles: f64) -> Vec<usize> {
    (0..h * w)
        .filter(|&k| distance_from_zero(k, w, h) < cycles)
        .collect()
}

/// How far frequency `k` (flat index `ky·w + kx`) of a `w`×`h` spectrum lies from zero, in
/// cycles per pixel.
fn distance_from_zero(k: usize, w: usize, h: usize) -> f64 {
    let fold = |k: usize, n: usize| k.min(n - k) as f64 / n as f64;
    fold(k / w, h).hypot(fold(k % w, w))
}

/// The luminance power spectra of `[N, 3, H, W]` pictures, `[N, H·W]`.
fn luminance_power(x: Tensor<4>) -> Tensor<2> {
    let [n, _, h, w] = x.dims();
    power_spectrum(luminance(x)).reshape([n, h * w])
}

/// log of the mean power in each ring of `[N, H·W]` spectra, `[N, RINGS]`, given
/// [`ring_means`] (rings with no frequency, in tiny pictures, read as the floor in every picture).
fn log_envelope(power: Tensor<2>, rings: Tensor<2>) -> Tensor<2> {
    (power.matmul(rings) + FLOOR).log()
}

/// The rings a `w`×`h` spectrum is averaged over, less the frequencies `skip`: built once per
/// picture size (a 256² spectrum's is an 8 MB matrix), not at every step.
#[derive(Debug, Clone)]
pub struct Rings {
    pub size: (usize, usize),
    means: Tensor<2>,
}

impl Rings {
    pub fn new(w: usize, h: usize, skip: &[usize], device: &Device) -> Rings {
        Rings {
            size: (w, h),
            means: ring_means(h, w, skip, device),
        }
    }
}

/// The spectral envelope loss of `fake` against `real` (`[N, 3, H, W]`, any range, the size of
/// `rings`): the mean absolute difference of their log ring powers. No gradient reaches `real`.
pub fn spectral_envelope(fake: Tensor<4>, real: Tensor<4>, rings: &Rings) -> Tensor<1> {
    let log_env = |x: Tensor<4>| log_envelope(luminance_power(x), rings.means.clone());
    (log_env(fake) - log_env(real.detach())).abs().mean()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic `size`² picture with detail at every scale: a smooth gradient plus a fine
    /// pseudo-random texture of amplitude `texture`.
    fn picture(size: usize, texture: f32, device: &Device) -> Tensor<4> {
        let mut values = Vec::with_capacity(3 * size * size);
        for c in 0..3 {
            for y in 0..size {
                for x in 0..size {
                    let noise = ((x * 7919 + y * 104_729 + c * 31) % 97) as f32 / 97.0 - 0.5;
                    values.push((y as f32 / size as f32 - 0.5) + texture * noise);
                }
            }
        }
        Tensor::from_data(TensorData::new(values, [1, 3, size, size]), device)
    }

    /// `picture` plus `amplitude` on every pixel where `on(x, y)`.
    fn stamped(picture: Tensor<4>, amplitude: f32, on: impl Fn(usize, usize) -> bool) -> Tensor<4> {
        let [_, _, h, w] = picture.dims();
        let values: Vec<f32> = (0..3 * h * w)
            .map(|i| match on(i % w, (i / w) % h) {
                true => amplitude,
                false => 0.0,
            })
            .collect();
        let device = picture.device();
        picture + Tensor::from_data(TensorData::new(values, [1, 3, h, w]), &device)
    }

    /// The mean log power of rings `from..from + count`.
    fn ring_power(x: Tensor<4>, from: usize, count: usize) -> f32 {
        let [_, _, h, w] = x.dims();
        let rings = ring_means(h, w, &[], &x.device());
        log_envelope(luminance_power(x), rings)
            .narrow(1, from, count)
            .mean()
            .into_scalar::<f32>()
    }

    /// The rings of a 32² picture, less `skip`.
    fn rings(skip: &[usize], device: &Device) -> Rings {
        Rings::new(32, 32, skip, device)
    }

    /// `steps` steps of gradient descent on `loss` from `start`, at `rate`.
    fn descend(
        start: Tensor<4>,
        steps: usize,
        rate: f32,
        loss: impl Fn(Tensor<4>) -> Tensor<1>,
    ) -> Tensor<4> {
        let mut x = start;
        for _ in 0..steps {
            let leaf = x.detach().require_grad();
            let grads = loss(leaf.clone()).backward();
            x = leaf.clone().detach() - leaf.grad(&grads).unwrap() * rate;
        }
        x
    }

    #[test]
    fn equal_pictures_cost_nothing_and_missing_texture_costs() {
        let device = Device::flex();
        let real = picture(32, 0.4, &device);
        let cost = |fake: Tensor<4>| {
            spectral_envelope(fake, real.clone(), &rings(&[], &device)).into_scalar::<f32>()
        };
        let same = cost(real.clone());
        let smooth = cost(picture(32, 0.0, &device));
        let half = cost(picture(32, 0.2, &device));
        assert!(same.abs() < 1e-6, "{same}");
        assert!(smooth > 2.0 * half && half > 0.1, "{smooth} {half}");
    }

    /// An 8-pixel lattice of dots has power only at the lattice frequencies: added to a render
    /// short of texture it lowers the loss, unless those frequencies are skipped, where the loss
    /// does not move.
    #[test]
    fn skipped_lattice_frequencies_earn_no_credit() {
        let device = Device::flex();
        let real = picture(32, 0.4, &device);
        let smooth = picture(32, 0.05, &device);
        let dotted = stamped(smooth.clone(), 0.5, |x, y| x % 8 == 0 && y % 8 == 0);
        let skip = crate::eval::lattice::peak_blocks(32, 32);
        let cost = |x: Tensor<4>, skip: &[usize]| {
            spectral_envelope(x, real.clone(), &rings(skip, &device)).into_scalar::<f32>()
        };
        let (plain, plain_dotted) = (cost(smooth.clone(), &[]), cost(dotted.clone(), &[]));
        assert!(plain_dotted < plain - 0.05, "{plain_dotted} vs {plain}");
        let (skipped, skipped_dotted) = (cost(smooth, &skip), cost(dotted, &skip));
        assert!(
            (skipped_dotted - skipped).abs() < 1e-4,
            "{skipped_dotted} vs {skipped}"
        );
    }

    #[test]
    fn its_gradient_gives_a_smooth_render_texture_and_takes_a_checkerboard_away() {
        let device = Device::flex().autodiff();
        let real = picture(32, 0.4, &device);
        let loss = |x: Tensor<4>| spectral_envelope(x, real.clone(), &rings(&[], &device));
        // A render with a quarter of the photo's texture: its upper rings rise towards the photo's.
        let smooth = picture(32, 0.1, &device);
        let textured = descend(smooth.clone(), 20, 0.02, loss);
        let top = |x: Tensor<4>| ring_power(x, RINGS / 2, RINGS / 2);
        let (before, after, target) = (top(smooth), top(textured), top(real.clone()));
        assert!(
            before < after && (after - target).abs() < (before - target).abs(),
            "{before} → {after} (photo {target})"
        );
        // A one-pixel checkerboard on the photo: the corner ring (where it sits) falls towards the photo's.
        let board = stamped(real.clone(), 0.5, |x, y| (x + y) % 2 == 0);
        let cleaned = descend(board.clone(), 20, 0.02, loss);
        let corner = |x: Tensor<4>| ring_power(x, RINGS - 1, 1);
        let (before, after, target) = (corner(board), corner(cleaned), corner(real));
        assert!(
            before > after && (after - target).abs() < (before - target).abs(),
            "{before} → {after} (photo {target})"
        );
    }

    /// Left out below 0.3 cycles/pixel, a render that differs from its photo only in coarse
    /// detail (a wave of 1/8 cycle/pixel) costs nothing; the fine texture it lacks still does.
    #[test]
    fn from_a_frequency_on_only_finer_scales_count() {
        let device = Device::flex();
        let real = picture(32, 0.4, &device);
        let wave: Vec<f32> = (0..3 * 32 * 32)
            .map(|i| 0.5 * (std::f32::consts::TAU * (i % 32) as f32 / 8.0).sin())
            .collect();
        let wavy = real.clone() + Tensor::from_data(TensorData::new(wave, [1, 3, 32, 32]), &device);
        let from = frequencies_below(32, 32, 0.3);
        let cost = |x: Tensor<4>, skip: &[usize]| {
            spectral_envelope(x, real.clone(), &rings(skip, &device)).into_scalar::<f32>()
        };
        let all = cost(wavy.clone(), &[]);
        assert!(all > 0.05, "{all}");
        assert!(cost(wavy, &from) < 1e-4);
        assert!(cost(picture(32, 0.0, &device), &from) > 0.1);
        // 0, the four axis neighbours at 1/8 and the four diagonal ones at 0.177 lie below 0.2.
        assert_eq!(
            frequencies_below(8, 8, 0.2),
            vec![0, 1, 7, 8, 9, 15, 56, 57, 63]
        );
        assert!(frequencies_below(8, 8, 0.0).is_empty());
    }
}
