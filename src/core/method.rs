//! Training methods: what loss a batch is trained on. `ce` is the paper's plain cross-entropy; the
//! others are methods from the label-noise literature that followed it, so that they can be
//! compared on the same data, seed and screen:
//!
//! - `smoothing`: label smoothing, target `(1 - a) onehot + a / K`;
//! - `bootstrap`: soft bootstrapping (Reed et al. 2015), target `beta onehot + (1 - beta) p`, with
//!   the prediction `p` a constant (no gradient through it);
//! - `gce`: generalized cross-entropy (Zhang and Sabuncu 2018), `(1 - p_y^q) / q`;
//! - `forward`: forward correction (Patrini et al. 2017), `-log sum_i p_i T[i][y]`, with the noise
//!   transition matrix `T` the generator's own (known) or estimated by the anchor-point method
//!   after a first plain run;
//! - `coteach`: co-teaching (Han et al. 2018): two networks; each keeps the batch's
//!   `R(t) = 1 - min(t tau / T_k, tau)` examples of smallest loss and its peer learns from them.
//!
//! Every loss here is per example (`[batch, 1]`): co-teaching ranks them, and burn's
//! `CrossEntropyLoss` only gives their mean.

use crate::core::data::CLASSES;
use burn::prelude::*;
use burn::tensor::activation::{log_softmax, softmax};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, strum::EnumString, strum::IntoStaticStr, strum::VariantNames, strum::VariantArray)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase", ascii_case_insensitive)]
pub enum Method {
    Ce,
    Smoothing,
    Bootstrap,
    Gce,
    Forward,
    Coteach,
}

/// Where forward correction's transition matrix comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, strum::EnumString, strum::IntoStaticStr, strum::VariantNames, strum::VariantArray)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase", ascii_case_insensitive)]
pub enum Transition {
    /// The generator's exact `T` (the lab made the noise).
    Known,
    /// `T-hat` by the anchor-point method, after a first plain run of the same length.
    Estimated,
}

/// A per-example loss with its settings resolved.
#[derive(Clone, Debug)]
pub enum Loss {
    /// Cross-entropy against a target distribution (one-hot, or H_alpha's soft one).
    CrossEntropy,
    Smoothing {
        a: f64,
    },
    Bootstrap {
        beta: f64,
    },
    Gce {
        q: f64,
    },
    /// `T[i][j]` = p(label j | class i), as a `[K, K]` tensor on the training device.
    Forward {
        transition: Box<Tensor<2>>,
    },
}

/// `T[y][j]` as a tensor.
pub fn transition_tensor(t: &[[f64; CLASSES]; CLASSES], device: &Device) -> Tensor<2> {
    let flat: Vec<f32> = t.iter().flatten().map(|&v| v as f32).collect();
    Tensor::from_data(TensorData::new(flat, [CLASSES, CLASSES]), device)
}

impl Loss {
    /// The loss of each example, `[batch, 1]`, for `logits` and `targets` (`[batch, K]`, rows
    /// summing to one: the given label one-hot, or a soft target).
    pub fn per_example(&self, logits: Tensor<2>, targets: Tensor<2>) -> Tensor<2> {
        let classes = logits.dims()[1] as f64;
        match self {
            Loss::CrossEntropy => cross_entropy(logits, targets),
            Loss::Smoothing { a } => cross_entropy(logits, targets.mul_scalar(1.0 - a).add_scalar(a / classes)),
            Loss::Bootstrap { beta } => {
                let p = softmax(logits.clone().detach(), 1);
                cross_entropy(logits, targets.mul_scalar(*beta).add(p.mul_scalar(1.0 - beta)))
            }
            Loss::Gce { q } => {
                // p_y^q as exp(q log p_y): where p_y underflows to 0 (a confident prediction
                // against a flipped label) the power's derivative q p^(q-1) is infinite and one
                // NaN gradient kills the network (seen at full scale); the log form stays finite.
                let log_p_y = (log_softmax(logits, 1) * targets).sum_dim(1);
                log_p_y.mul_scalar(*q).exp().neg().add_scalar(1.0).div_scalar(*q)
            }
            Loss::Forward { transition } => {
                // Noisy-label probabilities p(label) = sum_i p_i T[i][label]; clamped so that a
                // zero entry of an estimated T cannot give an infinite loss.
                let noisy = softmax(logits, 1).matmul((**transition).clone());
                (noisy * targets).sum_dim(1).clamp_min(1e-12).log().neg()
            }
        }
    }
}

