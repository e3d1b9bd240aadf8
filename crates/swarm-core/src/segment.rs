//! Execution segments: one plan split N ways so that N processes together run exactly the
//! whole plan, as k6's execution segments do.
//!
//! The whole plan is laid out once, the same way in every process: user `k` (from 0) of a run
//! of `users` gets its type from the scenario's distribution (fixed counts first, then the
//! weighted type furthest below its share) and is due `k/rate` after the start. The users are
//! then dealt to the segments type by type, like cards: list every user of the first type in
//! spawn order, then every user of the second, and so on, and give position `p` of that list
//! to segment `p mod N`. So each type's users (and all users) differ by at most one between
//! segments, every global index belongs to exactly one segment, and a segment's schedule is
//! the whole plan's schedule filtered to its users: the union of the segments' ramps is the
//! ramp of one process running everything.

use crate::scenario::{TypeShare, next_class};
use std::fmt;
use std::str::FromStr;

/// Why a segment was refused.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum SegmentError {
    /// Not of the form `I/N`.
    #[error("`{0}` is not a segment: write INDEX/COUNT from 0, e.g. 0/3 for the first of three")]
    NotASegment(String),
    /// `N` is 0.
    #[error("a run cannot be split into 0 segments: give a count of 1 or more")]
    NoSegments,
    /// `I` is not below `N`.
    #[error("segment {index}/{count} does not exist: indices go from 0 to {last}", last = count - 1)]
    OutOfRange {
        /// The index given.
        index: u32,
        /// The count given.
        count: u32,
    },
}

/// One share of a run split `count` ways: the `index`-th, from 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Segment {
    index: u32,
    count: u32,
}

impl Segment {
    /// Segment `index` of `count`, checked.
    pub fn new(index: u32, count: u32) -> Result<Self, SegmentError> {
        if count == 0 {
            return Err(SegmentError::NoSegments);
        }
        if index >= count {
            return Err(SegmentError::OutOfRange { index, count });
        }
        Ok(Self { index, count })
    }

    /// Which segment, from 0.
    pub fn index(self) -> u32 {
        self.index
    }

    /// How many segments the run is split into.
    pub fn count(self) -> u32 {
        self.count
    }
}

impl fmt::Display for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Segment {
    type Err = SegmentError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || SegmentError::NotASegment(s.to_owned());
        let (i, n) = s.trim().split_once('/').ok_or_else(bad)?;
        let i = i.trim().parse::<u32>().map_err(|_| bad())?;
        let n = n.trim().parse::<u32>().map_err(|_| bad())?;
        Self::new(i, n)
    }
}

/// A user type as the distribution sees it: its weight and its fixed count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TypeWeight {
    /// Share among the weighted types.
    pub weight: u32,
    /// A fixed count, spawned before the weighted types.
    pub fixed_count: Option<usize>,
}

impl TypeShare for TypeWeight {
    fn weight(&self) -> u32 {
        self.weight
    }
    fn fixed_count(&self) -> Option<usize> {
        self.fixed_count
    }
}

/// One user a segment owns: its place in the whole plan and its type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OwnedUser {
    /// Its index in the whole plan: it is due `global_index / rate` after the start, and it
    /// is `ctx.user_index()` (plus the runner's offset).
    pub global_index: u64,
    /// Its user type (an index into the scenario's types).
    pub class: usize,
}

/// The users one segment runs, in spawn order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Share {
    users: Vec<OwnedUser>,
}

impl Share {
    /// How many users this segment runs.
    pub fn len(&self) -> usize {
        self.users.len()
    }

    /// Whether this segment runs no user at all.
    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }

    /// The `k`-th user this segment spawns (from 0).
    pub fn get(&self, k: usize) -> Option<OwnedUser> {
        self.users.get(k).copied()
    }

    /// Every user of this segment, in spawn order.
    pub fn users(&self) -> &[OwnedUser] {
        &self.users
    }

    /// How many users of each type this segment runs.
    pub fn per_type(&self, types: usize) -> Vec<usize> {
        let mut counts = vec![0; types];
        for u in &self.users {
            counts[u.class] += 1;
        }
        counts
    }

    /// This segment's mean spawn rate: the whole plan's rate times its share of the users
    /// (its users come at the whole plan's times, so this is what its ramp averages to).
    pub fn rate(&self, plan_users: usize, plan_rate: f64) -> f64 {
        if plan_users == 0 {
            0.0
        } else {
            plan_rate * self.users.len() as f64 / plan_users as f64
        }
    }
}

