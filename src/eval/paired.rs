//! Two models on the same pairs: each pair's figures are kept beside a report (`pairs.json`),
//! so that another evaluation can say how far it is from that one and whether the difference is
//! more than chance — the standard error of the difference by the jackknife over the pairs,
//! which pairs the same photo with itself and so is smaller than either report's own errors.

use std::path::Path;

use super::consistency::mean_iou_difference;
use super::jackknife::standard_error;
use super::realism::{ImageStats, Realism, ratios_without};
use crate::error::{Error, Result};
use crate::fsutil::atomic_write;

/// The file beside `metrics.json` that holds a report's figures per pair.
pub const FILE: &str = "pairs.json";

/// What each pair of an evaluation measured, in the split's order.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PairStats {
    pub l1: Vec<f64>,
    pub renders: Vec<ImageStats>,
    pub reals: Vec<ImageStats>,
    /// Per pair, the segmenter's reading of the render against the true labels (a row-major
    /// confusion matrix); empty without a segmenter and in reports before this field.
    #[serde(default)]
    pub confusions: Vec<Vec<u64>>,
    /// Per pair, the segmenter's features of the render and of the photo (KID's).
    #[serde(default)]
    pub features: Vec<Vec<f64>>,
    #[serde(default)]
    pub real_features: Vec<Vec<f64>>,
}

/// A difference (this evaluation's figure minus the other's) and its standard error.
#[derive(Debug, Clone, PartialEq)]
pub struct Difference {
    pub l1: (f64, f64),
    pub realism: Realism,
    pub realism_se: Realism,
    /// The mIoU and KID differences with their errors, or why they cannot be compared.
    pub segmenter_figures: std::result::Result<[(f64, f64); 2], String>,
}

impl PairStats {
    pub fn save(&self, report: &Path) -> Result<()> {
        let json = serde_json::to_vec(self).map_err(|e| Error::msg(e.to_string()))?;
        atomic_write(&report.join(FILE), &json)
    }

    /// The per-pair figures of the report folder `report`; the error names the file and says
    /// how to make it.
    pub fn load(report: &Path) -> Result<PairStats> {
        let path = report.join(FILE);
        let bytes = std::fs::read(&path).map_err(|e| {
            Error::bad_file(
                &path,
                format!("cannot be read ({e}); evaluate that model again with `eval --out {}` (reports before this version keep no per-pair figures)", report.display()),
            )
        })?;
        serde_json::from_slice(&bytes)
            .map_err(|e| Error::bad_file(&path, format!("is not a per-pair figures file: {e}")))
    }

    /// `self` minus `other`, figure by figure, with jackknife errors over the pairs. Both must
    /// have measured the same photos (the same split, in the same order).
    pub fn minus(&self, other: &PairStats) -> std::result::Result<Difference, String> {
        let n = self.renders.len();
        if other.renders.len() != n || self.l1.len() != n || other.l1.len() != n {
            return Err(format!(
                "measured {} pairs where this evaluation measured {n}; compare evaluations of the same split",
                other.renders.len()
            ));
        }
        if !same_photos(&self.reals, &other.reals) {
            return Err(
                "measured other photos than this evaluation (another split, or another order); compare evaluations of the same split"
                    .into(),
            );
        }
        if n < 3 {
            return Err(format!(
                "{n} pairs are too few for a standard error (at least 3)"
            ));
        }
        let diff = |left_out: Option<usize>| {
            let a = ratios_without(&self.renders, &self.reals, left_out);
            let b = ratios_without(&other.renders, &self.reals, left_out);
            let mean_l1 = |v: &[f64]| {
                let kept: Vec<f64> = (0..n)
                    .filter(|&k| Some(k) != left_out)
                    .map(|k| v[k])
                    .collect();
                kept.iter().sum::<f64>() / kept.len() as f64
            };
            let mut out = [0.0; 9];
            out[0] = mean_l1(&self.l1) - mean_l1(&other.l1);
            for k in 0..8 {
                out[k + 1] = a[k] - b[k];
            }
            out
        };
        let whole = diff(None);
        let left_out: Vec<[f64; 9]> = (0..n).map(|i| diff(Some(i))).collect();
        let se: [f64; 9] = std::array::from_fn(|k| standard_error(left_out.iter().map(|d| d[k])));
        let realism = |v: &[f64; 9]| Realism::from_array(std::array::from_fn(|k| v[k + 1]));
        Ok(Difference {
            l1: (whole[0], se[0]),
            realism: realism(&whole),
            realism_se: realism(&se),
            segmenter_figures: self.segmenter_difference(other),
        })
    }

