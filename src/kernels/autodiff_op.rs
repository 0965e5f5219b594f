//! One GPU backend extension's operation on three inputs, recorded as one autodiff operation
//! whose backward pass gets the first two inputs back (the tiled convolution: input and weight;
//! the normalisation: input and scale).

use burn::backend::Backend;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::ops::{Backward, OpsKind};
use burn::backend::autodiff::{Autodiff, NodeId};
use burn::backend::tensor::FloatTensor;

/// `run` on the inputs' inner tensors, recorded as `op` (its state: the first two inputs,
/// checkpointed) when any input is tracked.
pub fn record_three<B, C, O>(
    op: O,
    [a, b, c]: [FloatTensor<Autodiff<B, C>>; 3],
    run: impl FnOnce([FloatTensor<B>; 3]) -> FloatTensor<B>,
) -> FloatTensor<Autodiff<B, C>>
where
    B: Backend,
    C: CheckpointStrategy,
    O: Backward<B, 3, State = (NodeId, NodeId)>,
{
    let kind = op
        .prepare::<C>([a.node(), b.node(), c.node()])
        .compute_bound()
        .stateful();
    let inner = |a: FloatTensor<Autodiff<B, C>>,
                 b: FloatTensor<Autodiff<B, C>>,
                 c: FloatTensor<Autodiff<B, C>>| {
        [a.into_primitive(), b.into_primitive(), c.into_primitive()]
    };
    match kind {
        OpsKind::Tracked(mut prep) => {
            let state = (prep.checkpoint(&a), prep.checkpoint(&b));
            prep.finish(state, run(inner(a, b, c)))
        }
        OpsKind::UnTracked(prep) => prep.finish(run(inner(a, b, c))),
    }
}
