//! Two figures for what an artist sees first in a render at 100 %, measured on the plain wall
//! (the facade class) of the true layout, each a ratio of the renders' mean to the real photos'
//! (1 = like the photos):
//!
//! - **halo**: light or dark bands along the wall's edges — the mean absolute difference between
//!   the wall's luminance 1–2 px from another class and its mean 5–8 px away, nearby (within
//!   8 px). Photos have some (shadows under sills, frames labelled as wall); a render with
//!   halos has more.
//! - **blotch**: smears and stains in the wall's open parts — the RMS of the wall's luminance
//!   band-passed between σ 4 and σ 16 px (each blur over wall pixels only), on wall pixels at
//!   least 6 px from any other class. Fine texture (brick, render grain) lies below the band and
//!   the facade's light across its width above it. Under 1 means flatter walls than the photos'.

use image::RgbImage;
use imageproc::distance_transform::{Norm, distance_transform};

use super::jackknife::standard_error;

/// The two figures of one image (on the luminance scale 0–1).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PlainStats {
    pub halo: f64,
    pub blotch: f64,
}

/// The renders' figures over the real photos', with their jackknife standard errors.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Artefacts {
    pub halo: f64,
    pub blotch: f64,
    pub halo_se: f64,
    pub blotch_se: f64,
}

/// Wall pixels this close to another class are the halo's edge band.
const EDGE: std::ops::RangeInclusive<u8> = 1..=2;
/// … and these its reference band.
const REFERENCE: std::ops::RangeInclusive<u8> = 5..=8;
/// The reference is averaged over this many pixels round each edge pixel.
const NEAR: usize = 8;
/// Wall pixels at least this far from another class are open wall (the blotch figure's).
const OPEN: u8 = 6;
/// The blotch figure's band, in blur σ (pixels).
const BAND: (f64, f64) = (4.0, 16.0);

/// The wall class of the facade labels (the class the figures measure on).
pub fn wall_class() -> Option<u8> {
    crate::palette::Palette::cmp_facades().index_of("facade")
}

/// The figures of `img` on the pixels whose class in `ids` (row-major, the image's size) is
/// `plain`; `None` when the image has no wall edge or no open wall to measure.
pub fn plain_stats(img: &RgbImage, ids: &[u8], plain: u8) -> Option<PlainStats> {
    let (w, h) = (img.width() as usize, img.height() as usize);
    if ids.len() != w * h {
        return None;
    }
    let others = image::GrayImage::from_fn(w as u32, h as u32, |x, y| {
        image::Luma([u8::from(ids[y as usize * w + x as usize] != plain) * 255])
    });
    let distance = distance_transform(&others, Norm::LInf).into_raw();
    let y = super::realism::luminance(img);
    Some(PlainStats {
        halo: halo(&y, &distance, w, h)?,
        blotch: blotch(&y, &distance, w, h)?,
    })
}

fn halo(y: &[f64], distance: &[u8], w: usize, h: usize) -> Option<f64> {
    let reference: Vec<f64> = distance
        .iter()
        .map(|d| f64::from(REFERENCE.contains(d)))
        .collect();
    let weighted: Vec<f64> = y.iter().zip(&reference).map(|(v, m)| v * m).collect();
    let (sums, counts) = (box_sums(&weighted, w, h), box_sums(&reference, w, h));
    let (mut total, mut n) = (0.0, 0usize);
    for k in (0..w * h).filter(|&k| EDGE.contains(&distance[k]) && counts[k] > 0.5) {
        total += (y[k] - sums[k] / counts[k]).abs();
        n += 1;
    }
    (n > 0).then(|| total / n as f64)
}

fn blotch(y: &[f64], distance: &[u8], w: usize, h: usize) -> Option<f64> {
    let wall: Vec<f64> = distance.iter().map(|&d| f64::from(d >= 1)).collect();
    let on_wall: Vec<f64> = y.iter().zip(&wall).map(|(v, m)| v * m).collect();
    let masked_blur = |sigma: f64| {
        let (values, weights) = (blur(&on_wall, w, h, sigma), blur(&wall, w, h, sigma));
        values
            .iter()
            .zip(&weights)
            .map(|(v, m)| if *m > 1e-6 { v / m } else { 0.0 })
            .collect::<Vec<f64>>()
    };
    let (fine, coarse) = (masked_blur(BAND.0), masked_blur(BAND.1));
    let open: Vec<usize> = (0..w * h).filter(|&k| distance[k] >= OPEN).collect();
    let square = |k: &usize| (fine[*k] - coarse[*k]).powi(2);
    (!open.is_empty()).then(|| (open.iter().map(square).sum::<f64>() / open.len() as f64).sqrt())
}

