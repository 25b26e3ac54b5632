//! The packed form the web page fetches: a dataset cut into gzip-compressed chunks plus a
//! `manifest.json`, so the page can load the test set and the first training chunk first and
//! stream the rest.
//!
//! One chunk, before gzip (all integers little-endian):
//!
//! | bytes | field |
//! |---|---|
//! | 0..4 | magic `LNL1` |
//! | 4..8 | `count`: images in this chunk (u32) |
//! | 8..12 | `first`: index of the chunk's first image in the whole split (u32) |
//! | 12 | split: 0 = train, 1 = test |
//! | 13..16 | reserved, zero |
//! | 16..16+count | labels, one `u8` (0..9) each |
//! | then count*784 | pixels, `u8`, image after image, row-major |
//!
//! Files are named `{dataset}-{split}-{nn}.lnl.gz`; the worker hands the fetched bytes to
//! [`decode`], which gunzips them in Rust (flate2): the gzip CRC catches corrupted bytes.

use crate::core::data::{BLOCK_IMAGES, DataError, Dataset, PIXELS, Split};
use serde::{Deserialize, Serialize};
use std::io::Write;

pub const MAGIC: &[u8; 4] = b"LNL1";
pub const HEADER_BYTES: usize = 16;
/// Images per chunk (about 1.6 MB of gzip): a block of the split (see [`BLOCK_IMAGES`]).
pub const CHUNK_IMAGES: usize = BLOCK_IMAGES;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SplitKind {
    Train,
    Test,
}

/// One decoded chunk: images `first..first+labels.len()` of a split.
#[derive(Clone, Debug, PartialEq)]
pub struct Chunk {
    pub split: SplitKind,
    pub first: usize,
    pub labels: Vec<u8>,
    pub pixels: Vec<u8>,
}

pub fn encode(split: SplitKind, first: usize, labels: &[u8], pixels: &[u8]) -> Vec<u8> {
    assert_eq!(pixels.len(), labels.len() * PIXELS, "pixels and labels disagree");
    let mut out = Vec::with_capacity(HEADER_BYTES + labels.len() * (PIXELS + 1));
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(labels.len() as u32).to_le_bytes());
    out.extend_from_slice(&(first as u32).to_le_bytes());
    out.push(match split {
        SplitKind::Train => 0,
        SplitKind::Test => 1,
    });
    out.extend_from_slice(&[0, 0, 0]);
    out.extend_from_slice(labels);
    out.extend_from_slice(pixels);
    out
}

/// Decodes an uncompressed chunk (gzip is undone by the caller, or here if still present).
pub fn decode(bytes: &[u8], file: &str) -> Result<Chunk, DataError> {
    let bytes = crate::core::data::maybe_gunzip(file, bytes)?;
    let bad = |problem: String| DataError::Format { file: file.to_string(), problem };
    if bytes.len() < HEADER_BYTES {
        return Err(bad(format!("truncated header: {} bytes, a packed chunk needs {HEADER_BYTES}", bytes.len())));
    }
    if &bytes[0..4] != MAGIC {
        return Err(bad(format!("wrong magic {:?}, expected \"LNL1\"", String::from_utf8_lossy(&bytes[0..4]))));
    }
    let word = |at: usize| u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]) as usize;
    let (count, first) = (word(4), word(8));
    let split = match bytes[12] {
        0 => SplitKind::Train,
        1 => SplitKind::Test,
        other => return Err(bad(format!("unknown split code {other}"))),
    };
    let expected = count.checked_mul(PIXELS + 1).and_then(|b| b.checked_add(HEADER_BYTES));
    if expected != Some(bytes.len()) {
        return Err(bad(format!(
            "length mismatch: header says {count} images ({} bytes) but the chunk has {} bytes{}",
            expected.map_or("too many".to_string(), |e| e.to_string()),
            bytes.len(),
            if expected.is_some_and(|e| e > bytes.len()) { " (truncated)" } else { "" }
        )));
    }
    let labels = bytes[HEADER_BYTES..HEADER_BYTES + count].to_vec();
    if let Some(pos) = labels.iter().position(|&l| l >= 10) {
        return Err(bad(format!("label {} at index {pos} is not a class 0..9", labels[pos])));
    }
    let pixels = bytes[HEADER_BYTES + count..].to_vec();
    Ok(Chunk { split, first, labels, pixels })
}

