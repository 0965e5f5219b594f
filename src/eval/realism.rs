//! Figures that tell a photograph from a blurry or patterned render, each reported as a ratio
//! to the real photos of the same split (1.0 = as real photos are):
//!
//! - **sharpness**: mean Sobel gradient magnitude of the luminance;
//! - **HF power**: share of the luminance's spectral power above 0.25 cycles/pixel;
//! - **grid**: spectral power at the stride-2 lattice frequencies (multiples of 1/8 cycle/pixel,
//!   where transposed convolutions leave their checkerboard) over the power in the rings around
//!   them; a clean image sits near its neighbours, a stamped grid stands far above them; also
//!   by the period of the pattern the points belong to (2, 4 and 8 pixels: which ×2 of the
//!   decoder left it), `grid_by_stride`;
//! - **colour spread**: standard deviation across images of the per-image mean colour;
//! - **saturation**: mean HSV saturation.
//!
//! Spectra use a Hann window (so the image border adds no cross of power) on the luminance with
//! its mean removed, through `rustfft`.

use image::RgbImage;
use rustfft::FftPlanner;
use rustfft::num_complex::Complex;

use super::lattice::{hann, lattice_points};

/// What one image contributes.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ImageStats {
    pub sharpness: f64,
    pub hf_power: f64,
    /// Power at the lattice frequencies and in the rings around them, summed over the points of
    /// each of [`super::lattice::STRIDES`].
    pub grid_peak: [f64; 3],
    pub grid_ring: [f64; 3],
    pub mean_rgb: [f64; 3],
    pub saturation: f64,
}

/// The figures of a set of images (or their ratios to another set's).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Realism {
    pub sharpness: f64,
    pub hf_power: f64,
    pub grid: f64,
    pub colour_spread: f64,
    pub saturation: f64,
    /// The grid figure of the points of each of [`super::lattice::STRIDES`] alone (0 in reports written before
    /// it).
    #[serde(default)]
    pub grid_by_stride: [f64; 3],
}

fn luminance(img: &RgbImage) -> Vec<f64> {
    img.pixels()
        .map(|p| crate::image_io::luma(p.0) / 255.0)
        .collect()
}

/// Mean Sobel gradient magnitude over the interior pixels.
fn sobel_mean(y: &[f64], w: usize, h: usize) -> f64 {
    if w < 3 || h < 3 {
        return 0.0;
    }
    let at = |x: usize, yy: usize| y[yy * w + x];
    let mut sum = 0.0;
    for j in 1..h - 1 {
        for i in 1..w - 1 {
            let gx = (at(i + 1, j - 1) + 2.0 * at(i + 1, j) + at(i + 1, j + 1))
                - (at(i - 1, j - 1) + 2.0 * at(i - 1, j) + at(i - 1, j + 1));
            let gy = (at(i - 1, j + 1) + 2.0 * at(i, j + 1) + at(i + 1, j + 1))
                - (at(i - 1, j - 1) + 2.0 * at(i, j - 1) + at(i + 1, j - 1));
            sum += (gx * gx + gy * gy).sqrt();
        }
    }
    sum / ((w - 2) * (h - 2)) as f64
}

/// |FFT|² of the windowed, mean-free luminance, row-major `[h][w]` with frequency index k at
/// position k (negative frequencies wrap to the end).
fn power_spectrum(y: &[f64], w: usize, h: usize) -> Vec<f64> {
    let mean = y.iter().sum::<f64>() / y.len().max(1) as f64;
    let mut data: Vec<Complex<f64>> = (0..h)
        .flat_map(|j| (0..w).map(move |i| (i, j)))
        .map(|(i, j)| Complex::new((y[j * w + i] - mean) * hann(i, w) * hann(j, h), 0.0))
        .collect();
    let mut planner = FftPlanner::new();
    let rows = planner.plan_fft_forward(w);
    for row in data.chunks_exact_mut(w) {
        rows.process(row);
    }
    let cols = planner.plan_fft_forward(h);
    let mut column = vec![Complex::new(0.0, 0.0); h];
    for i in 0..w {
        for j in 0..h {
            column[j] = data[j * w + i];
        }
        cols.process(&mut column);
        for j in 0..h {
            data[j * w + i] = column[j];
        }
    }
    data.iter().map(|c| c.norm_sqr()).collect()
}

/// Signed frequency of index `k` of an `n`-point transform, in cycles per pixel.
fn freq(k: usize, n: usize) -> f64 {
    let k = if k > n / 2 {
        k as f64 - n as f64
    } else {
        k as f64
    };
    k / n as f64
}

