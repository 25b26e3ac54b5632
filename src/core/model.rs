//! The paper's MNIST models: a perceptron (one linear layer) and MLPs with 1, 2 or 4 ReLU hidden
//! layers of a configurable width.

use crate::core::data::{CLASSES, PIXELS};
use crate::core::seed::{Stream, rng};
use burn::module::Param;
use burn::nn::Linear;
use burn::prelude::*;
use burn::tensor::activation::relu;
use rand::RngExt;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, strum::EnumString, strum::IntoStaticStr, strum::VariantNames, strum::VariantArray)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase", ascii_case_insensitive)]
pub enum Architecture {
    Perceptron,
    Mlp1,
    Mlp2,
    Mlp4,
}

impl Architecture {
    pub fn hidden_layers(self) -> usize {
        match self {
            Self::Perceptron => 0,
            Self::Mlp1 => 1,
            Self::Mlp2 => 2,
            Self::Mlp4 => 4,
        }
    }

    pub fn name(self) -> &'static str {
        self.into()
    }

    /// Units per layer, inputs first: 784, `width` per hidden layer, 10 logits.
    pub fn layer_sizes(self, width: usize) -> Vec<usize> {
        let mut sizes = vec![PIXELS];
        sizes.extend(std::iter::repeat_n(width, self.hidden_layers()));
        sizes.push(CLASSES);
        sizes
    }

    /// Weights and biases.
    pub fn parameters(self, width: usize) -> usize {
        self.layer_sizes(width).windows(2).map(|w| w[0] * w[1] + w[1]).sum()
    }

    /// Matrix-multiply flops of one image's forward pass (2 per weight).
    pub fn forward_flops(self, width: usize) -> f64 {
        self.layer_sizes(width).windows(2).map(|w| 2.0 * (w[0] * w[1]) as f64).sum()
    }

    /// Matrix-multiply flops of one training sample: forward and weight gradients for every
    /// layer, input gradients for all but the first (about 1.2 MFLOP for MLP2 width 256).
    pub fn training_flops(self, width: usize) -> f64 {
        let first = 2.0 * (PIXELS * self.layer_sizes(width)[1]) as f64;
        3.0 * self.forward_flops(width) - first
    }

    /// The series name the paper's figures use.
    pub fn paper_name(self) -> &'static str {
        match self {
            Self::Perceptron => "Perceptron",
            Self::Mlp1 => "MLP1",
            Self::Mlp2 => "MLP2",
            Self::Mlp4 => "MLP4",
        }
    }
}

/// Linear layers with ReLU between them, 784 inputs and 10 logits out.
#[derive(Module, Debug)]
pub struct Classifier {
    layers: Vec<Linear>,
}

impl Classifier {
    /// Weights and biases ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (burn's and PyTorch's default),
    /// drawn from the run's seed rather than the backend's global RNG, so runs are reproducible
    /// on every backend and target and independent of other runs in the same process.
    pub fn new(architecture: Architecture, width: usize, device: &Device, seed: u64) -> Self {
        let mut r = rng(seed, Stream::ModelInit);
        let layers = architecture
            .layer_sizes(width)
            .windows(2)
            .map(|w| {
                let (fan_in, fan_out) = (w[0], w[1]);
                let bound = 1.0 / (fan_in as f32).sqrt();
                let mut uniform = |n: usize| (0..n).map(|_| r.random_range(-bound..bound)).collect::<Vec<f32>>();
                let weight = Tensor::<2>::from_data(TensorData::new(uniform(fan_in * fan_out), [fan_in, fan_out]), device);
                let bias = Tensor::<1>::from_data(TensorData::new(uniform(fan_out), [fan_out]), device);
                Linear { weight: Param::from_tensor(weight), bias: Some(Param::from_tensor(bias)) }
            })
            .collect();
        Self { layers }
    }

    /// Logits for a batch of normalised images `[batch, 784]`.
    pub fn forward(&self, mut x: Tensor<2>) -> Tensor<2> {
        let last = self.layers.len() - 1;
        for (i, layer) in self.layers.iter().enumerate() {
            x = layer.forward(x);
            if i < last {
                x = relu(x);
            }
        }
        x
    }

    /// A fingerprint of every weight's bits (see [`crate::core::seed::fingerprint`]).
    pub fn fingerprint(&self) -> String {
        let mut bytes = Vec::new();
        for layer in &self.layers {
            bytes.extend(layer.weight.val().into_data().iter::<f32>().flat_map(f32::to_le_bytes));
            if let Some(bias) = &layer.bias {
                bytes.extend(bias.val().into_data().iter::<f32>().flat_map(f32::to_le_bytes));
            }
        }
        crate::core::seed::fingerprint(bytes)
    }

    pub fn parameter_count(&self) -> usize {
        self.num_params()
    }
}
