//! Server-side assignors of the consumer protocol (`group.remote.assignor`): `uniform` (the
//! default, sticky and balanced) and `range` (contiguous ranges per topic).

use std::collections::{BTreeMap, BTreeSet};

/// Partitions by topic name.
pub type Assignment = BTreeMap<String, BTreeSet<i32>>;

/// Name of the default assignor.
pub const UNIFORM: &str = "uniform";
/// Name of the range assignor.
pub const RANGE: &str = "range";

/// Whether `name` is an assignor this broker runs.
pub fn is_supported(name: &str) -> bool {
    name == UNIFORM || name == RANGE
}

/// One member as an assignor sees it: the topics it subscribes to (existing ones only).
#[derive(Debug, Clone)]
pub struct AssignorMember {
    /// Member id.
    pub id: String,
    /// Subscribed topics that exist.
    pub topics: BTreeSet<String>,
}

/// Computes the target assignment of every member. `topics` gives each topic's partition
/// count; `previous` is the last target, used by `uniform` to move as little as possible.
pub fn assign(
    assignor: &str,
    members: &[AssignorMember],
    topics: &BTreeMap<String, i32>,
    previous: &BTreeMap<String, Assignment>,
) -> BTreeMap<String, Assignment> {
    if assignor == RANGE {
        range(members, topics)
    } else {
        uniform(members, topics, previous)
    }
}

fn range(
    members: &[AssignorMember],
    topics: &BTreeMap<String, i32>,
) -> BTreeMap<String, Assignment> {
    let mut out: BTreeMap<String, Assignment> = members
        .iter()
        .map(|m| (m.id.clone(), Assignment::new()))
        .collect();
    for (topic, &count) in topics {
        let mut subs: Vec<&str> = members
            .iter()
            .filter(|m| m.topics.contains(topic))
            .map(|m| m.id.as_str())
            .collect();
        subs.sort_unstable();
        if subs.is_empty() || count <= 0 {
            continue;
        }
        let n = subs.len() as i32;
        let (per, extra) = (count / n, count % n);
        let mut next = 0;
        for (i, id) in subs.iter().enumerate() {
            let take = per + i32::from((i as i32) < extra);
            if take > 0 {
                if let Some(a) = out.get_mut(*id) {
                    a.entry(topic.clone())
                        .or_default()
                        .extend(next..next + take);
                }
            }
            next += take;
        }
    }
    out
}

