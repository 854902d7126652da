//! Values produced round-robin over a topic's partitions (value `i` to partition
//! `i % partitions`), and what consumers should see of them, per partition in order.

use std::collections::BTreeMap;

/// Values per partition, in the order a consumer reads them.
pub type Seen = BTreeMap<i32, Vec<String>>;

/// `values` as a consumer should see them: split by partition (`i % partitions`), in order.
pub fn by_partition(values: &[String], partitions: i32) -> Seen {
    let mut seen: Seen = (0..partitions).map(|p| (p, Vec::new())).collect();
    for (i, v) in values.iter().enumerate() {
        seen.entry((i as i32) % partitions)
            .or_default()
            .push(v.clone());
    }
    seen
}

/// Concatenates per-partition expectations, in the order given.
pub fn concat(parts: &[&Seen], partitions: i32) -> Seen {
    let mut out: Seen = (0..partitions).map(|p| (p, Vec::new())).collect();
    for part in parts {
        for (p, vs) in *part {
            out.entry(*p).or_default().extend(vs.iter().cloned());
        }
    }
    out
}
