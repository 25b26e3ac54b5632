//! MNIST-format datasets: IDX parsing (gzip or raw) and the in-memory `u8` image store.
//!
//! Fashion-MNIST uses the same format and loads through the same code. Every malformed input
//! becomes a [`DataError`] naming the file and the problem; nothing here panics on bad bytes.

use std::io::Read;
use std::path::{Path, PathBuf};

/// Side length of an MNIST image.
pub const SIDE: usize = 28;
/// Pixels per image.
pub const PIXELS: usize = SIDE * SIDE;
/// Number of classes (digits, or Fashion-MNIST's clothing kinds).
pub const CLASSES: usize = 10;
/// Images in the MNIST training split.
pub const TRAIN_IMAGES: usize = 60_000;
/// Images per streamed block of a split: the web's chunks (`packed`) and the step of the clean
/// pool (`noise`), so a run with n <= 10,000 clean examples needs only the first training chunk.
pub const BLOCK_IMAGES: usize = 10_000;

const IDX_IMAGES_MAGIC: u32 = 0x0000_0803;
const IDX_LABELS_MAGIC: u32 = 0x0000_0801;

#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("{file}: {source}")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{file}: {problem}")]
    Format { file: String, problem: String },
    #[error("{0}")]
    Missing(String),
}

fn format_error(file: &str, problem: impl Into<String>) -> DataError {
    DataError::Format { file: file.to_string(), problem: problem.into() }
}

/// Labelled images, pixels row-major, one `u8` per pixel.
#[derive(Clone, Debug, Default)]
pub struct Split {
    pub pixels: Vec<u8>,
    pub labels: Vec<u8>,
}

impl Split {
    pub fn new(pixels: Vec<u8>, labels: Vec<u8>) -> Result<Self, DataError> {
        if pixels.len() != labels.len() * PIXELS {
            return Err(format_error("split", format!("{} labels but {} bytes of pixels (expected {})", labels.len(), pixels.len(), labels.len() * PIXELS)));
        }
        if let Some(bad) = labels.iter().find(|&&l| l as usize >= CLASSES) {
            return Err(format_error("split", format!("label {bad} is not a class 0..9")));
        }
        Ok(Self { pixels, labels })
    }

    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    pub fn image(&self, index: usize) -> &[u8] {
        &self.pixels[index * PIXELS..(index + 1) * PIXELS]
    }

    /// Mean and standard deviation of all pixel values (0..255 scale).
    pub fn pixel_moments(&self) -> (f64, f64) {
        let mut histogram = [0u64; 256];
        for &p in &self.pixels {
            histogram[p as usize] += 1;
        }
        let count = self.pixels.len().max(1) as f64;
        let mean = histogram.iter().enumerate().map(|(v, &c)| v as f64 * c as f64).sum::<f64>() / count;
        let var = histogram.iter().enumerate().map(|(v, &c)| (v as f64 - mean).powi(2) * c as f64).sum::<f64>() / count;
        (mean, var.sqrt())
    }
}

/// A dataset in MNIST layout: 60,000 training and 10,000 test images for the real files.
#[derive(Clone, Debug, Default)]
pub struct Dataset {
    pub train: Split,
    pub test: Split,
}

/// The four standard file stems of an MNIST-format folder.
pub const FILES: [&str; 4] = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"];

impl Dataset {
    /// Loads the four IDX files from `dir`, each either raw or with a `.gz` suffix.
    pub fn load_dir(dir: impl AsRef<Path>) -> Result<Self, DataError> {
        let dir = dir.as_ref();
        let read = |stem: &str| -> Result<(String, Vec<u8>), DataError> {
            let path = find_file(dir, stem)?;
            let name = path.display().to_string();
            let bytes = std::fs::read(&path).map_err(|source| DataError::Io { file: name.clone(), source })?;
            Ok((name, bytes))
        };
        let split = |images: &str, labels: &str| -> Result<Split, DataError> {
            let (image_file, image_bytes) = read(images)?;
            let (label_file, label_bytes) = read(labels)?;
            let pixels = parse_idx_images(&maybe_gunzip(&image_file, &image_bytes)?, &image_file)?;
            let labels = parse_idx_labels(&maybe_gunzip(&label_file, &label_bytes)?, &label_file)?;
            if pixels.len() != labels.len() * PIXELS {
                return Err(format_error(&label_file, format!("{} labels but {} has {} images", labels.len(), image_file, pixels.len() / PIXELS)));
            }
            Split::new(pixels, labels).map_err(|e| format_error(&label_file, e.to_string()))
        };
        Ok(Self { train: split(FILES[0], FILES[1])?, test: split(FILES[2], FILES[3])? })
    }

    /// Loads from the folder named by an environment variable (`MNIST_DIR`, `FASHION_MNIST_DIR`).
    pub fn from_env(var: &str) -> Result<Self, DataError> {
        let dir = std::env::var_os(var).ok_or_else(|| DataError::Missing(format!("{var} is not set: point it at a folder with the four IDX files (run ./build.sh data to download them)")))?;
        Self::load_dir(PathBuf::from(dir))
    }
}

fn find_file(dir: &Path, stem: &str) -> Result<PathBuf, DataError> {
    for name in [format!("{stem}.gz"), stem.to_string()] {
        let path = dir.join(name);
        if path.is_file() {
            return Ok(path);
        }
    }
    Err(DataError::Missing(format!("{}: no {stem} or {stem}.gz in this folder", dir.display())))
}