/// Lays out the whole plan's `users` types in spawn order, feeding each to `each` with the
/// running count of its type before it. Stops early once no type may grow (fixed counts only).
fn lay_out<C: TypeShare>(types: &[C], users: usize, mut each: impl FnMut(u64, usize, usize)) {
    let mut running = vec![0usize; types.len()];
    for k in 0..users {
        let Some(class) = next_class(types, &running) else {
            break;
        };
        each(k as u64, class, running[class]);
        running[class] += 1;
    }
}

/// How many users of each type the whole plan of `users` runs.
pub fn whole_plan(types: &[TypeWeight], users: usize) -> Vec<usize> {
    let mut counts = vec![0usize; types.len()];
    lay_out(types, users, |_, class, _| counts[class] += 1);
    counts
}

/// How many users a whole plan of `users` runs: all of them, unless every type that may grow
/// has a fixed count (then their sum at most). Without laying the plan out.
pub fn whole_plan_users(types: &[TypeWeight], users: usize) -> usize {
    let unbounded = types
        .iter()
        .any(|t| t.fixed_count.is_none() && t.weight > 0);
    if unbounded {
        users
    } else {
        users.min(types.iter().filter_map(|t| t.fixed_count).sum())
    }
}

/// How many users `segment` runs of a whole plan of `users` (`share(..).len()`, without
/// laying the plan out: position `p` of the dealing goes to segment `p mod N`).
pub fn share_len(types: &[TypeWeight], users: usize, segment: Segment) -> usize {
    let n = segment.count as usize;
    (whole_plan_users(types, users) + n - 1 - segment.index as usize) / n
}

/// The users `segment` runs of a whole plan of `users` users of `types`.
pub fn share(types: &[TypeWeight], users: usize, segment: Segment) -> Share {
    share_of(types, users, segment)
}

