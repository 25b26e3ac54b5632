//! The one parameter table. Each run parameter's name (the CLI's `--flag`, the URL's `name=`,
//! the page's `#param-name` control), kind, allowed values, help and text form are written here
//! once; the CLI builds its flags from it, the page gets it from the wasm (`parameters()`), and
//! URL queries are read and written through it. Ranges are `core::config::limits`.

use crate::core::config::{LrSchedule, NoiseKind, RunConfig, limits};
use crate::core::method::{Method, Transition};
use crate::core::model::Architecture;
use crate::core::noise::{NoisyImages, Order};
use crate::core::optim::OptimizerKind;
use serde::Serialize;
use std::str::FromStr;
use strum::VariantNames;

/// What values a parameter takes (what the page's control and the CLI's help show).
#[derive(Clone, Copy, Debug, Serialize)]
#[serde(rename_all = "lowercase", tag = "kind")]
pub enum Kind {
    /// One of these names.
    Choice { choices: &'static [&'static str] },
    /// A whole number in `min..=max`.
    Integer { min: u64, max: u64 },
    /// A number in `min..=max` (above `min`, if `min_open`).
    Real { min: f64, max: f64, min_open: bool },
    /// On or off (`true`/`false`, `1`/`0`, `on`/`off`).
    Flag,
}

/// One run parameter.
pub struct Parameter {
    pub name: &'static str,
    pub help: &'static str,
    pub kind: Kind,
    /// The parameter whose value sets this one's default (`lr` follows `optimizer`): a query or
    /// a command line without this one gets that default, and changing the leader resets it.
    pub follows: Option<&'static str>,
    /// (parameter, test): this one matters only when the test holds (`width` only for models
    /// with hidden layers); the page disables its control otherwise.
    applies: Option<(&'static str, Condition)>,
    read: fn(&RunConfig) -> String,
    write: fn(&mut RunConfig, &str) -> Result<(), String>,
    /// Sets the value implied by the leader (only for parameters that follow one).
    reset: fn(&mut RunConfig),
}

/// A test of a configuration: does a parameter apply to it.
type Condition = fn(&RunConfig) -> bool;

/// A field's text form and parsing, with messages naming the parameter.
trait Text: Sized {
    fn text(&self) -> String;
    fn parse(name: &str, text: &str) -> Result<Self, String>;
}

fn number<T: FromStr>(name: &str, text: &str) -> Result<T, String> {
    let t = text.trim();
    t.parse::<T>().map_err(|_| if t.starts_with('-') && t[1..].parse::<f64>().is_ok() { format!("{name}: {text:?} must not be negative") } else { format!("{name}: {text:?} is not a number") })
}

macro_rules! numbers {
    ($($t:ty),*) => {$(
        impl Text for $t {
            fn text(&self) -> String {
                self.to_string()
            }
            fn parse(name: &str, text: &str) -> Result<Self, String> {
                number(name, text)
            }
        }
    )*};
}
numbers!(usize, u64, f64);

impl Text for bool {
    fn text(&self) -> String {
        self.to_string()
    }
    fn parse(name: &str, text: &str) -> Result<Self, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "on" => Ok(true),
            "false" | "0" | "off" => Ok(false),
            _ => Err(format!("{name}: {text:?} is not one of true, false")),
        }
    }
}

/// A named enum from its text (any case), or a message listing the names.
pub fn choice<T: FromStr + VariantNames>(name: &str, text: &str) -> Result<T, String> {
    text.trim().parse::<T>().map_err(|_| format!("{name}: {text:?} is not one of {}", T::VARIANTS.join(", ")))
}

macro_rules! choices {
    ($($t:ty),*) => {$(
        impl Text for $t {
            fn text(&self) -> String {
                <&str>::from(*self).to_string()
            }
            fn parse(name: &str, text: &str) -> Result<Self, String> {
                choice(name, text)
            }
        }
    )*};
}
choices!(Architecture, NoiseKind, Order, NoisyImages, OptimizerKind, Method, Transition, LrSchedule);

/// A table row for a field of [`RunConfig`]: its text form comes from the field's type.
macro_rules! param {
    ($name:literal, $field:ident, $kind:expr, $help:literal $(, follows $leader:literal => $reset:expr)? $(, applies $on:literal => $when:expr)?) => {
        Parameter {
            name: $name,
            help: $help,
            kind: $kind,
            follows: param!(@leader $($leader)?),
            applies: param!(@applies $($on => $when)?),
            read: |c| Text::text(&c.$field),
            write: |c, text| {
                c.$field = Text::parse($name, text)?;
                Ok(())
            },
            reset: |_c| { $(($reset)(_c))? },
        }
    };
    (@leader) => { None };
    (@leader $leader:literal) => { Some($leader) };
    (@applies) => { None };
    (@applies $on:literal => $when:expr) => { Some(($on, $when)) };
}