/// Share of the (non-DC) power above `cutoff` cycles/pixel.
fn high_frequency_share(power: &[f64], w: usize, h: usize, cutoff: f64) -> f64 {
    let (mut high, mut total) = (0.0, 0.0);
    for j in 0..h {
        for i in 0..w {
            if i == 0 && j == 0 {
                continue;
            }
            let p = power[j * w + i];
            total += p;
            if freq(i, w).hypot(freq(j, h)) > cutoff {
                high += p;
            }
        }
    }
    if total > 0.0 { high / total } else { 0.0 }
}

/// Power at the lattice points (see [`lattice_points`]) and the mean power of the ring around
/// each, summed over the points of each stride.
fn grid_power(power: &[f64], w: usize, h: usize) -> ([f64; 3], [f64; 3]) {
    let (mut peak, mut ring) = ([0.0; 3], [0.0; 3]);
    for point in lattice_points(w, h) {
        peak[point.stride] += power[point.peak];
        let sum: f64 = point.ring.iter().map(|&k| power[k]).sum();
        ring[point.stride] += sum / point.ring.len().max(1) as f64;
    }
    (peak, ring)
}

fn saturation(img: &RgbImage) -> f64 {
    let n = (img.width() * img.height()).max(1) as f64;
    img.pixels()
        .map(|p| {
            let max = *p.0.iter().max().unwrap_or(&0) as f64;
            let min = *p.0.iter().min().unwrap_or(&0) as f64;
            if max > 0.0 { (max - min) / max } else { 0.0 }
        })
        .sum::<f64>()
        / n
}

fn mean_rgb(img: &RgbImage) -> [f64; 3] {
    let n = (img.width() * img.height()).max(1) as f64;
    let mut sum = [0.0; 3];
    for p in img.pixels() {
        for (s, v) in sum.iter_mut().zip(p.0) {
            *s += v as f64 / 255.0;
        }
    }
    sum.map(|s| s / n)
}

pub fn image_stats(img: &RgbImage) -> ImageStats {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let y = luminance(img);
    let power = power_spectrum(&y, w, h);
    let (grid_peak, grid_ring) = grid_power(&power, w, h);
    ImageStats {
        sharpness: sobel_mean(&y, w, h),
        hf_power: high_frequency_share(&power, w, h, 0.25),
        grid_peak,
        grid_ring,
        mean_rgb: mean_rgb(img),
        saturation: saturation(img),
    }
}

/// The figures of a set of images.
pub fn summarize(stats: &[ImageStats]) -> Realism {
    let n = stats.len().max(1) as f64;
    let mean = |f: fn(&ImageStats) -> f64| stats.iter().map(f).sum::<f64>() / n;
    // Peak over ring power, of the means over the images, for the points of `strides`.
    let grid = |strides: &[usize]| {
        let sum = |f: fn(&ImageStats) -> [f64; 3]| {
            strides
                .iter()
                .map(|&k| stats.iter().map(|s| f(s)[k]).sum::<f64>() / n)
                .sum::<f64>()
        };
        let ring = sum(|s| s.grid_ring);
        if ring > 0.0 {
            sum(|s| s.grid_peak) / ring
        } else {
            0.0
        }
    };
    let spread = (0..3)
        .map(|c| {
            let m = stats.iter().map(|s| s.mean_rgb[c]).sum::<f64>() / n;
            (stats
                .iter()
                .map(|s| (s.mean_rgb[c] - m).powi(2))
                .sum::<f64>()
                / n)
                .sqrt()
        })
        .sum::<f64>()
        / 3.0;
    Realism {
        sharpness: mean(|s| s.sharpness),
        hf_power: mean(|s| s.hf_power),
        grid: grid(&[0, 1, 2]),
        colour_spread: spread,
        saturation: mean(|s| s.saturation),
        grid_by_stride: [0, 1, 2].map(|k| grid(&[k])),
    }
}

/// The standard error of each ratio of `renders`' figures to `reals'` (pair `i` of one beside
/// pair `i` of the other), by the jackknife over the pairs: the ratios with each pair left out of
/// both sets, as `kid` does for its figure. `None` under 3 pairs or for sets of unequal size.
pub fn ratio_errors(renders: &[ImageStats], reals: &[ImageStats]) -> Option<Realism> {
    let n = renders.len();
    if n < 3 || reals.len() != n {
        return None;
    }
    let leave_one_out: Vec<[f64; 8]> = (0..n)
        .map(|i| ratios_without(renders, reals, Some(i)))
        .collect();
    let spread = |k: usize| super::jackknife::standard_error(leave_one_out.iter().map(|r| r[k]));
    Some(Realism::from_array(std::array::from_fn(spread)))
}

