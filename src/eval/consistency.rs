//! Label consistency: how well a segmentation of an image matches the true label map, as the
//! pix2pix paper scores renders (pixel accuracy, mean class accuracy, mean IoU), from a
//! confusion matrix summed over a split.

use super::jackknife::standard_error;

/// Pixel counts by (true class, predicted class).
#[derive(Debug, Clone, PartialEq)]
pub struct Confusion {
    pub classes: usize,
    /// Row-major `[truth][prediction]`.
    pub counts: Vec<u64>,
}

/// What a confusion matrix says, each in [0, 1].
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Consistency {
    pub pixel_accuracy: f64,
    /// Mean over the classes present in the truth of the share of their pixels found.
    pub mean_class_accuracy: f64,
    /// Mean over the classes present (in truth or prediction) of intersection / union.
    pub mean_iou: f64,
    /// IoU per class, `None` for a class in neither truth nor prediction.
    pub class_iou: Vec<Option<f64>>,
}

impl Confusion {
    pub fn new(classes: usize) -> Confusion {
        Confusion {
            classes,
            counts: vec![0; classes * classes],
        }
    }

    /// Adds one image's pixels. Ids at or above `classes` are counted as class 0 (background).
    pub fn add(&mut self, truth: &[u8], predicted: &[u8]) {
        assert_eq!(truth.len(), predicted.len(), "one prediction per pixel");
        let k = self.classes;
        let clamp = |c: u8| if (c as usize) < k { c as usize } else { 0 };
        for (&t, &p) in truth.iter().zip(predicted) {
            self.counts[clamp(t) * k + clamp(p)] += 1;
        }
    }

    /// The sum of per-pair matrices of `classes` classes (row-major counts, each of
    /// `classes`² cells).
    pub fn summed(classes: usize, parts: &[Vec<u64>]) -> Confusion {
        let mut sum = Confusion::new(classes);
        for part in parts {
            assert_eq!(
                part.len(),
                sum.counts.len(),
                "confusions of one set of classes"
            );
            sum.counts.iter_mut().zip(part).for_each(|(t, c)| *t += c);
        }
        sum
    }

    /// The counts with `part` (one pair's, of the same classes) taken out again.
    fn without(&self, part: &[u64]) -> Confusion {
        assert_eq!(
            self.counts.len(),
            part.len(),
            "confusions of one set of classes"
        );
        let counts = self.counts.iter().zip(part).map(|(t, p)| t - p).collect();
        Confusion {
            classes: self.classes,
            counts,
        }
    }

    fn at(&self, truth: usize, predicted: usize) -> u64 {
        self.counts[truth * self.classes + predicted]
    }

    pub fn scores(&self) -> Consistency {
        let k = self.classes;
        let total: u64 = self.counts.iter().sum();
        let correct: u64 = (0..k).map(|c| self.at(c, c)).sum();
        let truth_of = |c: usize| (0..k).map(|p| self.at(c, p)).sum::<u64>();
        let predicted_as = |c: usize| (0..k).map(|t| self.at(t, c)).sum::<u64>();
        let mut class_acc = Vec::new();
        let mut class_iou = Vec::with_capacity(k);
        for c in 0..k {
            let (t, p, hit) = (truth_of(c), predicted_as(c), self.at(c, c));
            if t > 0 {
                class_acc.push(hit as f64 / t as f64);
            }
            let union = t + p - hit;
            class_iou.push((union > 0).then(|| hit as f64 / union as f64));
        }
        let present: Vec<f64> = class_iou.iter().flatten().copied().collect();
        let mean = |v: &[f64]| {
            if v.is_empty() {
                0.0
            } else {
                v.iter().sum::<f64>() / v.len() as f64
            }
        };
        Consistency {
            pixel_accuracy: if total == 0 {
                0.0
            } else {
                correct as f64 / total as f64
            },
            mean_class_accuracy: mean(&class_acc),
            mean_iou: mean(&present),
            class_iou,
        }
    }
}

