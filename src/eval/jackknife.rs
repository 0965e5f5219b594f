//! The jackknife's standard error, shared by every figure that leaves one pair out in turn
//! (the realism ratios, KID, label consistency, the learned judge and the differences of
//! `eval --against`).

/// The standard error from the leave-one-out values of a figure:
/// √((n − 1)/n · Σ (θᵢ − θ̄)²) over the n values.
pub fn standard_error(values: impl Iterator<Item = f64> + Clone) -> f64 {
    let n = values.clone().count() as f64;
    let mean = values.clone().sum::<f64>() / n;
    ((n - 1.0) / n * values.map(|v| (v - mean).powi(2)).sum::<f64>()).sqrt()
}

/// The mean of per-pair values and its standard error (of the leave-one-out means).
pub fn mean_and_error(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let total: f64 = values.iter().sum();
    let left_out = values.iter().map(|v| (total - v) / (n - 1.0));
    (total / n, standard_error(left_out))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_error_of_a_mean_is_the_sample_deviation_over_root_n() {
        // Leave-one-out means of 1, 2, 3, 6: (11/3, 10/3, 3, 2); the mean's error is
        // sd(1, 2, 3, 6) / √4 = 2.160 / 2.
        let left_out = [11.0 / 3.0, 10.0 / 3.0, 3.0, 2.0];
        let se = super::standard_error(left_out.iter().copied());
        assert!((se - 1.0801).abs() < 1e-4, "{se}");
    }

    #[test]
    fn a_mean_comes_with_the_error_of_its_leave_one_out_values() {
        let (mean, se) = super::mean_and_error(&[1.0, 2.0, 3.0, 6.0]);
        assert_eq!(mean, 3.0);
        assert!((se - 1.0801).abs() < 1e-4, "{se}");
    }
}