/// What the page reads first: which chunk files exist and what they hold.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    pub format: String,
    pub datasets: Vec<ManifestDataset>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ManifestDataset {
    pub name: String,
    pub train_images: usize,
    pub chunks: Vec<ManifestChunk>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ManifestChunk {
    pub file: String,
    pub split: SplitKind,
    pub first: usize,
    pub count: usize,
    pub gzip_bytes: usize,
}

/// Writes `dataset` as gzip chunks into `dir` and returns its manifest entry.
pub fn write_dataset(dir: &std::path::Path, name: &str, dataset: &Dataset) -> std::io::Result<ManifestDataset> {
    std::fs::create_dir_all(dir)?;
    let mut chunks = Vec::new();
    // Test first: the page needs it (and one training chunk) before the first run.
    for (kind, split) in [(SplitKind::Test, &dataset.test), (SplitKind::Train, &dataset.train)] {
        for (i, first) in (0..split.len()).step_by(CHUNK_IMAGES).enumerate() {
            let count = CHUNK_IMAGES.min(split.len() - first);
            let raw = encode(kind, first, &split.labels[first..first + count], &split.pixels[first * PIXELS..(first + count) * PIXELS]);
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            gz.write_all(&raw)?;
            let bytes = gz.finish()?;
            let file = format!("{name}-{}-{i:02}.lnl.gz", if kind == SplitKind::Train { "train" } else { "test" });
            std::fs::write(dir.join(&file), &bytes)?;
            chunks.push(ManifestChunk { file, split: kind, first, count, gzip_bytes: bytes.len() });
        }
    }
    Ok(ManifestDataset { name: name.to_string(), train_images: dataset.train.len(), chunks })
}

/// Reassembles a split from decoded chunks (in any order); gaps are an error.
/// Appends a chunk to its split of `dataset`; chunks must arrive in order (the page fetches them
/// so), which keeps one copy of the pixels however they stream in.
pub fn append(dataset: &mut Dataset, chunk: Chunk) -> Result<(), DataError> {
    let split = match chunk.split {
        SplitKind::Train => &mut dataset.train,
        SplitKind::Test => &mut dataset.test,
    };
    if chunk.first != split.len() {
        return Err(DataError::Missing(format!("packed data: chunk starting at image {} is missing", split.len())));
    }
    split.labels.extend_from_slice(&chunk.labels);
    split.pixels.extend_from_slice(&chunk.pixels);
    Ok(())
}

/// One split from its chunks, in any order.
pub fn assemble(chunks: &[Chunk], split: SplitKind) -> Result<Split, DataError> {
    let mut parts: Vec<&Chunk> = chunks.iter().filter(|c| c.split == split).collect();
    parts.sort_by_key(|c| c.first);
    let mut dataset = Dataset::default();
    for c in parts {
        append(&mut dataset, c.clone())?;
    }
    Ok(match split {
        SplitKind::Train => dataset.train,
        SplitKind::Test => dataset.test,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_damage() {
        let labels = vec![3u8, 7];
        let pixels: Vec<u8> = (0..2 * PIXELS).map(|i| (i % 251) as u8).collect();
        let bytes = encode(SplitKind::Test, 20, &labels, &pixels);
        let chunk = decode(&bytes, "c").unwrap();
        assert_eq!((chunk.split, chunk.first, &chunk.labels, &chunk.pixels), (SplitKind::Test, 20, &labels, &pixels));

        let err = decode(&bytes[..bytes.len() - 1], "c.lnl").unwrap_err().to_string();
        assert!(err.contains("c.lnl") && err.contains("truncated"), "{err}");
        let mut wrong = bytes.clone();
        wrong[0] = b'X';
        assert!(decode(&wrong, "c").unwrap_err().to_string().contains("wrong magic"));
        let mut bad_label = bytes.clone();
        bad_label[HEADER_BYTES] = 10;
        assert!(decode(&bad_label, "c").unwrap_err().to_string().contains("label 10"));
        let mut huge = bytes.clone();
        huge[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(decode(&huge, "c").unwrap_err().to_string().contains("length mismatch"));
    }

    #[test]
    fn assemble_detects_gaps() {
        let chunk = |first| Chunk { split: SplitKind::Train, first, labels: vec![1], pixels: vec![0; PIXELS] };
        assert_eq!(assemble(&[chunk(1), chunk(0)], SplitKind::Train).unwrap().len(), 2);
        assert!(assemble(&[chunk(0), chunk(2)], SplitKind::Train).is_err());
    }
}
