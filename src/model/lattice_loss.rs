//! Lattice loss: the grid a stride-2 decoder leaves is power piled up at the lattice frequencies
//! (multiples of 1/8 cycle/pixel, [`crate::eval::lattice`]) above the frequencies around them —
//! what `eval`'s grid figure measures. Per picture and per pattern period (2, 4 and 8 pixels),
//! the loss takes the log of the lattice points' power over their rings' mean power (Hann-windowed
//! luminance spectra, as the figure reads them) and charges the render for whatever it stands
//! above its photo's; a render whose lattice stands no higher costs nothing, so texture is not
//! pushed down with the grid. No pretrained network.

use burn::prelude::*;
use burn::tensor::activation::relu;

use super::focal_frequency::power_spectrum;
use super::spectral_envelope::luminance;
use crate::eval::lattice::{STRIDES, hann, lattice_points};

/// Below any ring power of a 256² photo, so log(0) never happens.
const FLOOR: f32 = 1e-8;

/// The lattice of a `w`×`h` spectrum as the loss reads it, built once per picture size.
#[derive(Debug, Clone)]
pub struct Lattice {
    pub size: (usize, usize),
    /// `[H·W, 2·S]`: column s sums the power at the points of period `STRIDES[s]`, column S + s
    /// the mean power of their rings (summed over the points).
    pooling: Tensor<2>,
    /// The 2-D Hann window, `[1, 1, H, W]`.
    window: Tensor<4>,
}

impl Lattice {
    pub fn new(w: usize, h: usize, device: &Device) -> Lattice {
        let s = STRIDES.len();
        let mut pooling = vec![0f32; h * w * 2 * s];
        for point in lattice_points(w, h) {
            pooling[point.peak * 2 * s + point.stride] += 1.0;
            let share = 1.0 / point.ring.len().max(1) as f32;
            for &k in &point.ring {
                pooling[k * 2 * s + s + point.stride] += share;
            }
        }
        let window: Vec<f32> = (0..h * w)
            .map(|k| (hann(k % w, w) * hann(k / w, h)) as f32)
            .collect();
        Lattice {
            size: (w, h),
            pooling: Tensor::from_data(TensorData::new(pooling, [h * w, 2 * s]), device),
            window: Tensor::from_data(TensorData::new(window, [1, 1, h, w]), device),
        }
    }

    /// `[N, S]`: log of each pattern period's lattice power over its rings' power, for
    /// `[N, 3, H, W]` pictures.
    fn prominence(&self, x: Tensor<4>) -> Tensor<2> {
        let [n, _, h, w] = x.dims();
        let y = luminance(x);
        let centred = y.clone() - y.mean_dim(2).mean_dim(3);
        let power = power_spectrum(centred * self.window.clone()).reshape([n, h * w]);
        let pooled = (power.matmul(self.pooling.clone()) + FLOOR).log();
        let s = STRIDES.len();
        pooled.clone().narrow(1, 0, s) - pooled.narrow(1, s, s)
    }
}

/// The lattice loss of `fake` against `real` (`[N, 3, H, W]`, the size of `lattice`): the mean,
/// over pictures and pattern periods, of how far the render's lattice stands above its photo's
/// (log scale; 0 where it does not). No gradient reaches `real`.
pub fn lattice_loss(fake: Tensor<4>, real: Tensor<4>, lattice: &Lattice) -> Tensor<1> {
    let excess = lattice.prominence(fake) - lattice.prominence(real.detach());
    relu(excess).mean()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 32² picture: smooth shading plus seeded noise of amplitude `texture` (a photo's texture,
    /// no period).
    fn picture(texture: f32, device: &Device) -> Tensor<4> {
        let mut state = 7u32;
        let values: Vec<f32> = (0..3 * 32 * 32)
            .map(|i| {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                let noise = (state >> 8) as f32 / (1u32 << 24) as f32 - 0.5;
                0.3 * ((i % 32) as f32 / 32.0) + texture * noise
            })
            .collect();
        Tensor::from_data(TensorData::new(values, [1, 3, 32, 32]), device)
    }

    /// `x` with `amplitude` added on the pixels where `on(x, y)`, on every channel.
    fn stamped(x: Tensor<4>, amplitude: f32, on: impl Fn(usize, usize) -> bool) -> Tensor<4> {
        let values: Vec<f32> = (0..3 * 32 * 32)
            .map(|i| amplitude * on(i % 32, (i / 32) % 32) as u8 as f32)
            .collect();
        let device = x.device();
        x + Tensor::from_data(TensorData::new(values, [1, 3, 32, 32]), &device)
    }

    #[test]
    fn a_photo_costs_nothing_and_a_stamped_grid_costs_more_the_stronger_it_is() {
        let device = Device::flex();
        let lattice = Lattice::new(32, 32, &device);
        let real = picture(0.4, &device);
        let cost = |x: Tensor<4>| lattice_loss(x, real.clone(), &lattice).into_scalar::<f32>();
        assert!(cost(real.clone()).abs() < 1e-6);
        let dots = |a| stamped(real.clone(), a, |x, y| x % 4 == 0 && y % 4 == 0);
        let (faint, strong) = (cost(dots(0.1)), cost(dots(0.5)));
        assert!(faint > 0.05 && strong > faint + 0.1, "{faint} {strong}");
        // Less texture than the photo, and no lattice: nothing to charge (the spectral envelope
        // loss asks for texture, this one only holds the lattice down).
        assert!(cost(picture(0.1, &device)) < 0.05);
    }

    #[test]
    fn its_gradient_takes_a_stamped_grid_away() {
        let device = Device::flex().autodiff();
        let lattice = Lattice::new(32, 32, &device);
        let real = picture(0.4, &device);
        let mut x = stamped(real.clone(), 0.5, |x, y| x % 4 == 0 && y % 4 == 0);
        let cost = |x: Tensor<4>| lattice_loss(x, real.clone(), &lattice);
        let before = cost(x.clone().detach()).into_scalar::<f32>();
        for _ in 0..40 {
            let leaf = x.detach().require_grad();
            let grads = cost(leaf.clone()).backward();
            x = leaf.clone().detach() - leaf.grad(&grads).unwrap() * 0.5;
        }
        let after = cost(x.detach()).into_scalar::<f32>();
        assert!(after < before / 3.0, "{before} → {after}");
    }
}
