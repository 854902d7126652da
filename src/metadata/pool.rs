//! A bounded pool of threads for opening (recovering) partition logs at start, like Kafka's
//! `num.recovery.threads.per.data.dir`: at most [`recovery_threads`] logs are opened at once,
//! each by one thread, the next one taken from a shared counter as a thread finishes.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// How many threads open logs at start: the available parallelism, between 1 and 8.
pub fn recovery_threads() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8)
}

/// Runs `job(0..jobs)` on at most `threads` scoped threads and returns the results in job
/// order. A panicking job propagates the panic to the caller.
pub fn run_bounded<T, F>(jobs: usize, threads: usize, job: F) -> Vec<T>
where
    T: Send,
    F: Fn(usize) -> T + Sync,
{
    let next = AtomicUsize::new(0);
    let done: Mutex<Vec<(usize, T)>> = Mutex::new(Vec::with_capacity(jobs));
    let worker = || loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        if i >= jobs {
            return;
        }
        let result = job(i);
        done.lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((i, result));
    };
    let threads = threads.clamp(1, jobs.max(1));
    if threads == 1 {
        worker();
    } else {
        std::thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(worker);
            }
        });
    }
    let mut done = done.into_inner().unwrap_or_else(|p| p.into_inner());
    done.sort_unstable_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_back_in_job_order_whatever_the_thread_count() {
        for threads in [1, 3, 16] {
            let out = run_bounded(100, threads, |i| i * 2);
            assert_eq!(out, (0..100).map(|i| i * 2).collect::<Vec<_>>());
        }
        assert!(run_bounded(0, 4, |i| i).is_empty());
    }
}
