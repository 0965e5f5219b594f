//! Network interpolation (Wang et al., ESRGAN, 2018: "a smooth control between a PSNR-oriented
//! and a GAN-trained network"): the weights `(1 − w)·a + w·b` of two generators of one
//! architecture, such as a model and a fine-tune of it. `export --mix-with` writes one.

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::prelude::*;

use super::Generator;

/// `a`'s weights moved the fraction `w` (0–1) of the way to `b`'s (which may be a training
/// generator's, with autodiff: only their values are read). The error says how the two differ
/// when they are not one architecture (parameters in another number or shape).
pub fn blend(a: Generator, b: &Generator, w: f32) -> Result<Generator, String> {
    if !(0.0..=1.0).contains(&w) {
        return Err(format!("the blend weight {w} is outside 0–1"));
    }
    // Only the sizes of `a`'s weights: holding them too would keep the blend from updating
    // them in place (the weight average does this every training step).
    let mut sizes = Sizes::default();
    a.visit(&mut sizes);
    let theirs = Collect::of(b);
    if sizes.0.len() != theirs.len() {
        return Err(format!(
            "the two generators have {} and {} weight tensors: not one architecture",
            sizes.0.len(),
            theirs.len()
        ));
    }
    for (i, (&n, q)) in sizes.0.iter().zip(&theirs).enumerate() {
        if n != q.dims()[0] {
            return Err(format!(
                "weight tensor {i} has {n} values in one and {} in the other (another width, or another set of inputs)",
                q.dims()[0]
            ));
        }
    }
    Ok(a.map(&mut Mix {
        theirs: theirs.into_iter(),
        w,
    }))
}

/// The number of values of each float weight, in the order a visitor meets them.
#[derive(Default)]
struct Sizes(Vec<usize>);

impl ModuleVisitor for Sizes {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        self.0.push(param.val().shape().num_elements());
    }
}

/// A generator's float weights, flattened, in the order a visitor meets them.
#[derive(Default)]
struct Collect(Vec<Tensor<1>>);

impl Collect {
    fn of(generator: &Generator) -> Vec<Tensor<1>> {
        let mut c = Collect::default();
        generator.visit(&mut c);
        c.0
    }
}

impl ModuleVisitor for Collect {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        // Without autodiff (a training generator's weights blend into a plain one).
        let value = param.val().inner();
        let n = value.shape().num_elements();
        self.0.push(value.reshape([n]));
    }
}

struct Mix {
    theirs: std::vec::IntoIter<Tensor<1>>,
    w: f32,
}

impl ModuleMapper for Mix {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let theirs = self.theirs.next().expect("shapes checked before mapping");
        let w = self.w;
        param.map(|ours| {
            let shape = ours.shape();
            ours * (1.0 - w) + theirs.reshape(shape) * w
        })
    }
}

/// Every float weight of `generator`, in visiting order (for tests that compare generators).
#[cfg(test)]
pub(crate) fn all_weights(generator: &Generator) -> Vec<f32> {
    Collect::of(generator)
        .into_iter()
        .flat_map(|t| t.into_data().convert::<f32>().try_to_vec::<f32>().unwrap())
        .collect()
}

/// Two tiny generators of one architecture with different weights (seeds 1 and 2), on the CPU.
#[cfg(test)]
pub(crate) fn two_tiny_generators() -> (Generator, Generator) {
    let device = Device::flex();
    let config = super::ModelConfig::new()
        .with_ngf(2)
        .with_ndf(2)
        .with_size(16);
    let init = |seed| super::seeded_init(&device, seed, || config.init_generator(&device));
    (init(1), init(2))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ModelConfig;

    #[test]
    fn a_blend_lies_the_given_fraction_of_the_way_between_two_generators() {
        let (a, b) = two_tiny_generators();
        let (wa, wb) = (all_weights(&a), all_weights(&b));
        let mixed = all_weights(&blend(a.clone(), &b, 0.25).unwrap());
        assert_eq!((wa.len(), wb.len()), (mixed.len(), mixed.len()));
        let mut differ = 0;
        for i in 0..mixed.len() {
            let want = 0.75 * wa[i] + 0.25 * wb[i];
            assert!(
                (mixed[i] - want).abs() < 1e-6,
                "weight {i}: {} vs {want}",
                mixed[i]
            );
            differ += usize::from(wa[i] != wb[i]);
        }
        assert!(differ > mixed.len() / 2, "the two generators must differ");
        assert_eq!(all_weights(&blend(a.clone(), &b, 1.0).unwrap()), wb);
        assert!(blend(a, &b, 1.5).unwrap_err().contains("outside 0–1"));
    }

    #[test]
    fn generators_of_two_widths_do_not_blend() {
        let device = Device::flex();
        let config = ModelConfig::new().with_ngf(2).with_ndf(2).with_size(16);
        let a = config.init_generator(&device);
        let b = config.clone().with_ngf(4).init_generator(&device);
        let err = blend(a, &b, 0.5).unwrap_err();
        assert!(err.contains("values in one and"), "{err}");
    }
}