/// Each pixel's sum over the (2·NEAR + 1)² window round it (clipped at the borders).
fn box_sums(v: &[f64], w: usize, h: usize) -> Vec<f64> {
    // Integral image with a zero row and column in front.
    let mut integral = vec![0.0; (w + 1) * (h + 1)];
    for j in 0..h {
        for i in 0..w {
            integral[(j + 1) * (w + 1) + i + 1] =
                v[j * w + i] + integral[j * (w + 1) + i + 1] + integral[(j + 1) * (w + 1) + i]
                    - integral[j * (w + 1) + i];
        }
    }
    let at = |i: usize, j: usize| integral[j * (w + 1) + i];
    let mut out = Vec::with_capacity(w * h);
    for j in 0..h {
        let (j0, j1) = (j.saturating_sub(NEAR), (j + NEAR + 1).min(h));
        for i in 0..w {
            let (i0, i1) = (i.saturating_sub(NEAR), (i + NEAR + 1).min(w));
            out.push(at(i1, j1) - at(i0, j1) - at(i1, j0) + at(i0, j0));
        }
    }
    out
}

/// A separable Gaussian blur (radius 3σ) with zeros outside the picture.
fn blur(v: &[f64], w: usize, h: usize, sigma: f64) -> Vec<f64> {
    let r = (3.0 * sigma).ceil() as isize;
    let taps: Vec<f64> = (-r..=r)
        .map(|d| (-(d * d) as f64 / (2.0 * sigma * sigma)).exp())
        .collect();
    let pass = |src: &[f64], step: usize, len: usize, lines: usize, stride: usize| {
        let mut out = vec![0.0; src.len()];
        for line in 0..lines {
            for p in 0..len {
                let mut sum = 0.0;
                for (t, weight) in taps.iter().enumerate() {
                    let q = p as isize + t as isize - r;
                    if (0..len as isize).contains(&q) {
                        sum += weight * src[line * stride + q as usize * step];
                    }
                }
                out[line * stride + p * step] = sum;
            }
        }
        out
    };
    let rows = pass(v, 1, w, h, w);
    pass(&rows, w, h, w, 1)
}

/// One of the two figures of an image.
type Figure = fn(&PlainStats) -> f64;

