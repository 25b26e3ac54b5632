//! One run's configuration: a flat table of named parameters whose names are the CLI's flags and
//! the page's URL parameters (`model`, `alpha`, `h-alpha`, ...). `RunConfig::set` parses one
//! parameter from text; `validate` checks ranges and combinations with messages a user can act on.

use crate::model::Architecture;
use crate::noise::{Noise, NoiseSpec, NoisyImages, Order};
use crate::optim::OptimizerKind;
use serde::{Deserialize, Serialize};

pub const MAX_ALPHA: f64 = 100.0;
pub const MAX_WIDTH: usize = 2048;
pub const MAX_BATCH: usize = 4096;
pub const MAX_EPOCHS: usize = 1000;
pub const TRAIN_IMAGES: usize = 60_000;

/// The kind of noisy examples (the `noise` parameter).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NoiseKind {
    Uniform,
    Structured,
    Fashion,
    White,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct RunConfig {
    pub model: Architecture,
    pub width: usize,
    pub clean: usize,
    pub alpha: f64,
    pub noise: NoiseKind,
    pub delta: f64,
    pub order: Order,
    pub noisy_images: NoisyImages,
    pub optimizer: OptimizerKind,
    pub lr: f64,
    pub batch: usize,
    pub epochs: usize,
    pub h_alpha: bool,
    pub seed: u64,
}

impl Default for RunConfig {
    fn default() -> Self {
        Self {
            model: Architecture::Mlp2,
            width: 256,
            clean: 10_000,
            alpha: 20.0,
            noise: NoiseKind::Uniform,
            delta: 0.5,
            order: Order::Confusion,
            noisy_images: NoisyImages::Reused,
            optimizer: OptimizerKind::Adam,
            lr: OptimizerKind::Adam.default_lr(),
            batch: 128,
            epochs: 5,
            h_alpha: false,
            seed: 1,
        }
    }
}

/// Every parameter's name with a one-line description, in display order.
pub const PARAMETERS: &[(&str, &str)] = &[
    ("model", "perceptron | mlp1 | mlp2 | mlp4"),
    ("width", "hidden units per layer (1..2048)"),
    ("clean", "clean training examples n (1..60000)"),
    ("alpha", "noisy examples per clean example (0..100)"),
    ("noise", "uniform | structured | fashion | white"),
    ("delta", "structured noise strength (0..1; needs alpha >= 10*delta)"),
    ("order", "structured noise order: confusion | reverse | random"),
    ("noisy-images", "reused | novel"),
    ("optimizer", "sgd | adam | adadelta"),
    ("lr", "learning rate (0..10]"),
    ("batch", "batch size (1..4096)"),
    ("epochs", "epochs (1..1000)"),
    ("h-alpha", "train with the infinite-batch loss H_alpha (true | false)"),
    ("seed", "seed of every random choice (0..2^53)"),
];

/// (parameter, leader): the parameter's default depends on the leader's value, so a query or a
/// command line without it gets the leader's default, and changing the leader resets it.
pub const FOLLOWS: &[(&str, &str)] = &[("lr", "optimizer")];

fn choice<T: Copy>(name: &str, value: &str, choices: &[(&str, T)]) -> Result<T, String> {
    choices.iter().find(|(n, _)| n.eq_ignore_ascii_case(value.trim())).map(|(_, v)| *v).ok_or_else(|| {
        let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
        format!("{name}: {value:?} is not one of {}", names.join(", "))
    })
}

fn number<T: std::str::FromStr>(name: &str, value: &str) -> Result<T, String> {
    value.trim().parse::<T>().map_err(|_| {
        if value.trim().starts_with('-') && value.trim()[1..].parse::<f64>().is_ok() {
            format!("{name}: {value:?} must not be negative")
        } else {
            format!("{name}: {value:?} is not a number")
        }
    })
}

pub const MODELS: &[(&str, Architecture)] =
    &[("perceptron", Architecture::Perceptron), ("mlp1", Architecture::Mlp1), ("mlp2", Architecture::Mlp2), ("mlp4", Architecture::Mlp4)];
pub const NOISE_KINDS: &[(&str, NoiseKind)] =
    &[("uniform", NoiseKind::Uniform), ("structured", NoiseKind::Structured), ("fashion", NoiseKind::Fashion), ("white", NoiseKind::White)];
