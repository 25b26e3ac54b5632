//! Every random choice of a run derives from its one seed through a named stream, so the same
//! seed gives the same numbers, natively and in the browser (StdRng is ChaCha12 on every target).

use rand::{SeedableRng, rngs::StdRng};

#[derive(Clone, Copy, Debug)]
pub enum Stream {
    CleanSubset = 1,
    NoisyExamples,
    RandomOrder,
    ModelInit,
    Shuffle,
    WhiteNoise,
    TrainSample,
    NovelImages,
}

/// SplitMix64's finaliser: spreads nearby seeds far apart.
pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// FNV-1a: a short, stable fingerprint of bytes (training sets, weights), equal on every target
/// exactly when the bytes are.
pub fn fingerprint(bytes: impl IntoIterator<Item = u8>) -> String {
    let hash = bytes.into_iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3));
    format!("{hash:016x}")
}

pub fn rng(seed: u64, stream: Stream) -> StdRng {
    StdRng::seed_from_u64(mix(seed ^ mix(stream as u64)))
}
