//! Focal Frequency Loss (Jiang et al., ICCV 2021): the squared distance between the 2-D
//! spectra of the render and the photo, each frequency weighted by how wrong it is (its own
//! distance, normalised by the largest in the picture, no gradient through the weight). It
//! pulls the frequencies an L1 term leaves blurred, with no pretrained network.
//!
//! The spectrum is the orthonormal DFT computed as two matrix products (rows, then columns)
//! with cosine and sine matrices, so it runs on any backend with autodiff.

use burn::prelude::*;

/// cos(2π·k·n/N)/√N and sin(2π·k·n/N)/√N as `[N, N]` matrices (symmetric).
fn dft_matrices(n: usize, device: &Device) -> (Tensor<2>, Tensor<2>) {
    let scale = 1.0 / (n as f64).sqrt();
    let mut cos = Vec::with_capacity(n * n);
    let mut sin = Vec::with_capacity(n * n);
    for k in 0..n {
        for j in 0..n {
            // k·j mod n keeps the angle small, so f64 loses nothing for large n.
            let angle = 2.0 * std::f64::consts::PI * ((k * j) % n) as f64 / n as f64;
            cos.push((angle.cos() * scale) as f32);
            sin.push((angle.sin() * scale) as f32);
        }
    }
    let make = |v: Vec<f32>| Tensor::from_data(TensorData::new(v, [n, n]), device);
    (make(cos), make(sin))
}

/// |DFT(x)|² per channel, `[N, C, H, W]` in, same shape out.
pub fn power_spectrum(x: Tensor<4>) -> Tensor<4> {
    let [n, c, h, w] = x.dims();
    let device = x.device();
    let (ch, sh) = dft_matrices(h, &device);
    let (cw, sw) = dft_matrices(w, &device);
    let left = |m: Tensor<2>| m.reshape([1, 1, h, h]).expand([n, c, h, h]);
    let right = |m: Tensor<2>| m.reshape([1, 1, w, w]).expand([n, c, w, w]);
    // Along the rows: (C − iS)·x = P − iQ.
    let p = left(ch).matmul(x.clone());
    let q = left(sh).matmul(x);
    // Along the columns: (P − iQ)(C − iS) = (PC − QS) − i(PS + QC).
    let (cw, sw) = (right(cw), right(sw));
    let re = p.clone().matmul(cw.clone()) - q.clone().matmul(sw.clone());
    let im = p.matmul(sw) + q.matmul(cw);
    re.square() + im.square()
}

/// The focal frequency loss of `fake` against `real` (α = 1, the paper's default).
pub fn focal_frequency(fake: Tensor<4>, real: Tensor<4>) -> Tensor<1> {
    // The DFT is linear: the spectrum of the difference is the difference of the spectra.
    let power = power_spectrum(fake - real);
    let magnitude = power.clone().detach().sqrt();
    let largest = magnitude.clone().max_dim(2).max_dim(3).clamp_min(1e-12);
    let weight = (magnitude / largest).clamp(0.0, 1.0);
    (power * weight).mean()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tensor(values: Vec<f32>, shape: [usize; 4]) -> Tensor<4> {
        Tensor::from_data(TensorData::new(values, shape), &Device::flex())
    }

    #[test]
    fn spectrum_matches_a_direct_dft_and_parseval() {
        let (h, w) = (8, 4);
        let values: Vec<f32> = (0..h * w)
            .map(|i| ((i * 7 % 11) as f32 - 5.0) / 5.0)
            .collect();
        let power = power_spectrum(tensor(values.clone(), [1, 1, h, w]))
            .into_data()
            .try_into_vec::<f32>()
            .unwrap();
        // The reference: a direct 2-D DFT.
        let mut expected = Vec::with_capacity(h * w);
        for u in 0..h {
            for v in 0..w {
                let (mut re, mut im) = (0.0f64, 0.0f64);
                for y in 0..h {
                    for x in 0..w {
                        let a = -2.0
                            * std::f64::consts::PI
                            * (u as f64 * y as f64 / h as f64 + v as f64 * x as f64 / w as f64);
                        re += values[y * w + x] as f64 * a.cos();
                        im += values[y * w + x] as f64 * a.sin();
                    }
                }
                expected.push((re * re + im * im) / (h * w) as f64);
            }
        }
        assert_eq!(power.len(), expected.len());
        for (got, want) in power.iter().zip(&expected) {
            assert!((*got as f64 - want).abs() < 1e-4, "{got} vs {want}");
        }
        let energy: f32 = values.iter().map(|v| v * v).sum();
        let spectral: f32 = power.iter().sum();
        assert!(
            (energy - spectral).abs() < 1e-3,
            "Parseval: {energy} vs {spectral}"
        );
    }

    #[test]
    fn loss_is_zero_for_equal_pictures_and_grows_with_the_difference() {
        let a = tensor((0..64).map(|i| (i as f32).sin()).collect(), [1, 1, 8, 8]);
        let b = a.clone()
            + tensor(
                (0..64).map(|i| (i % 3) as f32 * 0.1).collect(),
                [1, 1, 8, 8],
            );
        let c = a.clone()
            + tensor(
                (0..64).map(|i| (i % 3) as f32 * 0.2).collect(),
                [1, 1, 8, 8],
            );
        let same = focal_frequency(a.clone(), a.clone()).into_scalar::<f32>();
        let near = focal_frequency(b, a.clone()).into_scalar::<f32>();
        let far = focal_frequency(c, a).into_scalar::<f32>();
        assert_eq!(same, 0.0);
        assert!(near > 0.0 && far > 3.0 * near, "{near} {far}");
    }
}