/// The ratios of `renders`' figures to `reals'` (pair `i` of one beside pair `i` of the other)
/// with pair `left_out` left out of both, in [`Realism::as_array`]'s order: one value of a
/// jackknife.
pub(crate) fn ratios_without(
    renders: &[ImageStats],
    reals: &[ImageStats],
    left_out: Option<usize>,
) -> [f64; 8] {
    let kept = |set: &[ImageStats]| -> Vec<ImageStats> {
        set.iter()
            .enumerate()
            .filter(|&(k, _)| Some(k) != left_out)
            .map(|(_, s)| *s)
            .collect()
    };
    summarize(&kept(renders))
        .ratio_to(&summarize(&kept(reals)))
        .as_array()
}

impl Realism {
    /// The figures in a fixed order (the grid by stride last), for figure-wise arithmetic.
    pub(crate) fn as_array(&self) -> [f64; 8] {
        let [a, b, c] = self.grid_by_stride;
        [
            self.sharpness,
            self.hf_power,
            self.grid,
            self.colour_spread,
            self.saturation,
            a,
            b,
            c,
        ]
    }

    pub(crate) fn from_array(v: [f64; 8]) -> Realism {
        Realism {
            sharpness: v[0],
            hf_power: v[1],
            grid: v[2],
            colour_spread: v[3],
            saturation: v[4],
            grid_by_stride: [v[5], v[6], v[7]],
        }
    }

