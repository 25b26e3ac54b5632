//! Hostile input, generated: URL queries (what a hand-edited link can hold) and data files
//! (what a broken download or a corrupted cache can hold). Neither may panic; a query always
//! gives a valid configuration. Failures proptest finds are kept in `tests/regressions/`.
#![cfg(not(target_arch = "wasm32"))]

use label_noise_lab::core::data::{self, PIXELS};
use label_noise_lab::core::packed::{self, SplitKind};
use label_noise_lab::params::{self, PARAMETERS};
use proptest::prelude::*;
use std::path::Path;

/// Values a user (or an attacker) could put in a query: numbers of every shape, words, markup,
/// broken percent-encoding, unicode and very long strings.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<f64>().prop_map(|v| v.to_string()),
        any::<i64>().prop_map(|v| v.to_string()),
        any::<u64>().prop_map(|v| format!("{v}{v}{v}")),
        Just("NaN".to_string()),
        Just("-inf".to_string()),
        Just("1e999".to_string()),
        Just("0x10".to_string()),
        Just("%".to_string()),
        Just("%zz%4".to_string()),
        Just("<script>alert(1)</script>".to_string()),
        Just("%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E".to_string()),
        Just("true".to_string()),
        Just("mlp4".to_string()),
        Just("structured".to_string()),
        "\\PC{0,12}",
        "[a-z]{1,8}",
        (1usize..3).prop_map(|k| "9".repeat(k * 50_000)),
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::sample::select(PARAMETERS.iter().map(|p| p.name.to_string()).collect::<Vec<_>>()),
        1 => Just("embed".to_string()),
        1 => "\\PC{0,10}",
        1 => Just("<b>x</b>".to_string()),
    ]
}

fn query() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::collection::vec((key(), value()), 0..12)
            .prop_map(|pairs| pairs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&")),
        1 => "\\PC{0,200}",
        1 => proptest::collection::vec(any::<u8>(), 0..300).prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_query_gives_a_valid_configuration_and_short_notices(q in query()) {
        let (config, notices) = params::from_query(&q);
        prop_assert!(config.validate().is_ok(), "{q:?} gave an invalid {config:?}");
        // The configuration round-trips through its own query without a word.
        let (again, quiet) = params::from_query(&params::to_query(&config));
        prop_assert_eq!(&again, &config);
        prop_assert!(quiet.is_empty(), "{:?}", quiet);
        // Notices quote the URL, but never at length (a 100 kB value must not flood the page).
        for n in &notices {
            prop_assert!(n.chars().count() < 400, "notice of {} chars", n.chars().count());
        }
    }
}

fn real_chunk() -> Vec<u8> {
    let labels: Vec<u8> = (0..20).map(|i| (i % 10) as u8).collect();
    let pixels: Vec<u8> = (0..20 * PIXELS).map(|i| (i * 31 % 256) as u8).collect();
    packed::encode(SplitKind::Train, 0, &labels, &pixels)
}

fn real_idx_labels() -> Vec<u8> {
    let mut bytes = vec![0, 0, 8, 1, 0, 0, 0, 5];
    bytes.extend([1, 2, 3, 4, 5]);
    bytes
}

/// A damaged copy of `bytes`: flipped bytes, a cut, or bytes appended; sometimes gzip'd first.
fn damaged(base: fn() -> Vec<u8>) -> impl Strategy<Value = Vec<u8>> {
    (any::<bool>(), proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..8), prop::option::of(any::<prop::sample::Index>()), proptest::collection::vec(any::<u8>(), 0..4))
        .prop_map(move |(gzip, flips, cut, tail)| {
            let mut bytes = base();
            if gzip {
                bytes = gzipped(&bytes);
            }
            for (at, v) in flips {
                let i = at.index(bytes.len());
                bytes[i] = v;
            }
            if let Some(at) = cut {
                bytes.truncate(at.index(bytes.len() + 1));
            }
            bytes.extend(tail);
            bytes
        })
}

fn gzipped(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// Both parsers on one input: no panic, and whatever they accept is consistent.
fn parse_everything(bytes: &[u8]) {
    if let Ok(chunk) = packed::decode(bytes, "fuzz.lnl.gz") {
        assert_eq!(chunk.pixels.len(), chunk.labels.len() * PIXELS);
        assert!(chunk.labels.iter().all(|&y| y < 10));
    }
    let _ = data::parse_idx_labels(bytes, "fuzz-labels.gz");
    let _ = data::parse_idx_images(bytes, "fuzz-images.gz");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn damaged_packed_chunks_never_panic(bytes in damaged(real_chunk)) {
        parse_everything(&bytes);
    }

    #[test]
    fn damaged_idx_files_never_panic(bytes in damaged(real_idx_labels)) {
        parse_everything(&bytes);
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
        parse_everything(&bytes);
    }
}

/// Inputs that once broke a parser (add a file here whenever the fuzzing above finds one).
#[test]
fn kept_regressions_still_parse_without_panicking() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/regressions");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        parse_everything(&std::fs::read(&path).unwrap());
        seen += 1;
    }
    assert!(seen > 0, "no regression inputs in {}", dir.display());
}