pub const ORDERS: &[(&str, Order)] = &[("confusion", Order::Confusion), ("reverse", Order::Reverse), ("random", Order::Random)];
pub const NOISY_IMAGES: &[(&str, NoisyImages)] = &[("reused", NoisyImages::Reused), ("novel", NoisyImages::Novel)];
pub const OPTIMIZERS: &[(&str, OptimizerKind)] =
    &[("sgd", OptimizerKind::Sgd), ("adam", OptimizerKind::Adam), ("adadelta", OptimizerKind::Adadelta)];

impl RunConfig {
    /// Sets one parameter from its text form (types only; ranges are `validate`'s job).
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), String> {
        match name {
            "model" => self.model = choice(name, value, MODELS)?,
            "width" => self.width = number(name, value)?,
            "clean" => self.clean = number(name, value)?,
            "alpha" => self.alpha = number(name, value)?,
            "noise" => self.noise = choice(name, value, NOISE_KINDS)?,
            "delta" => self.delta = number(name, value)?,
            "order" => self.order = choice(name, value, ORDERS)?,
            "noisy-images" => self.noisy_images = choice(name, value, NOISY_IMAGES)?,
            "optimizer" => self.optimizer = choice(name, value, OPTIMIZERS)?,
            "lr" => self.lr = number(name, value)?,
            "batch" => self.batch = number(name, value)?,
            "epochs" => self.epochs = number(name, value)?,
            "h-alpha" => self.h_alpha = choice(name, value, &[("true", true), ("1", true), ("on", true), ("false", false), ("0", false), ("off", false)])?,
            "seed" => self.seed = number(name, value)?,
            _ => return Err(format!("unknown parameter {name:?}")),
        }
        Ok(())
    }

    /// Checks ranges and combinations; the message names the parameter and the allowed range.
    pub fn validate(&self) -> Result<(), String> {
        let mut problems = Vec::new();
        let mut check = |ok: bool, msg: String| {
            if !ok {
                problems.push(msg)
            }
        };
        check((1..=MAX_WIDTH).contains(&self.width), format!("width must be 1..{MAX_WIDTH} (got {})", self.width));
        check((1..=TRAIN_IMAGES).contains(&self.clean), format!("clean must be 1..{TRAIN_IMAGES} (got {})", self.clean));
        check((0.0..=MAX_ALPHA).contains(&self.alpha), format!("alpha must be 0..{MAX_ALPHA} (got {})", self.alpha));
        check((0.0..=1.0).contains(&self.delta), format!("delta must be 0..1 (got {})", self.delta));
        check(self.lr > 0.0 && self.lr <= 10.0, format!("lr must be in (0, 10] (got {})", self.lr));
        check((1..=MAX_BATCH).contains(&self.batch), format!("batch must be 1..{MAX_BATCH} (got {})", self.batch));
        check((1..=MAX_EPOCHS).contains(&self.epochs), format!("epochs must be 1..{MAX_EPOCHS} (got {})", self.epochs));
        check(self.seed < (1 << 53), format!("seed must be below 2^53 so JavaScript keeps it exact (got {})", self.seed));
        if self.noise == NoiseKind::Structured && self.alpha > 0.0 && self.alpha < 10.0 * self.delta {
            check(false, format!("structured noise with delta {} needs alpha >= {} (got {})", self.delta, 10.0 * self.delta, self.alpha));
        }
        if self.noisy_images == NoisyImages::Novel && matches!(self.noise, NoiseKind::Uniform | NoiseKind::Structured) {
            let needed = self.noise_spec().noisy_count();
            check(
                needed + self.clean <= TRAIN_IMAGES,
                format!("novel noisy images: clean + alpha*clean = {} exceeds the {TRAIN_IMAGES} MNIST training images", needed + self.clean),
            );
        }
        if problems.is_empty() { Ok(()) } else { Err(problems.join("; ")) }
    }

    pub fn noise(&self) -> Noise {
        match self.noise {
            NoiseKind::Uniform => Noise::Uniform,
            NoiseKind::Structured => Noise::Structured { delta: self.delta, order: self.order },
            NoiseKind::Fashion => Noise::Fashion,
            NoiseKind::White => Noise::White,
        }
    }

    pub fn noise_spec(&self) -> NoiseSpec {
        NoiseSpec { clean: self.clean, alpha: self.alpha, noise: self.noise(), noisy_images: self.noisy_images }
    }

    /// The parameters as `(name, text)` pairs: what `set` reads back (a URL query, CLI flags).
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        let name = |n: &str| n.to_string();
        vec![
            ("model", name(name_of(MODELS, self.model))),
            ("width", self.width.to_string()),
            ("clean", self.clean.to_string()),
            ("alpha", self.alpha.to_string()),
            ("noise", name(name_of(NOISE_KINDS, self.noise))),
            ("delta", self.delta.to_string()),
            ("order", name(name_of(ORDERS, self.order))),
            ("noisy-images", name(name_of(NOISY_IMAGES, self.noisy_images))),
            ("optimizer", name(name_of(OPTIMIZERS, self.optimizer))),
            ("lr", self.lr.to_string()),
            ("batch", self.batch.to_string()),
            ("epochs", self.epochs.to_string()),
            ("h-alpha", self.h_alpha.to_string()),
            ("seed", self.seed.to_string()),
        ]
    }

    /// Reads a URL query (`model=mlp1&alpha=20&...`) leniently: every unknown, malformed or
    /// out-of-range parameter is skipped with a notice saying why, so the result is always a
    /// valid configuration. `embed` and `autostart` belong to the page and are left to it.
    pub fn from_query(query: &str) -> (RunConfig, Vec<String>) {
        RunConfig::from_pairs(query_pairs(query))
    }

    /// [`RunConfig::from_query`] of `query` with one parameter changed, as a control changes it:
    /// parameters whose default follows the changed one ([`FOLLOWS`]) go back to that default,
    /// as when the CLI or a hand-written URL leaves them out (a new optimizer gets its own rate).
    pub fn from_query_changed(query: &str, name: &str, value: &str) -> (RunConfig, Vec<String>) {
        let follows = |key: &str| FOLLOWS.iter().any(|&(follower, leader)| leader == name && follower == key);
        let kept = query_pairs(query).filter(|(key, _)| !follows(key));
        RunConfig::from_pairs(kept.chain(std::iter::once((name.to_string(), value.to_string()))))
    }

    /// Defaults, then each decoded (name, value) in order; a bad one is a notice and keeps the
    /// previous value. A parameter in [`FOLLOWS`] that was not given takes its leader's default.
    fn from_pairs(pairs: impl Iterator<Item = (String, String)>) -> (RunConfig, Vec<String>) {
        let mut config = RunConfig::default();
        let mut notices = Vec::new();
        let mut given = Vec::new();
        for (key, value) in pairs {
            if matches!(key.as_str(), "embed" | "autostart") {
                continue;
            }
            if !PARAMETERS.iter().any(|(n, _)| *n == key) {
                notices.push(format!("unknown parameter {:?} ignored", clip(&key)));
                continue;
            }
            let before = config.clone();
            match config.set(&key, &value).and_then(|_| config.validate()) {
                Ok(()) => given.push(key),
                Err(e) => {
                    // The kept value is clipped too: an accepted 1e-300 prints as 300 digits.
                    let kept = &before.to_pairs().into_iter().find(|(n, _)| *n == key).unwrap().1;
                    notices.push(format!("{} (using {key}={})", clip(&e), clip(kept)));
                    config = before;
                }
            }
        }
        config.follow_defaults(|name| given.iter().any(|k| k == name));
        (config, notices)
    }

    /// Every parameter of [`FOLLOWS`] not `given` takes the default its leader's value implies
    /// (the URL parser and the CLI both end with this).
    pub fn follow_defaults(&mut self, given: impl Fn(&str) -> bool) {
        for &(follower, _) in FOLLOWS {
            if !given(follower) {
                match follower {
                    "lr" => self.lr = self.optimizer.default_lr(),
                    _ => unreachable!("{follower} is in FOLLOWS without a default rule"),
                }
            }
        }
    }

    /// The configuration as a URL query, parameters in table order.
    pub fn to_query(&self) -> String {
        self.to_pairs().iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&")
    }

    /// A short human label, e.g. `mlp1 alpha=20 uniform`.
    pub fn label(&self) -> String {
        let mut s = format!("{} alpha={} {}", self.model.name(), self.alpha, name_of(NOISE_KINDS, self.noise));
        if self.noise == NoiseKind::Structured {
            s += &format!(" delta={} {}", self.delta, name_of(ORDERS, self.order));
        }
        if self.h_alpha {
            s += " H_alpha";
        }
        s
    }
}