    /// mIoU and KID of `self` minus `other`'s with their errors (the pairs already checked to
    /// be the same photos), or why the reports cannot compare them.
    fn segmenter_difference(
        &self,
        other: &PairStats,
    ) -> std::result::Result<[(f64, f64); 2], String> {
        if self.confusions.is_empty() || other.confusions.is_empty() {
            return Err("a report without the segmenter's per-pair figures (evaluated without a segmenter, or before this version)".into());
        }
        if !rows_close(&self.real_features, &other.real_features) {
            return Err("the two reports read the photos with different segmenters".into());
        }
        let miou = mean_iou_difference(&self.confusions, &other.confusions);
        let kid = super::kid::difference(&self.features, &other.features, &self.real_features);
        match (miou, kid) {
            (Some(miou), Some(kid)) => Ok([miou, kid]),
            _ => Err("too few pairs, or per-pair figures of unequal size".into()),
        }
    }
}

/// Whether two lists of photo figures are the same photos' (to the digits a JSON file keeps).
fn same_photos(a: &[ImageStats], b: &[ImageStats]) -> bool {
    let flat = |s: &ImageStats| {
        let mut v = vec![s.sharpness, s.hf_power, s.saturation];
        v.extend(s.grid_peak.iter().chain(&s.grid_ring).chain(&s.mean_rgb));
        v
    };
    let rows = |set: &[ImageStats]| set.iter().map(flat).collect::<Vec<_>>();
    rows_close(&rows(a), &rows(b))
}

/// Whether two tables of figures (a row per pair) are equal to the digits a JSON file keeps.
fn rows_close(a: &[Vec<f64>], b: &[Vec<f64>]) -> bool {
    let close = |x: f64, y: f64| (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0);
    let row = |p: &Vec<f64>, q: &Vec<f64>| {
        p.len() == q.len() && p.iter().zip(q).all(|(&x, &y)| close(x, y))
    };
    a.len() == b.len() && a.iter().zip(b).all(|(p, q)| row(p, q))
}

