//! The global allocator in the browser: the system's (dlmalloc), with big blocks placed at
//! staggered offsets within a 4 KiB page ("cache colouring").
//!
//! Why: a matrix product streams through its two operands and its output at once, and when
//! their addresses nearly agree in their low bits they compete for the same cache sets: with
//! the `gemm` crate in Chromium, 128x784 by 784x256 with its operands 4 MiB apart runs at
//! 34 GFLOP/s, ~31 with the input within 16 bytes of the weights' offset, and 18 with all three
//! at the same offset (`bench::page_offsets`). Our tensors are whole numbers of pages (128x784 f32
//! is 98, 784x256 is 196), dlmalloc places consecutive blocks one 8-byte header apart, and it
//! hands out the same addresses every training step, so one unlucky layout slowed a whole run.
//! Every block of 64 KiB or more now starts at the next of 63 offsets, 64 bytes apart, within
//! its page (which also aligns it for 16-byte SIMD: dlmalloc aligns to 8 only), so two big
//! blocks agree in their low 12 bits only if they drew the same colour. Smaller blocks are
//! untouched. Measured in paired A/B runs: see BENCHMARKS.md. Natively (glibc) the effect was
//! not seen, so this is installed in the browser build only.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

pub struct Coloured;

/// Blocks at least this big are coloured (the extra page is then at most 6%).
const BIG: usize = 64 * 1024;
const PAGE: usize = 4096;
const LINE: usize = 64;

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// The offset of the next big block within its page: 64..4032, consecutive blocks far apart
/// (29 is coprime with 63). Never 0: the bytes just before a block hold its system block's
/// address.
fn next_colour() -> usize {
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    (n * 29 % (PAGE / LINE - 1) + 1) * LINE
}

fn is_big(layout: Layout) -> bool {
    layout.size() >= BIG && layout.align() <= LINE
}

/// The system block behind a coloured one: a page longer, page-aligned.
fn system_layout(layout: Layout) -> Option<Layout> {
    Layout::from_size_align(layout.size().checked_add(PAGE)?, PAGE).ok()
}

impl Coloured {
    unsafe fn alloc_big(&self, layout: Layout, zeroed: bool) -> *mut u8 {
        let Some(outer) = system_layout(layout) else {
            return std::ptr::null_mut();
        };
        unsafe {
            let base = if zeroed { System.alloc_zeroed(outer) } else { System.alloc(outer) };
            if base.is_null() {
                return base;
            }
            let block = base.add(next_colour());
            (block as *mut *mut u8).sub(1).write_unaligned(base);
            block
        }
    }

    unsafe fn dealloc_big(&self, block: *mut u8, layout: Layout) {
        unsafe {
            let base = (block as *mut *mut u8).sub(1).read_unaligned();
            System.dealloc(base, system_layout(layout).expect("allocated with this layout"));
        }
    }
}

// SAFETY: small blocks go to `System` unchanged. A big block lies inside a system block one page
// longer, at an offset below 4096 that is a multiple of 64 (so the caller's alignment, at most
// 64, holds); the system block's address sits just before it and frees it with the same layout.
unsafe impl GlobalAlloc for Coloured {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        unsafe { if is_big(layout) { self.alloc_big(layout, false) } else { System.alloc(layout) } }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        unsafe { if is_big(layout) { self.alloc_big(layout, true) } else { System.alloc_zeroed(layout) } }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { if is_big(layout) { self.dealloc_big(ptr, layout) } else { System.dealloc(ptr, layout) } }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let Ok(new) = Layout::from_size_align(new_size, layout.align()) else {
            return std::ptr::null_mut();
        };
        unsafe {
            if !is_big(layout) && !is_big(new) {
                return System.realloc(ptr, layout, new_size);
            }
            // Into, out of or between coloured blocks: move.
            let moved = self.alloc(new);
            if !moved.is_null() {
                std::ptr::copy_nonoverlapping(ptr, moved, layout.size().min(new_size));
                self.dealloc(ptr, layout);
            }
            moved
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page_offset(p: *const u8) -> usize {
        p as usize % PAGE
    }

    #[test]
    fn consecutive_big_blocks_get_different_page_offsets_and_hold_their_data() {
        let a = Coloured;
        // The MLP's input batch: exactly 98 pages, the size that used to line up.
        let layout = Layout::array::<f32>(128 * 784).unwrap();
        unsafe {
            let blocks: Vec<*mut u8> = (0..8).map(|_| a.alloc_zeroed(layout)).collect();
            let mut offsets: Vec<usize> = blocks.iter().map(|&p| page_offset(p)).collect();
            assert!(offsets.iter().all(|&o| o % LINE == 0 && o != 0), "{offsets:?}");
            offsets.sort();
            offsets.dedup();
            assert_eq!(offsets.len(), 8, "eight blocks, eight offsets");
            for &p in &blocks {
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
    fn growing_and_shrinking_across_the_threshold_keeps_the_contents() {
        let a = Coloured;
        let layout = |size| Layout::from_size_align(size, 4).unwrap();
        unsafe {
            let mut p = a.alloc(layout(1000));
            std::slice::from_raw_parts_mut(p, 1000).iter_mut().enumerate().for_each(|(i, b)| *b = i as u8);
            p = a.realloc(p, layout(1000), 200_000); // small -> coloured
            assert_ne!(page_offset(p), 0);
            p = a.realloc(p, layout(200_000), 300_000); // coloured -> coloured
            p = a.realloc(p, layout(300_000), 500); // coloured -> small
            assert!(std::slice::from_raw_parts(p, 500).iter().enumerate().all(|(i, &b)| b == i as u8));
            a.dealloc(p, layout(500));
        }
    }

    #[test]
    fn small_and_over_aligned_layouts_go_straight_to_the_system() {
        assert!(!is_big(Layout::from_size_align(100, 8).unwrap()));
        assert!(!is_big(Layout::from_size_align(1 << 20, 4096).unwrap()));
        assert!(is_big(Layout::from_size_align(1 << 20, 16).unwrap()));
    }
}