/// Decompresses gzip data (recognised by its magic bytes); returns other data unchanged.
pub fn maybe_gunzip(file: &str, bytes: &[u8]) -> Result<Vec<u8>, DataError> {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(bytes).read_to_end(&mut out).map_err(|e| format_error(file, format!("broken gzip stream ({e})")))?;
        Ok(out)
    } else {
        Ok(bytes.to_vec())
    }
}

fn read_u32(bytes: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

/// Parses an IDX3 image file of 28x28 `u8` images; returns the pixels of all images.
pub fn parse_idx_images(bytes: &[u8], file: &str) -> Result<Vec<u8>, DataError> {
    if bytes.len() < 16 {
        return Err(format_error(file, format!("truncated header: {} bytes, an IDX image file needs 16", bytes.len())));
    }
    let magic = read_u32(bytes, 0);
    if magic != IDX_IMAGES_MAGIC {
        return Err(format_error(file, format!("wrong magic number {magic:#010x}, expected {IDX_IMAGES_MAGIC:#010x} (IDX u8 images)")));
    }
    let (count, rows, cols) = (read_u32(bytes, 4) as usize, read_u32(bytes, 8) as usize, read_u32(bytes, 12) as usize);
    if rows != SIDE || cols != SIDE {
        return Err(format_error(file, format!("images are {rows}x{cols}, expected {SIDE}x{SIDE}")));
    }
    let expected = count.checked_mul(PIXELS).and_then(|n| n.checked_add(16));
    match expected {
        Some(len) if len == bytes.len() => Ok(bytes[16..].to_vec()),
        Some(len) if len > bytes.len() => Err(format_error(file, format!("truncated: header says {count} images ({len} bytes) but the file has {} bytes", bytes.len()))),
        _ => Err(format_error(file, format!("length mismatch: header says {count} images but the file has {} bytes", bytes.len()))),
    }
}

/// Parses an IDX1 label file; every label must be a class 0..9.
pub fn parse_idx_labels(bytes: &[u8], file: &str) -> Result<Vec<u8>, DataError> {
    if bytes.len() < 8 {
        return Err(format_error(file, format!("truncated header: {} bytes, an IDX label file needs 8", bytes.len())));
    }
    let magic = read_u32(bytes, 0);
    if magic != IDX_LABELS_MAGIC {
        return Err(format_error(file, format!("wrong magic number {magic:#010x}, expected {IDX_LABELS_MAGIC:#010x} (IDX u8 labels)")));
    }
    let count = read_u32(bytes, 4) as usize;
    let body = &bytes[8..];
    if body.len() < count {
        return Err(format_error(file, format!("truncated: header says {count} labels but the file has {}", body.len())));
    }
    if body.len() > count {
        return Err(format_error(file, format!("length mismatch: header says {count} labels but the file has {}", body.len())));
    }
    if let Some(pos) = body.iter().position(|&l| l as usize >= CLASSES) {
        return Err(format_error(file, format!("label {} at index {pos} is not a class 0..9", body[pos])));
    }
    Ok(body.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn images_file(count: u32) -> Vec<u8> {
        let mut bytes = Vec::new();
        for v in [IDX_IMAGES_MAGIC, count, 28, 28] {
            bytes.extend_from_slice(&v.to_be_bytes());
        }
        bytes.extend((0..count as usize * PIXELS).map(|i| i as u8));
        bytes
    }

    #[test]
    fn parses_a_valid_image_file() {
        let pixels = parse_idx_images(&images_file(3), "x").unwrap();
        assert_eq!(pixels.len(), 3 * PIXELS);
        assert_eq!(pixels[5], 5);
    }

    #[test]
    fn rejects_truncated_wrong_magic_and_wrong_size() {
        let mut file = images_file(3);
        file.pop();
        let err = parse_idx_images(&file, "imgs.idx").unwrap_err().to_string();
        assert!(err.contains("imgs.idx") && err.contains("truncated"), "{err}");

        let mut file = images_file(1);
        file[3] = 0x01;
        assert!(parse_idx_images(&file, "x").unwrap_err().to_string().contains("wrong magic"));

        let mut file = images_file(1);
        file[11] = 27;
        assert!(parse_idx_images(&file, "x").unwrap_err().to_string().contains("27x28"));

        assert!(parse_idx_images(&[0, 0], "x").unwrap_err().to_string().contains("truncated header"));
        let mut long = images_file(1);
        long.push(0);
        assert!(parse_idx_images(&long, "x").unwrap_err().to_string().contains("length mismatch"));
    }

    #[test]
    fn rejects_bad_labels() {
        let mut file = Vec::new();
        file.extend_from_slice(&IDX_LABELS_MAGIC.to_be_bytes());
        file.extend_from_slice(&3u32.to_be_bytes());
        file.extend_from_slice(&[1, 2, 3]);
        assert_eq!(parse_idx_labels(&file, "l").unwrap(), vec![1, 2, 3]);
        file[9] = 12;
        assert!(parse_idx_labels(&file, "l").unwrap_err().to_string().contains("label 12 at index 1"));
        assert!(parse_idx_labels(&file[..10], "l").unwrap_err().to_string().contains("truncated"));
    }

    #[test]
    fn broken_gzip_is_an_error() {
        let err = maybe_gunzip("f.gz", &[0x1f, 0x8b, 8, 0, 0, 0]).unwrap_err().to_string();
        assert!(err.contains("f.gz") && err.contains("gzip"), "{err}");
    }
}
