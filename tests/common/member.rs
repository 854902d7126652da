//! A librdkafka group consumer polling in a thread of its own, recording what it was assigned
//! and what it read, for the consumer group tests (classic and KIP-848 protocols alike).

#![allow(dead_code)]

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::message::Message;

#[derive(Default)]
struct Seen {
    assigned: BTreeSet<(String, i32)>,
    values: Vec<usize>,
    emptied: usize,
    changes: usize,
    /// Errors the consumer reported (a test fails on them at `close`).
    errors: Vec<String>,
}

/// One group member; its records' values must be decimal numbers.
pub struct Member {
    seen: Arc<Mutex<Seen>>,
    stop: Arc<AtomicBool>,
    commit_on_stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Member {
    /// Creates a consumer from `config`, subscribes to `subscription` (a topic or `^regex`)
    /// and polls until closed.
    pub fn start(config: &ClientConfig, subscription: &str) -> Member {
        let consumer: BaseConsumer = config.create().expect("consumer");
        consumer.subscribe(&[subscription]).expect("subscribe");
        let seen = Arc::new(Mutex::new(Seen::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let commit_on_stop = Arc::new(AtomicBool::new(false));
        let (s, st, cm) = (seen.clone(), stop.clone(), commit_on_stop.clone());
        let thread = std::thread::spawn(move || {
            while !st.load(Ordering::SeqCst) {
                match consumer.poll(Duration::from_millis(20)) {
                    Some(Ok(m)) => {
                        let v: usize = m
                            .payload_view::<str>()
                            .and_then(Result::ok)
                            .and_then(|v| v.parse().ok())
                            .expect("numeric value");
                        lock(&s).values.push(v);
                    }
                    Some(Err(e)) => lock(&s).errors.push(e.to_string()),
                    None => {}
                }
                let assigned: BTreeSet<(String, i32)> = consumer
                    .assignment()
                    .map(|tpl| {
                        tpl.elements()
                            .iter()
                            .map(|e| (e.topic().to_string(), e.partition()))
                            .collect()
                    })
                    .unwrap_or_default();
                let mut seen = lock(&s);
                if !seen.assigned.is_empty() && assigned.is_empty() {
                    seen.emptied += 1;
                }
                if seen.assigned != assigned {
                    seen.changes += 1;
                    seen.assigned = assigned;
                }
            }
            if cm.load(Ordering::SeqCst) {
                consumer
                    .commit_consumer_state(CommitMode::Sync)
                    .expect("commit");
            }
            drop(consumer);
        });
        Member {
            seen,
            stop,
            commit_on_stop,
            thread: Some(thread),
        }
    }

    /// The (topic, partition)s currently assigned.
    pub fn assigned(&self) -> BTreeSet<(String, i32)> {
        lock(&self.seen).assigned.clone()
    }

    /// Values read so far, in the order read.
    pub fn values(&self) -> Vec<usize> {
        lock(&self.seen).values.clone()
    }

    /// How often the member went from some partitions to none.
    pub fn emptied(&self) -> usize {
        lock(&self.seen).emptied
    }

    /// How often the assignment changed.
    pub fn changes(&self) -> usize {
        lock(&self.seen).changes
    }

    /// Errors the consumer reported so far.
    pub fn errors(&self) -> Vec<String> {
        lock(&self.seen).errors.clone()
    }

    /// Stops polling and closes the consumer (leaving the group), committing first if asked;
    /// fails the test if the consumer reported an error or its thread panicked.
    pub fn close(mut self, commit: bool) -> Vec<usize> {
        self.commit_on_stop.store(commit, Ordering::SeqCst);
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            t.join().expect("consumer thread");
        }
        let errors = self.errors();
        assert!(
            errors.is_empty(),
            "the consumer reported errors: {errors:?}"
        );
        self.values()
    }
}

impl Drop for Member {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let joined = t.join();
            // Report a panic of the consumer thread, unless the test is failing already.
            if !std::thread::panicking() {
                joined.expect("consumer thread");
            }
        }
    }
}

fn lock(seen: &Mutex<Seen>) -> MutexGuard<'_, Seen> {
    seen.lock().unwrap_or_else(|e| e.into_inner())
}

/// Every value the members read, sorted.
pub fn all_values(members: &[&Member]) -> Vec<usize> {
    let mut v: Vec<usize> = members.iter().flat_map(|m| m.values()).collect();
    v.sort_unstable();
    v
}