impl Difference {
    /// The difference as lines for a terminal, naming the other report.
    pub fn to_text(&self, other: &Path) -> String {
        let (d, e) = (&self.realism, &self.realism_se);
        let pm = |v: f64, se: f64| {
            let mark = if v.abs() > 2.0 * se { " *" } else { "" };
            format!("{v:+.3} ± {se:.3}{mark}")
        };
        let read = match &self.segmenter_figures {
            Ok([miou, kid]) => format!("  mIoU {}  KID {}\n", pm(miou.0, miou.1), pm(kid.0, kid.1)),
            Err(why) => format!("  mIoU, KID: not compared ({why})\n"),
        };
        format!(
            "against {} (this minus that, same pairs; * = more than two standard errors):\n  L1 {}  sharpness {}  HF power {}  grid {}  colour spread {}  saturation {}\n{read}",
            other.display(),
            pm(self.l1.0, self.l1.1),
            pm(d.sharpness, e.sharpness),
            pm(d.hf_power, e.hf_power),
            pm(d.grid, e.grid),
            pm(d.colour_spread, e.colour_spread),
            pm(d.saturation, e.saturation),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::realism::tests::with_sharpness as stats;

    fn pairs(l1: &[f64], sharpness: &[f64]) -> PairStats {
        PairStats {
            l1: l1.to_vec(),
            renders: sharpness.iter().map(|&s| stats(s)).collect(),
            reals: vec![stats(1.0); sharpness.len()],
            ..PairStats::default()
        }
    }

    #[test]
    fn a_difference_comes_with_the_jackknifes_error_over_the_same_pairs() {
        let a = pairs(&[0.1, 0.2, 0.3, 0.2], &[0.5, 1.0, 1.5, 1.0]);
        let b = pairs(&[0.1; 4], &[1.0; 4]);
        let d = a.minus(&b).unwrap();
        // L1 +0.1: the per-pair differences 0, 0.1, 0.2, 0.1 (sd 0.0816) over √4.
        assert!(
            (d.l1.0 - 0.1).abs() < 1e-12 && (d.l1.1 - 0.0408).abs() < 1e-4,
            "{d:?}"
        );
        // Sharpness: the same mean, the error of the per-pair differences (sd 0.408 over √4).
        assert!(d.realism.sharpness.abs() < 1e-12, "{d:?}");
        assert!((d.realism_se.sharpness - 0.2041).abs() < 1e-3, "{d:?}");
        assert_eq!(d.realism_se.hf_power, 0.0);
        let same = a.minus(&a).unwrap();
        assert_eq!(same.realism.as_array(), [0.0; 8]);
        assert_eq!(same.realism_se.as_array(), [0.0; 8]);
        assert!(d.to_text(Path::new("r")).contains("L1 +0.100 ± 0.041 *"));
        assert!(
            d.to_text(Path::new("r"))
                .contains("mIoU, KID: not compared (a report without the segmenter's"),
            "{}",
            d.to_text(Path::new("r"))
        );
    }

    /// With the segmenter's per-pair figures, mIoU and KID are compared too, and only when
    /// both reports read the photos with the same segmenter.
    #[test]
    fn mean_iou_and_kid_compare_when_both_reports_kept_the_segmenters_figures() {
        let features = |shift: f64| -> Vec<Vec<f64>> {
            (0..4)
                .map(|i| (0..3).map(|j| shift + ((i * 3 + j) % 5) as f64).collect())
                .collect()
        };
        let with_reads = |right: bool, shift: f64| PairStats {
            confusions: vec![
                if right {
                    vec![1, 0, 0, 1]
                } else {
                    vec![1, 0, 1, 0]
                };
                4
            ],
            features: features(shift),
            real_features: features(0.0),
            ..pairs(&[0.1; 4], &[1.0; 4])
        };
        let d = with_reads(true, 0.0)
            .minus(&with_reads(false, 2.0))
            .unwrap();
        let [miou, kid] = d.segmenter_figures.clone().unwrap();
        // Every pair right against every pair with one class-1 pixel misread: IoUs 1, 1
        // against 1/2, 0.
        assert!((miou.0 - 0.75).abs() < 1e-12 && miou.1 == 0.0, "{miou:?}");
        assert!(kid.0 < 0.0, "{kid:?}");
        let text = d.to_text(Path::new("r"));
        assert!(text.contains("mIoU +0.750 ± 0.000 *"), "{text}");
        let mut other_segmenter = with_reads(false, 2.0);
        other_segmenter.real_features[1][0] += 0.5;
        let d = with_reads(true, 0.0).minus(&other_segmenter).unwrap();
        assert!(
            d.segmenter_figures
                .unwrap_err()
                .contains("different segmenters")
        );
    }

    #[test]
    fn only_evaluations_of_the_same_photos_compare() {
        let a = pairs(&[0.1; 4], &[1.0; 4]);
        let err = a.minus(&pairs(&[0.1; 3], &[1.0; 3])).unwrap_err();
        assert!(
            err.contains("3 pairs") && err.contains("same split"),
            "{err}"
        );
        let mut other = a.clone();
        other.reals[2].hf_power = 0.31;
        assert!(a.minus(&other).unwrap_err().contains("other photos"));
        // Digits a JSON file drops do not count as other photos.
        other.reals[2].hf_power = 0.3 * (1.0 + 1e-15);
        assert!(a.minus(&other).is_ok());
        let few = pairs(&[0.1; 2], &[1.0; 2]);
        assert!(few.minus(&few).unwrap_err().contains("too few"));
    }
}