const fn integer(range: std::ops::RangeInclusive<u64>) -> Kind {
    Kind::Integer { min: *range.start(), max: *range.end() }
}

const fn real(range: std::ops::RangeInclusive<f64>, min_open: bool) -> Kind {
    Kind::Real { min: *range.start(), max: *range.end(), min_open }
}

/// Every parameter, in display order.
pub const PARAMETERS: &[Parameter] = &[
    param!("model", model, Kind::Choice { choices: Architecture::VARIANTS }, "the network: a perceptron, an MLP with 1, 2 or 4 hidden layers, or a conv net with 2 or 4 layers"),
    param!("width", width, integer(limits::WIDTH), "hidden units per dense layer", applies "model" => |c: &RunConfig| c.model.uses_width()),
    param!("clean", clean, integer(limits::CLEAN), "clean training examples n"),
    param!("alpha", alpha, real(limits::ALPHA, false), "noisy examples per clean example", applies "noise" => |c: &RunConfig| !c.noise.is_flip()),
    param!("noise", noise, Kind::Choice { choices: NoiseKind::VARIANTS }, "where noisy examples come from"),
    param!("delta", delta, real(limits::DELTA, false), "structured noise strength (needs alpha >= 10*delta)", applies "noise" => |c: &RunConfig| c.noise == NoiseKind::Structured),
    param!("order", order, Kind::Choice { choices: Order::VARIANTS }, "structured noise: which wrong classes get the most noise", applies "noise" => |c: &RunConfig| c.noise == NoiseKind::Structured),
    param!("epsilon", epsilon, real(limits::EPSILON, false), "flip noise: the share of clean labels replaced by a wrong one", applies "noise" => |c: &RunConfig| c.noise.is_flip()),
    param!("noisy-images", noisy_images, Kind::Choice { choices: NoisyImages::VARIANTS }, "noisy examples re-use the clean images or use never-seen ones", applies "noise" => |c: &RunConfig| !c.noise.is_flip()),
    param!("optimizer", optimizer, Kind::Choice { choices: OptimizerKind::VARIANTS }, "the optimizer"),
    param!("lr", lr, real(limits::LR, true), "learning rate", follows "optimizer" => |c: &mut RunConfig| c.lr = c.optimizer.default_lr()),
    param!("lr-schedule", lr_schedule, Kind::Choice { choices: LrSchedule::VARIANTS }, "the learning rate over the run: linear decay to zero, or constant"),
    param!("batch", batch, integer(limits::BATCH), "batch size"),
    param!("epochs", epochs, integer(limits::EPOCHS), "epochs"),
    param!("h-alpha", h_alpha, Kind::Flag, "train with the infinite-batch loss H_alpha"),
    param!(
        "method",
        method,
        Kind::Choice { choices: Method::VARIANTS },
        "the training method: cross-entropy (the paper's), label smoothing, soft bootstrapping, generalized cross-entropy, forward correction or co-teaching"
    ),
    param!("smoothing", smoothing, real(limits::SHARE, false), "label smoothing: the share a of the target spread over all classes", applies "method" => |c: &RunConfig| c.method == Method::Smoothing),
    param!("bootstrap-beta", bootstrap_beta, real(limits::SHARE, false), "soft bootstrapping: the given label's weight beta in the target (the rest is the prediction)", applies "method" => |c: &RunConfig| c.method == Method::Bootstrap),
    param!("gce-q", gce_q, real(limits::GCE_Q, true), "generalized cross-entropy: q (towards 0 cross-entropy, 1 the mean absolute error)", applies "method" => |c: &RunConfig| c.method == Method::Gce),
    param!("transition", transition, Kind::Choice { choices: Transition::VARIANTS }, "forward correction: the generator's transition matrix, or one estimated from a first plain run (twice the training)", applies "method" => |c: &RunConfig| c.method == Method::Forward),
    param!("forget-epochs", forget_epochs, real(limits::FORGET_EPOCHS, false), "co-teaching: epochs over which the dropped share ramps up to the noise rate", applies "method" => |c: &RunConfig| c.method == Method::Coteach),
    param!("seed", seed, integer(limits::SEED), "seed of every random choice"),
];

/// Query parameters that belong to the page, not to a run: `embed` (compact view), `autostart`,
/// `hide` (controls to hide, comma separated; their values stay in the URL), `view=chart` (the
/// chart alone) and the story's `section`.
pub const PAGE_ONLY: &[&str] = &["embed", "autostart", "hide", "view", "section"];