/// The mean IoU over `a`'s pairs minus that over `b`'s, with the jackknife's standard error of
/// the difference (pair i left out of both in turn). Each holds one row-major confusion matrix
/// per pair, the same pairs in the same order. `None` under 3 pairs, or when the two differ in
/// length or in classes.
pub fn mean_iou_difference(a: &[Vec<u64>], b: &[Vec<u64>]) -> Option<(f64, f64)> {
    let n = a.len();
    let cells = a.first()?.len();
    let classes = (cells as f64).sqrt().round() as usize;
    let square = classes * classes == cells && classes > 0;
    if n < 3 || b.len() != n || !square || a.iter().chain(b).any(|c| c.len() != cells) {
        return None;
    }
    let (all_a, all_b) = (Confusion::summed(classes, a), Confusion::summed(classes, b));
    let whole = all_a.scores().mean_iou - all_b.scores().mean_iou;
    let left_out: Vec<f64> = (0..n)
        .map(|i| all_a.without(&a[i]).scores().mean_iou - all_b.without(&b[i]).scores().mean_iou)
        .collect();
    Some((whole, standard_error(left_out.into_iter())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perfect_prediction_scores_one() {
        let mut c = Confusion::new(3);
        c.add(&[0, 1, 2, 2], &[0, 1, 2, 2]);
        let s = c.scores();
        assert_eq!(s.pixel_accuracy, 1.0);
        assert_eq!(s.mean_class_accuracy, 1.0);
        assert_eq!(s.mean_iou, 1.0);
        assert_eq!(s.class_iou, vec![Some(1.0), Some(1.0), Some(1.0)]);
    }

    #[test]
    fn counts_by_hand() {
        // truth:     0 0 1 1   predicted: 0 1 1 1
        let mut c = Confusion::new(3);
        c.add(&[0, 0, 1, 1], &[0, 1, 1, 1]);
        let s = c.scores();
        assert_eq!(s.pixel_accuracy, 0.75);
        // class 0: 1 of 2 found; class 1: 2 of 2; class 2 absent.
        assert_eq!(s.mean_class_accuracy, 0.75);
        // IoU 0: 1 / 2; IoU 1: 2 / 3; class 2 in neither.
        assert_eq!(s.class_iou, vec![Some(0.5), Some(2.0 / 3.0), None]);
        assert!((s.mean_iou - (0.5 + 2.0 / 3.0) / 2.0).abs() < 1e-12);
    }

    #[test]
    fn a_class_only_predicted_lowers_the_mean_iou() {
        let mut c = Confusion::new(2);
        c.add(&[0, 0], &[0, 1]);
        let s = c.scores();
        assert_eq!(s.class_iou, vec![Some(0.5), Some(0.0)]);
        assert_eq!(s.mean_iou, 0.25);
    }

    #[test]
    fn the_mean_iou_difference_leaves_each_pair_out_of_both() {
        // Two classes, one pixel of each per pair. Model a reads every pair right; model b
        // misreads pair 0's class-1 pixel as class 0.
        let right = vec![1, 0, 0, 1];
        let a = vec![right.clone(); 3];
        let b = vec![vec![1, 0, 1, 0], right.clone(), right];
        let (d, se) = mean_iou_difference(&a, &b).unwrap();
        // b over all three: class 0 IoU 3/4, class 1 IoU 2/3; a: 1 and 1.
        let b_miou = (0.75 + 2.0 / 3.0) / 2.0;
        assert!((d - (1.0 - b_miou)).abs() < 1e-12, "{d}");
        // Leaving pair 0 out makes b right (difference 0); leaving pair 1 or 2 out leaves
        // b at IoUs 2/3 and 1/2 (difference 1 − 7/12 = 5/12).
        let left_out = [0.0, 5.0 / 12.0, 5.0 / 12.0];
        let expected = crate::eval::jackknife::standard_error(left_out.into_iter());
        assert!((se - expected).abs() < 1e-12 && se > 0.2, "{se} {expected}");
        assert_eq!(mean_iou_difference(&a, &a), Some((0.0, 0.0)));
        assert_eq!(mean_iou_difference(&a, &a[..2]), None);
        assert_eq!(
            mean_iou_difference(&a, &[vec![1; 9], vec![1; 9], vec![1; 9]]),
            None
        );
    }
}