fn cross_entropy(logits: Tensor<2>, targets: Tensor<2>) -> Tensor<2> {
    (targets * log_softmax(logits, 1)).sum_dim(1).neg()
}

/// Co-teaching's keep fraction after `epochs` (fractional) of training: `1 - min(t tau / T_k, tau)`.
pub fn keep_fraction(epochs: f64, forget_rate: f64, ramp_epochs: f64) -> f64 {
    let ramp = if ramp_epochs > 0.0 { (epochs / ramp_epochs).min(1.0) } else { 1.0 };
    1.0 - forget_rate * ramp
}

/// The anchor-point estimate of `T` (Patrini et al. 2017): for each class `i`, the example whose
/// predicted `p_i` is the highest once the top 3% are dropped (outliers) is taken as surely of
/// class `i`; its predicted distribution is row `i`. `probabilities` are softmax rows of a model
/// trained on the noisy labels, so they estimate p(label | image).
pub fn anchor_transition(probabilities: &[[f32; CLASSES]]) -> [[f64; CLASSES]; CLASSES] {
    let mut t = [[0.0; CLASSES]; CLASSES];
    if probabilities.is_empty() {
        return t;
    }
    for (i, row) in t.iter_mut().enumerate() {
        let mut column: Vec<(f32, usize)> = probabilities.iter().enumerate().map(|(k, p)| (p[i], k)).collect();
        column.sort_by(|a, b| b.0.total_cmp(&a.0));
        let anchor = column[((column.len() as f64 * 0.03) as usize).min(column.len() - 1)].1;
        for (v, &p) in row.iter_mut().zip(&probabilities[anchor]) {
            *v = p as f64;
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::TensorData;

    /// The loss of one example with logits `z` and label `y`, and its gradient with respect to `z`.
    fn value_and_gradient(loss: &Loss, z: [f32; 3], y: usize) -> (f64, Vec<f64>) {
        let device = crate::core::backend::Backend::default().device().unwrap().autodiff();
        let logits = Tensor::<2>::from_data(TensorData::new(z.to_vec(), [1, 3]), &device).require_grad();
        let mut onehot = vec![0f32; 3];
        onehot[y] = 1.0;
        let targets = Tensor::<2>::from_data(TensorData::new(onehot, [1, 3]), &device);
        let loss = match loss {
            Loss::Forward { transition } => Loss::Forward { transition: Box::new((**transition).clone().to_device(&device)) },
            other => other.clone(),
        };
        let value = loss.per_example(logits.clone(), targets).sum();
        let v = value.clone().into_scalar::<f32>() as f64;
        let grads = value.backward();
        let g = logits.grad(&grads).unwrap().into_data().iter::<f32>().map(|x| x as f64).collect();
        (v, g)
    }

    fn softmax3(z: [f32; 3]) -> [f64; 3] {
        let e = z.map(|v| (v as f64).exp());
        let s: f64 = e.iter().sum();
        e.map(|v| v / s)
    }

    fn close(a: &[f64], b: &[f64]) {
        assert!(a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-5), "{a:?} vs {b:?}");
    }

    #[test]
    fn each_loss_and_its_gradient_match_the_hand_computed_case() {
        let z = [1.0f32, -0.5, 0.25];
        let y = 2;
        let p = softmax3(z);
        let onehot = |j: usize| if j == y { 1.0 } else { 0.0 };

        // ce: -log p_y, gradient p - onehot.
        let (v, g) = value_and_gradient(&Loss::CrossEntropy, z, y);
        close(&[v], &[-p[y].ln()]);
        close(&g, &(0..3).map(|j| p[j] - onehot(j)).collect::<Vec<_>>());

        // smoothing a = 0.3: target t = 0.7 onehot + 0.1; loss -sum t log p, gradient p - t.
        let t: Vec<f64> = (0..3).map(|j| 0.7 * onehot(j) + 0.1).collect();
        let (v, g) = value_and_gradient(&Loss::Smoothing { a: 0.3 }, z, y);
        close(&[v], &[-(0..3).map(|j| t[j] * p[j].ln()).sum::<f64>()]);
        close(&g, &(0..3).map(|j| p[j] - t[j]).collect::<Vec<_>>());

        // bootstrap beta = 0.8: target 0.8 onehot + 0.2 p with p constant; gradient 0.8 (p - onehot).
        let t: Vec<f64> = (0..3).map(|j| 0.8 * onehot(j) + 0.2 * p[j]).collect();
        let (v, g) = value_and_gradient(&Loss::Bootstrap { beta: 0.8 }, z, y);
        close(&[v], &[-(0..3).map(|j| t[j] * p[j].ln()).sum::<f64>()]);
        close(&g, &(0..3).map(|j| 0.8 * (p[j] - onehot(j))).collect::<Vec<_>>());

        // gce q = 0.7: (1 - p_y^q) / q, gradient -p_y^q (onehot - p).
        let (v, g) = value_and_gradient(&Loss::Gce { q: 0.7 }, z, y);
        close(&[v], &[(1.0 - p[y].powf(0.7)) / 0.7]);
        close(&g, &(0..3).map(|j| -p[y].powf(0.7) * (onehot(j) - p[j])).collect::<Vec<_>>());
        // q -> 0 is cross-entropy; q = 1 is the mean absolute error 1 - p_y.
        let (v, _) = value_and_gradient(&Loss::Gce { q: 1e-4 }, z, y);
        assert!((v + p[y].ln()).abs() < 1e-3, "{v}");
        // A label the network is sure is wrong (p_y underflows to 0 in f32): finite, not NaN.
        let (v, g) = value_and_gradient(&Loss::Gce { q: 0.7 }, [120.0, -120.0, 0.0], 1);
        assert!(v.is_finite() && g.iter().all(|x| x.is_finite()), "{v} {g:?}");
        assert!((v - 1.0 / 0.7).abs() < 1e-4, "the loss saturates at 1/q: {v}");

        // forward with T: s = sum_i p_i T[i][y]; loss -log s, gradient p_j - p_j T[j][y] / s.
        let tm = [[0.6, 0.3, 0.1], [0.2, 0.7, 0.1], [0.25, 0.25, 0.5]];
        let device = crate::core::backend::Backend::default().device().unwrap();
        let flat: Vec<f32> = tm.iter().flatten().map(|&v| v as f32).collect();
        let transition = Tensor::<2>::from_data(TensorData::new(flat, [3, 3]), &device);
        let s: f64 = (0..3).map(|i| p[i] * tm[i][y]).sum();
        let (v, g) = value_and_gradient(&Loss::Forward { transition: Box::new(transition) }, z, y);
        close(&[v], &[-s.ln()]);
        close(&g, &(0..3).map(|j| p[j] - p[j] * tm[j][y] / s).collect::<Vec<_>>());
    }

    #[test]
    fn keep_fraction_ramps_to_one_minus_the_forget_rate() {
        assert_eq!(keep_fraction(0.0, 0.4, 10.0), 1.0);
        assert!((keep_fraction(5.0, 0.4, 10.0) - 0.8).abs() < 1e-12);
        assert!((keep_fraction(30.0, 0.4, 10.0) - 0.6).abs() < 1e-12);
        assert!((keep_fraction(0.0, 0.4, 0.0) - 0.6).abs() < 1e-12);
    }

    #[test]
    fn anchor_points_recover_a_transition_matrix() {
        // Predictions of a perfect noisy-label model on examples of each class: row y of T, with
        // a few outliers above it that the 3% cut must drop.
        let t = crate::core::noise::Flip::Pair.transition(0.3);
        let mut probabilities = Vec::new();
        for (y, row) in t.iter().enumerate() {
            for k in 0..100 {
                let mut p = row.map(|v| v as f32 * 0.9);
                p[y] += 0.1 * k as f32 / 100.0; // anchors are the most confident
                probabilities.push(p);
            }
            let mut outlier = [0f32; CLASSES];
            outlier[y] = 1.0;
            probabilities.push(outlier);
        }
        let estimate = anchor_transition(&probabilities);
        for (y, row) in estimate.iter().enumerate() {
            assert!(row[y] > 0.68 && row[y] < 0.8, "{row:?}");
            assert!((row[(y + 1) % CLASSES] - 0.27).abs() < 1e-6, "{row:?}");
        }
    }
}