pub fn parameter(name: &str) -> Option<&'static Parameter> {
    PARAMETERS.iter().find(|p| p.name == name)
}

impl Parameter {
    /// This parameter's value in `config`, as text that [`set`] reads back.
    pub fn get(&self, config: &RunConfig) -> String {
        (self.read)(config)
    }

    /// The default: [`RunConfig::default`]'s, or for a follower the leader's default's.
    pub fn default_text(&self) -> String {
        self.get(&RunConfig::default())
    }

    /// For a follower: (leader's value, this parameter's default then), for every leader choice.
    pub fn defaults_by_leader(&self) -> Vec<(&'static str, String)> {
        for_each_choice(self.follows, |c| {
            (self.reset)(c);
            Some(self.get(c))
        })
    }

    /// (parameter, its choices for which this one applies), if it applies only sometimes.
    pub fn applies_when(&self) -> Option<(&'static str, Vec<&'static str>)> {
        let (on, test) = self.applies?;
        Some((on, for_each_choice(Some(on), |c| test(c).then_some(())).into_iter().map(|(choice, ())| choice).collect()))
    }
}

/// `f` of a default configuration with parameter `name` set to each of its choices, where it
/// gives something.
fn for_each_choice<T>(name: Option<&str>, mut f: impl FnMut(&mut RunConfig) -> Option<T>) -> Vec<(&'static str, T)> {
    let Some(p) = name.and_then(parameter) else {
        return Vec::new();
    };
    let Kind::Choice { choices } = p.kind else {
        return Vec::new();
    };
    choices
        .iter()
        .filter_map(|&choice| {
            let mut c = RunConfig::default();
            (p.write)(&mut c, choice).expect("a parameter's own choice parses");
            f(&mut c).map(|t| (choice, t))
        })
        .collect()
}

/// Sets one parameter from its text form (types only; ranges are [`RunConfig::validate`]'s job).
pub fn set(config: &mut RunConfig, name: &str, text: &str) -> Result<(), String> {
    let p = parameter(name).ok_or_else(|| format!("unknown parameter {name:?}"))?;
    (p.write)(config, text)
}

/// The parameters as `(name, text)` pairs, in table order: what [`set`] reads back.
pub fn pairs(config: &RunConfig) -> Vec<(&'static str, String)> {
    PARAMETERS.iter().map(|p| (p.name, p.get(config))).collect()
}

/// The parameters that matter only for `leader`'s value in `config` (under `method = coteach`,
/// `forget-epochs`), as `(name, text)` pairs in table order.
pub fn own_parameters(config: &RunConfig, leader: &str) -> Vec<(&'static str, String)> {
    PARAMETERS.iter().filter(|p| p.applies.is_some_and(|(on, test)| on == leader && test(config))).map(|p| (p.name, p.get(config))).collect()
}

/// The parameters whose values differ between `a` and `b`, as `(name, a's, b's)`, leaving out
/// those that apply to neither run: co-teaching's ramp is no difference between two
/// cross-entropy runs (a run saved before its default changed still resumes).
pub fn differences(a: &RunConfig, b: &RunConfig) -> Vec<(&'static str, String, String)> {
    PARAMETERS
        .iter()
        .filter(|p| p.applies.is_none_or(|(_, test)| test(a) || test(b)))
        .filter_map(|p| {
            let (x, y) = (p.get(a), p.get(b));
            (x != y).then_some((p.name, x, y))
        })
        .collect()
}

/// The configuration as a URL query, parameters in table order (the page encodes its own).
pub fn to_query(config: &RunConfig) -> String {
    form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs(config)).finish()
}

/// Every follower not `given` takes the default its leader's value implies (the URL reader and
/// the CLI both end with this).
pub fn follow_defaults(config: &mut RunConfig, given: impl Fn(&str) -> bool) {
    for p in PARAMETERS.iter().filter(|p| p.follows.is_some() && !given(p.name)) {
        (p.reset)(config);
    }
}

/// Reads a URL query (`model=mlp1&alpha=20&...`) leniently: every unknown, malformed or
/// out-of-range parameter is skipped with a notice saying why, so the result is always a valid
/// configuration. [`PAGE_ONLY`] parameters are left to the page.
pub fn from_query(query: &str) -> (RunConfig, Vec<String>) {
    from_pairs(query_pairs(query))
}

