//! The process's allocator: mimalloc, with an optional cap on the bytes Rust code holds at once.
//!
//! A SPARQL query worker caps itself at `server.query_memory_limit`: a query whose joins or
//! sorts would grow past it gets a failed allocation, which aborts the worker, and the daemon
//! answers the client naming the limit. An `RLIMIT_DATA` cannot do this job: it counts address
//! space, and mimalloc reserves 1 GiB of it at a time (smaller reservations, tried, cost up to
//! 20% of query throughput). Without a cap (the daemon, the other commands) an allocation costs
//! one extra relaxed load.
//!
//! RocksDB's C++ allocations go through mimalloc too (its `override`) but not through here:
//! they are bounded by RocksDB's own settings, not by what a query asks.

use std::alloc::{GlobalAlloc, Layout};
use std::sync::atomic::{AtomicIsize, AtomicUsize, Ordering::Relaxed};

pub struct CappedMiMalloc;

static CAP: AtomicUsize = AtomicUsize::new(usize::MAX);
/// Bytes held since the cap was set; blocks allocated before and freed after make it lower than
/// the truth, by at most what the process held when it was capped (a command line's worth).
static HELD: AtomicIsize = AtomicIsize::new(0);

/// From now on, allocations that would take the Rust heap past `bytes` fail.
pub fn cap(bytes: u64) {
    CAP.store(usize::try_from(bytes).unwrap_or(usize::MAX), Relaxed);
}

fn take(size: usize) -> bool {
    let cap = CAP.load(Relaxed);
    if cap == usize::MAX {
        return true;
    }
    let size = isize::try_from(size).unwrap_or(isize::MAX);
    let held = HELD.fetch_add(size, Relaxed).saturating_add(size);
    if held > isize::try_from(cap).unwrap_or(isize::MAX) {
        HELD.fetch_sub(size, Relaxed);
        return false;
    }
    true
}

fn give(size: usize) {
    if CAP.load(Relaxed) != usize::MAX {
        HELD.fetch_sub(isize::try_from(size).unwrap_or(isize::MAX), Relaxed);
    }
}

// SAFETY: every call is passed on to mimalloc unchanged; only the accounting is added, and a
// refused allocation returns null as the GlobalAlloc contract allows.
unsafe impl GlobalAlloc for CappedMiMalloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if !take(layout.size()) {
            return std::ptr::null_mut();
        }
        // SAFETY: the caller's contract, passed on.
        let p = unsafe { mimalloc::MiMalloc.alloc(layout) };
        if p.is_null() {
            give(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if !take(layout.size()) {
            return std::ptr::null_mut();
        }
        // SAFETY: the caller's contract, passed on.
        let p = unsafe { mimalloc::MiMalloc.alloc_zeroed(layout) };
        if p.is_null() {
            give(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract, passed on.
        unsafe { mimalloc::MiMalloc.dealloc(ptr, layout) };
        give(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let old = layout.size();
        if new_size > old && !take(new_size - old) {
            return std::ptr::null_mut();
        }
        // SAFETY: the caller's contract, passed on.
        let p = unsafe { mimalloc::MiMalloc.realloc(ptr, layout, new_size) };
        if p.is_null() {
            if new_size > old {
                give(new_size - old);
            }
        } else if new_size < old {
            give(old - new_size);
        }
        p
    }
}
