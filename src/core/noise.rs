//! Noisy training sets exactly as in the paper: n clean examples plus alpha*n noisy ones.
//!
//! Noisy examples are virtual: an image reference (an index, or a seed for white noise) and a
//! label, never a copy of pixels, so alpha = 100 with n = 60,000 is 6.06 million 12-byte records.
//!
//! ## Label distributions
//! A noisy example whose image has true class `y` gets a label drawn from `q(. | y)`:
//! - **uniform**: `q(j | y) = 1/10` for every class `j`, the true one included;
//! - **structured** with strength `delta` in [0, 1] and a ranking `j_1 .. j_9` of the nine wrong
//!   classes (confusion order, its reverse, or a random order):
//!   `q(y | y) = 1/10` and `q(j_k | y) = 1/10 + (delta / alpha) * (1 - 2 (k - 1) / 8)`.
//!
//! Over the whole training set (one clean copy per alpha noisy ones) an image of class `y` then
//! carries label `j` with probability `p(j | y) = (1[j = y] + alpha q(j | y)) / (1 + alpha)`. With
//! `epsilon = 1 / (1 + alpha)`, the correct label leads the uniform share by `epsilon`; the top wrong
//! label leads it by `delta * epsilon`, the others linearly less down to `-delta * epsilon` for the
//! last, so the wrong-label shares still sum to the uniform total. `delta = 0` is uniform noise and
//! `delta = 1` makes the top wrong label exactly as frequent as the correct one. The last share
//! stays non-negative only while `alpha >= 10 * delta`; smaller alpha is refused with a message.
//!
//! ## Label flips (the later literature's noise)
//! Beside the paper's diluted sets, the lab builds the flipped sets that published tables use: the
//! n clean examples themselves, each keeping its label with probability `1 - epsilon` and otherwise
//! getting a wrong one: **symmetric** (any of the nine other classes, evenly), **pair** (class `c`
//! becomes `c + 1 mod 10`) or the **asymmetric** MNIST flips of Patrini et al. 2017 (7 -> 1,
//! 2 -> 7, 5 <-> 6, 3 -> 8; other classes keep their labels). A diluted set with uniform labels is
//! a symmetric flip in disguise: of its `(1 + alpha) n` records a share `0.9 alpha / (1 + alpha)`
//! carries a wrong label.
//!
//! ## Noisy images
//! - same-dataset noise (uniform, structured): MNIST training images with their true class known;
//! - `Fashion`: Fashion-MNIST training images, labels uniform;
//! - `White`: white noise with MNIST's pixel mean and standard deviation, labels uniform.
//!
//! `Reused` noisy images are drawn with replacement from a pool of n images (for MNIST, the clean
//! examples themselves, so every clean image also appears about alpha times with noisy labels);
//! `Novel` noisy images are all distinct and never among the clean examples.

use crate::core::data::{CLASSES, TRAIN_IMAGES};
use crate::core::seed::{Stream, rng};
use rand::{Rng, RngExt, seq::SliceRandom};
use serde::{Deserialize, Serialize};

/// The paper dilutes each clean example with up to 100 noisy ones.
pub const MAX_ALPHA: f64 = 100.0;

/// Order of the wrong classes for structured noise.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, strum::EnumString, strum::IntoStaticStr, strum::VariantNames, strum::VariantArray)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase", ascii_case_insensitive)]
pub enum Order {
    /// Most confusable classes (by a clean model's confusion matrix) get the most noise.
    Confusion,
    /// The least confusable classes get the most noise.
    Reverse,
    /// A seeded random order per class.
    Random,
}

/// Which wrong label a flipped example gets (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Flip {
    Symmetric,
    Pair,
    Asymmetric,
}

