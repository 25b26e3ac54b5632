//! Label Noise Lab: "Deep Learning is Robust to Massive Label Noise" (Rolnick, Veit, Belongie,
//! Shavit, 2017) on real MNIST with burn, natively and in the browser.
//!
//! The layers, each importing only from the ones below it (see ARCHITECTURE.md):
//! - [`web`] (the wasm-bindgen layer) and the CLI (`src/cli/`) are the faces;
//! - [`experiments`]: the paper's figures as sweeps, its numbers, the report, run estimates and
//!   charts;
//! - [`params`]: the one parameter table: names, kinds, ranges, help, text and URL forms;
//! - [`core`]: the science (data, noise, models, optimizers, training, evaluation), free of text
//!   parsing, wasm and the DOM.
//!
//! [`bench`] (feature `bench`) holds the speed measurements, out of the page's wasm.

#[cfg(feature = "bench")]
pub mod bench;
pub mod core;
pub mod experiments;
pub mod params;
pub mod web;

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    /// Every `.rs` file under `path` (or `path` itself).
    fn sources(path: &Path) -> Vec<PathBuf> {
        if path.is_file() {
            return vec![path.to_path_buf()];
        }
        std::fs::read_dir(path).unwrap().flat_map(|e| sources(&e.unwrap().path())).filter(|p| p.extension().is_some_and(|x| x == "rs")).collect()
    }

    /// ARCHITECTURE.md's table: what each layer's code must not import.
    #[test]
    fn each_layer_imports_only_from_the_layers_below() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let faces = ["crate::web", "wasm_bindgen", "web_sys", "js_sys"];
        let rules: [(&str, Vec<&str>); 3] = [
            ("core", [&["crate::params", "crate::experiments", "crate::bench"][..], &faces].concat()),
            ("params.rs", [&["crate::experiments", "crate::bench"][..], &faces].concat()),
            ("experiments", faces.to_vec()),
        ];
        for (layer, forbidden) in rules {
            let files = sources(&src.join(layer));
            assert!(!files.is_empty(), "{layer} has no sources");
            for file in files {
                let text = std::fs::read_to_string(&file).unwrap();
                // A file's unit tests (last, by custom) may reach across layers.
                let text = text.split("#[cfg(test)]\nmod tests").next().unwrap();
                for name in &forbidden {
                    assert!(!text.contains(name), "{} names `{name}`: {layer} must not import it (ARCHITECTURE.md)", file.display());
                }
            }
        }
    }
}
