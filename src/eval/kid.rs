//! A distribution-level figure beside the per-image ratios: the Kernel Inception Distance
//! (Bińkowski et al. 2018) computed on the features of the project's own segmenter instead of
//! Inception's (no pretrained weights can be had here). A photo's features are the mean and the
//! standard deviation of every channel of every encoder level's convolution output (before its
//! normalisation): its colours, contrast and texture at each scale. Each feature is standardised
//! by the real photos' spread, and KID is the unbiased squared MMD with the cubic polynomial
//! kernel `(x·y / d + 1)³`: 0 when two sets come from one distribution (it can come out slightly
//! below 0 by chance), larger the further apart they are.

use burn::prelude::Tensor;
use image::RgbImage;

use super::jackknife::standard_error;
use crate::error::{Error, Result};
use crate::segment::{Segmenter, photo_tensor};

/// The σ of the Gaussian blur that makes the "blurred photos" reference.
pub const BLUR_SIGMA: f32 = 2.0;

/// KID against the real photos of a split, with two references for its scale.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Kid {
    /// The renders against the real photos.
    pub renders: f64,
    /// The standard error of `renders` (jackknife over the pairs: leaving each render and its
    /// photo out in turn), so that two models' figures can be told apart from chance; 0 in
    /// reports written before it.
    #[serde(default)]
    pub renders_se: f64,
    /// The real photos blurred ([`BLUR_SIGMA`]) against themselves unblurred: what a blurry
    /// "render" that is right in every other way scores.
    pub blurred: f64,
    /// The real photos' two halves (even and odd pairs) against each other: the floor.
    pub real_halves: f64,
}

impl Kid {
    /// The renders' figure as reports show it: with its standard error where it has one
    /// ("0.210 ± 0.044"), alone for figures logged before it ("0.210").
    pub fn renders_text(&self) -> String {
        match self.renders_se > 0.0 {
            true => format!("{:.3} ± {:.3}", self.renders, self.renders_se),
            false => format!("{:.3}", self.renders),
        }
    }
}

/// The segmenter's features of `photo` (see the module's documentation), from its encoder alone.
pub fn features(segmenter: &Segmenter, photo: &RgbImage) -> Result<Vec<f64>> {
    let input = match segmenter.fits(photo) {
        true => photo_tensor(photo, &segmenter.device.device),
        false => photo_tensor(&segmenter.at_own_size(photo), &segmenter.device.device),
    };
    statistics(segmenter.generator.encoder_features(input))
}

/// The features of a photo from the encoder's outputs of it: each channel's mean and deviation.
pub fn statistics(levels: Vec<Tensor<4>>) -> Result<Vec<f64>> {
    let mut out = Vec::new();
    for level in levels {
        let [_, c, h, w] = level.dims();
        let values: Vec<f32> = level
            .into_data()
            .convert::<f32>()
            .try_into_vec()
            .map_err(|e| Error::msg(format!("reading the segmenter's features failed: {e:?}")))?;
        for plane in values.chunks_exact(h * w).take(c) {
            let mean = plane.iter().map(|&v| v as f64).sum::<f64>() / plane.len() as f64;
            let var = plane
                .iter()
                .map(|&v| (v as f64 - mean).powi(2))
                .sum::<f64>()
                / plane.len() as f64;
            out.extend([mean, var.sqrt()]);
        }
    }
    Ok(out)
}

/// The real photos blurred for the [`Kid::blurred`] reference.
pub fn blurred(photo: &RgbImage) -> RgbImage {
    imageproc::filter::gaussian_blur_f32(photo, BLUR_SIGMA)
}

/// KID of `renders` and of `blurred` against `reals` (one feature vector per image, all of one
/// length), and of the reals' even against their odd members. None with fewer than 4 reals or
/// 2 renders (the unbiased estimate needs two of each).
pub fn kid(renders: &[Vec<f64>], blurred: &[Vec<f64>], reals: &[Vec<f64>]) -> Option<Kid> {
    if reals.len() < 4 || renders.len() < 2 || blurred.len() < 2 {
        return None;
    }
    let scale = Standardise::from(reals);
    let (renders, blurred, reals) = (scale.all(renders), scale.all(blurred), scale.all(reals));
    let even: Vec<Vec<f64>> = reals.iter().step_by(2).cloned().collect();
    let odd: Vec<Vec<f64>> = reals.iter().skip(1).step_by(2).cloned().collect();
    Some(Kid {
        renders: mmd2(&renders, &reals),
        renders_se: jackknife_se(&renders, &reals),
        blurred: mmd2(&blurred, &reals),
        real_halves: mmd2(&even, &odd),
    })
}