impl Flip {
    /// `T[y][j]`: the probability that an example of class `y` is labelled `j`.
    pub fn transition(self, epsilon: f64) -> [[f64; CLASSES]; CLASSES] {
        let mut t = [[0.0; CLASSES]; CLASSES];
        for (y, row) in t.iter_mut().enumerate() {
            let wrong: &[usize] = match self {
                Flip::Symmetric => &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
                Flip::Pair => &[(y + 1) % CLASSES],
                Flip::Asymmetric => match y {
                    7 => &[1],
                    2 => &[7],
                    5 => &[6],
                    6 => &[5],
                    3 => &[8],
                    _ => &[],
                },
            };
            let wrong: Vec<usize> = wrong.iter().copied().filter(|&j| j != y).collect();
            row[y] = if wrong.is_empty() { 1.0 } else { 1.0 - epsilon };
            for &j in &wrong {
                row[j] = epsilon / wrong.len() as f64;
            }
        }
        t
    }
}

/// Where a noisy example's image and label come from.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "kind")]
pub enum Noise {
    Uniform,
    Structured {
        delta: f64,
        order: Order,
    },
    /// The n clean examples' own labels flipped with probability `epsilon` (no dilution).
    Flip {
        flip: Flip,
        epsilon: f64,
    },
    /// Fashion-MNIST images with uniform labels.
    Fashion,
    /// White noise with MNIST's pixel mean and variance, uniform labels.
    White,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, strum::EnumString, strum::IntoStaticStr, strum::VariantNames, strum::VariantArray)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase", ascii_case_insensitive)]
pub enum NoisyImages {
    Reused,
    Novel,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum NoiseError {
    #[error("alpha must be between 0 and {MAX_ALPHA} (got {0})")]
    Alpha(f64),
    #[error("delta must be between 0 and 1 (got {0})")]
    Delta(f64),
    #[error("structured noise with delta = {delta} needs alpha >= 10 * delta = {min} (got alpha = {alpha}): below that the least likely wrong label would need a negative probability")]
    DeltaTooStrong { delta: f64, alpha: f64, min: f64 },
    #[error("the clean set must have between 1 and {available} examples (got {0})", available = .1)]
    Clean(usize, usize),
    #[error("{needed} novel noisy images are needed but only {available} are available; lower alpha or the clean set, or use re-used images")]
    NotEnoughNovel { needed: usize, available: usize },
    #[error("Fashion-MNIST noise needs the Fashion-MNIST images (set FASHION_MNIST_DIR)")]
    NoFashion,
    #[error("confusion order needs a confusion matrix of a clean model")]
    NoRanking,
}

/// For each true class, its nine wrong classes from the most to the least likely noisy label.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WrongClassRanking(pub [[u8; 9]; CLASSES]);

impl WrongClassRanking {
    /// Ranks wrong classes by how often a model mistook `y` for them (`matrix[true][predicted]`);
    /// ties go to the smaller class index.
    pub fn from_confusion(matrix: &[[u64; CLASSES]; CLASSES]) -> Self {
        let mut ranking = [[0u8; 9]; CLASSES];
        for (y, row) in ranking.iter_mut().enumerate() {
            let mut wrong: Vec<u8> = (0..CLASSES as u8).filter(|&j| j as usize != y).collect();
            wrong.sort_by_key(|&j| std::cmp::Reverse(matrix[y][j as usize]));
            row.copy_from_slice(&wrong);
        }
        Self(ranking)
    }

    pub fn reversed(&self) -> Self {
        let mut out = self.0;
        out.iter_mut().for_each(|row| row.reverse());
        Self(out)
    }

    pub fn random(seed: u64) -> Self {
        let mut r = rng(seed, Stream::RandomOrder);
        let mut out = [[0u8; 9]; CLASSES];
        for (y, row) in out.iter_mut().enumerate() {
            let mut wrong: Vec<u8> = (0..CLASSES as u8).filter(|&j| j as usize != y).collect();
            wrong.shuffle(&mut r);
            row.copy_from_slice(&wrong);
        }
        Self(out)
    }
}

/// `q(label | true class)` for noisy examples; rows sum to one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LabelDistribution(pub [[f64; CLASSES]; CLASSES]);

impl LabelDistribution {
    pub fn uniform() -> Self {
        Self([[1.0 / CLASSES as f64; CLASSES]; CLASSES])
    }