/// [`from_query`] of `query` with one parameter changed, as a control changes it: parameters that
/// follow the changed one go back to their default, as when the CLI or a hand-written URL leaves
/// them out (a new optimizer gets its own rate).
pub fn from_query_changed(query: &str, name: &str, value: &str) -> (RunConfig, Vec<String>) {
    let follows = |key: &str| parameter(key).is_some_and(|p| p.follows == Some(name));
    let kept = query_pairs(query).filter(|(key, _)| !follows(key));
    from_pairs(kept.chain(std::iter::once((name.to_string(), value.to_string()))))
}

/// The decoded (name, value) pairs of a URL query (`+` is a space; invalid UTF-8 becomes U+FFFD).
fn query_pairs(query: &str) -> impl Iterator<Item = (String, String)> + '_ {
    form_urlencoded::parse(query.trim_start_matches('?').as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned()))
}

/// Defaults, then each (name, value) in order; a bad one is a notice and keeps the previous value.
fn from_pairs(pairs: impl Iterator<Item = (String, String)>) -> (RunConfig, Vec<String>) {
    let mut config = RunConfig::default();
    let mut notices = Vec::new();
    let mut given = Vec::new();
    for (key, value) in pairs {
        if PAGE_ONLY.contains(&key.as_str()) {
            continue;
        }
        let Some(p) = parameter(&key) else {
            notices.push(format!("unknown parameter {:?} ignored", clip(&key)));
            continue;
        };
        let before = config.clone();
        match (p.write)(&mut config, &value).and_then(|_| config.validate()) {
            Ok(()) => given.push(key),
            Err(e) => {
                // The kept value is clipped too: an accepted 1e-300 prints as 300 digits.
                notices.push(format!("{} (using {key}={})", clip(&e), clip(&p.get(&before))));
                config = before;
            }
        }
    }
    follow_defaults(&mut config, |name| given.iter().any(|k| k == name));
    (config, notices)
}

/// Shortens user text quoted back in a notice.
fn clip(s: &str) -> String {
    if s.chars().count() > 60 { format!("{}...", s.chars().take(60).collect::<String>()) } else { s.to_string() }
}

