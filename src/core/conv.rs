//! The conv nets' 3x3 convolutions (stride 1, padding 1), as a burn backend extension.
//!
//! burn computes a conv's weight gradient as a convolution of the input by the output gradient,
//! a 28x28 "kernel" over the batch for Conv4's first layer: through burn-flex's generic im2col
//! that one op cost more than the rest of the layer's forward and backward together. Here each
//! image is unfolded once (im2col, in NCHW, no layout change) and every pass is one matrix
//! product per image by the `gemm` crate burn-flex itself multiplies with:
//! forward `y = W · cols + b`, weight gradient `dW = Σ dy · colsᵀ`, input gradient
//! `dx = col2im(Wᵀ · dy)`, bias gradient `db = Σ dy`. The values equal burn's up to the order of
//! the sums (float rounding; unit test). Other backends and dtypes use burn's conv.

// burn-ndarray is deprecated upstream; kept for comparison (see `backend.rs`).
#![allow(deprecated)]

use burn::backend::autodiff::NodeId;
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::ops::{ConvOptions, ModuleOps};
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, AutodiffBackend, Backend, Dispatch, backend_extension};
use burn::tensor::Tensor;

/// The kernel's side; the padding keeps a layer's input side.
pub const KERNEL: usize = 3;

fn options() -> ConvOptions<2> {
    ConvOptions::new([1, 1], [1, 1], [1, 1], 1)
}

/// A 3x3 convolution of stride 1 and padding 1: `x` `[batch, c_in, h, w]`, `weight`
/// `[c_out, c_in, 3, 3]`, `bias` `[c_out]`, giving `[batch, c_out, h, w]`.
pub fn conv3x3(x: Tensor<4>, weight: Tensor<4>, bias: Tensor<1>) -> Tensor<4> {
    Tensor::from_dispatch(<Dispatch as ConvBackend>::conv3x3(x.into_dispatch(), weight.into_dispatch(), bias.into_dispatch()))
}

/// The gradients of [`conv3x3`]: the input's (only if asked: a first layer's input is the data),
/// the weight's and the bias's.
pub trait ConvGradients: Backend {
    fn conv3x3_backward(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        grad: FloatTensor<Self>,
        x_grad: bool,
    ) -> (Option<FloatTensor<Self>>, FloatTensor<Self>, FloatTensor<Self>) {
        burns_backward::<Self>(x, weight, bias, grad, x_grad)
    }
}

/// [`ConvGradients::conv3x3_backward`] by burn's own conv gradients.
fn burns_backward<B: Backend>(x: FloatTensor<B>, weight: FloatTensor<B>, bias: FloatTensor<B>, grad: FloatTensor<B>, x_grad: bool) -> (Option<FloatTensor<B>>, FloatTensor<B>, FloatTensor<B>) {
    let dx = x_grad.then(|| B::conv2d_x_backward(x.clone(), weight.clone(), grad.clone(), options()));
    let dw = B::conv2d_weight_backward(x.clone(), weight, grad.clone(), options());
    (dx, dw, B::conv2d_bias_backward(x, bias, grad))
}

#[backend_extension(Flex: cfg(feature = "flex"), NdArray: cfg(feature = "ndarray"), Autodiff)]
pub trait ConvBackend: Backend {
    fn conv3x3(x: FloatTensor<Self>, weight: FloatTensor<Self>, bias: FloatTensor<Self>) -> FloatTensor<Self> {
        Self::conv2d(x, weight, Some(bias), options())
    }
}

#[cfg(feature = "ndarray")]
impl ConvGradients for burn::backend::NdArray {}
#[cfg(feature = "ndarray")]
impl ConvBackend for burn::backend::NdArray {}

#[cfg(feature = "flex")]
mod flex {
    use super::*;
    use burn::backend::Flex;
    use burn::backend::flex::FlexTensor;
    use burn::tensor::{DType, TensorData};

