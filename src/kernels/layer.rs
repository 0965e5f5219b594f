//! A convolution layer of either kind (plain or transposed) and its three gradients, on slices.
//!
//! A transposed convolution from `[ci, H, W]` to `[co, Ho, Wo]` with weight `[ci, co, kh, kw]` is
//! the input gradient of the plain convolution from `[co, Ho, Wo]` to `[ci, H, W]` with the same
//! weight (same memory, read as `[c_out = ci, c_in = co, kh, kw]`). So one [`Geometry`] (the plain
//! convolution's) describes both, and the transposed layer swaps which product plays which part.

use super::conv;

use super::geometry::Geometry;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Plain,
    Transposed,
}

/// A layer's shape: its kind and the geometry of the plain convolution behind it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layer {
    pub kind: Kind,
    pub geom: Geometry,
}

impl Layer {
    /// A plain convolution of `x [n, ci, h, w]` with `weight [co, ci, kh, kw]`.
    pub fn plain(x: [usize; 4], weight: [usize; 4], stride: [usize; 2], pad: [usize; 2]) -> Layer {
        let [batch, c_in, h, w] = x;
        let [c_out, _, kh, kw] = weight;
        let geom = Geometry {
            batch,
            c_in,
            h,
            w,
            c_out,
            kh,
            kw,
            stride,
            pad,
        };
        Layer {
            kind: Kind::Plain,
            geom,
        }
    }

    /// A transposed convolution of `x [n, ci, H, W]` with `weight [ci, co, kh, kw]` (no output
    /// padding): output `[n, co, (H−1)·s − 2p + k, …]`.
    pub fn transposed(
        x: [usize; 4],
        weight: [usize; 4],
        stride: [usize; 2],
        pad: [usize; 2],
    ) -> Layer {
        let [batch, c_t, h, w] = x;
        let [_, c_out_t, kh, kw] = weight;
        let size = |n: usize, k: usize, s: usize, p: usize| (n - 1) * s + k - 2 * p;
        let geom = Geometry {
            batch,
            c_in: c_out_t,
            h: size(h, kh, stride[0], pad[0]),
            w: size(w, kw, stride[1], pad[1]),
            c_out: c_t,
            kh,
            kw,
            stride,
            pad,
        };
        Layer {
            kind: Kind::Transposed,
            geom,
        }
    }

    /// The output's shape.
    pub fn out_shape(&self) -> [usize; 4] {
        let g = &self.geom;
        match self.kind {
            Kind::Plain => {
                let [oh, ow] = g.out_hw();
                [g.batch, g.c_out, oh, ow]
            }
            Kind::Transposed => [g.batch, g.c_in, g.h, g.w],
        }
    }

    /// Output channels and values per output channel (for the bias).
    fn out_planes(&self) -> (usize, usize) {
        let [_, c, h, w] = self.out_shape();
        (c, h * w)
    }

    pub fn forward(&self, x: &[f32], weight: &[f32], bias: Option<&[f32]>) -> Vec<f32> {
        match self.kind {
            Kind::Plain => conv::forward(&self.geom, x, weight, bias),
            Kind::Transposed => conv::input_grad(&self.geom, x, weight, bias),
        }
    }

    /// The gradient for the layer's input, given the output's gradient `dy`.
    pub fn input_grad(&self, dy: &[f32], weight: &[f32]) -> Vec<f32> {
        match self.kind {
            Kind::Plain => conv::input_grad(&self.geom, dy, weight, None),
            Kind::Transposed => conv::forward(&self.geom, dy, weight, None),
        }
    }

    /// The gradient for the weight, given the layer's input `x` and the output's gradient `dy`.
    pub fn weight_grad(&self, x: &[f32], dy: &[f32]) -> Vec<f32> {
        match self.kind {
            Kind::Plain => conv::weight_grad(&self.geom, x, dy),
            Kind::Transposed => conv::weight_grad(&self.geom, dy, x),
        }
    }

    pub fn bias_grad(&self, dy: &[f32]) -> Vec<f32> {
        let (channels, plane) = self.out_planes();
        conv::bias_grad(dy, channels, plane)
    }
}