/// [`share`] for any kind of type description (the runner passes its `UserClass`es).
pub(crate) fn share_of<C: TypeShare>(types: &[C], users: usize, segment: Segment) -> Share {
    // Pass 1: how many of each type, so that the dealing order (type by type) is known.
    let mut counts = vec![0usize; types.len()];
    lay_out(types, users, |_, class, _| counts[class] += 1);
    let mut first_position = Vec::with_capacity(types.len());
    let mut next = 0usize;
    for c in &counts {
        first_position.push(next);
        next += c;
    }
    // Pass 2: deal; each user's position in the type-by-type list picks its segment.
    let n = segment.count as usize;
    let mut owned = Vec::with_capacity(next / n + 1);
    lay_out(types, users, |global_index, class, rank| {
        if (first_position[class] + rank) % n == segment.index as usize {
            owned.push(OwnedUser {
                global_index,
                class,
            });
        }
    });
    Share { users: owned }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(weight: u32, fixed_count: Option<usize>) -> TypeWeight {
        TypeWeight {
            weight,
            fixed_count,
        }
    }

    #[test]
    fn segments_parse_and_refuse_with_the_fix() {
        type Case<'a> = (&'a str, Result<(u32, u32), &'a str>);
        let table: &[Case<'_>] = &[
            ("0/3", Ok((0, 3))),
            (" 2 / 3 ", Ok((2, 3))),
            ("0/1", Ok((0, 1))),
            (
                "3/3",
                Err("segment 3/3 does not exist: indices go from 0 to 2"),
            ),
            ("0/0", Err("cannot be split into 0 segments")),
            ("1", Err("`1` is not a segment: write INDEX/COUNT")),
            ("-1/3", Err("is not a segment")),
            ("a/b", Err("is not a segment")),
        ];
        for (text, want) in table {
            match (text.parse::<Segment>(), want) {
                (Ok(s), Ok((i, n))) => {
                    assert_eq!((s.index(), s.count()), (*i, *n), "{text}");
                    assert_eq!(s.to_string(), format!("{i}/{n}"));
                }
                (Err(e), Err(msg)) => assert!(e.to_string().contains(msg), "{text}: {e}"),
                (got, _) => panic!("{text}: got {got:?}, want {want:?}"),
            }
        }
    }

    /// For many plans and splits: every global index is owned by exactly one segment, each
    /// segment's indices ascend (its ramp is the whole ramp filtered), the per-type counts sum
    /// to the whole plan's and differ by at most one between segments, and so do the totals
    /// and the rates.
    #[test]
    fn segments_sum_exactly_to_the_whole_plan() {
        let types_table: Vec<Vec<TypeWeight>> = vec![
            vec![w(1, None)],
            vec![w(1, None), w(1, None)],
            vec![w(3, None), w(1, None), w(2, None)],
            vec![w(1, Some(2)), w(5, None), w(1, None)],
            vec![w(1, Some(1)), w(1, Some(7)), w(1, None)],
            vec![w(1, Some(3)), w(1, Some(4))],
            vec![w(100, None), w(1, None)],
            vec![w(0, None), w(1, None)],
            vec![w(7, None), w(0, Some(5)), w(13, None), w(2, None)],
        ];
        let users_table = [1usize, 2, 3, 5, 7, 10, 11, 64, 97, 100, 1000, 1009];
        let counts = [1u32, 2, 3, 4, 5, 7, 10, 16, 100];
        let rates = [0.5, 1.0, 3.0, 100.0];
        for types in &types_table {
            for &users in &users_table {
                let whole = whole_plan(types, users);
                let planned: usize = whole.iter().sum();
                for &n in &counts {
                    let shares: Vec<Share> = (0..n)
                        .map(|i| share(types, users, Segment::new(i, n).unwrap()))
                        .collect();
                    let case = format!("types {types:?}, users {users}, N {n}");
                    // Every global index exactly once.
                    let mut seen = vec![0u8; planned];
                    for s in &shares {
                        let idx: Vec<u64> = s.users().iter().map(|u| u.global_index).collect();
                        assert!(idx.windows(2).all(|p| p[0] < p[1]), "{case}: {idx:?}");
                        for &g in &idx {
                            seen[g as usize] += 1;
                        }
                    }
                    assert!(seen.iter().all(|&c| c == 1), "{case}: {seen:?}");
                    // Per type: sums exact, spread at most one.
                    for (t, &in_whole) in whole.iter().enumerate() {
                        let per: Vec<usize> =
                            shares.iter().map(|s| s.per_type(types.len())[t]).collect();
                        assert_eq!(per.iter().sum::<usize>(), in_whole, "{case}: type {t}");
                        let spread = per.iter().max().unwrap() - per.iter().min().unwrap();
                        assert!(spread <= 1, "{case}: type {t} per segment {per:?}");
                    }
                    assert_eq!(whole_plan_users(types, users), planned, "{case}");
                    let totals: Vec<usize> = shares.iter().map(Share::len).collect();
                    let quick: Vec<usize> = (0..n)
                        .map(|i| share_len(types, users, Segment::new(i, n).unwrap()))
                        .collect();
                    assert_eq!(quick, totals, "{case}");
                    assert_eq!(totals.iter().sum::<usize>(), planned, "{case}");
                    assert!(
                        totals.iter().max().unwrap() - totals.iter().min().unwrap() <= 1,
                        "{case}: {totals:?}"
                    );
                    for &rate in &rates {
                        let sum: f64 = shares.iter().map(|s| s.rate(planned, rate)).sum();
                        assert!(
                            (sum - rate).abs() < 1e-9 * rate,
                            "{case}: rates sum to {sum}"
                        );
                    }
                    // Each user keeps the type the whole plan gives its global index.
                    let one = share(types, users, Segment::new(0, 1).unwrap());
                    for s in &shares {
                        for u in s.users() {
                            assert_eq!(
                                one.get(u.global_index as usize).map(|o| o.class),
                                Some(u.class),
                                "{case}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn one_segment_is_the_whole_plan_in_order() {
        let types = [w(1, Some(2)), w(3, None), w(1, None)];
        let s = share(&types, 50, Segment::new(0, 1).unwrap());
        let idx: Vec<u64> = s.users().iter().map(|u| u.global_index).collect();
        assert_eq!(idx, (0..50).collect::<Vec<u64>>());
        assert_eq!(s.per_type(3), whole_plan(&types, 50));
        assert_eq!(whole_plan(&types, 50), [2, 36, 12]);
    }

    #[test]
    fn fixed_counts_cap_the_whole_plan_and_every_segment() {
        // Only fixed types: the plan stops at their sum, whatever -u says.
        let types = [w(1, Some(2)), w(1, Some(3))];
        assert_eq!(whole_plan(&types, 100), [2, 3]);
        let lens: Vec<usize> = (0..2)
            .map(|i| share(&types, 100, Segment::new(i, 2).unwrap()).len())
            .collect();
        assert_eq!(lens, [3, 2]);
    }
}
