//! Upsampling by nearest ×2 followed by a 3×3 convolution (Odena et al., "Deconvolution and
//! Checkerboard Artifacts", Distill 2016), the decoder layer that leaves no stride-2 grid.
//!
//! Nearest upsampling repeats each input pixel in a 2×2 block, so each output pixel of the 3×3
//! convolution sees a 2×2 input neighbourhood whose weights are sums of the 3×3 taps. That is a
//! 4×4 stride-2 transposed convolution with a *tied* kernel `K = M · W · Mᵀ` (per channel pair),
//! where `M` (4×3) says which taps land on which kernel row. Computing it that way gives exactly the
//! nearest + 3×3 result at the cost of the transposed convolution (no 4× larger intermediate).
//!
//! That is the CPU form (its kernels have their own fast transposed convolution). On other
//! devices (the GPU) the same function is computed as a plain convolution: each of the four
//! output phases (even/odd row × even/odd column) is a 2×2 convolution of the input, so one 2×2
//! convolution with `4·c_out` outputs followed by interleaving the phases (depth to space) gives
//! the same result with the same multiply-adds, and its gradients go through the convolution's
//! matrix-multiply kernels ([`phase_conv`]).

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
        if !kernels::on_cpu(&x) {
            return phase_conv(x, self.phase_kernel(), self.phase_bias());
        }
        let bias = self.bias.as_ref().map(|b| b.val());
        kernels::conv_transpose2d(x, self.kernel(), bias, [2, 2], [1, 1])
    }

    /// The four phases' 2×2 kernels as one convolution weight `[4·c_out, c_in, 2, 2]`, output
    /// channel `4·o + 2·a + b` for output channel `o` at row parity `a`, column parity `b`.
    pub fn phase_kernel(&self) -> Tensor<4> {
        let w = self.weight.val();
        let [ci, co, _, _] = w.dims();
        let expand = Tensor::<2>::from_data(TensorData::new(phase_taps(), [9, 16]), &w.device());
        w.reshape([ci * co, 9])
            .matmul(expand)
            .reshape([ci, co * 4, 2, 2])
            .swap_dims(0, 1)
    }

    /// The bias of each phase (the layer's, four times).
    pub fn phase_bias(&self) -> Option<Tensor<1>> {
        self.bias.as_ref().map(|b| {
            let b = b.val();
            let [co] = b.dims();
            b.reshape([co, 1]).expand([co, 4]).reshape([co * 4])
        })
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

/// A nearest + 3×3 layer as its phase kernels, computed once: how the GPU renders it.
#[derive(Module, Debug)]
pub struct PhaseConv {
    kernel: Param<Tensor<4>>,
    bias: Option<Param<Tensor<1>>>,
}

impl PhaseConv {
    pub fn of(layer: &ResizeConv) -> PhaseConv {
        PhaseConv {
            kernel: Param::from_tensor(layer.phase_kernel()),
            bias: layer.phase_bias().map(Param::from_tensor),
        }
    }

    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        phase_conv(x, self.kernel.val(), self.bias.as_ref().map(|b| b.val()))
    }
}

/// Row a of `Q_a` (2 × 3) per parity: which 3×3 taps (−1, 0, +1) each row of a phase's 2×2
/// kernel sums. Even outputs 2i read inputs (i−1, i): taps (−1) and (0, +1); odd outputs 2i+1
/// read (i, i+1): taps (−1, 0) and (+1).
const PHASE_TAPS: [[[f32; 3]; 2]; 2] = [[[1., 0., 0.], [0., 1., 1.]], [[1., 1., 0.], [0., 0., 1.]]];

/// The 9 × 16 matrix from a channel pair's 3×3 taps to its four phase kernels: entry
/// (3·dy + dx, 4·(2a + b) + 2·ky + kx) = Q_a[ky][dy] · Q_b[kx][dx].
fn phase_taps() -> Vec<f32> {
    let mut out = vec![0.0; 9 * 16];
    for dy in 0..3 {
        for dx in 0..3 {
            for phase in 0..4 {
                let (a, b) = (phase / 2, phase % 2);
                for ky in 0..2 {
                    for kx in 0..2 {
                        out[(3 * dy + dx) * 16 + 4 * phase + 2 * ky + kx] =
                            PHASE_TAPS[a][ky][dy] * PHASE_TAPS[b][kx][dx];
                    }
                }
            }
        }
    }
    out
}

/// Nearest ×2 + 3×3 from the phase kernels ([`ResizeConv::phase_kernel`]): one 2×2
/// convolution (padding 1) gives every phase at `(h + 1) × (w + 1)` positions; phase (a, b)
/// starts at row a, column b; the phases are then interleaved into `[n, c_out, 2h, 2w]`.
pub fn phase_conv(x: Tensor<4>, kernel: Tensor<4>, bias: Option<Tensor<1>>) -> Tensor<4> {
    let y = kernels::conv2d(x, kernel, bias, [1, 1], [1, 1]);
    #[cfg(feature = "gpu")]
    if !kernels::on_cpu(&y) {
        return kernels::phases::interleave(y);
    }
    interleave_phases(y)
}

/// The phases of `y [n, 4·co, h + 1, w + 1]` interleaved into `[n, co, 2h, 2w]` with tensor
/// operations (the GPU has one kernel for it: `kernels::phases`).
fn interleave_phases(y: Tensor<4>) -> Tensor<4> {
    let [n, c4, h1, w1] = y.dims();
    let (co, h, w) = (c4 / 4, h1 - 1, w1 - 1);
    let y = y.reshape([n, co, 4, h + 1, w + 1]);
    let phases = (0..4)
        .map(|p| {
            let (a, b) = (p / 2, p % 2);
            y.clone().slice([0..n, 0..co, p..p + 1, a..a + h, b..b + w])
        })
        .collect();
    Tensor::cat(phases, 2)
        .reshape([n, co, 2, 2, h, w])
        .permute([0, 1, 4, 2, 5, 3])
        .reshape([n, co, 2 * h, 2 * w])
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

    /// Both forms, the tied transposed convolution (the CPU's) and the phase convolution (the
    /// GPU's), against the literal nearest ×2 then 3×3 convolution, with a bias.
    #[test]
    fn both_forms_equal_nearest_upsampling_then_3x3_convolution() {
        let device = Device::flex();
        let layer = ResizeConv {
            bias: Some(Param::from_tensor(Tensor::random(
                [5],
                Distribution::Normal(0.0, 1.0),
                &device,
            ))),
            ..ResizeConv::new(3, 5, true, &device)
        };
        let x = Tensor::<4>::random([2, 3, 6, 7], Distribution::Normal(0.0, 1.0), &device);
        // The plain form: repeat pixels, then a 3×3 convolution (weight as [c_out, c_in, 3, 3]).
        let plain = conv2d(
            nearest2(x.clone()),
            layer.weight.val().swap_dims(0, 1),
            layer.bias.as_ref().map(|b| b.val()),
            ConvOptions::new([1, 1], [1, 1], [1, 1], 1),
        );
        let tied = layer.forward(x.clone());
        let phases = phase_conv(x, layer.phase_kernel(), layer.phase_bias());
        for (name, ours) in [("tied", tied), ("phases", phases)] {
            assert_eq!(ours.dims(), [2, 5, 12, 14], "{name}");
            let diff = max_diff(ours, plain.clone());
            assert!(diff < 1e-5, "{name}: {diff}");
        }
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
