//! Leaky ReLU (ReLU at slope 0) forward and backward, one pass each over a slice.

use super::elementwise;

/// `y = x` where `x > 0`, `slope · x` elsewhere.
pub fn forward(x: &[f32], slope: f32) -> Vec<f32> {
    let mut y = x.to_vec();
    forward_in_place(&mut y, slope);
    y
}

/// [`forward`], overwriting `x` (a tensor nothing else holds, as when rendering).
pub fn forward_in_place(x: &mut [f32], slope: f32) {
    elementwise::map_in_place(x, |v| if v > 0.0 { v } else { v * slope });
}

/// `dx = dy` where `x > 0`, `slope · dy` elsewhere.
pub fn backward(x: &[f32], dy: &[f32], slope: f32) -> Vec<f32> {
    assert_eq!(x.len(), dy.len(), "activation: gradient size");
    elementwise::zip(x, dy, |v, d| if v > 0.0 { d } else { d * slope })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negative_values_are_scaled_forward_and_backward() {
        let x = [-2.0, -0.5, 0.0, 0.5, 3.0];
        assert_eq!(forward(&x, 0.2), vec![-0.4, -0.1, 0.0, 0.5, 3.0]);
        assert_eq!(forward(&x, 0.0), vec![0.0, 0.0, 0.0, 0.5, 3.0]);
        assert_eq!(
            backward(&x, &[1.0, 2.0, 3.0, 4.0, 5.0], 0.2),
            vec![0.2, 0.4, 0.6, 4.0, 5.0]
        );
    }
}
