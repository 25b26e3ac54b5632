//! Optimizers: burn's SGD and Adam, plus Adadelta (the optimizer the paper cites), which burn
//! 0.22 does not ship; Adam and Adadelta keep their running averages out of the subnormal range.
//! One `ModuleOptimizer` lives for the whole run: re-creating it per step would silently reset
//! Adam's and Adadelta's running averages.

use burn::optim::{AdamConfig, AdamState, ModuleOptimizer, Optimizer, RecordState, SgdConfig, StateSink, StateSource};
use burn::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, strum::EnumString, strum::IntoStaticStr, strum::VariantNames, strum::VariantArray)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase", ascii_case_insensitive)]
pub enum OptimizerKind {
    Sgd,
    Adam,
    Adadelta,
}

impl OptimizerKind {
    pub fn build(self) -> ModuleOptimizer {
        match self {
            OptimizerKind::Sgd => SgdConfig::new().init(),
            OptimizerKind::Adam => ModuleOptimizer::from(Adam(AdamConfig::new().build())),
            OptimizerKind::Adadelta => ModuleOptimizer::from(Adadelta { rho: 0.9, epsilon: 1e-6 }),
        }
    }

    /// A learning rate that works for this optimizer on MNIST MLPs.
    pub fn default_lr(self) -> f64 {
        match self {
            OptimizerKind::Sgd => 0.05,
            OptimizerKind::Adam => 0.001,
            OptimizerKind::Adadelta => 1.0,
        }
    }
}

/// Sets to zero the entries of `x` smaller in magnitude than f32's smallest normal number. A
/// weight whose input pixel is rarely inked gets no gradient for hundreds of steps, and its
/// running averages decay geometrically into the subnormal range, where every multiply takes the
/// processor's slow path (natively and in wasm, which cannot flush them): it halved the page's
/// default run (BENCHMARKS, "Subnormal moments"). Below 1e-38 an average moves its weight far
/// less than the weight's last bit, so the trained weights do not change.
fn flush_subnormal<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    let tiny = x.clone().abs().lower_elem(f32::MIN_POSITIVE);
    x.mask_fill(tiny, 0.0)
}

/// Steps between two flushes: the flush costs three passes over the parameters, a subnormal
/// first moment would stay ~150 steps before reaching zero on its own.
const FLUSH_EVERY: usize = 8;

/// burn's Adam, its running averages kept out of the subnormal range ([`flush_subnormal`]).
#[derive(Clone)]
pub struct Adam(burn::optim::Adam);

impl Optimizer for Adam {
    type State<const D: usize> = AdamState<D>;

    fn step<const D: usize>(&self, lr: burn::optim::LearningRate, tensor: Tensor<D>, grad: Tensor<D>, state: Option<Self::State<D>>) -> (Tensor<D>, Option<Self::State<D>>) {
        let (tensor, state) = self.0.step(lr, tensor, grad, state);
        let state = state.map(|AdamState { mut momentum }| {
            if momentum.time % FLUSH_EVERY == 0 {
                momentum.moment_1 = flush_subnormal(momentum.moment_1);
                momentum.moment_2 = flush_subnormal(momentum.moment_2);
            }
            AdamState { momentum }
        });
        (tensor, state)
    }

    fn to_device<const D: usize>(state: Self::State<D>, device: &Device) -> Self::State<D> {
        burn::optim::Adam::to_device(state, device)
    }
}

/// Adadelta (Zeiler 2012), as in PyTorch: the step is `lr * sqrt(E[dx^2] + eps) / sqrt(E[g^2] + eps) * g`.
#[derive(Clone, Debug)]
pub struct Adadelta {
    pub rho: f32,
    pub epsilon: f32,
}

#[derive(Clone)]
pub struct AdadeltaState<const D: usize> {
    /// Steps taken: the averages are flushed every [`FLUSH_EVERY`] of them, as Adam's.
    time: usize,
    square_grad: Tensor<D>,
    square_delta: Tensor<D>,
}

impl<const D: usize> RecordState for AdadeltaState<D> {
    fn state_flatten(&self, prefix: &str, out: &mut StateSink) {
        out.push_scalar(prefix, "time", self.time.into());
        out.push_tensor(prefix, "square_grad", self.square_grad.to_data());
        out.push_tensor(prefix, "square_delta", self.square_delta.to_data());
    }

    fn state_unflatten(prefix: &str, src: &mut StateSource, device: &Device) -> Option<Self> {
        // A checkpoint saved before the step count was kept flushes on the next multiple.
        let time = src.take_scalar(prefix, "time").and_then(|t| usize::try_from(t).ok()).unwrap_or(0);
        Some(Self { time, square_grad: Tensor::from_data(src.take_tensor(prefix, "square_grad")?, device), square_delta: Tensor::from_data(src.take_tensor(prefix, "square_delta")?, device) })
    }
}

impl Optimizer for Adadelta {
    type State<const D: usize> = AdadeltaState<D>;