    /// `dst = (dst if accumulate) + lhs · rhs` for `m x k` by `k x n`, each matrix given by its
    /// pointer and (row stride, column stride) in elements; one thread, like the rest of a step.
    #[allow(clippy::too_many_arguments)]
    fn product(m: usize, n: usize, k: usize, dst: &mut [f32], accumulate: bool, lhs: (&[f32], usize, usize), rhs: (&[f32], usize, usize)) {
        assert!(dst.len() >= m * n && lhs.0.len() > (m - 1) * lhs.1 + (k - 1) * lhs.2 && rhs.0.len() > (k - 1) * rhs.1 + (n - 1) * rhs.2);
        // SAFETY: the asserts bound every element the product reads and writes.
        unsafe {
            gemm::gemm(
                m,
                n,
                k,
                dst.as_mut_ptr(),
                1,
                n as isize,
                accumulate,
                lhs.0.as_ptr(),
                lhs.2 as isize,
                lhs.1 as isize,
                rhs.0.as_ptr(),
                rhs.2 as isize,
                rhs.1 as isize,
                1.0,
                1.0,
                false,
                false,
                false,
                gemm::Parallelism::None,
            )
        }
    }

    /// One image's `[c_in, side, side]` unfolded into `[c_in * 9, side * side]`: row
    /// `(c, ky, kx)` holds the plane shifted by `(ky - 1, kx - 1)`, zero where it leaves it.
    fn im2col(image: &[f32], side: usize, cols: &mut [f32]) {
        let plane = side * side;
        for (c, src) in image.chunks_exact(plane).enumerate() {
            for ky in 0..KERNEL {
                for kx in 0..KERNEL {
                    let row = &mut cols[((c * KERNEL + ky) * KERNEL + kx) * plane..][..plane];
                    for (y, out) in row.chunks_exact_mut(side).enumerate() {
                        let Some(sy) = (y + ky).checked_sub(1).filter(|&sy| sy < side) else {
                            out.fill(0.0);
                            continue;
                        };
                        let line = &src[sy * side..][..side];
                        match kx {
                            0 => {
                                out[0] = 0.0;
                                out[1..].copy_from_slice(&line[..side - 1]);
                            }
                            1 => out.copy_from_slice(line),
                            _ => {
                                out[..side - 1].copy_from_slice(&line[1..]);
                                out[side - 1] = 0.0;
                            }
                        }
                    }
                }
            }
        }
    }

    /// The adjoint of [`im2col`]: every row's values added back where they were read from.
    fn col2im(cols: &[f32], side: usize, image: &mut [f32]) {
        let plane = side * side;
        for (c, dst) in image.chunks_exact_mut(plane).enumerate() {
            for ky in 0..KERNEL {
                for kx in 0..KERNEL {
                    let row = &cols[((c * KERNEL + ky) * KERNEL + kx) * plane..][..plane];
                    for (y, values) in row.chunks_exact(side).enumerate() {
                        let Some(sy) = (y + ky).checked_sub(1).filter(|&sy| sy < side) else { continue };
                        let line = &mut dst[sy * side..][..side];
                        let (to, from) = match kx {
                            0 => (&mut line[..side - 1], &values[1..]),
                            1 => (&mut line[..], values),
                            _ => (&mut line[1..], &values[..side - 1]),
                        };
                        to.iter_mut().zip(from).for_each(|(t, f)| *t += f);
                    }
                }
            }
        }
    }

    /// `[batch, c_in, side, side]`, `[c_out, c_in, 3, 3]` and `[c_out]` as f32 slices with their
    /// sizes, if the kernel takes them (f32, square maps); else burn's conv does the work.
    struct Shapes {
        batch: usize,
        c_in: usize,
        c_out: usize,
        side: usize,
    }

    fn shapes(x: &FlexTensor, weight: &FlexTensor) -> Option<Shapes> {
        let (&[batch, c_in, h, w], &[c_out, w_in, kh, kw]) = (x.layout().shape().as_slice(), weight.layout().shape().as_slice()) else { return None };
        let fits = x.dtype() == DType::F32 && weight.dtype() == DType::F32 && h == w && h >= 2 && w_in == c_in && kh == KERNEL && kw == KERNEL;
        fits.then_some(Shapes { batch, c_in, c_out, side: h })
    }

    fn tensor(values: Vec<f32>, shape: &[usize]) -> FlexTensor {
        FlexTensor::from_data(TensorData::new(values, shape.to_vec()))
    }

