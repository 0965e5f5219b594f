//! The kernels on Burn's Flex CPU backend: a layer on plain Flex tensors (rendering), and the same
//! layer as one differentiable operation on `Autodiff<Flex>` (training) whose backward pass calls
//! the gradient kernels directly.

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::NoCheckpointing;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::autodiff::{Autodiff, NodeId};
use burn::backend::flex::{Flex, FlexTensor};
use burn::backend::tensor::FloatTensor;
use burn::prelude::*;

use super::activation;
use super::concat;
use super::layer::Layer;
use super::norm::{self, NormShape};
use super::tanh as tanh_kernel;

/// The autodiff backend the studio trains with on the CPU.
pub type AutodiffFlex = Autodiff<Flex>;

/// `layer` on Flex tensors (no gradient).
pub fn forward(layer: &Layer, x: FlexTensor, w: FlexTensor, b: Option<FlexTensor>) -> FlexTensor {
    let (x, w, b) = (
        x.to_contiguous(),
        w.to_contiguous(),
        b.map(|b| b.to_contiguous()),
    );
    let y = layer.forward(values(&x), values(&w), b.as_ref().map(values));
    tensor(y, layer.out_shape())
}

/// `layer` on `Autodiff<Flex>` tensors, recorded as one operation with its own backward pass.
pub fn forward_autodiff(
    layer: &Layer,
    x: FloatTensor<AutodiffFlex>,
    w: FloatTensor<AutodiffFlex>,
    b: Option<FloatTensor<AutodiffFlex>>,
) -> FloatTensor<AutodiffFlex> {
    let op = LayerBackward(*layer);
    match b {
        Some(b) => {
            let kind = op.prepare::<NoCheckpointing>([x.node(), w.node(), b.node()]);
            record(layer, kind.compute_bound().stateful(), x, w, Some(b))
        }
        None => {
            let kind = op.prepare::<NoCheckpointing>([x.node(), w.node()]);
            record(layer, kind.compute_bound().stateful(), x, w, None)
        }
    }
}

type Kind<const N: usize> = OpsKind<LayerBackward, Flex, (NodeId, NodeId), NoCheckpointing, N>;

fn record<const N: usize>(
    layer: &Layer,
    kind: Kind<N>,
    x: FloatTensor<AutodiffFlex>,
    w: FloatTensor<AutodiffFlex>,
    b: Option<FloatTensor<AutodiffFlex>>,
) -> FloatTensor<AutodiffFlex> {
    let run = |x: FloatTensor<AutodiffFlex>, w: FloatTensor<AutodiffFlex>, b: Option<_>| {
        let b = b.map(|b: FloatTensor<AutodiffFlex>| b.into_primitive());
        forward(layer, x.into_primitive(), w.into_primitive(), b)
    };
    match kind {
        OpsKind::Tracked(mut prep) => {
            let state = (prep.checkpoint(&x), prep.checkpoint(&w));
            prep.finish(state, run(x, w, b))
        }
        OpsKind::UnTracked(prep) => prep.finish(run(x, w, b)),
    }
}

/// The backward pass of one layer: the gradients of whichever of input, weight and bias take
/// part in the graph (`N` is 2 without a bias, 3 with one).
#[derive(Debug)]
struct LayerBackward(Layer);

impl<const N: usize> Backward<Flex, N> for LayerBackward {
    type State = (NodeId, NodeId);

    fn backward(
        self,
        ops: Ops<Self::State, N>,
        grads: &mut Gradients,
        checkpointer: &mut Checkpointer,
    ) {
        let layer = self.0;
        let dy = grads.consume::<Flex>(&ops.node).to_contiguous();
        let (x_state, w_state) = ops.state;
        let x = checkpointer
            .retrieve_node_output::<FlexTensor>(x_state)
            .to_contiguous();
        let w = checkpointer
            .retrieve_node_output::<FlexTensor>(w_state)
            .to_contiguous();
        let mut parents = ops.parents.into_iter();
        if let Some(node) = parents.next().flatten() {
            let dx = layer.input_grad(values(&dy), values(&w));
            grads.register::<Flex>(node.id, tensor(dx, x.layout().shape().dims::<4>()));
        }
        if let Some(node) = parents.next().flatten() {
            let dw = layer.weight_grad(values(&x), values(&dy));
            grads.register::<Flex>(node.id, tensor(dw, w.layout().shape().dims::<4>()));
        }
        if let Some(node) = parents.next().flatten() {
            let db = layer.bias_grad(values(&dy));
            let len = db.len();
            grads.register::<Flex>(node.id, tensor(db, [len]));
        }
    }
}

/// Normalisation on Flex tensors (no gradient), in place when nothing else holds `x`.
pub fn norm(shape: &NormShape, x: FlexTensor, gamma: FlexTensor, beta: FlexTensor) -> FlexTensor {
    let (gamma, beta) = (gamma.to_contiguous(), beta.to_contiguous());
    let mut x = owned(x);
    norm::forward_in_place(shape, values_mut(&mut x), values(&gamma), values(&beta));
    x
}

