//! Growing and cutting a convolution's input planes, so that a trained model takes new inputs
//! (starting at zero weights, rendering as before) or drops them: shared by the generator's
//! first layer, its decoder's resize convolutions and the label modulation.

use burn::nn::conv::Conv2d;
use burn::prelude::*;

/// `conv` reading `extra` more input planes, with zero weights on them.
pub(crate) fn with_extra_input_planes(mut conv: Conv2d, extra: usize) -> Conv2d {
    conv.weight = burn::module::Param::from_tensor(zeros_after(conv.weight.val(), 1, extra));
    conv
}

/// `t` with `extra` zero slices appended along `dim`.
pub(crate) fn zeros_after<const D: usize>(t: Tensor<D>, dim: usize, extra: usize) -> Tensor<D> {
    let mut shape = t.dims();
    shape[dim] = extra;
    let zeros = Tensor::zeros(shape, &t.device());
    Tensor::cat(vec![t, zeros], dim)
}

/// `conv` reading only its first `keep` input planes.
pub(crate) fn with_first_input_planes(mut conv: Conv2d, keep: usize) -> Conv2d {
    let weight = conv.weight.val();
    let [co, ci, kh, kw] = weight.dims();
    let keep = keep.min(ci);
    conv.weight = burn::module::Param::from_tensor(weight.slice([0..co, 0..keep, 0..kh, 0..kw]));
    conv
}