    /// The structured distribution from the module docs.
    pub fn structured(delta: f64, alpha: f64, ranking: &WrongClassRanking) -> Result<Self, NoiseError> {
        if !(0.0..=1.0).contains(&delta) {
            return Err(NoiseError::Delta(delta));
        }
        if alpha == 0.0 || delta == 0.0 {
            return Ok(Self::uniform());
        }
        if alpha < 10.0 * delta {
            return Err(NoiseError::DeltaTooStrong { delta, alpha, min: 10.0 * delta });
        }
        let mut q = [[0.1; CLASSES]; CLASSES];
        for (y, row) in q.iter_mut().enumerate() {
            for (k, &j) in ranking.0[y].iter().enumerate() {
                row[j as usize] = 0.1 + delta / alpha * (1.0 - 2.0 * k as f64 / 8.0);
            }
        }
        Ok(Self(q))
    }

    /// `p(label | class)` over the whole training set: one clean copy per `alpha` noisy ones.
    /// This is also the soft target of the infinite-batch loss H_alpha.
    pub fn with_clean(&self, alpha: f64) -> [[f64; CLASSES]; CLASSES] {
        let mut p = self.0;
        for (y, row) in p.iter_mut().enumerate() {
            for (j, v) in row.iter_mut().enumerate() {
                *v = (if j == y { 1.0 } else { 0.0 } + alpha * *v) / (1.0 + alpha);
            }
        }
        p
    }

    pub fn sample(&self, class: usize, rng: &mut impl Rng) -> u8 {
        let u: f64 = rng.random();
        let mut acc = 0.0;
        for (j, &p) in self.0[class].iter().enumerate() {
            acc += p;
            if u < acc {
                return j as u8;
            }
        }
        (CLASSES - 1) as u8
    }
}

/// A training image: an index into a dataset, or the seed of a white-noise image.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ImageRef {
    /// An MNIST training image.
    Mnist(u32),
    /// An MNIST test image (evaluation only; never in a training set).
    MnistTest(u32),
    Fashion(u32),
    White(u32),
}

/// One virtual training example.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Example {
    pub image: ImageRef,
    /// The label the network is given.
    pub label: u8,
    /// The image's real class, when it has one (not for Fashion-MNIST or white noise).
    pub true_label: Option<u8>,
    pub noisy: bool,
}

/// What to build: n clean examples plus `alpha * n` noisy ones.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NoiseSpec {
    pub clean: usize,
    pub alpha: f64,
    pub noise: Noise,
    pub noisy_images: NoisyImages,
}

/// Where a run's held-out noisy split takes its MNIST images from (see [`NoiseSpec::held_out_source`]),
/// with how many it takes.
#[derive(Clone, Copy, Debug, PartialEq)]
enum HeldOutSource {
    /// Never-seen images after the noisy ones, in their seeded order.
    Unused(usize),
    /// The clean pool's images after the clean set, in the pool's seeded order.
    PoolRest(usize),
    /// The images right after the clean pool.
    AfterPool(usize),
    None,
}

/// The clean set is drawn from a prefix of the MNIST training file: the first `n` rounded up to
/// a multiple of this. A page that streams the data in 10,000-image chunks can therefore start a
/// run once the chunks holding that prefix have arrived, and the run is the same as with all of
/// MNIST loaded. (MNIST's training file is already in mixed writer and class order, so a prefix
/// is a fair sample: its first 10,000 images hold 863 to 1,127 of each digit, against 5,421 to 6,742 per 60,000.)
pub const CLEAN_POOL_STEP: usize = crate::core::data::BLOCK_IMAGES;

/// Records in a run's held-out noisy split (see [`TrainingSet::held_out`]): as many as its unused
/// MNIST images allow up to `HELD_OUT`, and none under `MIN_HELD_OUT`. Many, because with alpha
/// noisy labels per clean one the split's accuracy moves only 1/(1+alpha) as much as the test
/// accuracy: at alpha = 10, 2,000 records could not tell 80% from 70% test accuracy apart.
pub const HELD_OUT: usize = 10_000;
pub const MIN_HELD_OUT: usize = 2_000;