/// Normalisation on `Autodiff<Flex>` tensors, one operation with its own backward pass.
pub fn norm_autodiff(
    shape: &NormShape,
    x: FloatTensor<AutodiffFlex>,
    gamma: FloatTensor<AutodiffFlex>,
    beta: FloatTensor<AutodiffFlex>,
) -> FloatTensor<AutodiffFlex> {
    let op = NormBackward(*shape).prepare::<NoCheckpointing>([x.node(), gamma.node(), beta.node()]);
    let run = |x: FloatTensor<AutodiffFlex>,
               g: FloatTensor<AutodiffFlex>,
               b: FloatTensor<AutodiffFlex>| {
        norm(
            shape,
            x.into_primitive(),
            g.into_primitive(),
            b.into_primitive(),
        )
    };
    match op.compute_bound().stateful() {
        OpsKind::Tracked(mut prep) => {
            let state = (prep.checkpoint(&x), prep.checkpoint(&gamma));
            prep.finish(state, run(x, gamma, beta))
        }
        OpsKind::UnTracked(prep) => prep.finish(run(x, gamma, beta)),
    }
}

#[derive(Debug)]
struct NormBackward(NormShape);

impl Backward<Flex, 3> for NormBackward {
    type State = (NodeId, NodeId);

    fn backward(
        self,
        ops: Ops<Self::State, 3>,
        grads: &mut Gradients,
        checkpointer: &mut Checkpointer,
    ) {
        let shape = self.0;
        let dy = grads.consume::<Flex>(&ops.node).to_contiguous();
        let x = checkpointer
            .retrieve_node_output::<FlexTensor>(ops.state.0)
            .to_contiguous();
        let gamma = checkpointer
            .retrieve_node_output::<FlexTensor>(ops.state.1)
            .to_contiguous();
        let (dx, dgamma, dbeta) = norm::backward(&shape, values(&x), values(&gamma), values(&dy));
        let [node_x, node_gamma, node_beta] = ops.parents;
        let c = shape.c;
        for (node, grad) in [
            (node_x, tensor(dx, [shape.n, c, shape.plane])),
            (node_gamma, tensor(dgamma, [c])),
            (node_beta, tensor(dbeta, [c])),
        ] {
            if let Some(node) = node {
                grads.register::<Flex>(node.id, grad);
            }
        }
    }
}

/// Leaky ReLU on Flex tensors (no gradient), in place when nothing else holds `x`.
pub fn leaky_relu(x: FlexTensor, slope: f32) -> FlexTensor {
    let mut x = owned(x);
    activation::forward_in_place(values_mut(&mut x), slope);
    x
}

/// Leaky ReLU on `Autodiff<Flex>` tensors, one operation with its own backward pass.
pub fn leaky_relu_autodiff(x: FloatTensor<AutodiffFlex>, slope: f32) -> FloatTensor<AutodiffFlex> {
    match ActivationBackward(slope)
        .prepare::<NoCheckpointing>([x.node()])
        .compute_bound()
        .stateful()
    {
        OpsKind::Tracked(mut prep) => {
            let state = prep.checkpoint(&x);
            prep.finish(state, leaky_relu(x.into_primitive(), slope))
        }
        OpsKind::UnTracked(prep) => prep.finish(leaky_relu(x.into_primitive(), slope)),
    }
}

#[derive(Debug)]
struct ActivationBackward(f32);

impl Backward<Flex, 1> for ActivationBackward {
    type State = NodeId;

    fn backward(
        self,
        ops: Ops<Self::State, 1>,
        grads: &mut Gradients,
        checkpointer: &mut Checkpointer,
    ) {
        let dy = grads.consume::<Flex>(&ops.node).to_contiguous();
        let [Some(node)] = ops.parents else { return };
        let x = checkpointer
            .retrieve_node_output::<FlexTensor>(ops.state)
            .to_contiguous();
        let dx = activation::backward(values(&x), values(&dy), self.0);
        let shape = x.layout().shape().clone();
        grads.register::<Flex>(node.id, FlexTensor::from_data(TensorData::new(dx, shape)));
    }
}

/// tanh on Flex tensors (no gradient), in place when nothing else holds `x`.
pub fn tanh(x: FlexTensor) -> FlexTensor {
    let mut x = owned(x);
    tanh_kernel::forward_in_place(values_mut(&mut x));
    x
}

/// tanh on `Autodiff<Flex>` tensors, one operation whose backward pass reads its output.
pub fn tanh_autodiff(x: FloatTensor<AutodiffFlex>) -> FloatTensor<AutodiffFlex> {
    let kind = TanhBackward
        .prepare::<NoCheckpointing>([x.node()])
        .compute_bound()
        .stateful();
    record_with_output(kind, || tanh(x.into_primitive()))
}

