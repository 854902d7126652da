//! Process-wide budgets for what segments keep cached between uses: open `.log` descriptors
//! and memory mappings.
//!
//! Invariants:
//! - A cached descriptor or mapping exists only as a [`Counted`] value, which holds one unit
//!   of its budget from creation until it is dropped; so the number cached never exceeds the
//!   budget, however many partitions are written or read within the idle timeout.
//! - Past the budget nothing fails: the descriptor or mapping is used for the one operation
//!   and released (slower, not wrong), and the broker says once in its log that the budget was
//!   reached.
//! - Budgets are half the process's `RLIMIT_NOFILE` (descriptors) and half of
//!   `vm.max_map_count` (mappings), leaving the rest to sockets, transient uses and the
//!   allocator.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::OnceLock;

/// A count of cached items against a limit computed on first use.
pub(crate) struct Budget {
    what: &'static str,
    used: AtomicUsize,
    limit: OnceLock<usize>,
    compute: fn() -> usize,
    warned: AtomicBool,
}

/// Cached `.log` descriptors.
pub(crate) static DESCRIPTORS: Budget = Budget::new("open segment files", descriptor_limit);
/// Cached memory mappings (segment read mappings and index mappings).
pub(crate) static MAPPINGS: Budget = Budget::new("memory maps", mapping_limit);

impl Budget {
    const fn new(what: &'static str, compute: fn() -> usize) -> Budget {
        Budget {
            what,
            used: AtomicUsize::new(0),
            limit: OnceLock::new(),
            compute,
            warned: AtomicBool::new(false),
        }
    }

    fn limit(&self) -> usize {
        *self.limit.get_or_init(self.compute)
    }

    /// Counts `value` as cached if the budget allows, else gives it back (and says once in
    /// the log that the budget is reached).
    pub(crate) fn take<T>(&'static self, value: T) -> Result<Counted<T>, T> {
        let limit = self.limit();
        if self.used.fetch_add(1, Ordering::AcqRel) >= limit {
            self.used.fetch_sub(1, Ordering::AcqRel);
            if !self.warned.swap(true, Ordering::Relaxed) {
                tracing::warn!(
                    limit,
                    "limit of cached {} reached: further ones are opened per use and released at once (slower); the idle sweep frees cached ones",
                    self.what
                );
            }
            return Err(value);
        }
        Ok(Counted {
            value,
            budget: self,
        })
    }

    /// Items counted now.
    #[cfg(test)]
    pub(crate) fn used(&self) -> usize {
        self.used.load(Ordering::Acquire)
    }
}

/// A value holding one unit of a [`Budget`] until dropped.
pub(crate) struct Counted<T> {
    value: T,
    budget: &'static Budget,
}

impl<T> std::ops::Deref for Counted<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T> std::ops::DerefMut for Counted<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.value
    }
}

impl<T> Drop for Counted<T> {
    fn drop(&mut self) {
        self.budget.used.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Half the soft `RLIMIT_NOFILE` (at least 16).
fn descriptor_limit() -> usize {
    #[cfg(unix)]
    {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit writes into the struct we pass.
        if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0 {
            return usize::try_from(limit.rlim_cur / 2)
                .unwrap_or(usize::MAX)
                .max(16);
        }
    }
    512
}

/// Half of `vm.max_map_count` (65,530 by default; at least 64).
fn mapping_limit() -> usize {
    std::fs::read_to_string("/proc/sys/vm/max_map_count")
        .ok()
        .and_then(|s| s.trim().parse::<usize>().ok())
        .unwrap_or(65_530)
        .checked_div(2)
        .unwrap_or(0)
        .max(64)
}

#[cfg(test)]
mod tests {
    use super::*;

    static SMALL: Budget = Budget::new("test items", || 2);

    #[test]
    fn a_budget_counts_what_is_held_and_refuses_past_its_limit() {
        let a = SMALL.take(1).expect("first");
        let b = SMALL.take(2).expect("second");
        assert_eq!(SMALL.take(3).err(), Some(3), "past the limit");
        assert_eq!((*a, *b, SMALL.used()), (1, 2, 2));
        drop(a);
        assert!(SMALL.take(4).is_ok(), "room again (dropped at once)");
        assert_eq!(SMALL.used(), 1);
    }
}
