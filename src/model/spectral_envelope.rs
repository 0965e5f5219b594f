//! Spectral envelope loss (after Durall et al., CVPR 2020, "Watch your up-convolution"): the
//! render's luminance power, averaged over rings of equal spatial frequency, should follow its
//! photo's, compared on a log scale. Unlike the focal frequency loss (which compares spectra
//! with their phases, and so pulls texture that cannot be placed exactly towards none at all),
//! it asks only *how much* detail there is at each scale: a render too smooth for its photo is
//! pushed to make fine texture, and a stride-2 grid (power piled up at half the sampling rate)
//! is pushed back down. No pretrained network.

use burn::prelude::*;

use super::focal_frequency::power_spectrum;
use super::lattice::{hann, lattice_points};

/// Rings from the lowest frequency to the corner of the spectrum.
const RINGS: usize = 32;

/// Below any power a 256² photo has in a ring, so log(0) never happens.
const FLOOR: f32 = 1e-8;

/// Rec. 601 luminance of `[N, 3, H, W]` pictures, `[N, 1, H, W]`.
fn luminance(x: Tensor<4>) -> Tensor<4> {
    let weights =
        Tensor::<1>::from_floats([0.299, 0.587, 0.114], &x.device()).reshape([1, 3, 1, 1]);
    (x * weights).sum_dim(1)
}

/// `[H·W, RINGS]`: column r averages the frequencies whose distance from zero (in cycles per
/// pixel, scaled so the corner is 1) falls in ring r. The zero frequency (the mean, which L1
/// already holds) is in none.
fn ring_means(h: usize, w: usize, device: &Device) -> Tensor<2> {
    let fold = |k: usize, n: usize| k.min(n - k) as f64 / n as f64;
    let corner = 0.5f64.hypot(0.5);
    let ring = |ky: usize, kx: usize| {
        let r = fold(ky, h).hypot(fold(kx, w)) / corner;
        ((r * RINGS as f64) as usize).min(RINGS - 1)
    };
    let mut counts = [0usize; RINGS];
    for (ky, kx) in (0..h).flat_map(|ky| (0..w).map(move |kx| (ky, kx))).skip(1) {
        counts[ring(ky, kx)] += 1;
    }
    let mut matrix = vec![0f32; h * w * RINGS];
    for (ky, kx) in (0..h).flat_map(|ky| (0..w).map(move |kx| (ky, kx))).skip(1) {
        let r = ring(ky, kx);
        matrix[(ky * w + kx) * RINGS + r] = 1.0 / counts[r] as f32;
    }
    Tensor::from_data(TensorData::new(matrix, [h * w, RINGS]), device)
}

/// The luminance power spectra of `[N, 3, H, W]` pictures, `[N, H·W]`.
fn luminance_power(x: Tensor<4>) -> Tensor<2> {
    let [n, _, h, w] = x.dims();
    power_spectrum(luminance(x)).reshape([n, h * w])
}

/// The power spectra of the luminance of `[N, 3, H, W]` pictures with its mean removed and a
/// Hann window applied, `[N, H·W]`: as `eval`'s grid figure reads a picture.
fn windowed_power(x: Tensor<4>) -> Tensor<2> {
    let [n, _, h, w] = x.dims();
    let device = x.device();
    let window = |len: usize| {
        let values: Vec<f32> = (0..len).map(|k| hann(k, len) as f32).collect();
        Tensor::<1>::from_data(TensorData::new(values, [len]), &device)
    };
    let y = luminance(x);
    let y = y.clone() - y.mean_dim(2).mean_dim(3);
    let y = y * window(h).reshape([1, 1, h, 1]) * window(w).reshape([1, 1, 1, w]);
    power_spectrum(y).reshape([n, h * w])
}

/// log of the mean power in each ring of `[N, H·W]` spectra, `[N, RINGS]` (rings with no
/// frequency, in tiny pictures, read as the floor in every picture).
fn log_envelope(power: Tensor<2>, h: usize, w: usize) -> Tensor<2> {
    let rings = ring_means(h, w, &power.device());
    (power.matmul(rings) + FLOOR).log()
}

/// The spectral envelope loss of `fake` against `real` (`[N, 3, H, W]`, any range): the mean
/// absolute difference of their log ring powers, plus `lattice` times [`lattice_excess`]. No
/// gradient reaches `real`.
pub fn spectral_envelope(fake: Tensor<4>, real: Tensor<4>, lattice: f32) -> Tensor<1> {
    let [_, _, h, w] = fake.dims();
    let real = real.detach();
    let envelope = (log_envelope(luminance_power(fake.clone()), h, w)
        - log_envelope(luminance_power(real.clone()), h, w))
    .abs()
    .mean();
    match lattice > 0.0 {
        true => {
            let excess = lattice_excess(windowed_power(fake), windowed_power(real), h, w);
            envelope + excess * lattice
        }
        false => envelope,
    }
}

/// `[H·W, 2]`: column 0 sums the power at the stride-2 lattice points, column 1 sums the mean
/// power of the ring around each (as `eval`'s grid figure does).
fn lattice_sums(h: usize, w: usize, device: &Device) -> Tensor<2> {
    let mut matrix = vec![0f32; h * w * 2];
    for point in lattice_points(w, h) {
        matrix[point.peak * 2] += 1.0;
        for &k in &point.ring {
            matrix[k * 2 + 1] += 1.0 / point.ring.len() as f32;
        }
    }
    Tensor::from_data(TensorData::new(matrix, [h * w, 2]), device)
}