/// KID of `x` minus KID of `y` against the same `reals` (render i of each beside photo i), with
/// the jackknife's standard error of the difference: pair i left out of all three sets in turn,
/// so that what the two share (the photos, the layouts) cancels. `None` under 4 pairs, or when
/// the sets differ in size or in feature length (another segmenter's features).
pub fn difference(x: &[Vec<f64>], y: &[Vec<f64>], reals: &[Vec<f64>]) -> Option<(f64, f64)> {
    let n = reals.len();
    let d = reals.first()?.len();
    let sets = [x, y, reals];
    if n < 4
        || sets
            .iter()
            .any(|s| s.len() != n || s.iter().any(|f| f.len() != d))
    {
        return None;
    }
    let scale = Standardise::from(reals);
    let [x, y, reals] = sets.map(|s| scale.all(s));
    let without = |set: &[Vec<f64>], left_out: Option<usize>| -> Vec<Vec<f64>> {
        let kept = set.iter().enumerate().filter(|&(k, _)| Some(k) != left_out);
        kept.map(|(_, f)| f.clone()).collect()
    };
    // mmd2(x, photos) − mmd2(y, photos): the photos' own term cancels.
    let estimate = |left_out: Option<usize>| {
        let (x, y, reals) = (
            without(&x, left_out),
            without(&y, left_out),
            without(&reals, left_out),
        );
        within(&x) - within(&y) - 2.0 * (across(&x, &reals) - across(&y, &reals))
    };
    let left_out: Vec<f64> = (0..n).map(|i| estimate(Some(i))).collect();
    Some((estimate(None), standard_error(left_out.into_iter())))
}

/// The jackknife standard error of `mmd2(x, y)` for paired sets: estimate i leaves out `x[i]`
/// and `y[i]` (whichever exist), and the error is √((N − 1)/N · Σ (θᵢ − θ̄)²) over the N
/// estimates. 0 when a set would fall under 2 members. Each kernel value is computed once and
/// every estimate is read off the sums of the three kernel matrices (O(n²), not O(n³)).
fn jackknife_se(x: &[Vec<f64>], y: &[Vec<f64>]) -> f64 {
    let (nx, ny) = (x.len(), y.len());
    if nx.min(ny) < 3 {
        return 0.0;
    }
    let gram = |a: &[Vec<f64>], b: &[Vec<f64>]| -> Vec<Vec<f64>> {
        a.iter()
            .map(|p| b.iter().map(|q| kernel(p, q)).collect())
            .collect()
    };
    // A set against itself: each member's sum over the others.
    let others = |k: Vec<Vec<f64>>| -> Vec<f64> {
        k.iter()
            .enumerate()
            .map(|(i, row)| row.iter().sum::<f64>() - row[i])
            .collect()
    };
    let (own_x, own_y) = (others(gram(x, x)), others(gram(y, y)));
    let across = gram(x, y);
    let rows: Vec<f64> = across.iter().map(|r| r.iter().sum()).collect();
    let cols: Vec<f64> = (0..ny).map(|j| across.iter().map(|r| r[j]).sum()).collect();
    let (all_x, all_y, all_xy) = (
        own_x.iter().sum::<f64>(),
        own_y.iter().sum::<f64>(),
        rows.iter().sum::<f64>(),
    );
    let n = nx.max(ny);
    let estimates: Vec<f64> = (0..n)
        .map(|i| {
            let (out_x, out_y) = (i < nx, i < ny);
            let (mx, my) = ((nx - out_x as usize) as f64, (ny - out_y as usize) as f64);
            let within = |all: f64, own: &[f64], out: bool, m: f64| {
                (all - if out { 2.0 * own[i] } else { 0.0 }) / (m * (m - 1.0))
            };
            let mut xy = all_xy;
            if out_x {
                xy -= rows[i];
            }
            if out_y {
                xy -= cols[i];
            }
            if out_x && out_y {
                xy += across[i][i];
            }
            within(all_x, &own_x, out_x, mx) + within(all_y, &own_y, out_y, my)
                - 2.0 * xy / (mx * my)
        })
        .collect();
    let mean = estimates.iter().sum::<f64>() / n as f64;
    let spread: f64 = estimates.iter().map(|t| (t - mean).powi(2)).sum();
    ((n as f64 - 1.0) / n as f64 * spread).sqrt()
}