impl NoiseSpec {
    /// Whether building the set needs the confusion ranking of a clean model (structured noise in
    /// confusion or reverse order; not at delta or alpha 0, where the noise is uniform whatever
    /// the order). The CLI and the page train the reference perceptron only then.
    pub fn needs_ranking(&self) -> bool {
        matches!(self.noise, Noise::Structured { delta, order } if order != Order::Random && delta > 0.0 && self.alpha > 0.0)
    }

    /// Noisy examples added to the clean ones (none for flips, which relabel the clean ones).
    pub fn noisy_count(&self) -> usize {
        if matches!(self.noise, Noise::Flip { .. }) {
            return 0;
        }
        (self.alpha * self.clean as f64).round() as usize
    }

    /// How many MNIST training images the clean set is drawn from, when `available` are loaded
    /// (the result does not depend on `available` once it is at least [`Self::mnist_images_needed`]).
    pub fn clean_pool(&self, available: usize) -> usize {
        self.clean.div_ceil(CLEAN_POOL_STEP).saturating_mul(CLEAN_POOL_STEP).min(available)
    }

    /// How many leading MNIST training images a run needs: the clean pool, or all of them
    /// (`total`) when never-seen MNIST images are the noisy ones.
    pub fn mnist_images_needed(&self, total: usize) -> usize {
        if self.novel_mnist() {
            return total;
        }
        let pool = self.clean_pool(total);
        match self.held_out_source() {
            HeldOutSource::AfterPool(len) => (pool + len).min(total),
            _ => pool,
        }
    }

    fn novel_mnist(&self) -> bool {
        self.noisy_images == NoisyImages::Novel && matches!(self.noise, Noise::Uniform | Noise::Structured { .. }) && self.noisy_count() > 0
    }

    /// Where the held-out split's images come from with all of MNIST loaded, and how many: never-seen
    /// MNIST images after the noisy ones when those are never-seen images; else the clean pool's
    /// images outside the clean set if there are at least [`MIN_HELD_OUT`], else the ones after
    /// the pool if the file has them (so for n up to 58,000): a run needs more of the file than
    /// its pool only when its pool is (nearly) full. Up to [`HELD_OUT`] in each case.
    fn held_out_source(&self) -> HeldOutSource {
        if self.novel_mnist() {
            return HeldOutSource::Unused((TRAIN_IMAGES - self.clean).saturating_sub(self.noisy_count()).min(HELD_OUT));
        }
        let pool = self.clean_pool(TRAIN_IMAGES);
        if pool - self.clean >= MIN_HELD_OUT {
            HeldOutSource::PoolRest((pool - self.clean).min(HELD_OUT))
        } else if pool + MIN_HELD_OUT <= TRAIN_IMAGES {
            HeldOutSource::AfterPool((TRAIN_IMAGES - pool).min(HELD_OUT))
        } else {
            HeldOutSource::None
        }
    }

    /// The MNIST images of the held-out split, of the first `available` (see [`Self::held_out_source`]).
    fn held_out_images(&self, seed: u64, available: usize) -> Vec<u32> {
        let pool = self.clean_pool(TRAIN_IMAGES);
        let ids: Vec<u32> = match self.held_out_source() {
            HeldOutSource::Unused(len) => return self.unused_images(seed, available).into_iter().skip(self.noisy_count()).take(len).collect(),
            _ if available < pool => Vec::new(), // a smaller file than MNIST's (tests): its clean pool is another one
            HeldOutSource::PoolRest(len) => clean_order(seed, pool)[self.clean..self.clean + len].to_vec(),
            HeldOutSource::AfterPool(len) => (pool as u32..(pool + len) as u32).collect(),
            HeldOutSource::None => Vec::new(),
        };
        ids.into_iter().filter(|&i| (i as usize) < available).collect()
    }

