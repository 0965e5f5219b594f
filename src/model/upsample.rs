//! Upsampling by nearest ×2 followed by a 3×3 convolution (Odena et al., "Deconvolution and
//! Checkerboard Artifacts", Distill 2016), the decoder layer that leaves no stride-2 grid.
//!
//! Nearest upsampling repeats each input pixel in a 2×2 block, so each output pixel of the 3×3
//! convolution sees a 2×2 input neighbourhood whose weights are sums of the 3×3 taps. That is a
//! 4×4 stride-2 transposed convolution with a *tied* kernel `K = M · W · Mᵀ` (per channel pair),
//! where `M` (4×3) says which taps land on which kernel row. Computing it that way gives exactly the
//! nearest + 3×3 result at the cost of the transposed convolution (no 4× larger intermediate).

use burn::module::Param;
use burn::prelude::*;
use burn::tensor::Distribution;

use crate::kernels;

/// The least-squares inverse of the tap matrix [`TAPS`] (`PINV · TAPS = I`): projects a free 4×4 transposed
/// kernel onto the nearest + 3×3 family (used to convert models trained with transposed
/// convolutions).
const PINV: [[f32; 4]; 3] = [
    [0.25, -0.25, 0.25, 0.75],
    [-0.5, 0.5, 0.5, -0.5],
    [0.75, 0.25, -0.25, 0.25],
];

/// Nearest ×2 upsampling + 3×3 convolution, `[N, c_in, H, W]` → `[N, c_out, 2H, 2W]`.
#[derive(Module, Debug)]
pub struct ResizeConv {
    /// The 3×3 taps, laid out as a transposed convolution's weight: `[c_in, c_out, 3, 3]`.
    pub weight: Param<Tensor<4>>,
    pub bias: Option<Param<Tensor<1>>>,
}

impl ResizeConv {
    /// Weights N(0, 0.02) as pix2pix initialises every convolution; bias zero.
    pub fn new(c_in: usize, c_out: usize, bias: bool, device: &Device) -> ResizeConv {
        let weight = Tensor::random([c_in, c_out, 3, 3], Distribution::Normal(0.0, 0.02), device);
        ResizeConv {
            weight: Param::from_tensor(weight),
            bias: bias.then(|| Param::from_tensor(Tensor::zeros([c_out], device))),
        }
    }

    /// The equivalent 4×4 transposed-convolution kernel `[c_in, c_out, 4, 4]`: every channel
    /// pair's 9 taps times the fixed 9 × 16 matrix `M ⊗ M` (one matrix product over contiguous
    /// rows; slicing the taps out instead is several times slower on the CPU backend).
    pub fn kernel(&self) -> Tensor<4> {
        let w = self.weight.val();
        let [ci, co, _, _] = w.dims();
        let expand = Tensor::<2>::from_data(TensorData::new(kron_taps(), [9, 16]), &w.device());
        w.reshape([ci * co, 9])
            .matmul(expand)
            .reshape([ci, co, 4, 4])
    }

    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let bias = self.bias.as_ref().map(|b| b.val());
        kernels::conv_transpose2d(x, self.kernel(), bias, [2, 2], [1, 1])
    }

    /// The nearest + 3×3 layer closest (least squares, per channel pair) to a 4×4 stride-2
    /// transposed convolution with weight `[c_in, c_out, 4, 4]` and `bias`.
    pub fn project(weight: Tensor<4>, bias: Option<Tensor<1>>) -> ResizeConv {
        let [ci, co, kh, kw] = weight.dims();
        assert_eq!(
            (kh, kw),
            (4, 4),
            "only 4×4 transposed kernels can be projected"
        );
        let device = weight.device();
        let pinv_t =
            Tensor::<2>::from_data(TensorData::new(transpose(&PINV).concat(), [4, 3]), &device);
        let cols = weight.reshape([ci * co * 4, 4]).matmul(pinv_t.clone());
        let cols = cols.reshape([ci * co, 4, 3]).swap_dims(1, 2);
        let both = cols.reshape([ci * co * 3, 4]).matmul(pinv_t);
        let taps = both
            .reshape([ci * co, 3, 3])
            .swap_dims(1, 2)
            .reshape([ci, co, 3, 3]);
        ResizeConv {
            weight: Param::from_tensor(taps),
            bias: bias.map(Param::from_tensor),
        }
    }
}