/// Percent-decoding for query components (`+` is a space); invalid UTF-8 becomes U+FFFD.
/// The decoded (name, value) pairs of a URL query, empty pairs skipped.
fn query_pairs(query: &str) -> impl Iterator<Item = (String, String)> + '_ {
    query.trim_start_matches('?').split('&').filter(|p| !p.is_empty()).map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (decode_component(key), decode_component(value))
    })
}

fn decode_component(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match u8::from_str_radix(std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"), 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Shortens user text quoted back in a notice.
fn clip(s: &str) -> String {
    if s.chars().count() > 60 { format!("{}...", s.chars().take(60).collect::<String>()) } else { s.to_string() }
}

pub fn name_of<T: PartialEq + Copy>(choices: &[(&'static str, T)], value: T) -> &'static str {
    choices.iter().find(|(_, c)| *c == value).map(|(n, _)| *n).unwrap_or("?")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_pairs_and_checks_ranges() {
        let mut c = RunConfig::default();
        for (k, v) in [("model", "mlp4"), ("alpha", "50"), ("noise", "structured"), ("delta", "0.7"), ("order", "random"), ("h-alpha", "1")] {
            c.set(k, v).unwrap();
        }
        let mut back = RunConfig::default();
        for (k, v) in c.to_pairs() {
            back.set(k, &v).unwrap();
        }
        assert_eq!(back, c);
        assert!(c.validate().is_ok());
        assert!(c.set("model", "resnet").unwrap_err().contains("perceptron, mlp1"));
        assert!(c.set("alpha", "lots").unwrap_err().contains("not a number"));
        assert!(c.set("colour", "red").is_err());
        c.alpha = 5.0;
        assert!(c.validate().unwrap_err().contains("needs alpha >= 7"));
        // Found by the proptest in tests/hostile_input.rs: a tiny accepted delta, then a bad one.
        let tiny = format!("delta=0.{}48960909537955&delta=1120104250478538{}", "0".repeat(300), "0".repeat(100));
        let (_, notices) = RunConfig::from_query(&tiny);
        assert!(notices.len() == 1 && notices[0].chars().count() < 200, "{notices:?}");

        let (q, notices) = RunConfig::from_query("?model=mlp1&alpha=500&delta=x&colour=red&optimizer=sgd&embed=1&seed=%35");
        assert_eq!((q.model, q.alpha, q.optimizer, q.lr, q.seed), (Architecture::Mlp1, 20.0, OptimizerKind::Sgd, 0.05, 5));
        assert_eq!(notices.len(), 3, "{notices:?}");
        assert!(notices[0].contains("alpha must be 0..100") && notices[0].contains("using alpha=20"), "{notices:?}");
        assert_eq!(RunConfig::from_query(&q.to_query()).0, q);
        // Changing the optimizer as the page does gives the optimizer's rate, as the CLI and a
        // URL without lr do; changing anything else keeps a chosen rate.
        let page = RunConfig::from_query("optimizer=adam&lr=0.001").0.to_query();
        assert_eq!(RunConfig::from_query_changed(&page, "optimizer", "adadelta").0.lr, 1.0);
        assert_eq!(RunConfig::from_query_changed(&page, "optimizer", "sgd").0.lr, OptimizerKind::Sgd.default_lr());
        assert_eq!(RunConfig::from_query_changed("optimizer=sgd&lr=0.3", "alpha", "5").0.lr, 0.3);
        assert_eq!(RunConfig::from_query_changed("lr=0.3", "lr", "0.2").0.lr, 0.2);
        assert_eq!(RunConfig::from_query_changed("", "seed", "1&alpha=3").1.len(), 1, "a value cannot smuggle in another parameter");
        assert_eq!(RunConfig::from_query("%zz=%&=&&a%").1.len(), 3);
        c.alpha = 101.0;
        c.batch = 0;
        let err = c.validate().unwrap_err();
        assert!(err.contains("alpha must be") && err.contains("batch must be"), "{err}");
    }
}
