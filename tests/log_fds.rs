//! File descriptors per partition: a sealed segment keeps only its `.log` open (its indexes
//! are read through their mappings), the active one its three files. Alone in this test
//! binary so that counting `/proc/self/fd` is not disturbed by other tests.

#[cfg(target_os = "linux")]
#[test]
fn sealed_segments_keep_one_descriptor_each() {
    use kalfka::log::{LogConfig, PartitionLog};
    use kalfka_protocol::records::{Compression, RecordBatchBuilder};

    let open_fds = || std::fs::read_dir("/proc/self/fd").expect("proc").count();
    let dir = tempfile::tempdir().expect("tempdir");
    let config = LogConfig {
        segment_bytes: 1_000,
        index_interval_bytes: 100,
        max_index_bytes: 4096,
    };
    let before = open_fds();
    let log = PartitionLog::open(dir.path(), config.clone()).expect("open");
    for i in 0..100 {
        let mut b = RecordBatchBuilder::new(Compression::None);
        b.append(i, Some(b"k"), Some(&[1u8; 200]), &[]);
        log.append(&mut b.build().expect("batch").to_vec())
            .expect("append");
    }
    let segments = std::fs::read_dir(dir.path())
        .expect("dir")
        .filter(|e| {
            e.as_ref()
                .expect("entry")
                .path()
                .extension()
                .is_some_and(|x| x == "log")
        })
        .count();
    assert!(segments >= 20, "{segments} segments");
    let used = open_fds() - before;
    assert_eq!(
        used,
        segments + 2,
        "one per segment plus the active indexes"
    );
    drop(log);
    // The same after a restart.
    let log = PartitionLog::open(dir.path(), config).expect("reopen");
    let read = log.read(0, 1).expect("read");
    assert!(!read.bytes.is_empty());
    assert_eq!(open_fds() - before, segments + 2);
}
