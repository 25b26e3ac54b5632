//! The global allocator in the browser: the system's (dlmalloc), with every block of 4 KiB or
//! more aligned to 16 bytes.
//!
//! Why: dlmalloc in wasm32 aligns blocks to 8 bytes only, and tensors are plain `Vec<f32>`s (the
//! input batch, gradients, weights after an update). The matmul kernels read and write them in
//! 16-byte SIMD vectors; on a block at an 8-byte boundary a quarter of those straddle two cache
//! lines. Aligning big blocks made the MLP2 training step 3-16% faster in Chromium (paired A/B
//! runs in alternating fresh browsers, see BENCHMARKS.md). Natively the system allocator
//! already aligns to 16, so this is not installed there.

use std::alloc::{GlobalAlloc, Layout, System};

pub struct SimdAligned;

const BIG: usize = 4096;
const SIMD: usize = 16;

/// The layout asked of the system: a pure function of the caller's, so that `dealloc` and
/// `realloc` hand back exactly what `alloc` used.
fn padded(layout: Layout) -> Layout {
    if layout.size() >= BIG && layout.align() < SIMD {
        // Sizes within 15 bytes of isize::MAX cannot be 16-aligned: they keep the caller's layout.
        Layout::from_size_align(layout.size(), SIMD).unwrap_or(layout)
    } else {
        layout
    }
}

// SAFETY: every call forwards to `System` with `padded(layout)`, which keeps the caller's size
// and has at least the caller's alignment; the same padded layout is used to free and resize.
unsafe impl GlobalAlloc for SimdAligned {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        unsafe { System.alloc(padded(layout)) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        unsafe { System.alloc_zeroed(padded(layout)) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, padded(layout)) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let old = padded(layout);
        let Ok(new) = Layout::from_size_align(new_size, layout.align()) else { return std::ptr::null_mut() };
        let new = padded(new);
        if new.align() == old.align() {
            // The system keeps the alignment it was given (and may grow in place).
            return unsafe { System.realloc(ptr, old, new_size) };
        }
        // Crossing 4 KiB changes the alignment: move the block.
        unsafe {
            let moved = System.alloc(new);
            if !moved.is_null() {
                std::ptr::copy_nonoverlapping(ptr, moved, layout.size().min(new_size));
                System.dealloc(ptr, old);
            }
            moved
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn big_blocks_are_16_byte_aligned_and_hold_their_data() {
        let a = SimdAligned;
        let layout = Layout::array::<f32>(128 * 784).unwrap();
        unsafe {
            let blocks: Vec<*mut u8> = (0..8).map(|_| a.alloc_zeroed(layout)).collect();
            for &p in &blocks {
                assert_eq!(p as usize % SIMD, 0);
                let floats = std::slice::from_raw_parts_mut(p as *mut f32, 128 * 784);
                assert!(floats.iter().all(|&x| x == 0.0));
                floats.fill(2.5);
            }
            for &p in &blocks {
                a.dealloc(p, layout);
            }
        }
    }

    #[test]
    fn growing_and_shrinking_across_4_kib_keeps_the_contents() {
        let a = SimdAligned;
        let layout = |size| Layout::from_size_align(size, 4).unwrap();
        unsafe {
            let mut p = a.alloc(layout(1000));
            std::slice::from_raw_parts_mut(p, 1000).iter_mut().enumerate().for_each(|(i, b)| *b = i as u8);
            p = a.realloc(p, layout(1000), 200_000); // small -> big: moved, aligned
            assert_eq!(p as usize % SIMD, 0);
            p = a.realloc(p, layout(200_000), 300_000); // big -> big
            assert_eq!(p as usize % SIMD, 0);
            p = a.realloc(p, layout(300_000), 500); // big -> small
            assert!(std::slice::from_raw_parts(p, 500).iter().enumerate().all(|(i, &b)| b == i as u8));
            a.dealloc(p, layout(500));
        }
    }

    #[test]
    fn small_and_over_aligned_layouts_are_unchanged() {
        let small = Layout::from_size_align(100, 8).unwrap();
        assert_eq!(padded(small), small);
        let page = Layout::from_size_align(8192, 4096).unwrap();
        assert_eq!(padded(page), page);
        assert_eq!(padded(Layout::from_size_align(8192, 4).unwrap()).align(), SIMD);
    }
}