    impl ConvBackend for Flex {
        fn conv3x3(x: FlexTensor, weight: FlexTensor, bias: FlexTensor) -> FlexTensor {
            let Some(Shapes { batch, c_in, c_out, side }) = shapes(&x, &weight) else { return Self::conv2d(x, weight, Some(bias), options()) };
            let (x, weight, bias) = (x.to_contiguous(), weight.to_contiguous(), bias.to_contiguous());
            let (xs, ws, bs): (&[f32], &[f32], &[f32]) = (x.storage(), weight.storage(), bias.storage());
            let (plane, k) = (side * side, c_in * KERNEL * KERNEL);
            // Each output plane starts as its bias, written once (not zeroed first: a zeroed
            // buffer cost 3.5% of a Conv4 step in memset).
            let mut out = Vec::with_capacity(batch * c_out * plane);
            for _ in 0..batch {
                for &b in bs {
                    out.resize(out.len() + plane, b);
                }
            }
            let mut cols = vec![0f32; k * plane];
            for (image, y) in xs.chunks_exact(c_in * plane).zip(out.chunks_exact_mut(c_out * plane)) {
                im2col(image, side, &mut cols);
                product(c_out, plane, k, y, true, (ws, k, 1), (&cols, plane, 1));
            }
            tensor(out, &[batch, c_out, side, side])
        }
    }

    impl ConvGradients for Flex {
        fn conv3x3_backward(x: FlexTensor, weight: FlexTensor, bias: FlexTensor, grad: FlexTensor, x_grad: bool) -> (Option<FlexTensor>, FlexTensor, FlexTensor) {
            let Some(Shapes { batch, c_in, c_out, side }) = shapes(&x, &weight).filter(|_| grad.dtype() == DType::F32) else {
                return burns_backward::<Self>(x, weight, bias, grad, x_grad);
            };
            let (x, weight, grad) = (x.to_contiguous(), weight.to_contiguous(), grad.to_contiguous());
            let (xs, ws, gs): (&[f32], &[f32], &[f32]) = (x.storage(), weight.storage(), grad.storage());
            let (plane, k) = (side * side, c_in * KERNEL * KERNEL);
            let mut cols = vec![0f32; k * plane];
            let (mut dw, mut db) = (vec![0f32; c_out * k], vec![0f32; c_out]);
            let mut dx = vec![0f32; if x_grad { batch * c_in * plane } else { 0 }];
            for (b, (image, g)) in xs.chunks_exact(c_in * plane).zip(gs.chunks_exact(c_out * plane)).enumerate() {
                im2col(image, side, &mut cols);
                // dW [c_out, k] += dy [c_out, plane] · colsᵀ [plane, k]
                product(c_out, k, plane, &mut dw, b > 0, (g, plane, 1), (&cols, 1, plane));
                for (sum, row) in db.iter_mut().zip(g.chunks_exact(plane)) {
                    *sum += row.iter().sum::<f32>();
                }
                if x_grad {
                    // cols now holds Wᵀ [k, c_out] · dy [c_out, plane], folded back into dx.
                    product(k, plane, c_out, &mut cols, false, (ws, 1, k), (g, plane, 1));
                    col2im(&cols, side, &mut dx[b * c_in * plane..][..c_in * plane]);
                }
            }
            let dx = x_grad.then(|| tensor(dx, &[batch, c_in, side, side]));
            (dx, tensor(dw, &[c_out, c_in, KERNEL, KERNEL]), tensor(db, &[c_out]))
        }
    }
}

/// The gradient of [`conv3x3`], for whichever of its inputs are tracked.
#[derive(Debug)]
struct Conv3x3Backward;

impl<B: Backend + ConvGradients> Backward<B, 3> for Conv3x3Backward {
    type State = (NodeId, NodeId, NodeId);