    /// Records in the held-out noisy split of a run with all of MNIST loaded (see
    /// [`TrainingSet::held_out`]); 0 when it has none, and early stopping nothing to judge by.
    pub fn held_out_len(&self) -> usize {
        match self.held_out_source() {
            HeldOutSource::Unused(len) | HeldOutSource::PoolRest(len) | HeldOutSource::AfterPool(len) => len,
            HeldOutSource::None => 0,
        }
    }

    /// Every MNIST image outside the clean set, in seeded order (where never-seen noisy images come from).
    fn unused_images(&self, seed: u64, available: usize) -> Vec<u32> {
        let pool = self.clean_pool(available);
        let order = clean_order(seed, pool);
        let mut rest: Vec<u32> = order[self.clean..].iter().copied().chain(pool as u32..available as u32).collect();
        rest.shuffle(&mut rng(seed, Stream::NovelImages));
        rest
    }
}

/// A seeded permutation of the clean pool; the clean set is its head.
fn clean_order(seed: u64, pool: usize) -> Vec<u32> {
    let mut order: Vec<u32> = (0..pool as u32).collect();
    order.shuffle(&mut rng(seed, Stream::CleanSubset));
    order
}

/// The examples of one run; clean ones first, then the noisy ones (training shuffles).
#[derive(Clone, Debug)]
pub struct TrainingSet {
    pub examples: Vec<Example>,
    pub clean: usize,
    /// `q(label | class)` of the noisy examples (uniform for other-image noise and flips).
    pub labels: LabelDistribution,
    /// `T[y][j]`: over the whole set, the probability that an MNIST image of class `y` carries label
    /// `j` (the generator knows it exactly); `None` when noisy images are not MNIST digits.
    pub transition: Option<[[f64; CLASSES]; CLASSES]>,
}

impl TrainingSet {
    /// A fingerprint of every example (image, given label, true label, noisy flag).
    pub fn fingerprint(&self) -> String {
        crate::core::seed::fingerprint(self.examples.iter().flat_map(|e| {
            let (kind, index) = match e.image {
                ImageRef::Mnist(i) => (0u8, i),
                ImageRef::MnistTest(i) => (1, i),
                ImageRef::Fashion(i) => (2, i),
                ImageRef::White(i) => (3, i),
            };
            let [a, b, c, d] = index.to_le_bytes();
            [kind, a, b, c, d, e.label, e.true_label.unwrap_or(255), e.noisy as u8]
        }))
    }

    pub fn clean_examples(&self) -> &[Example] {
        &self.examples[..self.clean]
    }

    pub fn noisy_examples(&self) -> &[Example] {
        &self.examples[self.clean..]
    }

    /// The share of examples whose label is not their image's class (every other-image example
    /// included): what co-teaching forgets.
    pub fn wrong_label_share(&self) -> f64 {
        let wrong = self.examples.iter().filter(|e| e.true_label != Some(e.label)).count();
        wrong as f64 / self.examples.len().max(1) as f64
    }

