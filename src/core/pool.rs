//! The conv nets' 2x2 max pooling (stride 2), as a burn backend extension.
//!
//! burn-flex pools through a generic 3-D loop that costs ~22 ns a pooled value: a quarter of a
//! Conv4 training step (BENCHMARKS.md, "The conv nets"). This kernel reads each 2x2 window
//! directly and gives what `max_pool2d_with_indices` gives (the same values, the same index of
//! the first maximum, NaN winning), so training is unchanged, bit for bit, only faster; its
//! gradient is burn's own `max_pool2d_with_indices_backward` (a gradient written once, row by
//! row, instead of zeroed then scattered into was slower: 3,220 against 3,490 samples/s on a
//! Conv4 step). Other backends use burn's pooling.

// burn-ndarray is deprecated upstream; kept for comparison (see `backend.rs`).
#![allow(deprecated)]

use burn::backend::autodiff::NodeId;
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::ops::ModuleOps;
use burn::backend::tensor::{FloatTensor, IntTensor};
use burn::backend::{Autodiff, AutodiffBackend, Backend, Dispatch, backend_extension};
use burn::tensor::{IntDType, Tensor};

/// burn's pooling arguments for a 2x2 window of stride 2, no padding.
const KERNEL: [usize; 2] = [2, 2];
const NO_PADDING: [usize; 2] = [0, 0];
const NO_DILATION: [usize; 2] = [1, 1];

/// 2x2 max pooling of stride 2 over `[batch, channels, height, width]`.
pub fn max_pool2x2(x: Tensor<4>) -> Tensor<4> {
    Tensor::from_dispatch(<Dispatch as PoolBackend>::max_pool2x2(x.into_dispatch()))
}

/// The pooling forward with the indices its gradient needs, in burn's form (each the offset of
/// the window's first maximum in its `height x width` plane).
pub trait PoolWithIndices: Backend {
    fn max_pool2x2_with_indices(x: FloatTensor<Self>) -> (FloatTensor<Self>, IntTensor<Self>) {
        let pooled = Self::max_pool2d_with_indices(x, KERNEL, KERNEL, NO_PADDING, NO_DILATION, false, IntDType::I64);
        (pooled.output, pooled.indices)
    }
}

#[backend_extension(Flex: cfg(feature = "flex"), NdArray: cfg(feature = "ndarray"), Autodiff)]
pub trait PoolBackend: Backend {
    fn max_pool2x2(x: FloatTensor<Self>) -> FloatTensor<Self> {
        Self::max_pool2d(x, KERNEL, KERNEL, NO_PADDING, NO_DILATION, false)
    }
}

#[cfg(feature = "ndarray")]
impl PoolWithIndices for burn::backend::NdArray {}
#[cfg(feature = "ndarray")]
impl PoolBackend for burn::backend::NdArray {}

#[cfg(feature = "flex")]
mod flex {
    use super::*;
    use burn::backend::Flex;
    use burn::backend::flex::FlexTensor;
    use burn::tensor::{DType, TensorData};
    use std::mem::MaybeUninit;

    /// Each window's maximum and, if asked, its index, as burn-flex's pooling picks them: the
    /// first value, then any later one that is larger or NaN (so the first maximum, or the last
    /// NaN), plane by plane ([`pool_plane`]).
    fn pool(x: FlexTensor, indices: bool) -> (FlexTensor, Option<FlexTensor>) {
        let x = x.to_contiguous();
        let &[batch, channels, height, width] = x.layout().shape().as_slice() else { panic!("max_pool2x2 takes [batch, channels, height, width]") };
        let (out_h, out_w) = (height / 2, width / 2);
        let data: &[f32] = x.storage();
        let n = batch * channels * out_h * out_w;
        // Written once, not zeroed first (zeroing cost 3% of a Conv4 step in memset).
        let (mut values, mut index) = (Vec::with_capacity(n), Vec::with_capacity(if indices { n } else { 0 }));
        if n > 0 {
            let planes = data.chunks_exact(height * width).zip(values.spare_capacity_mut()[..n].chunks_exact_mut(out_h * out_w));
            if indices {
                for ((plane, values), index) in planes.zip(index.spare_capacity_mut()[..n].chunks_exact_mut(out_h * out_w)) {
                    pool_plane::<true>(plane, width, out_w, values, index);
                }
            } else {
                for (plane, values) in planes {
                    pool_plane::<false>(plane, width, out_w, values, &mut []);
                }
            }
        }
        // SAFETY: `pool_plane` wrote each of the first `n` values (and indices, if asked): every
        // output row of every plane, every window of each row.
        unsafe {
            values.set_len(n);
            index.set_len(if indices { n } else { 0 });
        }
        let shape = [batch, channels, out_h, out_w];
        (FlexTensor::from_data(TensorData::new(values, shape)), indices.then(|| FlexTensor::from_data(TensorData::new(index, shape))))
    }

