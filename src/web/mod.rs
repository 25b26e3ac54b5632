//! The browser face: the thin wasm-bindgen layer ([`bindings`]) over `experiments` and `core`,
//! and the allocator the page's wasm runs on. Natively only the allocator's tests build here.

// Natively only its tests use it.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
mod alloc;
#[cfg(target_arch = "wasm32")]
pub mod bindings;
#[cfg(target_arch = "wasm32")]
mod canvas;
// Benchmark and crash hooks: only in the wasm that the benchmark and the tests build.
#[cfg(all(target_arch = "wasm32", feature = "bench"))]
pub mod hooks;

// Only in the browser: natively the system allocator already aligns to 16 (see alloc.rs).
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: alloc::Coloured = alloc::Coloured;