    /// Builds the set. `mnist_labels` are the true labels of the MNIST training images;
    /// `ranking` is needed for structured noise in confusion or reverse order.
    pub fn build(spec: &NoiseSpec, seed: u64, mnist_labels: &[u8], fashion_images: Option<usize>, ranking: Option<&WrongClassRanking>) -> Result<Self, NoiseError> {
        if !(0.0..=MAX_ALPHA).contains(&spec.alpha) {
            return Err(NoiseError::Alpha(spec.alpha));
        }
        let available = mnist_labels.len();
        if spec.clean == 0 || spec.clean > available {
            return Err(NoiseError::Clean(spec.clean, available));
        }
        let labels = match spec.noise {
            Noise::Structured { delta, order } => {
                let given = || ranking.ok_or(NoiseError::NoRanking);
                let ranking = match order {
                    Order::Confusion if spec.needs_ranking() => given()?.clone(),
                    Order::Reverse if spec.needs_ranking() => given()?.reversed(),
                    // Also where the order changes nothing (the distribution is uniform).
                    _ => WrongClassRanking::random(seed),
                };
                LabelDistribution::structured(delta, spec.alpha, &ranking)?
            }
            _ => LabelDistribution::uniform(),
        };
        let transition = match spec.noise {
            Noise::Uniform | Noise::Structured { .. } => Some(labels.with_clean(spec.alpha)),
            Noise::Flip { flip, epsilon } => Some(flip.transition(epsilon)),
            Noise::Fashion | Noise::White => None,
        };
        let noisy = spec.noisy_count();

        // The clean set: the head of a seeded permutation of the clean pool. Never-seen noisy
        // images: every other training image, in seeded order.
        let order = clean_order(seed, spec.clean_pool(available));
        let clean_ids = &order[..spec.clean];

        let mut examples = Vec::with_capacity(spec.clean + noisy);
        examples.extend(clean_ids.iter().map(|&i| {
            let y = mnist_labels[i as usize];
            Example { image: ImageRef::Mnist(i), label: y, true_label: Some(y), noisy: false }
        }));

        let mut r = rng(seed, Stream::NoisyExamples);
        let novel = spec.noisy_images == NoisyImages::Novel;
        match spec.noise {
            Noise::Flip { flip, epsilon } => {
                // Relabel the clean examples in place, then put the flipped ones last.
                let t = LabelDistribution(flip.transition(epsilon));
                for e in examples.iter_mut() {
                    e.label = t.sample(e.true_label.expect("MNIST images have a class") as usize, &mut r);
                    e.noisy = Some(e.label) != e.true_label;
                }
                examples.sort_by_key(|e| e.noisy);
                let clean = examples.iter().filter(|e| !e.noisy).count();
                return Ok(Self { examples, clean, labels, transition });
            }
            Noise::Uniform | Noise::Structured { .. } => {
                let rest = if novel && noisy > 0 { spec.unused_images(seed, available) } else { Vec::new() };
                if novel && noisy > rest.len() {
                    return Err(NoiseError::NotEnoughNovel { needed: noisy, available: rest.len() });
                }
                for k in 0..noisy {
                    // Novel: the k-th unused image; re-used: a random clean one (`rest` is empty).
                    let i = match rest.get(k) {
                        Some(&i) => i,
                        None => clean_ids[r.random_range(0..spec.clean)],
                    };
                    let y = mnist_labels[i as usize];
                    let label = labels.sample(y as usize, &mut r);
                    examples.push(Example { image: ImageRef::Mnist(i), label, true_label: Some(y), noisy: true });
                }
            }
            Noise::Fashion => {
                let pool = fashion_images.ok_or(NoiseError::NoFashion)?;
                if novel && noisy > pool {
                    return Err(NoiseError::NotEnoughNovel { needed: noisy, available: pool });
                }
                let mut ids: Vec<u32> = (0..pool as u32).collect();
                ids.shuffle(&mut r);
                for k in 0..noisy {
                    let i = if novel { ids[k] } else { ids[r.random_range(0..spec.clean.min(pool))] };
                    let label = r.random_range(0..CLASSES as u8);
                    examples.push(Example { image: ImageRef::Fashion(i), label, true_label: None, noisy: true });
                }
            }
            Noise::White => {
                for k in 0..noisy {
                    let s = if novel { k as u32 } else { r.random_range(0..spec.clean as u32) };
                    let label = r.random_range(0..CLASSES as u8);
                    examples.push(Example { image: ImageRef::White(s), label, true_label: None, noisy: true });
                }
            }
        }
        Ok(Self { examples, clean: spec.clean, labels, transition })
    }