/// Row k of the tap matrix `M` (4 × 3): which of the 3 taps kernel index k sums. Nearest
/// upsampling puts output pixel 2i at taps (−1 → input i−1; 0, +1 → input i) and 2i+1 at (−1, 0 →
/// input i; +1 → input i+1); the transposed convolution reads input i−1 with kernel index 3,
/// input i with index 1 (even outputs) or 2 (odd), input i+1 with index 0.
const TAPS: [[f32; 3]; 4] = [[0., 0., 1.], [0., 1., 1.], [1., 1., 0.], [1., 0., 0.]];

/// `(M ⊗ M)ᵀ` as a row-major 9 × 16 matrix: entry (3a + b, 4ky + kx) = M[ky][a] · M[kx][b].
fn kron_taps() -> Vec<f32> {
    let mut out = vec![0.0; 9 * 16];
    for a in 0..3 {
        for b in 0..3 {
            for ky in 0..4 {
                for kx in 0..4 {
                    out[(3 * a + b) * 16 + 4 * ky + kx] = TAPS[ky][a] * TAPS[kx][b];
                }
            }
        }
    }
    out
}

fn transpose<const R: usize, const C: usize>(m: &[[f32; C]; R]) -> [[f32; R]; C] {
    let mut t = [[0.0; R]; C];
    for (r, row) in m.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            t[c][r] = *v;
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::module::conv2d;
    use burn::tensor::ops::ConvOptions;

    #[test]
    fn pinv_inverts_taps() {
        for (i, row) in PINV.iter().enumerate() {
            for j in 0..3 {
                let v: f32 = row.iter().zip(&TAPS).map(|(p, t)| p * t[j]).sum();
                assert!(
                    (v - if i == j { 1.0 } else { 0.0 }).abs() < 1e-6,
                    "({i},{j}) = {v}"
                );
            }
        }
    }

    fn nearest2(x: Tensor<4>) -> Tensor<4> {
        let [n, c, h, w] = x.dims();
        x.reshape([n, c, h, 1, w, 1])
            .expand([n, c, h, 2, w, 2])
            .reshape([n, c, 2 * h, 2 * w])
    }

    fn max_diff(a: Tensor<4>, b: Tensor<4>) -> f32 {
        assert_eq!(a.dims(), b.dims());
        (a - b).abs().max().into_scalar::<f32>()
    }

    #[test]
    fn equals_nearest_upsampling_then_3x3_convolution() {
        let device = Device::flex();
        let layer = ResizeConv::new(3, 5, true, &device);
        let layer = ResizeConv {
            bias: Some(Param::from_tensor(Tensor::random(
                [5],
                Distribution::Normal(0.0, 1.0),
                &device,
            ))),
            ..layer
        };
        let x = Tensor::<4>::random([2, 3, 6, 7], Distribution::Normal(0.0, 1.0), &device);
        let ours = layer.forward(x.clone());
        // The plain form: repeat pixels, then a 3×3 convolution (weight as [c_out, c_in, 3, 3]).
        let plain = conv2d(
            nearest2(x),
            layer.weight.val().swap_dims(0, 1),
            layer.bias.as_ref().map(|b| b.val()),
            ConvOptions::new([1, 1], [1, 1], [1, 1], 1),
        );
        assert_eq!(ours.dims(), [2, 5, 12, 14]);
        assert!(max_diff(ours, plain) < 1e-5);
    }

    #[test]
    fn projecting_a_tied_kernel_recovers_it() {
        let device = Device::flex();
        let layer = ResizeConv::new(4, 2, false, &device);
        let back = ResizeConv::project(layer.kernel(), None);
        assert!(max_diff(back.weight.val(), layer.weight.val()) < 1e-6);
    }

    #[test]
    fn projection_of_a_free_kernel_is_the_least_squares_fit() {
        // A free 4×4 kernel is not in the family: the projection's kernel is closer to it than
        // that of any perturbed 3×3 weight.
        let device = Device::flex();
        let free = Tensor::<4>::random([2, 3, 4, 4], Distribution::Normal(0.0, 1.0), &device);
        let fit = ResizeConv::project(free.clone(), None);
        let err = |l: &ResizeConv| {
            (l.kernel() - free.clone())
                .square()
                .sum()
                .into_scalar::<f32>()
        };
        let best = err(&fit);
        for k in 0..5 {
            let nudged = ResizeConv {
                weight: Param::from_tensor(
                    fit.weight.val()
                        + Tensor::random([2, 3, 3, 3], Distribution::Normal(0.0, 0.05), &device)
                            * (k as f32 + 1.0),
                ),
                bias: None,
            };
            assert!(
                err(&nudged) > best,
                "nudge {k} fits better: {} < {best}",
                err(&nudged)
            );
        }
    }
}