/// Records an operation whose backward pass reads its output `run()` (kept as its state).
fn record_with_output<B: Backward<Flex, N, State = FlexTensor>, const N: usize>(
    kind: OpsKind<B, Flex, FlexTensor, NoCheckpointing, N>,
    run: impl FnOnce() -> FlexTensor,
) -> FloatTensor<AutodiffFlex> {
    let y = run();
    match kind {
        OpsKind::Tracked(prep) => prep.finish(y.clone(), y),
        OpsKind::UnTracked(prep) => prep.finish(y),
    }
}

#[derive(Debug)]
struct TanhBackward;

impl Backward<Flex, 1> for TanhBackward {
    type State = FlexTensor;

    fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        let dy = grads.consume::<Flex>(&ops.node).to_contiguous();
        let [Some(node)] = ops.parents else { return };
        let y = ops.state.to_contiguous();
        let dx = tanh_kernel::backward(values(&y), values(&dy));
        let shape = y.layout().shape().clone();
        grads.register::<Flex>(node.id, FlexTensor::from_data(TensorData::new(dx, shape)));
    }
}

/// `relu(cat([a, b], 1))` of `[n, ·, h, w]` Flex tensors (no gradient).
pub fn cat_relu(a: FlexTensor, b: FlexTensor) -> FlexTensor {
    let (a, b) = (a.to_contiguous(), b.to_contiguous());
    let [n, ca, h, w] = a.layout().shape().dims::<4>();
    let cb = b.layout().shape().dims::<4>()[1];
    tensor(
        concat::forward(values(&a), values(&b), n),
        [n, ca + cb, h, w],
    )
}

/// `relu(cat([a, b], 1))` on `Autodiff<Flex>` tensors, one operation whose backward pass reads
/// its output.
pub fn cat_relu_autodiff(
    a: FloatTensor<AutodiffFlex>,
    b: FloatTensor<AutodiffFlex>,
) -> FloatTensor<AutodiffFlex> {
    let a_channels = a.primitive().layout().shape().dims::<4>()[1];
    let kind = CatReluBackward(a_channels)
        .prepare::<NoCheckpointing>([a.node(), b.node()])
        .compute_bound()
        .stateful();
    record_with_output(kind, || cat_relu(a.into_primitive(), b.into_primitive()))
}

/// The backward pass of [`cat_relu_autodiff`]; holds the first part's channel count.
#[derive(Debug)]
struct CatReluBackward(usize);

impl Backward<Flex, 2> for CatReluBackward {
    type State = FlexTensor;

    fn backward(self, ops: Ops<Self::State, 2>, grads: &mut Gradients, _: &mut Checkpointer) {
        let dy = grads.consume::<Flex>(&ops.node).to_contiguous();
        let y = ops.state.to_contiguous();
        let [n, c, h, w] = y.layout().shape().dims::<4>();
        let (da, db) = concat::backward(values(&y), values(&dy), self.0 * h * w, n);
        let [node_a, node_b] = ops.parents;
        for (node, grad, channels) in [(node_a, da, self.0), (node_b, db, c - self.0)] {
            if let Some(node) = node {
                grads.register::<Flex>(node.id, tensor(grad, [n, channels, h, w]));
            }
        }
    }
}

/// `f(values of w, values of g)`, `w`'s values to overwrite (copied first when another tensor
/// shares them); returns `w` with them.
pub fn update_values<R>(
    w: FlexTensor,
    g: FlexTensor,
    f: impl FnOnce(&mut [f32], &[f32]) -> R,
) -> (FlexTensor, R) {
    let g = g.to_contiguous();
    let mut w = owned(w);
    let out = f(values_mut(&mut w), values(&g));
    (w, out)
}

/// `t` contiguous and unshared, to overwrite: `t` itself when nothing else holds its values, a
/// copy otherwise.
fn owned(t: FlexTensor) -> FlexTensor {
    let mut t = t.to_contiguous();
    if unique_values(&mut t).is_none() {
        let shape = t.layout().shape().clone();
        t = FlexTensor::from_data(TensorData::new(values(&t).to_vec(), shape));
    }
    t
}

/// The values of a tensor from [`owned`].
fn values_mut(t: &mut FlexTensor) -> &mut [f32] {
    unique_values(t).expect("an owned tensor shares its values with no other")
}

/// The values of a contiguous tensor that nothing else shares, to overwrite in place.
fn unique_values(t: &mut FlexTensor) -> Option<&mut [f32]> {
    let n = t.layout().num_elements();
    let whole = t.is_contiguous() && t.layout().start_offset() == 0;
    let values = t.try_storage_mut::<f32>().filter(|_| whole)?;
    (values.len() == n).then_some(values)
}

/// A contiguous tensor's values in row-major order.
fn values(t: &FlexTensor) -> &[f32] {
    t.as_slice::<f32>()
        .expect("the fast convolution takes contiguous f32 tensors (checked by the caller)")
}

fn tensor<const D: usize>(values: Vec<f32>, shape: [usize; D]) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(values, shape))
}