fn uniform(
    members: &[AssignorMember],
    topics: &BTreeMap<String, i32>,
    previous: &BTreeMap<String, Assignment>,
) -> BTreeMap<String, Assignment> {
    let subscribed = |id: &str, topic: &str| {
        members
            .iter()
            .any(|m| m.id == id && m.topics.contains(topic))
    };
    let all: Vec<(String, i32)> = topics
        .iter()
        .filter(|(t, _)| members.iter().any(|m| m.topics.contains(*t)))
        .flat_map(|(t, &n)| (0..n.max(0)).map(move |p| (t.clone(), p)))
        .collect();
    let mut owner: BTreeMap<(String, i32), String> = BTreeMap::new();
    let mut load: BTreeMap<String, usize> = members.iter().map(|m| (m.id.clone(), 0)).collect();
    let cap = if members.is_empty() {
        0
    } else {
        all.len().div_ceil(members.len())
    };
    // Keep previous owners while they stay subscribed and under the cap.
    for (id, a) in previous {
        for (topic, parts) in a {
            for &p in parts {
                let tp = (topic.clone(), p);
                let known = topics.get(topic).is_some_and(|&n| p < n);
                let l = load.get(id).copied();
                if known && subscribed(id, topic) && l.is_some_and(|l| l < cap) {
                    owner.insert(tp, id.clone());
                    *load.entry(id.clone()).or_default() += 1;
                }
            }
        }
    }
    // Hand out the rest to the least loaded subscriber.
    for tp in &all {
        if owner.contains_key(tp) {
            continue;
        }
        let best = members
            .iter()
            .filter(|m| m.topics.contains(&tp.0))
            .min_by_key(|m| (load.get(&m.id).copied().unwrap_or(0), m.id.clone()));
        if let Some(m) = best {
            owner.insert(tp.clone(), m.id.clone());
            *load.entry(m.id.clone()).or_default() += 1;
        }
    }
    // Even out: move a partition from the most to the least loaded member (bounded).
    for _ in 0..all.len() {
        let Some((max_id, max)) = load
            .iter()
            .max_by_key(|(id, l)| (**l, std::cmp::Reverse((*id).clone())))
        else {
            break;
        };
        let (max_id, max) = (max_id.clone(), *max);
        let candidate = owner.iter().rev().find_map(|(tp, o)| {
            if *o != max_id {
                return None;
            }
            members
                .iter()
                .filter(|m| m.topics.contains(&tp.0))
                .filter(|m| load.get(&m.id).copied().unwrap_or(0) + 1 < max)
                .min_by_key(|m| (load.get(&m.id).copied().unwrap_or(0), m.id.clone()))
                .map(|m| (tp.clone(), m.id.clone()))
        });
        let Some((tp, to)) = candidate else { break };
        owner.insert(tp, to.clone());
        *load.entry(max_id).or_default() -= 1;
        *load.entry(to).or_default() += 1;
    }
    let mut out: BTreeMap<String, Assignment> = members
        .iter()
        .map(|m| (m.id.clone(), Assignment::new()))
        .collect();
    for ((topic, p), id) in owner {
        if let Some(a) = out.get_mut(&id) {
            a.entry(topic).or_default().insert(p);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(id: &str, topics: &[&str]) -> AssignorMember {
        AssignorMember {
            id: id.into(),
            topics: topics.iter().map(|t| t.to_string()).collect(),
        }
    }

    fn counts(out: &BTreeMap<String, Assignment>) -> Vec<usize> {
        out.values()
            .map(|a| a.values().map(BTreeSet::len).sum())
            .collect()
    }

    #[test]
    fn uniform_balances_and_is_sticky() {
        let topics = BTreeMap::from([("t".to_string(), 3)]);
        let ms = vec![
            member("a", &["t"]),
            member("b", &["t"]),
            member("c", &["t"]),
        ];
        let first = assign(UNIFORM, &ms, &topics, &BTreeMap::new());
        assert_eq!(counts(&first), vec![1, 1, 1]);
        let two = assign(UNIFORM, &ms[..2], &topics, &first);
        assert_eq!(two["a"]["t"].len() + two["b"]["t"].len(), 3);
        assert!(
            first["a"]["t"].is_subset(&two["a"]["t"]),
            "a keeps what it had"
        );
        assert!(
            first["b"]["t"].is_subset(&two["b"]["t"]),
            "b keeps what it had"
        );
    }

    #[test]
    fn uniform_moves_partitions_to_a_new_member() {
        let topics = BTreeMap::from([("t".to_string(), 4)]);
        let one = assign(UNIFORM, &[member("a", &["t"])], &topics, &BTreeMap::new());
        let ms = vec![member("a", &["t"]), member("b", &["t"])];
        let two = assign(UNIFORM, &ms, &topics, &one);
        assert_eq!(counts(&two), vec![2, 2]);
    }

    #[test]
    fn range_gives_contiguous_ranges_per_topic() {
        let topics = BTreeMap::from([("t".to_string(), 5), ("u".to_string(), 1)]);
        let ms = vec![member("a", &["t", "u"]), member("b", &["t"])];
        let out = assign(RANGE, &ms, &topics, &BTreeMap::new());
        assert_eq!(out["a"]["t"], BTreeSet::from([0, 1, 2]));
        assert_eq!(out["b"]["t"], BTreeSet::from([3, 4]));
        assert_eq!(out["a"]["u"], BTreeSet::from([0]));
    }
}
