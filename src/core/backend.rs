//! The CPU backends this crate can train on. Both may be compiled in (cargo features `flex`,
//! `ndarray`); `Backend::default()` is flex, the faster of the two on this workload (README).

use burn::tensor::Device;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, strum::EnumString, strum::IntoStaticStr, strum::VariantNames, strum::VariantArray)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase", ascii_case_insensitive)]
pub enum Backend {
    Flex,
    NdArray,
}

impl Default for Backend {
    fn default() -> Self {
        if cfg!(feature = "flex") { Backend::Flex } else { Backend::NdArray }
    }
}

impl Backend {
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// The plain (inference) device; `.autodiff()` of it trains.
    pub fn device(self) -> Result<Device, String> {
        match self {
            #[cfg(feature = "flex")]
            Backend::Flex => Ok(Device::flex()),
            #[cfg(feature = "ndarray")]
            #[allow(deprecated)]
            // burn-ndarray is deprecated upstream; kept for comparison
            Backend::NdArray => Ok(Device::ndarray()),
            #[allow(unreachable_patterns)]
            other => Err(format!("the {} backend is not compiled in (cargo feature `{}`)", other.name(), other.name())),
        }
    }
}
