//! Image quality metrics on 8-bit RGB images of equal size.

use image::RgbImage;

/// Mean absolute difference, values scaled to [0, 1].
pub fn mean_abs_error(a: &RgbImage, b: &RgbImage) -> f64 {
    let sum: u64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(&x, &y)| (x as i32 - y as i32).unsigned_abs() as u64)
        .sum();
    sum as f64 / (a.as_raw().len().max(1) as f64 * 255.0)
}

/// Peak signal-to-noise ratio in dB (capped at 100 dB for identical images).
pub fn psnr(a: &RgbImage, b: &RgbImage) -> f64 {
    let se: f64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(&x, &y)| {
            let d = x as f64 - y as f64;
            d * d
        })
        .sum();
    let mse = se / a.as_raw().len().max(1) as f64;
    if mse == 0.0 {
        100.0
    } else {
        10.0 * (255.0f64 * 255.0 / mse).log10()
    }
}

fn gaussian_kernel() -> [f64; 11] {
    let mut k = [0.0; 11];
    for (i, v) in k.iter_mut().enumerate() {
        let x = i as f64 - 5.0;
        *v = (-x * x / (2.0 * 1.5 * 1.5)).exp();
    }
    let s: f64 = k.iter().sum();
    k.map(|v| v / s)
}

/// One pass of an 11-tap kernel along rows (`step` 1) or columns (`step` = width), clamping at
/// the edges.
fn blur_pass(src: &[f64], w: usize, h: usize, along_rows: bool) -> Vec<f64> {
    let k = gaussian_kernel();
    let mut out = vec![0.0; w * h];
    for y in 0..h {
        for x in 0..w {
            let mut acc = 0.0;
            for (i, kv) in k.iter().enumerate() {
                let (sx, sy) = if along_rows {
                    (
                        (x as isize + i as isize - 5).clamp(0, w as isize - 1) as usize,
                        y,
                    )
                } else {
                    (
                        x,
                        (y as isize + i as isize - 5).clamp(0, h as isize - 1) as usize,
                    )
                };
                acc += kv * src[sy * w + sx];
            }
            out[y * w + x] = acc;
        }
    }
    out
}

/// Separable Gaussian blur with edge clamping.
fn blur(src: &[f64], w: usize, h: usize) -> Vec<f64> {
    blur_pass(&blur_pass(src, w, h, true), w, h, false)
}

/// Structural similarity (Wang et al. 2004; Gaussian window σ = 1.5, K1 = 0.01, K2 = 0.03),
/// the mean over pixels and the three channels.
pub fn ssim(a: &RgbImage, b: &RgbImage) -> f64 {
    let (w, h) = (a.width() as usize, a.height() as usize);
    let c1 = (0.01f64 * 255.0).powi(2);
    let c2 = (0.03f64 * 255.0).powi(2);
    let mut total = 0.0;
    for c in 0..3 {
        let x: Vec<f64> = a.pixels().map(|p| p.0[c] as f64).collect();
        let y: Vec<f64> = b.pixels().map(|p| p.0[c] as f64).collect();
        let xx: Vec<f64> = x.iter().map(|v| v * v).collect();
        let yy: Vec<f64> = y.iter().map(|v| v * v).collect();
        let xy: Vec<f64> = x.iter().zip(&y).map(|(p, q)| p * q).collect();
        let (mx, my) = (blur(&x, w, h), blur(&y, w, h));
        let (sxx, syy, sxy) = (blur(&xx, w, h), blur(&yy, w, h), blur(&xy, w, h));
        let mut sum = 0.0;
        for i in 0..w * h {
            let vx = sxx[i] - mx[i] * mx[i];
            let vy = syy[i] - my[i] * my[i];
            let cxy = sxy[i] - mx[i] * my[i];
            sum += ((2.0 * mx[i] * my[i] + c1) * (2.0 * cxy + c2))
                / ((mx[i] * mx[i] + my[i] * my[i] + c1) * (vx + vy + c2));
        }
        total += sum / (w * h) as f64;
    }
    total / 3.0
}
