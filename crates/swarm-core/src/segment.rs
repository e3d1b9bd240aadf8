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
//!
//! The same dealing splits the other kinds of load. User-count stages lay the plan out once
//! for its peak, and a segment runs, at a whole-plan target of `T` users, those of its users
//! whose global index is below `T` ([`Share::running_at`]): the first `T` users of the peak's
//! layout are exactly the layout of `T`. An arrival-rate run deals its arrivals: arrival `k`
//! of the whole schedule belongs to segment `k mod N` ([`Segment::nth`]), and its pool bounds
//! are divided as any count is ([`Segment::split`], [`split_pool`]), the pool's users taking
//! the global indices `I + N*k`.

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
    /// The whole run as one segment (`0/1`).
    pub const WHOLE: Self = Self { index: 0, count: 1 };

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

    /// This segment's part of `total` things dealt round-robin (`total / N`, one more for
    /// the first `total mod N` segments): the parts sum to `total` and differ by at most one.
    pub fn split(self, total: usize) -> usize {
        let n = self.count as usize;
        total / n + usize::from((self.index as usize) < total % n)
    }

    /// The whole sequence's position of this segment's `k`-th item (from 0) when items are
    /// dealt round-robin: `I + N*k`. Arrival `k` of a schedule, or pool user `k` of a run,
    /// belongs to segment `k mod N`.
    pub fn nth(self, k: u64) -> u64 {
        u64::from(self.index).saturating_add(u64::from(self.count).saturating_mul(k))
    }
}

/// A pool split N ways leaves a segment without a user.
#[derive(Debug, Clone, Copy, thiserror::Error, PartialEq, Eq)]
#[error(
    "a pool of at most {max_users} users split {count} ways leaves a segment without one: give a pool of {count} users or more, or fewer segments"
)]
pub struct PoolTooSmall {
    /// The whole run's pool maximum.
    pub max_users: usize,
    /// The number of segments.
    pub count: u32,
}

/// This segment's pre-allocated and maximum pool users of a whole run's `(pre, max)`: each
/// divided by [`Segment::split`], so they sum to the whole run's and a segment's `pre` never
/// exceeds its `max`; refused when some segment would get no user at all.
pub fn split_pool(
    pre: usize,
    max: usize,
    segment: Segment,
) -> Result<(usize, usize), PoolTooSmall> {
    if max < segment.count as usize {
        return Err(PoolTooSmall {
            max_users: max,
            count: segment.count,
        });
    }
    Ok((segment.split(pre.min(max)), segment.split(max)))
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

    /// How many of this segment's users run while the whole plan runs its first `whole_users`
    /// (its users are in global-index order, so those below `whole_users`).
    pub fn running_at(&self, whole_users: u64) -> usize {
        self.users.partition_point(|u| u.global_index < whole_users)
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

    /// Counts (arrivals, pool bounds) dealt round-robin: the parts sum exactly, differ by at
    /// most one, and the positions `I + N*k` of the segments cover every position once.
    #[test]
    fn counts_and_positions_split_exactly() {
        let totals = [0usize, 1, 2, 3, 5, 9, 10, 11, 99, 100, 101, 1000, 1009];
        let counts = [1u32, 2, 3, 4, 7, 10, 16, 100];
        for &total in &totals {
            for &n in &counts {
                let segments: Vec<Segment> = (0..n).map(|i| Segment::new(i, n).unwrap()).collect();
                let parts: Vec<usize> = segments.iter().map(|s| s.split(total)).collect();
                let case = format!("total {total}, N {n}: {parts:?}");
                assert_eq!(parts.iter().sum::<usize>(), total, "{case}");
                assert!(
                    parts.iter().max().unwrap() - parts.iter().min().unwrap() <= 1,
                    "{case}"
                );
                // Segment I's first `split(total)` positions are exactly 0..total dealt.
                let mut seen = vec![0u8; total];
                for (s, &part) in segments.iter().zip(&parts) {
                    for k in 0..part as u64 {
                        let p = s.nth(k) as usize;
                        assert_eq!(p as u64 % u64::from(n), u64::from(s.index()), "{case}");
                        seen[p] += 1;
                    }
                    // The next position is past the whole sequence.
                    assert!(s.nth(part as u64) as usize >= total, "{case}");
                }
                assert!(seen.iter().all(|&c| c == 1), "{case}");
            }
        }
    }

    /// Pool bounds: each segment's pre-allocated and maximum users sum to the whole run's,
    /// pre never exceeds max, every segment has at least one user, and a pool smaller than
    /// N is refused.
    #[test]
    fn pools_split_exactly_or_are_refused() {
        let pools = [
            (0usize, 1usize),
            (1, 1),
            (10, 10),
            (3, 10),
            (10, 3),
            (0, 7),
            (7, 8),
            (100, 250),
        ];
        for &(pre, max) in &pools {
            for n in [1u32, 2, 3, 5, 8] {
                let got: Vec<Result<(usize, usize), PoolTooSmall>> = (0..n)
                    .map(|i| split_pool(pre, max, Segment::new(i, n).unwrap()))
                    .collect();
                let case = format!("pre {pre}, max {max}, N {n}: {got:?}");
                if max < n as usize {
                    let e = PoolTooSmall {
                        max_users: max,
                        count: n,
                    };
                    assert!(got.iter().all(|g| *g == Err(e)), "{case}");
                    assert!(
                        e.to_string()
                            .contains(&format!("give a pool of {n} users or more"))
                    );
                    continue;
                }
                let got: Vec<(usize, usize)> = got.into_iter().map(Result::unwrap).collect();
                assert_eq!(
                    got.iter().map(|g| g.0).sum::<usize>(),
                    pre.min(max),
                    "{case}"
                );
                assert_eq!(got.iter().map(|g| g.1).sum::<usize>(), max, "{case}");
                assert!(got.iter().all(|&(p, m)| p <= m && m >= 1), "{case}");
            }
        }
    }

    /// A plan laid out for its peak: at any whole-plan count `T` up to the peak, the
    /// segments together run exactly the whole plan's first `T` users, type by type.
    #[test]
    fn stages_run_the_whole_plans_first_users_at_every_count() {
        let types_table = [
            vec![w(1, None)],
            vec![w(1, Some(2)), w(3, None), w(1, None)],
            vec![w(1, Some(3)), w(1, Some(4))],
            vec![w(7, None), w(0, Some(5)), w(13, None), w(2, None)],
        ];
        for types in &types_table {
            for peak in [1usize, 9, 10, 64, 101] {
                for n in [1u32, 2, 3, 7] {
                    let shares: Vec<Share> = (0..n)
                        .map(|i| share(types, peak, Segment::new(i, n).unwrap()))
                        .collect();
                    for t in 0..=peak {
                        let case = format!("types {types:?}, peak {peak}, N {n}, T {t}");
                        let mut per_type = vec![0usize; types.len()];
                        let mut indices = Vec::new();
                        for s in &shares {
                            for u in &s.users()[..s.running_at(t as u64)] {
                                per_type[u.class] += 1;
                                indices.push(u.global_index);
                            }
                        }
                        indices.sort_unstable();
                        let planned = whole_plan_users(types, t) as u64;
                        assert_eq!(indices, (0..planned).collect::<Vec<u64>>(), "{case}");
                        assert_eq!(per_type, whole_plan(types, t), "{case}");
                    }
                }
            }
        }
    }
}