    fn backward(self, ops: Ops<Self::State, 3>, grads: &mut Gradients, checkpointer: &mut Checkpointer) {
        let [x_node, weight_node, bias_node] = ops.parents;
        let grad = grads.consume::<B>(&ops.node);
        let (x, weight, bias) = ops.state;
        let (x, weight, bias) = (checkpointer.retrieve_node_output(x), checkpointer.retrieve_node_output(weight), checkpointer.retrieve_node_output(bias));
        let (dx, dw, db) = B::conv3x3_backward(x, weight, bias, grad, x_node.is_some());
        for (node, grad) in [(x_node, dx), (weight_node, Some(dw)), (bias_node, Some(db))] {
            if let (Some(node), Some(grad)) = (node, grad) {
                grads.register::<B>(node.id, grad);
            }
        }
    }
}

impl<B: Backend + ConvBackend + ConvGradients, C: CheckpointStrategy> ConvBackend for Autodiff<B, C> {
    fn conv3x3(x: FloatTensor<Self>, weight: FloatTensor<Self>, bias: FloatTensor<Self>) -> FloatTensor<Self> {
        match Conv3x3Backward.prepare::<C>([x.node(), weight.node(), bias.node()]).compute_bound().stateful() {
            OpsKind::Tracked(mut prep) => {
                let state = (prep.checkpoint(&x), prep.checkpoint(&weight), prep.checkpoint(&bias));
                prep.finish(state, B::conv3x3(Self::inner(x), Self::inner(weight), Self::inner(bias)))
            }
            OpsKind::UnTracked(prep) => prep.finish(B::conv3x3(Self::inner(x), Self::inner(weight), Self::inner(bias))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::nn::PaddingConfig2d;
    use burn::nn::conv::Conv2dConfig;
    use burn::tensor::{Device, Distribution};

    fn values(t: Tensor<4>) -> Vec<f32> {
        t.into_data().try_into_vec_as::<f32>().unwrap()
    }

    fn close(ours: &[f32], theirs: &[f32], what: &str) {
        assert_eq!(ours.len(), theirs.len(), "{what}");
        let scale = theirs.iter().fold(1f32, |m, v| m.max(v.abs()));
        for (i, (a, b)) in ours.iter().zip(theirs).enumerate() {
            assert!((a - b).abs() <= 1e-5 * scale, "{what}[{i}]: {a} against burn's {b}");
        }
    }

    /// Values and all three gradients equal burn's `Conv2d` (padding 1) up to float rounding, on
    /// every backend compiled in, for a first layer (one channel in) and a deeper one, with the
    /// input tracked and not.
    #[test]
    fn convolves_and_differentiates_as_burns_conv2d() {
        let devices = [
            #[cfg(feature = "flex")]
            Device::flex(),
            #[cfg(feature = "ndarray")]
            Device::ndarray(),
        ];
        for device in devices {
            let device = device.autodiff();
            for (c_in, c_out, side) in [(1, 4, 6), (3, 5, 7)] {
                let burns = Conv2dConfig::new([c_in, c_out], [KERNEL, KERNEL]).with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1)).init(&device);
                let x = Tensor::<4>::random([2, c_in, side, side], Distribution::Uniform(-1.0, 1.0), &device);
                let weights = Tensor::<4>::random([2, c_out, side, side], Distribution::Uniform(-1.0, 1.0), &device);
                close(&values(conv3x3(x.clone(), burns.weight.val(), burns.bias.as_ref().unwrap().val())), &values(burns.forward(x.clone())), "forward");
                for track_x in [false, true] {
                    let x = if track_x { x.clone().detach().require_grad() } else { x.clone().detach() };
                    let ours = (conv3x3(x.clone(), burns.weight.val(), burns.bias.as_ref().unwrap().val()) * weights.clone()).sum().backward();
                    let theirs = (burns.forward(x.clone()) * weights.clone()).sum().backward();
                    close(&values(burns.weight.grad(&ours).unwrap()), &values(burns.weight.grad(&theirs).unwrap()), "weight gradient");
                    let bias = burns.bias.as_ref().unwrap();
                    close(&bias.grad(&ours).unwrap().into_data().to_vec::<f32>().unwrap(), &bias.grad(&theirs).unwrap().into_data().to_vec::<f32>().unwrap(), "bias gradient");
                    assert_eq!(x.grad(&ours).is_some(), track_x);
                    if track_x {
                        close(&values(x.grad(&ours).unwrap()), &values(x.grad(&theirs).unwrap()), "input gradient");
                    }
                }
            }
        }
    }
}