    fn step<const D: usize>(&self, lr: burn::optim::LearningRate, tensor: Tensor<D>, grad: Tensor<D>, state: Option<Self::State<D>>) -> (Tensor<D>, Option<Self::State<D>>) {
        let (time, square_grad, square_delta) = match state {
            Some(s) => (s.time + 1, s.square_grad, s.square_delta),
            None => (1, grad.zeros_like(), grad.zeros_like()),
        };
        let rho = self.rho as f64;
        let square_grad = square_grad.mul_scalar(rho).add(grad.clone().square().mul_scalar(1.0 - rho));
        let delta = square_delta.clone().add_scalar(self.epsilon).sqrt().div(square_grad.clone().add_scalar(self.epsilon).sqrt()).mul(grad);
        let square_delta = square_delta.mul_scalar(rho).add(delta.clone().square().mul_scalar(1.0 - rho));
        let state = if time % FLUSH_EVERY == 0 {
            AdadeltaState { time, square_grad: flush_subnormal(square_grad), square_delta: flush_subnormal(square_delta) }
        } else {
            AdadeltaState { time, square_grad, square_delta }
        };
        (tensor.sub(delta.mul_scalar(lr)), Some(state))
    }

    fn to_device<const D: usize>(state: Self::State<D>, device: &Device) -> Self::State<D> {
        AdadeltaState { time: state.time, square_grad: state.square_grad.to_device(device), square_delta: state.square_delta.to_device(device) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A weight that got a gradient once and none since: burn's Adam lets its first moment decay
    /// into the subnormal range (0.9 a step), ours sets it to zero, and the weights stay the same.
    #[test]
    fn adam_flushes_subnormal_moments_and_moves_the_weights_as_burns_adam() {
        let device = crate::core::backend::Backend::default().device().unwrap();
        let (ours, burns) = (Adam(AdamConfig::new().build()), AdamConfig::new().build());
        let subnormal = |m: &Tensor<1>| m.clone().into_data().try_into_vec_as::<f32>().unwrap().iter().any(|v| v.is_subnormal());
        let (mut x_ours, mut x_burns) = (Tensor::<1>::from_floats([1.0, -2.0], &device), Tensor::<1>::from_floats([1.0, -2.0], &device));
        let (mut s_ours, mut s_burns) = (None, None);
        let mut burns_went_subnormal = false;
        for step in 0..1200 {
            let g = if step == 0 { Tensor::<1>::from_floats([1e-3, -1e-3], &device) } else { Tensor::<1>::zeros([2], &device) };
            (x_ours, s_ours) = ours.step(1e-3, x_ours, g.clone(), s_ours);
            (x_burns, s_burns) = burns.step(1e-3, x_burns, g, s_burns);
            let (o, b): (&AdamState<1>, &AdamState<1>) = (s_ours.as_ref().unwrap(), s_burns.as_ref().unwrap());
            assert!(!subnormal(&o.momentum.moment_1) || o.momentum.time % FLUSH_EVERY != 0, "step {step}");
            burns_went_subnormal |= subnormal(&b.momentum.moment_1);
        }
        assert!(burns_went_subnormal, "the test should reach the subnormal range");
        assert_eq!(x_ours.into_data().try_into_vec_as::<f32>().unwrap(), x_burns.into_data().try_into_vec_as::<f32>().unwrap());
    }

    /// Adadelta's first step on a single parameter, worked by hand:
    /// E[g^2] = 0.1 g^2, step = sqrt(eps)/sqrt(0.1 g^2 + eps) * g.
    #[test]
    fn adadelta_matches_the_formula_and_keeps_state() {
        let device = crate::core::backend::Backend::default().device().unwrap();
        let opt = Adadelta { rho: 0.9, epsilon: 1e-6 };
        let x = Tensor::<1>::from_floats([1.0, -2.0], &device);
        let g = Tensor::<1>::from_floats([0.5, 4.0], &device);
        let (x1, state) = opt.step(1.0, x, g.clone(), None);
        let got = x1.into_data().try_into_vec_as::<f32>().unwrap();
        for (i, (x0, g0)) in [(1.0f64, 0.5f64), (-2.0, 4.0)].iter().enumerate() {
            let step = (1e-6f64).sqrt() / (0.1 * g0 * g0 + 1e-6).sqrt() * g0;
            assert!((got[i] as f64 - (x0 - step)).abs() < 1e-6, "{got:?}");
        }
        // The second step uses the accumulated E[dx^2]: larger than the first.
        let state = state.unwrap();
        let (x2, _) = opt.step(1.0, Tensor::from_floats([0.0, 0.0], &device), g, Some(state));
        let second = x2.into_data().try_into_vec_as::<f32>().unwrap();
        assert!(second[0].abs() > (got[0] - 1.0).abs());
    }

    /// As Adam's: after one gradient its E[g^2] decays by rho a step into the subnormal range
    /// (reached between two flushes) and is zero after every eighth step.
    #[test]
    fn adadelta_flushes_subnormal_averages_every_few_steps() {
        let device = crate::core::backend::Backend::default().device().unwrap();
        let opt = Adadelta { rho: 0.9, epsilon: 1e-6 };
        let subnormal = |m: &Tensor<1>| m.clone().into_data().try_into_vec_as::<f32>().unwrap().iter().any(|v| v.is_subnormal());
        let (mut x, mut state) = (Tensor::<1>::from_floats([1.0, -2.0], &device), None);
        let mut went_subnormal = false;
        for step in 0..1200 {
            let g = if step == 0 { Tensor::<1>::from_floats([1e-3, -1e-3], &device) } else { Tensor::<1>::zeros([2], &device) };
            (x, state) = opt.step(1.0, x, g, state);
            let s: &AdadeltaState<1> = state.as_ref().unwrap();
            assert_eq!(s.time, step + 1);
            assert!(!subnormal(&s.square_grad) || !s.time.is_multiple_of(FLUSH_EVERY), "step {step}");
            went_subnormal |= subnormal(&s.square_grad);
        }
        assert!(went_subnormal, "the test should reach the subnormal range");
    }
}