    /// One plane, row pair by row pair. Each window is decided by three compare-and-selects in
    /// reading order (top-left, top-right, bottom-left, bottom-right), the same for every window:
    /// selects, not branches (which value wins is data, and a branch on it is mispredicted half
    /// the time), and the compiler vectorises them across the row (the earlier per-window
    /// maximum, search and NaN fix-up did not vectorise and cost ~5 ns a window natively).
    fn pool_plane<const INDICES: bool>(plane: &[f32], width: usize, out_w: usize, values: &mut [MaybeUninit<f32>], index: &mut [MaybeUninit<i64>]) {
        for (i, out) in values.chunks_exact_mut(out_w).enumerate() {
            let top = &plane[2 * i * width..][..2 * out_w];
            let bottom = &plane[(2 * i + 1) * width..][..2 * out_w];
            let windows = top.chunks_exact(2).zip(bottom.chunks_exact(2));
            if INDICES {
                let first = (2 * i * width) as i64;
                let below = width as i64;
                for (j, ((t, b), (value, at))) in windows.zip(out.iter_mut().zip(&mut index[i * out_w..][..out_w])).enumerate() {
                    let (mut best, mut offset) = (t[0], 0i64);
                    for (v, o) in [(t[1], 1), (b[0], below), (b[1], below + 1)] {
                        let take = v > best || v.is_nan();
                        best = if take { v } else { best };
                        offset = if take { o } else { offset };
                    }
                    value.write(best);
                    at.write(first + 2 * j as i64 + offset);
                }
            } else {
                for ((t, b), value) in windows.zip(out.iter_mut()) {
                    let mut best = t[0];
                    for v in [t[1], b[0], b[1]] {
                        best = if v > best || v.is_nan() { v } else { best };
                    }
                    value.write(best);
                }
            }
        }
    }

    fn is_f32(x: &FlexTensor) -> bool {
        x.dtype() == DType::F32
    }

    impl PoolWithIndices for Flex {
        fn max_pool2x2_with_indices(x: FlexTensor) -> (FlexTensor, FlexTensor) {
            if !is_f32(&x) {
                let pooled = Self::max_pool2d_with_indices(x, KERNEL, KERNEL, NO_PADDING, NO_DILATION, false, IntDType::I64);
                return (pooled.output, pooled.indices);
            }
            let (values, index) = pool(x, true);
            (values, index.expect("asked for"))
        }
    }

    impl PoolBackend for Flex {
        fn max_pool2x2(x: FlexTensor) -> FlexTensor {
            if is_f32(&x) { pool(x, false).0 } else { Self::max_pool2d(x, KERNEL, KERNEL, NO_PADDING, NO_DILATION, false) }
        }
    }
}

/// The gradient: each pooled value's gradient goes to the input its index names.
#[derive(Debug)]
struct MaxPool2x2Backward;

impl<B: Backend> Backward<B, 1> for MaxPool2x2Backward {
    type State = (NodeId, IntTensor<B>);

    fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, checkpointer: &mut Checkpointer) {
        let [parent] = ops.parents;
        let grad = grads.consume::<B>(&ops.node);
        let (x_state, indices) = ops.state;
        let x = checkpointer.retrieve_node_output(x_state);
        if let Some(node) = parent {
            let x_grad = B::max_pool2d_with_indices_backward(x, KERNEL, KERNEL, NO_PADDING, NO_DILATION, false, grad, indices).x_grad;
            grads.register::<B>(node.id, x_grad);
        }
    }
}