    /// A held-out split of noisy records, as a practitioner would split off part of the noisy
    /// training set to choose when to stop: drawn from this set's own label process (a clean
    /// share `1 / (1 + alpha)`, the rest as the noisy examples are made) on MNIST images the run
    /// never trains on, so that holding it out changes nothing in the training set. Empty when
    /// no unused MNIST images are left (a clean set above 58,000).
    pub fn held_out(&self, spec: &NoiseSpec, seed: u64, mnist_labels: &[u8], fashion_images: Option<usize>) -> Vec<Example> {
        let available = mnist_labels.len();
        let images = spec.held_out_images(seed, available);
        let mut r = rng(seed, Stream::HeldOut);
        let clean_share = 1.0 / (1.0 + spec.alpha);
        images
            .into_iter()
            .enumerate()
            .map(|(k, i)| {
                let y = mnist_labels[i as usize];
                let digit = |label: u8| Example { image: ImageRef::Mnist(i), label, true_label: Some(y), noisy: label != y };
                match (spec.noise, &self.transition) {
                    (_, Some(t)) => digit(LabelDistribution(*t).sample(y as usize, &mut r)),
                    (_, None) if r.random::<f64>() < clean_share => digit(y),
                    (Noise::Fashion, None) => {
                        let image = ImageRef::Fashion(r.random_range(0..fashion_images.unwrap_or(1).max(1) as u32));
                        Example { image, label: r.random_range(0..CLASSES as u8), true_label: None, noisy: true }
                    }
                    (_, None) => Example { image: ImageRef::White(u32::MAX - k as u32), label: r.random_range(0..CLASSES as u8), true_label: None, noisy: true },
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ranking() -> WrongClassRanking {
        let mut m = [[0u64; 10]; 10];
        for (y, row) in m.iter_mut().enumerate() {
            for (j, v) in row.iter_mut().enumerate() {
                *v = ((y * 7 + j * 3) % 11) as u64;
            }
        }
        WrongClassRanking::from_confusion(&m)
    }

    #[test]
    #[allow(clippy::needless_range_loop)] // y indexes four tables at once
    fn structured_distribution_has_the_documented_shape() {
        let r = ranking();
        assert_eq!(LabelDistribution::structured(0.0, 20.0, &r).unwrap(), LabelDistribution::uniform());
        for delta in [0.3, 1.0] {
            let q = LabelDistribution::structured(delta, 20.0, &r).unwrap();
            let p = q.with_clean(20.0);
            for y in 0..10 {
                assert!((q.0[y].iter().sum::<f64>() - 1.0).abs() < 1e-12);
                let top = r.0[y][0] as usize;
                let uniform_share = 2.0 / 21.0; // (alpha/10) / (1+alpha)
                assert!((p[y][top] - uniform_share - delta / 21.0).abs() < 1e-12);
                // Shares fall linearly along the ranking.
                let steps: Vec<f64> = r.0[y].windows(2).map(|w| q.0[y][w[0] as usize] - q.0[y][w[1] as usize]).collect();
                assert!(steps.iter().all(|s| (s - steps[0]).abs() < 1e-12 && *s > 0.0));
            }
            if delta == 1.0 {
                assert!((p[4][r.0[4][0] as usize] - p[4][4]).abs() < 1e-12);
            }
        }
        assert!(matches!(LabelDistribution::structured(1.0, 5.0, &r), Err(NoiseError::DeltaTooStrong { .. })));
        assert!(LabelDistribution::structured(1.5, 50.0, &r).is_err());
    }

    #[test]
    fn orders_are_consistent() {
        let r = ranking();
        let rev = r.reversed();
        assert_eq!(r.0[3][0], rev.0[3][8]);
        assert_eq!(WrongClassRanking::random(5), WrongClassRanking::random(5));
        assert_ne!(WrongClassRanking::random(5), WrongClassRanking::random(6));
        for row in WrongClassRanking::random(9).0.iter().enumerate() {
            assert!(!row.1.contains(&(row.0 as u8)));
        }
    }

    #[test]
    fn sizes_and_image_kinds() {
        let labels: Vec<u8> = (0..1000).map(|i| (i % 10) as u8).collect();
        let spec = |noise, noisy_images| NoiseSpec { clean: 50, alpha: 3.0, noise, noisy_images };
        let set = TrainingSet::build(&spec(Noise::Uniform, NoisyImages::Novel), 1, &labels, None, None).unwrap();
        assert_eq!((set.examples.len(), set.clean_examples().len(), set.noisy_examples().len()), (200, 50, 150));
        let clean: std::collections::HashSet<_> = set.clean_examples().iter().map(|e| e.image).collect();
        let novel: std::collections::HashSet<_> = set.noisy_examples().iter().map(|e| e.image).collect();
        assert_eq!(novel.len(), 150, "novel images are distinct");
        assert!(clean.is_disjoint(&novel));
        let reused = TrainingSet::build(&spec(Noise::Uniform, NoisyImages::Reused), 1, &labels, None, None).unwrap();
        assert!(reused.noisy_examples().iter().all(|e| clean.contains(&e.image)));
        let white = TrainingSet::build(&spec(Noise::White, NoisyImages::Novel), 1, &labels, None, None).unwrap();
        assert!(white.noisy_examples().iter().all(|e| matches!(e.image, ImageRef::White(_)) && e.true_label.is_none()));
        assert_eq!(TrainingSet::build(&spec(Noise::Fashion, NoisyImages::Novel), 1, &labels, None, None).unwrap_err(), NoiseError::NoFashion);
        let big = NoiseSpec { clean: 100, alpha: 20.0, noise: Noise::Uniform, noisy_images: NoisyImages::Novel };
        assert!(matches!(TrainingSet::build(&big, 1, &labels, None, None), Err(NoiseError::NotEnoughNovel { .. })));
        let structured = spec(Noise::Structured { delta: 0.2, order: Order::Confusion }, NoisyImages::Reused);
        assert_eq!(TrainingSet::build(&structured, 1, &labels, None, None).unwrap_err(), NoiseError::NoRanking);
        // At delta 0 structured noise is uniform in any order: no ranking needed, same labels.
        let flat = spec(Noise::Structured { delta: 0.0, order: Order::Confusion }, NoisyImages::Reused);
        assert!(!flat.needs_ranking() && structured.needs_ranking());
        let uniform = TrainingSet::build(&spec(Noise::Uniform, NoisyImages::Reused), 1, &labels, None, None).unwrap();
        assert_eq!(TrainingSet::build(&flat, 1, &labels, None, None).unwrap().examples, uniform.examples);
    }

    #[test]
    fn a_run_needs_only_its_clean_pool_and_gets_the_same_set_from_it() {
        // The page starts runs before all of MNIST has streamed in: the set must not change.
        let labels: Vec<u8> = (0..60_000).map(|i| (i * 7 % 10) as u8).collect();
        for (clean, noise) in [(10_000, Noise::Uniform), (15_000, Noise::White), (100, Noise::Structured { delta: 0.25, order: Order::Random })] {
            let spec = NoiseSpec { clean, alpha: 3.0, noise, noisy_images: NoisyImages::Reused };
            let needed = spec.mnist_images_needed(labels.len());
            // The clean pool, and the held-out split's images after it when the pool is full.
            let pool = clean.div_ceil(10_000) * 10_000;
            assert_eq!(needed, if pool - clean < MIN_HELD_OUT { pool + HELD_OUT } else { pool });
            let full = TrainingSet::build(&spec, 4, &labels, None, None).unwrap();
            let prefix = TrainingSet::build(&spec, 4, &labels[..needed], None, None).unwrap();
            assert_eq!(full.examples, prefix.examples);
            assert!(full.examples.iter().all(|e| match e.image {
                ImageRef::Mnist(i) => (i as usize) < needed,
                _ => true,
            }));
        }
        let full = NoiseSpec { clean: 59_000, alpha: 1.0, noise: Noise::Uniform, noisy_images: NoisyImages::Reused };
        assert_eq!(full.mnist_images_needed(60_000), 60_000, "no room for a held-out split");
        let novel = NoiseSpec { clean: 1000, alpha: 3.0, noise: Noise::Uniform, noisy_images: NoisyImages::Novel };
        assert_eq!(novel.mnist_images_needed(60_000), 60_000);
        let set = TrainingSet::build(&novel, 4, &labels, None, None).unwrap();
        assert!(set.noisy_examples().iter().any(|e| matches!(e.image, ImageRef::Mnist(i) if i >= 10_000)));
        assert!(set.noisy_examples().iter().any(|e| matches!(e.image, ImageRef::Mnist(i) if (i as usize) < 10_000)));
    }
}