/// The renders' mean figures over the photos' (pair `i` of each set beside the other; pairs
/// where either image had nothing to measure are left out), with jackknife errors. `None`
/// under 3 measured pairs.
pub fn ratios(pairs: &[(Option<PlainStats>, Option<PlainStats>)]) -> Option<Artefacts> {
    let both: Vec<(PlainStats, PlainStats)> = pairs
        .iter()
        .filter_map(|(render, real)| Some(((*render)?, (*real)?)))
        .collect();
    if both.len() < 3 {
        return None;
    }
    let ratio = |left_out: Option<usize>, f: Figure| {
        let kept = both
            .iter()
            .enumerate()
            .filter(|&(k, _)| Some(k) != left_out);
        let (renders, reals) = kept.fold((0.0, 0.0), |(a, b), (_, (r, p))| (a + f(r), b + f(p)));
        if reals > 0.0 { renders / reals } else { 0.0 }
    };
    let se = |f: Figure| {
        let left_out: Vec<f64> = (0..both.len()).map(|i| ratio(Some(i), f)).collect();
        standard_error(left_out.into_iter())
    };
    let halo: Figure = |s| s.halo;
    let blotch: Figure = |s| s.blotch;
    Some(Artefacts {
        halo: ratio(None, halo),
        blotch: ratio(None, blotch),
        halo_se: se(halo),
        blotch_se: se(blotch),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const WALL: u8 = 1;
    const WINDOW: u8 = 2;

    /// A 96² layout: wall with one 24² window in the middle.
    fn layout() -> Vec<u8> {
        (0..96 * 96)
            .map(|k| {
                let (x, y) = (k % 96, k / 96);
                if (36..60).contains(&x) && (36..60).contains(&y) {
                    WINDOW
                } else {
                    WALL
                }
            })
            .collect()
    }

    /// A grey picture of the layout (window dark), with `paint(x, y)` added to the wall.
    fn picture(paint: impl Fn(usize, usize, u8) -> f64) -> RgbImage {
        let ids = layout();
        RgbImage::from_fn(96, 96, |x, y| {
            let (x, y) = (x as usize, y as usize);
            let id = ids[y * 96 + x];
            let base = if id == WINDOW { 40.0 } else { 150.0 };
            let v = (base + paint(x, y, id)).clamp(0.0, 255.0) as u8;
            image::Rgb([v; 3])
        })
    }

    #[test]
    fn a_bright_band_round_the_window_is_a_halo_and_a_plain_wall_has_none() {
        let plain = plain_stats(&picture(|_, _, _| 0.0), &layout(), WALL).unwrap();
        assert!(plain.halo < 1e-9 && plain.blotch < 1e-9, "{plain:?}");
        // A band 2 px wide, 60 levels lighter, round the window.
        let ring = |x: usize, y: usize| (34..62).contains(&x) && (34..62).contains(&y);
        let haloed = picture(|x, y, id| if id == WALL && ring(x, y) { 60.0 } else { 0.0 });
        let s = plain_stats(&haloed, &layout(), WALL).unwrap();
        assert!((s.halo - 60.0 / 255.0).abs() < 0.02, "{s:?}");
        // The band is on the edge: the open wall sees little of it.
        assert!(s.blotch < 0.2 * s.halo, "{s:?}");
    }

    #[test]
    fn a_stain_on_open_wall_is_a_blotch_and_fine_grain_is_not() {
        let stain = |x: usize, y: usize| {
            let d2 = (x as f64 - 16.0).powi(2) + (y as f64 - 16.0).powi(2);
            -80.0 * (-d2 / (2.0 * 8.0 * 8.0)).exp()
        };
        let stained = plain_stats(&picture(|x, y, _| stain(x, y)), &layout(), WALL).unwrap();
        // A 1-px checker of ±20 levels: texture finer than the band.
        let grain = |x: usize, y: usize| {
            if (x + y).is_multiple_of(2) {
                20.0
            } else {
                -20.0
            }
        };
        let grainy = plain_stats(&picture(|x, y, _| grain(x, y)), &layout(), WALL).unwrap();
        assert!(stained.blotch > 0.02, "{stained:?}");
        assert!(
            grainy.blotch < 0.1 * stained.blotch,
            "{grainy:?} {stained:?}"
        );
    }

    #[test]
    fn nothing_to_measure_gives_no_figures() {
        let all_wall = vec![WALL; 96 * 96];
        assert_eq!(plain_stats(&picture(|_, _, _| 0.0), &all_wall, WALL), None);
        assert_eq!(
            plain_stats(&picture(|_, _, _| 0.0), &layout()[..100], WALL),
            None
        );
    }

    #[test]
    fn ratios_are_one_against_themselves_and_skip_pairs_without_figures() {
        let s = |halo, blotch| Some(PlainStats { halo, blotch });
        let pairs = [
            (s(0.1, 0.02), s(0.1, 0.02)),
            (s(0.2, 0.04), s(0.2, 0.04)),
            (None, s(5.0, 5.0)),
            (s(0.3, 0.01), s(0.3, 0.01)),
        ];
        let r = ratios(&pairs).unwrap();
        assert!(
            (r.halo - 1.0).abs() < 1e-12 && (r.blotch - 1.0).abs() < 1e-12,
            "{r:?}"
        );
        assert!(r.halo_se < 1e-12, "{r:?}");
        let doubled = pairs.map(|(a, b)| {
            (
                a.map(|a| PlainStats {
                    halo: 2.0 * a.halo,
                    ..a
                }),
                b,
            )
        });
        let r = ratios(&doubled).unwrap();
        assert!((r.halo - 2.0).abs() < 1e-12, "{r:?}");
        assert_eq!(ratios(&pairs[..2]), None);
    }
}
