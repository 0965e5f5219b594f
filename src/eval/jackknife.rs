//! The jackknife's standard error, shared by every figure that leaves one pair out in turn
//! (the realism ratios, KID, label consistency and the differences of `eval --against`).

/// The standard error from the leave-one-out values of a figure:
/// √((n − 1)/n · Σ (θᵢ − θ̄)²) over the n values.
pub fn standard_error(values: impl Iterator<Item = f64> + Clone) -> f64 {
    let n = values.clone().count() as f64;
    let mean = values.clone().sum::<f64>() / n;
    ((n - 1.0) / n * values.map(|v| (v - mean).powi(2)).sum::<f64>()).sqrt()
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
}
