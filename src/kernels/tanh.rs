//! tanh forward and backward on slices, vectorised: a rational approximation (odd degree-13
//! numerator over an even degree-6 denominator, the form Eigen and XNNPACK use) accurate to a few
//! units in the last place, instead of one libm `tanhf` call per value.

use rayon::prelude::*;

/// Values per parallel task.
const CHUNK: usize = 1 << 14;

/// Beyond this |x| the approximation is ±1 to within f32 rounding.
const CLAMP: f32 = 7.905_311;
const NUM: [f32; 7] = [
    4.893_524_6e-3,
    6.372_619_3e-4,
    1.485_722_4e-5,
    5.122_297e-8,
    -8.604_672e-11,
    2.000_188e-13,
    -2.760_768_5e-16,
];
const DEN: [f32; 4] = [4.893_525e-3, 2.268_434_6e-3, 1.185_347e-4, 1.198_258_4e-6];

/// tanh of one value (the scalar form the loops below vectorise).
#[inline(always)]
fn approx(x: f32) -> f32 {
    let x = x.clamp(-CLAMP, CLAMP);
    let x2 = x * x;
    let mut p = NUM[6];
    for c in NUM[..6].iter().rev() {
        p = p * x2 + c;
    }
    let mut q = DEN[3];
    for c in DEN[..3].iter().rev() {
        q = q * x2 + c;
    }
    x * p / q
}

/// `x ← tanh(x)`.
pub fn forward_in_place(x: &mut [f32]) {
    x.par_chunks_mut(CHUNK).for_each(tanh_run);
}

/// `dx = dy · (1 − y²)` from the output `y = tanh(x)`.
pub fn backward(y: &[f32], dy: &[f32]) -> Vec<f32> {
    assert_eq!(y.len(), dy.len(), "tanh: gradient size");
    let mut dx = vec![0.0; y.len()];
    dx.par_chunks_mut(CHUNK)
        .zip(y.par_chunks(CHUNK).zip(dy.par_chunks(CHUNK)))
        .for_each(|(dx, (y, dy))| {
            dx.iter_mut()
                .zip(y.iter().zip(dy))
                .for_each(|(o, (&y, &d))| *o = d * (1.0 - y * y));
        });
    dx
}

/// One run of [`forward_in_place`].
fn tanh_run(x: &mut [f32]) {
    super::simd::wide(|| x.iter_mut().for_each(|v| *v = approx(*v)));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forward(x: &[f32]) -> Vec<f32> {
        let mut y = x.to_vec();
        forward_in_place(&mut y);
        y
    }

    #[test]
    fn matches_the_exact_tanh_to_a_few_ulp() {
        let xs: Vec<f32> = (-200_000..=200_000)
            .map(|i| i as f32 * 5e-5)
            .chain([-30.0, -8.0, -1e-7, 0.0, 1e-30, 8.0, 30.0])
            .collect();
        let ys = forward(&xs);
        assert_eq!(ys.len(), xs.len());
        let worst = xs
            .iter()
            .zip(&ys)
            .map(|(&x, &y)| {
                let exact = (x as f64).tanh();
                (y as f64 - exact).abs() / exact.abs().max(1e-30)
            })
            .fold(0.0f64, f64::max);
        assert!(worst < 1e-6, "largest relative error {worst:e}");
        assert_eq!(forward(&[0.0, 100.0, -100.0]), vec![0.0, 1.0, -1.0]);
        assert!(forward(&[f32::NAN])[0].is_nan());
    }

    #[test]
    fn gradient_is_one_minus_the_output_squared() {
        let dx = backward(&[0.0, 0.5, -1.0], &[2.0, 4.0, 3.0]);
        assert_eq!(dx, vec![2.0, 3.0, 0.0]);
    }
}