/// Each feature's mean and spread over a reference set; features that do not vary there (a
/// 1×1 level's spread) are dropped.
struct Standardise {
    mean: Vec<f64>,
    std: Vec<f64>,
}

impl Standardise {
    fn from(reference: &[Vec<f64>]) -> Standardise {
        let n = reference.len() as f64;
        let d = reference[0].len();
        let mean: Vec<f64> = (0..d)
            .map(|j| reference.iter().map(|x| x[j]).sum::<f64>() / n)
            .collect();
        let std = (0..d)
            .map(|j| {
                let var = reference
                    .iter()
                    .map(|x| (x[j] - mean[j]).powi(2))
                    .sum::<f64>()
                    / n;
                var.sqrt()
            })
            .collect();
        Standardise { mean, std }
    }

    fn one(&self, x: &[f64]) -> Vec<f64> {
        (0..self.mean.len())
            .filter(|&j| self.std[j] > 1e-9)
            .map(|j| (x.get(j).copied().unwrap_or(0.0) - self.mean[j]) / self.std[j])
            .collect()
    }

    fn all(&self, set: &[Vec<f64>]) -> Vec<Vec<f64>> {
        set.iter().map(|x| self.one(x)).collect()
    }
}

/// The cubic polynomial kernel of KID.
fn kernel(x: &[f64], y: &[f64]) -> f64 {
    assert_eq!(x.len(), y.len(), "feature vectors of one length");
    let dot: f64 = x.iter().zip(y).map(|(a, b)| a * b).sum();
    (dot / x.len().max(1) as f64 + 1.0).powi(3)
}

/// The unbiased estimate of the squared MMD between the sets `x` and `y` (each at least 2).
fn mmd2(x: &[Vec<f64>], y: &[Vec<f64>]) -> f64 {
    within(x) + within(y) - 2.0 * across(x, y)
}

/// The mean kernel value over the distinct pairs of `s` (at least 2 members).
fn within(s: &[Vec<f64>]) -> f64 {
    let n = s.len() as f64;
    let mut sum = 0.0;
    for (i, a) in s.iter().enumerate() {
        for b in &s[i + 1..] {
            sum += 2.0 * kernel(a, b);
        }
    }
    sum / (n * (n - 1.0))
}