/// How far the render's lattice points stand above the rings around them, beyond how far its
/// photo's do (log ratio, 0 when not above; `[N, H·W]` windowed power spectra of `H`×`W`
/// pictures in, see `windowed_power`). Only the peaks get a
/// gradient: the render is pushed to take a grid away, not to fill the rings around it.
pub fn lattice_excess(
    fake_power: Tensor<2>,
    real_power: Tensor<2>,
    h: usize,
    w: usize,
) -> Tensor<1> {
    let sums = lattice_sums(h, w, &fake_power.device());
    let log_ratio = |p: Tensor<2>, rings_too: bool| {
        let s = (p.matmul(sums.clone()) + FLOOR).log();
        let (peak, ring) = (s.clone().narrow(1, 0, 1), s.narrow(1, 1, 1));
        peak - if rings_too { ring } else { ring.detach() }
    };
    (log_ratio(fake_power, false) - log_ratio(real_power, true))
        .clamp_min(0.0)
        .mean()
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
        log_envelope(luminance_power(x), h, w)
            .narrow(1, from, count)
            .mean()
            .into_scalar::<f32>()
    }

    /// `steps` steps of gradient descent on `loss` from `start`, at `rate`; `normalised`: each
    /// step moves the pixel with the largest gradient by `rate` (for losses on a log scale,
    /// whose raw gradient shrinks as the power they see grows).
    fn descend(
        start: Tensor<4>,
        steps: usize,
        rate: f32,
        normalised: bool,
        loss: impl Fn(Tensor<4>) -> Tensor<1>,
    ) -> Tensor<4> {
        let mut x = start;
        for _ in 0..steps {
            let leaf = x.detach().require_grad();
            let grads = loss(leaf.clone()).backward();
            let mut step = leaf.grad(&grads).unwrap();
            if normalised {
                let largest = step
                    .clone()
                    .abs()
                    .max()
                    .clamp_min(1e-12)
                    .reshape([1, 1, 1, 1]);
                step = step / largest;
            }
            x = leaf.clone().detach() - step * rate;
        }
        x
    }

    #[test]
    fn equal_pictures_cost_nothing_and_missing_texture_costs() {
        let device = Device::flex();
        let real = picture(32, 0.4, &device);
        let cost =
            |fake: Tensor<4>| spectral_envelope(fake, real.clone(), 0.0).into_scalar::<f32>();
        let same = cost(real.clone());
        let smooth = cost(picture(32, 0.0, &device));
        let half = cost(picture(32, 0.2, &device));
        assert!(same.abs() < 1e-6, "{same}");
        assert!(smooth > 2.0 * half && half > 0.1, "{smooth} {half}");
    }

    #[test]
    fn its_gradient_gives_a_smooth_render_texture_and_takes_a_checkerboard_away() {
        let device = Device::flex().autodiff();
        let real = picture(32, 0.4, &device);
        let loss = |x: Tensor<4>| spectral_envelope(x, real.clone(), 0.0);
        // A render with a quarter of the photo's texture: its upper rings rise towards the photo's.
        let smooth = picture(32, 0.1, &device);
        let textured = descend(smooth.clone(), 20, 0.02, false, loss);
        let top = |x: Tensor<4>| ring_power(x, RINGS / 2, RINGS / 2);
        let (before, after, target) = (top(smooth), top(textured), top(real.clone()));
        assert!(
            before < after && (after - target).abs() < (before - target).abs(),
            "{before} → {after} (photo {target})"
        );
        // A one-pixel checkerboard on the photo: the corner ring (where it sits) falls towards the photo's.
        let board = stamped(real.clone(), 0.5, |x, y| (x + y) % 2 == 0);
        let cleaned = descend(board.clone(), 20, 0.02, false, loss);
        let corner = |x: Tensor<4>| ring_power(x, RINGS - 1, 1);
        let (before, after, target) = (corner(board), corner(cleaned), corner(real));
        assert!(
            before > after && (after - target).abs() < (before - target).abs(),
            "{before} → {after} (photo {target})"
        );
    }

    #[test]
    fn the_lattice_term_sees_an_eight_pixel_grid_and_its_gradient_takes_it_away() {
        let device = Device::flex().autodiff();
        let real = picture(64, 0.4, &device);
        let grid = stamped(real.clone(), 0.6, |x, y| x % 8 == 0 || y % 8 == 0);
        let excess =
            |x: Tensor<4>| lattice_excess(windowed_power(x), windowed_power(real.clone()), 64, 64);
        let clean = excess(real.clone()).into_scalar::<f32>();
        let before = excess(grid.clone()).into_scalar::<f32>();
        assert!(
            clean.abs() < 1e-6 && before > 1.0,
            "photo {clean}, gridded {before}"
        );
        // Off, the loss is the envelope's alone; on, it adds the excess.
        let envelope = spectral_envelope(grid.clone(), real.clone(), 0.0).into_scalar::<f32>();
        let both = spectral_envelope(grid.clone(), real.clone(), 2.0).into_scalar::<f32>();
        assert!(
            (both - envelope - 2.0 * before).abs() < 1e-3 * both,
            "{envelope} + 2·{before} ≠ {both}"
        );
        let cleaned = descend(grid, 20, 0.05, true, |x| {
            lattice_excess(windowed_power(x), windowed_power(real.clone()), 64, 64)
        });
        let after = excess(cleaned).into_scalar::<f32>();
        assert!(after < 0.5 * before, "{before} → {after}");
    }
}