    /// Each figure of `self` divided by `reference`'s (0 where the reference is 0).
    pub fn ratio_to(&self, reference: &Realism) -> Realism {
        let r = |a: f64, b: f64| if b != 0.0 { a / b } else { 0.0 };
        Realism {
            sharpness: r(self.sharpness, reference.sharpness),
            hf_power: r(self.hf_power, reference.hf_power),
            grid: r(self.grid, reference.grid),
            colour_spread: r(self.colour_spread, reference.colour_spread),
            saturation: r(self.saturation, reference.saturation),
            grid_by_stride: [0, 1, 2]
                .map(|k| r(self.grid_by_stride[k], reference.grid_by_stride[k])),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use image::Rgb;

    /// A deterministic "photo": noise-like texture over soft gradients, with colour.
    fn textured(w: u32, h: u32, seed: u32) -> RgbImage {
        RgbImage::from_fn(w, h, |x, y| {
            let mut z = x.wrapping_mul(73_856_093) ^ y.wrapping_mul(19_349_663) ^ seed;
            z ^= z >> 13;
            z = z.wrapping_mul(0x5bd1_e995);
            z ^= z >> 15;
            let noise = (z % 96) as f64;
            let base = 60.0 + 80.0 * (x as f64 / w as f64) + 30.0 * ((y as f64) / 9.0).sin();
            let v = (base + noise).clamp(0.0, 255.0);
            Rgb([v as u8, (v * 0.8) as u8, (v * 0.6) as u8])
        })
    }

    fn box_blur(img: &RgbImage, radius: i64) -> RgbImage {
        let (w, h) = (img.width() as i64, img.height() as i64);
        RgbImage::from_fn(w as u32, h as u32, |x, y| {
            let mut sum = [0u32; 3];
            let mut n = 0;
            for dy in -radius..=radius {
                for dx in -radius..=radius {
                    let (sx, sy) = (
                        (x as i64 + dx).clamp(0, w - 1),
                        (y as i64 + dy).clamp(0, h - 1),
                    );
                    let p = img.get_pixel(sx as u32, sy as u32).0;
                    for c in 0..3 {
                        sum[c] += p[c] as u32;
                    }
                    n += 1;
                }
            }
            Rgb(sum.map(|s| (s / n) as u8))
        })
    }

    #[test]
    fn blurring_loses_sharpness_and_high_frequencies() {
        let photo = textured(128, 128, 1);
        let blurred = box_blur(&photo, 2);
        let (a, b) = (image_stats(&photo), image_stats(&blurred));
        assert!(
            b.sharpness < 0.5 * a.sharpness,
            "{} vs {}",
            b.sharpness,
            a.sharpness
        );
        assert!(
            b.hf_power < 0.5 * a.hf_power,
            "{} vs {}",
            b.hf_power,
            a.hf_power
        );
    }

    #[test]
    fn a_stamped_two_pixel_grid_scores_high_on_the_grid_figure() {
        let photos: Vec<RgbImage> = (0..3)
            .map(|s| box_blur(&textured(128, 128, s), 1))
            .collect();
        let gridded: Vec<RgbImage> = photos
            .iter()
            .map(|p| {
                let mut g = p.clone();
                for (x, y, px) in g.enumerate_pixels_mut() {
                    if x % 2 == 0 && y % 2 == 0 {
                        px.0 = px.0.map(|v| v.saturating_add(24));
                    }
                }
                g
            })
            .collect();
        let clean = summarize(&photos.iter().map(image_stats).collect::<Vec<_>>());
        let stamped = summarize(&gridded.iter().map(image_stats).collect::<Vec<_>>());
        let ratio = stamped.ratio_to(&clean);
        assert!(
            ratio.grid > 5.0,
            "grid ratio {} (clean {}, stamped {})",
            ratio.grid,
            clean.grid,
            stamped.grid
        );
        assert!(
            clean.grid < 3.0,
            "a clean texture sits near its neighbours: {}",
            clean.grid
        );
        // The excess is all at the 2-pixel pattern's points; the 8-pixel ones stay as they were.
        let [two, four, eight] = ratio.grid_by_stride;
        assert!(
            two > ratio.grid && two > 20.0 * eight,
            "{two} {four} {eight}"
        );
        assert!((0.7..1.5).contains(&eight), "{eight}");
    }

    #[test]
    fn colour_spread_and_saturation_follow_the_images() {
        let grey = |v: u8| RgbImage::from_pixel(16, 16, Rgb([v, v, v]));
        let same = summarize(&[grey(100), grey(100)].map(|i| image_stats(&i)));
        let varied = summarize(&[grey(50), grey(200)].map(|i| image_stats(&i)));
        assert_eq!(same.colour_spread, 0.0);
        assert!((varied.colour_spread - 75.0 / 255.0).abs() < 1e-9);
        assert_eq!(same.saturation, 0.0);
        let red = RgbImage::from_pixel(16, 16, Rgb([200, 100, 100]));
        assert!((image_stats(&red).saturation - 0.5).abs() < 1e-9);
    }

    #[test]
    fn ratios_are_one_against_themselves() {
        let stats = [
            image_stats(&textured(64, 64, 4)),
            image_stats(&textured(64, 64, 5)),
        ];
        let r = summarize(&stats);
        let one = r.ratio_to(&r);
        for v in [
            one.sharpness,
            one.hf_power,
            one.grid,
            one.colour_spread,
            one.saturation,
        ] {
            assert!((v - 1.0).abs() < 1e-12, "{v}");
        }
    }

    /// An image's figures, all fixed but its sharpness (for the jackknife's tests).
    pub(crate) fn with_sharpness(sharpness: f64) -> ImageStats {
        ImageStats {
            sharpness,
            hf_power: 0.3,
            grid_peak: [1.0; 3],
            grid_ring: [2.0; 3],
            mean_rgb: [0.5; 3],
            saturation: 0.4,
        }
    }

    #[test]
    fn ratio_errors_are_the_jackknifes_and_zero_for_a_set_against_itself() {
        let stats = with_sharpness;
        let reals: Vec<ImageStats> = [1.0; 4].map(stats).into();
        let renders: Vec<ImageStats> = [0.5, 1.0, 1.5, 1.0].map(stats).into();
        let e = ratio_errors(&renders, &reals).unwrap();
        // The standard error of a mean: sd 0.408 (n − 1) over √4.
        assert!((e.sharpness - 0.2041).abs() < 1e-3, "{}", e.sharpness);
        assert!(e.hf_power.abs() < 1e-12 && e.grid.abs() < 1e-12, "{e:?}");
        let photos: Vec<ImageStats> = (4..8).map(|k| image_stats(&textured(32, 32, k))).collect();
        let zero = ratio_errors(&photos, &photos).unwrap();
        assert_eq!(zero.as_array(), [0.0; 8]);
        assert!(
            ratio_errors(&renders[..2], &reals[..2]).is_none(),
            "too few pairs"
        );
        assert!(
            ratio_errors(&renders, &reals[..3]).is_none(),
            "unequal sets"
        );
    }
}
