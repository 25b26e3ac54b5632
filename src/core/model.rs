//! The paper's MNIST models: a perceptron (one linear layer), MLPs with 1, 2 or 4 ReLU hidden
//! layers of a configurable width, and two small conv nets.
//!
//! The paper names its conv nets but no source reachable here gives their layouts, so these are
//! standard small ones: every conv layer is 3x3 with padding 1, ReLU, then 2x2 max pooling.
//! - `conv4`: conv 16, conv 32, a dense hidden layer of `width` units, 10 logits (four layers with
//!   weights, as the paper's "Conv4" of its uniform-noise figure);
//! - `conv2`: conv 32, then 10 logits (the small two-layer conv net of its batch-size figure).

use crate::core::conv::conv3x3;
use crate::core::data::{CLASSES, PIXELS, SIDE};
use crate::core::pool::max_pool2x2;
use crate::core::seed::{Stream, rng};
use burn::module::Param;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{Linear, PaddingConfig2d};
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
    Conv2,
    Conv4,
}

/// The conv layers' kernel side (3x3, padding 1: a layer keeps its input's side; the pool halves
/// it), fixed by the conv kernel.
pub use crate::core::conv::KERNEL;

impl Architecture {
    /// Dense hidden layers of `width` units.
    pub fn hidden_layers(self) -> usize {
        match self {
            Self::Perceptron | Self::Conv2 => 0,
            Self::Mlp1 | Self::Conv4 => 1,
            Self::Mlp2 => 2,
            Self::Mlp4 => 4,
        }
    }

    /// Whether `width` changes this model (it has dense hidden layers).
    pub fn uses_width(self) -> bool {
        self.hidden_layers() > 0
    }

    /// The conv layers as (channels in, channels out), first to last (none for the MLPs).
    pub fn conv_channels(self) -> &'static [(usize, usize)] {
        match self {
            Self::Conv2 => &[(1, 32)],
            Self::Conv4 => &[(1, 16), (16, 32)],
            _ => &[],
        }
    }

    /// Each conv layer's input side: 28, then halved by every pool.
    fn conv_sides(self) -> impl Iterator<Item = usize> {
        (0..self.conv_channels().len()).map(|i| SIDE >> i)
    }

    /// Flops of one image through the conv layers' forward pass (2 per multiply-add).
    pub fn conv_flops(self) -> f64 {
        self.conv_channels().iter().zip(self.conv_sides()).map(|(&(c_in, c_out), side)| 2.0 * (side * side * c_out * c_in * KERNEL * KERNEL) as f64).sum()
    }

    pub fn name(self) -> &'static str {
        self.into()
    }

    /// Units per dense layer, inputs first: 784 (or the last conv layer's pooled output),
    /// `width` per hidden layer, 10 logits.
    pub fn layer_sizes(self, width: usize) -> Vec<usize> {
        let first = match self.conv_channels().last() {
            Some(&(_, c_out)) => c_out * (SIDE >> self.conv_channels().len()).pow(2),
            None => PIXELS,
        };
        let mut sizes = vec![first];
        sizes.extend(std::iter::repeat_n(width, self.hidden_layers()));
        sizes.push(CLASSES);
        sizes
    }

    /// Activations of one image through the net (conv maps before and after pooling, then the
    /// dense layers' units): what a batch keeps for the backward pass.
    pub fn activations(self, width: usize) -> usize {
        let conv: usize = self.conv_channels().iter().zip(self.conv_sides()).map(|(&(_, c_out), side)| c_out * side * side * 5 / 4).sum();
        conv + self.layer_sizes(width).iter().sum::<usize>()
    }

    /// Weights and biases.
    pub fn parameters(self, width: usize) -> usize {
        let conv: usize = self.conv_channels().iter().map(|&(c_in, c_out)| c_in * c_out * KERNEL * KERNEL + c_out).sum();
        conv + self.layer_sizes(width).windows(2).map(|w| w[0] * w[1] + w[1]).sum::<usize>()
    }

    /// Matrix-multiply flops of one image's forward pass (2 per weight use).
    pub fn forward_flops(self, width: usize) -> f64 {
        self.conv_flops() + self.layer_sizes(width).windows(2).map(|w| 2.0 * (w[0] * w[1]) as f64).sum::<f64>()
    }

    /// The conv layers' outputs before pooling, per image: what their element-wise work (bias,
    /// ReLU, pooling, and each of those backwards) scales with.
    pub fn conv_outputs(self) -> usize {
        self.conv_channels().iter().zip(self.conv_sides()).map(|(&(_, c_out), side)| c_out * side * side).sum()
    }

    /// Of [`Architecture::training_flops`], the conv layers' part (forward, weight gradients and,
    /// but for the first layer, input gradients).
    pub fn conv_training_flops(self) -> f64 {
        let first = self.conv_channels().first().map_or(0.0, |&(c_in, c_out)| 2.0 * (SIDE * SIDE * c_out * c_in * KERNEL * KERNEL) as f64);
        3.0 * self.conv_flops() - first
    }

    /// Matrix-multiply flops of one training sample: forward and weight gradients for every
    /// layer, input gradients for all but the first (about 1.2 MFLOP for MLP2 width 256).
    pub fn training_flops(self, width: usize) -> f64 {
        let first = match self.conv_channels().first() {
            Some(&(c_in, c_out)) => 2.0 * (SIDE * SIDE * c_out * c_in * KERNEL * KERNEL) as f64,
            None => 2.0 * (PIXELS * self.layer_sizes(width)[1]) as f64,
        };
        3.0 * self.forward_flops(width) - first
    }

    /// The series name the paper's figures use.
    pub fn paper_name(self) -> &'static str {
        match self {
            Self::Perceptron => "Perceptron",
            Self::Mlp1 => "MLP1",
            Self::Mlp2 => "MLP2",
            Self::Mlp4 => "MLP4",
            Self::Conv2 => "Conv2",
            Self::Conv4 => "Conv4",
        }
    }
}

