//! IDX loading on the real files, and clear errors for damaged copies of them.

mod common;

use label_noise_lab::core::data::{Dataset, FILES, PIXELS};
use label_noise_lab::core::packed;
use std::io::Write;
use std::path::{Path, PathBuf};

#[test]
fn real_mnist_and_fashion_load_with_the_published_class_counts() {
    let mnist = common::mnist();
    assert_eq!((mnist.train.len(), mnist.test.len()), (60_000, 10_000));
    assert_eq!(mnist.train.pixels.len(), 60_000 * PIXELS);
    let mut counts = [0usize; 10];
    mnist.train.labels.iter().for_each(|&l| counts[l as usize] += 1);
    assert_eq!(counts, [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
    let (mean, std) = mnist.train.pixel_moments();
    assert!((mean / 255.0 - 0.1307).abs() < 0.001 && (std / 255.0 - 0.3081).abs() < 0.001, "{mean} {std}");
    // White noise is drawn with these moments, kept as constants (to 6 significant digits).
    use label_noise_lab::core::training::{WHITE_NOISE_MEAN, WHITE_NOISE_STD};
    assert!((mean - WHITE_NOISE_MEAN as f64).abs() < 1e-4 && (std - WHITE_NOISE_STD as f64).abs() < 1e-4, "{mean} {std}");
    let fashion = common::fashion();
    assert_eq!((fashion.train.len(), fashion.test.len()), (60_000, 10_000));
    assert!(fashion.train.labels.iter().filter(|&&l| l == 3).count() == 6000);
}

/// A scratch folder with copies (raw, not gzip) of the real files that a test may damage.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lnl-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src = PathBuf::from(std::env::var_os("MNIST_DIR").expect("MNIST_DIR"));
    for stem in FILES {
        let gz = std::fs::read(src.join(format!("{stem}.gz"))).or_else(|_| std::fs::read(src.join(stem))).unwrap();
        let raw = label_noise_lab::core::data::maybe_gunzip(stem, &gz).unwrap();
        std::fs::write(dir.join(stem), raw).unwrap();
    }
    dir
}

fn load_err(dir: &Path) -> String {
    Dataset::load_dir(dir).expect_err("damaged data must not load").to_string()
}

#[test]
fn damaged_files_give_errors_that_name_the_file_and_the_problem() {
    let dir = scratch("damage");
    assert_eq!(Dataset::load_dir(&dir).unwrap().test.len(), 10_000, "raw IDX files load too");

    let labels = dir.join("t10k-labels-idx1-ubyte");
    let good = std::fs::read(&labels).unwrap();
    std::fs::write(&labels, &good[..good.len() - 100]).unwrap();
    let e = load_err(&dir);
    assert!(e.contains("t10k-labels-idx1-ubyte") && e.contains("truncated"), "{e}");

    let mut wrong = good.clone();
    wrong[3] = 0x03;
    std::fs::write(&labels, &wrong).unwrap();
    assert!(load_err(&dir).contains("wrong magic"));

    // 9,999 labels for 10,000 images.
    let mut short = good.clone();
    short[4..8].copy_from_slice(&9_999u32.to_be_bytes());
    short.pop();
    std::fs::write(&labels, &short).unwrap();
    let e = load_err(&dir);
    assert!(e.contains("9999 labels") && e.contains("10000 images"), "{e}");
    std::fs::write(&labels, &good).unwrap();

    // A truncated gzip copy of the training images.
    let images = dir.join("train-images-idx3-ubyte");
    let raw = std::fs::read(&images).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&raw).unwrap();
    let gz = gz.finish().unwrap();
    std::fs::remove_file(&images).unwrap();
    std::fs::write(dir.join("train-images-idx3-ubyte.gz"), &gz[..gz.len() / 2]).unwrap();
    let e = load_err(&dir);
    assert!(e.contains("train-images-idx3-ubyte.gz") && e.contains("gzip"), "{e}");

    std::fs::remove_file(dir.join("train-images-idx3-ubyte.gz")).unwrap();
    assert!(load_err(&dir).contains("no train-images-idx3-ubyte"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn packed_chunks_reassemble_the_real_test_set() {
    let mnist = common::mnist();
    let dir = std::env::temp_dir().join(format!("lnl-pack-{}", std::process::id()));
    let small = Dataset { train: mnist.test.clone(), test: mnist.test.clone() };
    let entry = packed::write_dataset(&dir, "mnist", &small).unwrap();
    assert_eq!(entry.chunks.iter().filter(|c| c.split == packed::SplitKind::Train).count(), 1);
    let chunks: Vec<_> = entry.chunks.iter().map(|c| packed::decode(&std::fs::read(dir.join(&c.file)).unwrap(), &c.file).unwrap()).collect();
    let test = packed::assemble(&chunks, packed::SplitKind::Test).unwrap();
    assert_eq!((test.labels, test.pixels), (mnist.test.labels.clone(), mnist.test.pixels.clone()));
    // Gzip chunks are a quarter or less of the raw bytes.
    assert!(entry.chunks[0].gzip_bytes * 4 < entry.chunks[0].count * (PIXELS + 1));
    std::fs::remove_dir_all(&dir).unwrap();
}