impl<B: Backend + PoolBackend + PoolWithIndices, C: CheckpointStrategy> PoolBackend for Autodiff<B, C> {
    fn max_pool2x2(x: FloatTensor<Self>) -> FloatTensor<Self> {
        match MaxPool2x2Backward.prepare::<C>([x.node()]).compute_bound().stateful() {
            OpsKind::Tracked(mut prep) => {
                let x_state = prep.checkpoint(&x);
                let (values, indices) = B::max_pool2x2_with_indices(Self::inner(x));
                prep.finish((x_state, indices), values)
            }
            OpsKind::UnTracked(prep) => prep.finish(B::max_pool2x2(Self::inner(x))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::nn::pool::MaxPool2dConfig;
    use burn::tensor::{Device, Distribution};

    /// Values, indices and gradients equal burn's `MaxPool2d`'s, ties and NaN included, on
    /// every backend compiled in, trained and not.
    #[test]
    fn pools_and_differentiates_as_burns_max_pool() {
        let devices = [
            #[cfg(feature = "flex")]
            Device::flex(),
            #[cfg(feature = "ndarray")]
            Device::ndarray(),
        ];
        let burns = MaxPool2dConfig::new(KERNEL).init();
        for device in devices {
            for (device, trained) in [(device.clone(), false), (device.autodiff(), true)] {
                // Rounded to quarters: many windows hold ties; the first window holds two NaNs (the
                // last wins). Odd sides drop the last row/column. A 28-wide plane too, whose rows
                // the compiler's vector loop takes (a 3-window row may run its scalar remainder
                // only), with NaNs in windows mid-row: in each of the four places, and two in one.
                for x in [[3, 2, 7, 6], [2, 3, 28, 28]].map(|shape| Tensor::<4>::random(shape, Distribution::Uniform(-1.0, 1.0), &device).mul_scalar(4.0).round().div_scalar(4.0)) {
                    let nan = |x: Tensor<4>, [b, c, y, x_]: [usize; 4]| x.slice_assign([b..b + 1, c..c + 1, y..y + 1, x_..x_ + 1], Tensor::full([1, 1, 1, 1], f32::NAN, &device));
                    let x = nan(nan(x, [0, 0, 0, 0]), [0, 0, 0, 1]);
                    let x = if x.dims()[3] == 28 { [[1, 2, 10, 16], [1, 2, 10, 19], [0, 1, 5, 8], [0, 1, 5, 9], [1, 0, 27, 27], [1, 1, 12, 14], [1, 1, 13, 15]].into_iter().fold(x, nan) } else { x };
                    let (ours, theirs) = (max_pool2x2(x.clone()), burns.forward(x.clone()));
                    let [b, c, h, w] = x.dims();
                    let pooled = [b, c, h / 2, w / 2];
                    assert_eq!(ours.dims(), pooled);
                    assert_eq!(
                        ours.into_data().try_into_vec_as::<f32>().unwrap().iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                        theirs.into_data().try_into_vec_as::<f32>().unwrap().iter().map(|v| v.to_bits()).collect::<Vec<_>>()
                    );
                    if trained {
                        // A -0.0 gradient too: burn's scatter adds it to a zero (+0.0).
                        let weights = Tensor::<4>::random(pooled, Distribution::Uniform(-1.0, 1.0), &device).slice_assign([0..1, 1..2, 1..2, 1..2], Tensor::full([1, 1, 1, 1], -0.0, &device));
                        let grad_of = |pool: &dyn Fn(Tensor<4>) -> Tensor<4>| {
                            let x = x.clone().detach().require_grad();
                            let grads = (pool(x.clone()) * weights.clone()).sum().backward();
                            x.grad(&grads).unwrap().into_data().try_into_vec_as::<f32>().unwrap().iter().map(|v| v.to_bits()).collect::<Vec<_>>()
                        };
                        assert_eq!(grad_of(&max_pool2x2), grad_of(&|x| burns.forward(x)));
                    }
                }
            }
        }
    }
}