/// Conv layers (each with ReLU and 2x2 max pooling; none for the MLPs), then linear layers with
/// ReLU between them, 10 logits out.
#[derive(Module, Debug)]
pub struct Classifier {
    convs: Vec<Conv2d>,
    layers: Vec<Linear>,
}

impl Classifier {
    /// Weights and biases ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (burn's and PyTorch's default),
    /// drawn from the run's seed rather than the backend's global RNG, so runs are reproducible
    /// on every backend and target and independent of other runs in the same process.
    pub fn new(architecture: Architecture, width: usize, device: &Device, seed: u64) -> Self {
        let mut r = rng(seed, Stream::ModelInit);
        // Drawn after the dense layers, so an MLP's weights do not depend on the conv code.
        let mut convs = Vec::new();
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
        for &(c_in, c_out) in architecture.conv_channels() {
            let bound = 1.0 / ((c_in * KERNEL * KERNEL) as f32).sqrt();
            let mut uniform = |n: usize| (0..n).map(|_| r.random_range(-bound..bound)).collect::<Vec<f32>>();
            let mut conv = Conv2dConfig::new([c_in, c_out], [KERNEL, KERNEL]).with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1)).init(device);
            conv.weight = Param::from_tensor(Tensor::<4>::from_data(TensorData::new(uniform(c_out * c_in * KERNEL * KERNEL), [c_out, c_in, KERNEL, KERNEL]), device));
            conv.bias = Some(Param::from_tensor(Tensor::<1>::from_data(TensorData::new(uniform(c_out), [c_out]), device)));
            convs.push(conv);
        }
        Self { convs, layers }
    }

    /// Logits for a batch of normalised images `[batch, 784]`.
    pub fn forward(&self, mut x: Tensor<2>) -> Tensor<2> {
        if !self.convs.is_empty() {
            let [batch, _] = x.dims();
            let mut maps = x.reshape([batch, 1, SIDE, SIDE]);
            for conv in &self.convs {
                // ReLU after the pool: the same values and gradients (both are monotone, and
                // a window whose maximum is <= 0 passes no gradient either way) on a quarter of
                // the elements.
                let bias = conv.bias.as_ref().expect("every conv layer has a bias").val();
                maps = relu(max_pool2x2(conv3x3(maps, conv.weight.val(), bias)));
            }
            let [_, channels, side, _] = maps.dims();
            x = maps.reshape([batch, channels * side * side]);
        }
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
        for conv in &self.convs {
            bytes.extend(conv.weight.val().into_data().iter::<f32>().flat_map(f32::to_le_bytes));
            if let Some(bias) = &conv.bias {
                bytes.extend(bias.val().into_data().iter::<f32>().flat_map(f32::to_le_bytes));
            }
        }
        for layer in &self.layers {
            bytes.extend(layer.weight.val().into_data().iter::<f32>().flat_map(f32::to_le_bytes));
            if let Some(bias) = &layer.bias {
                bytes.extend(bias.val().into_data().iter::<f32>().flat_map(f32::to_le_bytes));
            }
        }
        crate::core::seed::fingerprint(bytes)
    }

    /// What the first dense layer looks for in an image: for each of its first `count` units, its
    /// 784 input weights (a 28x28 template; for the perceptron, the ten class templates). `None`
    /// for the conv nets, whose first dense layer sees feature maps, not pixels.
    pub fn input_templates(&self, count: usize) -> Option<Vec<Vec<f32>>> {
        if !self.convs.is_empty() {
            return None;
        }
        let weight = self.layers.first()?.weight.val(); // [784, units]
        let [inputs, units] = weight.dims();
        let values: Vec<f32> = weight.into_data().iter::<f32>().collect();
        Some((0..units.min(count)).map(|u| (0..inputs).map(|i| values[i * units + u]).collect()).collect())
    }

    pub fn parameter_count(&self) -> usize {
        self.num_params()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strum::VariantArray;

    #[test]
    fn every_model_has_the_parameters_and_output_its_sizes_say() {
        let device = crate::core::backend::Backend::default().device().unwrap();
        for &model in Architecture::VARIANTS {
            let net = Classifier::new(model, 32, &device, 1);
            assert_eq!(net.parameter_count(), model.parameters(32), "{model:?}");
            let logits = net.forward(Tensor::<2>::zeros([3, PIXELS], &device));
            assert_eq!(logits.dims(), [3, CLASSES], "{model:?}");
            assert!(model.training_flops(32) > model.forward_flops(32));
        }
        // conv4: 16*9+16 + 32*16*9+32 conv weights, then 1568 -> width -> 10.
        assert_eq!(Architecture::Conv4.parameters(128), 160 + 4640 + 1568 * 128 + 128 + 128 * 10 + 10);
        assert_eq!(Architecture::Conv2.layer_sizes(999), vec![32 * 14 * 14, 10]);
        assert!(!Architecture::Conv2.uses_width() && Architecture::Conv4.uses_width());
        // Same seed, same weights; a conv net's weights include its kernels.
        assert_eq!(Classifier::new(Architecture::Conv4, 32, &device, 5).fingerprint(), Classifier::new(Architecture::Conv4, 32, &device, 5).fingerprint());
        assert_ne!(Classifier::new(Architecture::Conv4, 32, &device, 5).fingerprint(), Classifier::new(Architecture::Conv4, 32, &device, 6).fingerprint());
    }
}