/// The table as the page reads it: name, help, kind with its values, default, leader.
#[derive(Serialize)]
pub struct Description {
    pub name: &'static str,
    pub help: &'static str,
    #[serde(flatten)]
    pub kind: Kind,
    pub default: String,
    pub follows: Option<&'static str>,
    /// For a follower: its default for each of the leader's choices.
    pub defaults: Vec<(&'static str, String)>,
    /// `{on, values}`: this parameter matters only while `on` has one of `values`.
    pub applies: Option<Applies>,
}

#[derive(Serialize)]
pub struct Applies {
    pub on: &'static str,
    pub values: Vec<&'static str>,
}

pub fn describe() -> Vec<Description> {
    PARAMETERS
        .iter()
        .map(|p| Description {
            name: p.name,
            help: p.help,
            kind: p.kind,
            default: p.default_text(),
            follows: p.follows,
            defaults: p.defaults_by_leader(),
            applies: p.applies_when().map(|(on, values)| Applies { on, values }),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_pairs_and_reads_queries_leniently() {
        let mut c = RunConfig::default();
        for (k, v) in [("model", "mlp4"), ("alpha", "50"), ("noise", "structured"), ("delta", "0.7"), ("order", "random"), ("h-alpha", "1")] {
            set(&mut c, k, v).unwrap();
        }
        let mut back = RunConfig::default();
        for (k, v) in pairs(&c) {
            set(&mut back, k, &v).unwrap();
        }
        assert_eq!(back, c);
        assert!(c.validate().is_ok());
        assert!(set(&mut c, "model", "resnet").unwrap_err().contains("perceptron, mlp1"));
        assert!(set(&mut c, "alpha", "lots").unwrap_err().contains("not a number"));
        assert!(set(&mut c, "width", "-3").unwrap_err().contains("must not be negative"));
        assert!(set(&mut c, "colour", "red").is_err());
        set(&mut c, "model", " MLP1").unwrap();
        assert_eq!(c.model, Architecture::Mlp1, "names in any case");
        // Found by the proptest in tests/hostile_input.rs: a tiny accepted delta, then a bad one.
        let tiny = format!("delta=0.{}48960909537955&delta=1120104250478538{}", "0".repeat(300), "0".repeat(100));
        let (_, notices) = from_query(&tiny);
        assert!(notices.len() == 1 && notices[0].chars().count() < 200, "{notices:?}");

        let (q, notices) = from_query("?model=mlp1&alpha=500&delta=x&colour=red&optimizer=sgd&embed=1&seed=%35");
        assert_eq!((q.model, q.alpha, q.optimizer, q.lr, q.seed), (Architecture::Mlp1, 20.0, OptimizerKind::Sgd, 0.05, 5));
        assert_eq!(notices.len(), 3, "{notices:?}");
        assert!(notices[0].contains("alpha must be 0..100") && notices[0].contains("using alpha=20"), "{notices:?}");
        assert_eq!(from_query(&to_query(&q)).0, q);
        // Changing the optimizer as the page does gives the optimizer's rate, as the CLI and a
        // URL without lr do; changing anything else keeps a chosen rate.
        let page = to_query(&from_query("optimizer=adam&lr=0.001").0);
        assert_eq!(from_query_changed(&page, "optimizer", "adadelta").0.lr, 1.0);
        assert_eq!(from_query_changed(&page, "optimizer", "sgd").0.lr, OptimizerKind::Sgd.default_lr());
        assert_eq!(from_query_changed("optimizer=sgd&lr=0.3", "alpha", "5").0.lr, 0.3);
        assert_eq!(from_query_changed("lr=0.3", "lr", "0.2").0.lr, 0.2);
        assert_eq!(from_query_changed("", "seed", "1&alpha=3").1.len(), 1, "a value cannot smuggle in another parameter");
        assert_eq!(from_query("%zz=%&=&&a%").1.len(), 3);
        assert_eq!(from_query("noise=white+").0.noise, NoiseKind::White, "+ is a space");
    }

    #[test]
    fn the_table_covers_every_field_and_describes_itself() {
        // Every field is in the table: setting each parameter to a non-default value changes
        // exactly one field of the serialized configuration.
        let defaults = serde_json::to_value(RunConfig::default()).unwrap();
        assert_eq!(defaults.as_object().unwrap().len(), PARAMETERS.len());
        for p in PARAMETERS {
            let other = match p.kind {
                Kind::Choice { choices } => choices.iter().find(|&&c| c != p.default_text()).unwrap().to_string(),
                Kind::Integer { max, .. } => max.to_string(),
                Kind::Real { max, .. } => (max / 2.0 + 0.25).to_string(),
                Kind::Flag => "true".into(),
            };
            let mut c = RunConfig::default();
            set(&mut c, p.name, &other).unwrap();
            let changed = serde_json::to_value(&c).unwrap();
            let diff: Vec<_> = changed.as_object().unwrap().iter().filter(|(k, v)| defaults[k.as_str()] != **v).map(|(k, _)| k.clone()).collect();
            assert_eq!(diff, vec![p.name.to_string()], "{} sets its own field (serde names it the same)", p.name);
        }
        let lr = parameter("lr").unwrap();
        assert_eq!(lr.defaults_by_leader(), vec![("sgd", "0.05".into()), ("adam", "0.001".into()), ("adadelta", "1".into())]);
        let json = serde_json::to_value(describe()).unwrap();
        assert_eq!(json[1]["name"], "width");
        assert_eq!((json[1]["kind"].as_str(), json[1]["min"].as_u64(), json[1]["max"].as_u64()), (Some("integer"), Some(1), Some(2048)));
        assert_eq!(json[0]["choices"][3], "mlp4");
        assert_eq!(json[10]["name"], "lr");
        assert_eq!(json[10]["min_open"], true);
        assert_eq!(json[3]["applies"]["values"], serde_json::json!(["uniform", "structured", "fashion", "white"]), "alpha: the diluted sets");
        let gce = json.as_array().unwrap().iter().find(|p| p["name"] == "gce-q").unwrap();
        assert_eq!((gce["applies"]["on"].as_str(), gce["applies"]["values"][0].as_str(), gce["default"].as_str()), (Some("method"), Some("gce"), Some("0.7")));
        assert_eq!(json[1]["applies"]["on"], "model");
        assert_eq!(json[1]["applies"]["values"], serde_json::json!(["mlp1", "mlp2", "mlp4", "conv4"]), "width: the models with hidden layers");
        assert_eq!(json[5]["applies"]["values"], serde_json::json!(["structured"]));
        assert!(json[2]["applies"].is_null());
    }

    #[test]
    fn enum_names_agree_between_serde_and_strum() {
        fn check<T: Serialize + strum::VariantArray + Copy + Into<&'static str>>() {
            for v in T::VARIANTS {
                assert_eq!(serde_json::to_value(v).unwrap(), Into::<&str>::into(*v));
            }
        }
        check::<Architecture>();
        check::<NoiseKind>();
        check::<Order>();
        check::<NoisyImages>();
        check::<OptimizerKind>();
        check::<Method>();
        check::<Transition>();
        check::<crate::core::backend::Backend>();
        check::<crate::experiments::Preset>();
        check::<crate::experiments::Scale>();
        check::<crate::experiments::Axis>();
    }
}