/// The mean kernel value between the members of `x` and those of `y`.
fn across(x: &[Vec<f64>], y: &[Vec<f64>]) -> f64 {
    let sum: f64 = x
        .iter()
        .flat_map(|a| y.iter().map(move |b| kernel(a, b)))
        .sum();
    sum / (x.len() * y.len()) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `n` points of dimension 64 around `centre`, spread by a fixed pseudo-random pattern.
    fn cloud(n: usize, centre: f64, seed: u64) -> Vec<Vec<f64>> {
        let mut rng = fastrand::Rng::with_seed(seed);
        (0..n)
            .map(|_| (0..64).map(|_| centre + rng.f64() - 0.5).collect())
            .collect()
    }

    #[test]
    fn kid_is_near_zero_for_one_distribution_and_grows_with_the_distance() {
        let reals = cloud(40, 0.0, 1);
        let same = cloud(40, 0.0, 2);
        let near = cloud(40, 0.3, 3);
        let far = cloud(40, 1.0, 4);
        let k_same = kid(&same, &far, &reals).unwrap();
        let k_near = kid(&near, &far, &reals).unwrap();
        assert!(k_same.renders.abs() < 0.1, "{k_same:?}");
        assert!(k_same.real_halves.abs() < 0.1, "{k_same:?}");
        assert!(k_near.renders > 0.3, "{k_near:?}");
        assert!(
            k_same.blurred > 3.0 * k_near.renders,
            "{k_same:?} {k_near:?}"
        );
    }

    /// The standard error says which differences are chance: a set from the photos' own
    /// distribution is within 3 errors of 0, a far one many errors away, and the error shrinks
    /// with more pairs.
    #[test]
    fn the_standard_error_separates_chance_from_a_real_distance() {
        let reals = cloud(40, 0.0, 1);
        let same = kid(&cloud(40, 0.0, 2), &cloud(40, 1.0, 4), &reals).unwrap();
        assert!(same.renders_se > 0.0, "{same:?}");
        assert!(same.renders.abs() < 3.0 * same.renders_se, "{same:?}");
        let near = kid(&cloud(40, 0.3, 3), &cloud(40, 1.0, 4), &reals).unwrap();
        assert!(near.renders > 5.0 * near.renders_se, "{near:?}");
        let many = kid(
            &cloud(160, 0.3, 5),
            &cloud(160, 1.0, 6),
            &cloud(160, 0.0, 7),
        )
        .unwrap();
        assert!(
            many.renders_se < 0.7 * near.renders_se,
            "{} vs {}",
            many.renders_se,
            near.renders_se
        );
    }

    /// The error read off the kernel sums equals the jackknife done literally: every pair left
    /// out in turn and the estimate recomputed (equal and unequal set sizes).
    #[test]
    fn the_standard_error_equals_the_literal_jackknife() {
        let literal = |x: &[Vec<f64>], y: &[Vec<f64>]| {
            let n = x.len().max(y.len());
            let without = |s: &[Vec<f64>], i: usize| -> Vec<Vec<f64>> {
                (0..s.len())
                    .filter(|&k| k != i)
                    .map(|k| s[k].clone())
                    .collect()
            };
            let est: Vec<f64> = (0..n)
                .map(|i| mmd2(&without(x, i), &without(y, i)))
                .collect();
            let mean = est.iter().sum::<f64>() / n as f64;
            let spread: f64 = est.iter().map(|t| (t - mean).powi(2)).sum();
            ((n as f64 - 1.0) / n as f64 * spread).sqrt()
        };
        for (x, y) in [
            (cloud(12, 0.3, 1), cloud(12, 0.0, 2)),
            (cloud(9, 0.3, 3), cloud(14, 0.0, 4)),
        ] {
            let (ours, theirs) = (jackknife_se(&x, &y), literal(&x, &y));
            assert!(
                theirs > 0.0 && (ours - theirs).abs() < 1e-9 * theirs,
                "{ours} vs {theirs}"
            );
        }
    }

    #[test]
    fn the_unbiased_estimate_of_a_set_against_itself_is_the_within_term_gap() {
        // Two points: x against itself, every kernel value known.
        let x = vec![vec![1.0, 0.0], vec![0.0, 1.0]];
        // k(a, a) = (1/2 + 1)³ = 3.375 (not used: unbiased), k(a, b) = 1.
        // within = 1, across = (3.375 + 1 + 1 + 3.375) / 4 = 2.1875 → 1 + 1 - 4.375.
        assert!((mmd2(&x, &x) - (2.0 - 4.375)).abs() < 1e-12);
    }

    #[test]
    fn too_few_images_give_no_figure() {
        assert_eq!(
            kid(&cloud(2, 0.0, 1), &cloud(2, 0.0, 1), &cloud(3, 0.0, 1)),
            None
        );
    }

    /// A difference of two models on the same pairs: zero against itself, and its error far
    /// below the two figures' own errors combined when the renders go together pair by pair.
    #[test]
    fn a_paired_difference_cancels_what_the_pairs_share() {
        let reals = cloud(40, 0.0, 1);
        let x = cloud(40, 0.3, 3);
        assert_eq!(difference(&x, &x, &reals), Some((0.0, 0.0)));
        // y: each of x's renders a little further from the photos.
        let y: Vec<Vec<f64>> = x
            .iter()
            .map(|f| f.iter().map(|v| v + 0.05).collect())
            .collect();
        let (d, se) = difference(&x, &y, &reals).unwrap();
        let (kx, ky) = (kid(&x, &y, &reals).unwrap(), kid(&y, &x, &reals).unwrap());
        assert!(
            (d - (kx.renders - ky.renders)).abs() < 1e-9,
            "{d} {kx:?} {ky:?}"
        );
        let unpaired = kx.renders_se.hypot(ky.renders_se);
        assert!(
            d < -2.0 * se && se < 0.5 * unpaired,
            "{d} ± {se}, unpaired {unpaired}"
        );
        assert_eq!(difference(&x, &y[..39], &reals), None);
        let shorter: Vec<Vec<f64>> = y.iter().map(|f| f[..63].to_vec()).collect();
        assert_eq!(difference(&x, &shorter, &reals), None);
    }
}
