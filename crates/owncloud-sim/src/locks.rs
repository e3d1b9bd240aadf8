//! WebDAV locks (class 2) and the `If` header, the way Sabre's Locks plugin treats them:
//! write locks, exclusive or shared, depth 0 or infinity, `opaquelocktoken:` tokens, refresh
//! through any resource a lock covers, and `If` lists with state tokens, ETags and `Not`.
//!
//! Locks belong to a tree (its owner's id) and a key in it. Holding a lock is knowing its
//! token: a write to a locked resource must submit the token in its `If` header.

use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::paths;
use crate::store::lock;

/// One active lock.
#[derive(Debug, Clone)]
pub(crate) struct Lock {
    /// `opaquelocktoken:{uuid}`.
    pub(crate) token: String,
    /// Id of the user whose tree holds the locked key.
    pub(crate) tree: String,
    /// The locked key.
    pub(crate) key: String,
    /// Depth infinity (a folder and everything below it).
    pub(crate) infinite: bool,
    /// Exclusive (else shared).
    pub(crate) exclusive: bool,
    /// The client's `<d:owner>` content, as a self-contained XML fragment.
    pub(crate) owner: String,
    /// Seconds the lock lives without a refresh; `None` = infinite.
    pub(crate) timeout: Option<u64>,
    /// The href of the locked resource as the client named it.
    pub(crate) root_href: String,
    expires: Option<Instant>,
}

impl Lock {
    /// True when this lock covers `key` of `tree` (itself, or below an infinite lock).
    fn covers(&self, tree: &str, key: &str) -> bool {
        self.tree == tree
            && (self.key == key || (self.infinite && paths::is_within(key, &self.key)))
    }

    /// `<d:activelock>` for lock discovery.
    pub(crate) fn write_active(&self, out: &mut String) {
        let _ = write!(
            out,
            "<d:activelock><d:lockscope>{}</d:lockscope><d:locktype><d:write/></d:locktype><d:depth>{}</d:depth>",
            if self.exclusive {
                "<d:exclusive/>"
            } else {
                "<d:shared/>"
            },
            if self.infinite { "infinity" } else { "0" },
        );
        if !self.owner.is_empty() {
            let _ = write!(out, "<d:owner>{}</d:owner>", self.owner);
        }
        let _ = write!(
            out,
            "<d:timeout>{}</d:timeout><d:locktoken><d:href>{}</d:href></d:locktoken><d:lockroot><d:href>{}</d:href></d:lockroot></d:activelock>",
            self.timeout
                .map_or_else(|| "Infinite".to_owned(), |s| format!("Second-{s}")),
            self.token,
            quick_xml::escape::escape(&self.root_href),
        );
    }
}

/// What a write does to the namespace, which decides which locks stand in its way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Write {
    /// Changes the resource's content or properties (PUT onto an existing file, PROPPATCH).
    Content,
    /// Adds the resource to its parent (PUT of a new file, MKCOL, COPY/MOVE destination).
    Create,
    /// Removes the resource and everything below it (DELETE, MOVE source).
    Remove,
}

/// A new lock was refused.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Conflict;

/// All locks of a server.
#[derive(Debug, Default)]
pub(crate) struct Locks {
    inner: Mutex<Vec<Lock>>,
}

impl Locks {
    fn live(&self) -> std::sync::MutexGuard<'_, Vec<Lock>> {
        let mut all = lock(&self.inner);
        let now = Instant::now();
        all.retain(|l| l.expires.is_none_or(|e| e > now));
        all
    }

    /// Locks covering `key` of `tree`.
    pub(crate) fn covering(&self, tree: &str, key: &str) -> Vec<Lock> {
        self.live()
            .iter()
            .filter(|l| l.covers(tree, key))
            .cloned()
            .collect()
    }

    /// True when a lock with `token` covers `key` of `tree`.
    pub(crate) fn token_covers(&self, token: &str, tree: &str, key: &str) -> bool {
        self.live()
            .iter()
            .any(|l| l.token == token && l.covers(tree, key))
    }

    /// True when nothing locks `key` against `what`, or `submitted` holds the token of one
    /// of the locks in the way (one token of a set of shared locks is enough).
    pub(crate) fn may_write(
        &self,
        tree: &str,
        key: &str,
        what: Write,
        submitted: &[String],
    ) -> bool {
        let parent = paths::parent(key);
        let all = self.live();
        let mut blocking = all
            .iter()
            .filter(|l| {
                l.covers(tree, key)
                    || (what != Write::Content
                        && l.tree == tree
                        && parent.is_some_and(|p| l.key == p))
                    || (what == Write::Remove && l.tree == tree && paths::is_within(&l.key, key))
            })
            .peekable();
        if blocking.peek().is_none() {
            return true;
        }
        blocking.any(|l| submitted.contains(&l.token))
    }

    /// Takes a new lock, unless it conflicts with one already held.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn acquire(
        &self,
        tree: &str,
        key: &str,
        infinite: bool,
        exclusive: bool,
        owner: String,
        timeout: Option<u64>,
        root_href: String,
    ) -> Result<Lock, Conflict> {
        let mut all = self.live();
        let clash = all.iter().any(|l| {
            let overlaps = l.covers(tree, key)
                || (infinite && l.tree == tree && paths::is_within(&l.key, key));
            overlaps && (exclusive || l.exclusive)
        });
        if clash {
            return Err(Conflict);
        }
        let new = Lock {
            token: format!("opaquelocktoken:{}", uuid_v4()),
            tree: tree.to_owned(),
            key: key.to_owned(),
            infinite,
            exclusive,
            owner,
            timeout,
            root_href,
            expires: timeout.map(|s| Instant::now() + Duration::from_secs(s)),
        };
        all.push(new.clone());
        Ok(new)
    }

    /// Refreshes the lock `token` through `key` (any resource it covers).
    pub(crate) fn refresh(
        &self,
        token: &str,
        tree: &str,
        key: &str,
        timeout: Option<u64>,
    ) -> Option<Lock> {
        let mut all = self.live();
        let l = all
            .iter_mut()
            .find(|l| l.token == token && l.covers(tree, key))?;
        if timeout.is_some() {
            l.timeout = timeout;
        }
        l.expires = l.timeout.map(|s| Instant::now() + Duration::from_secs(s));
        Some(l.clone())
    }

    /// Removes the lock `token` if it covers `key`; false when there is none.
    pub(crate) fn release(&self, token: &str, tree: &str, key: &str) -> bool {
        let mut all = self.live();
        let before = all.len();
        all.retain(|l| !(l.token == token && l.covers(tree, key)));
        all.len() != before
    }

    /// Drops the locks on `key` and below (the resource went away or moved).
    pub(crate) fn forget(&self, tree: &str, key: &str) {
        lock(&self.inner).retain(|l| !(l.tree == tree && paths::is_within(&l.key, key)));
    }

    /// Drops every lock in a user's tree (the user was deleted).
    pub(crate) fn forget_tree(&self, tree: &str) {
        lock(&self.inner).retain(|l| l.tree != tree);
    }
}

/// A random version-4 UUID, hyphenated.
fn uuid_v4() -> String {
    let a = crate::session::random_u64();
    let b = crate::session::random_u64();
    let a = (a & 0xffff_ffff_ffff_0fff) | 0x4000;
    let b = (b & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000;
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xffff,
        b >> 48,
        b & 0xffff_ffff_ffff
    )
}

/// One condition of an `If` list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Cond {
    /// `[Not] <state-token>`.
    Token(bool, String),
    /// `[Not] [etag]`.
    Etag(bool, String),
}

/// One parenthesised list, tagged with a resource (`<url> (...)`) or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IfList {
    /// The tagged resource, as written.
    pub(crate) resource: Option<String>,
    /// All must hold.
    pub(crate) conds: Vec<Cond>,
}

/// The `If` header could not be read (Sabre answers 400).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct BadIf;

/// Parses an `If` header (RFC 4918 §10.4).
pub(crate) fn parse_if(h: &str) -> Result<Vec<IfList>, BadIf> {
    let mut lists = Vec::new();
    let mut tag: Option<String> = None;
    let mut rest = h.trim_start();
    let take_until = |s: &str, end: char| -> Result<(String, usize), BadIf> {
        let i = s.find(end).ok_or(BadIf)?;
        Ok((s[1..i].to_owned(), i + 1))
    };
    while !rest.is_empty() {
        if rest.starts_with('<') {
            let (t, n) = take_until(rest, '>')?;
            tag = Some(t);
            rest = rest[n..].trim_start();
        } else if let Some(r) = rest.strip_prefix('(') {
            let mut conds = Vec::new();
            let mut inner = r.trim_start();
            loop {
                let mut not = false;
                if let Some(r) = inner.strip_prefix("Not") {
                    not = true;
                    inner = r.trim_start();
                }
                if inner.starts_with('<') {
                    let (t, n) = take_until(inner, '>')?;
                    conds.push(Cond::Token(not, t));
                    inner = inner[n..].trim_start();
                } else if inner.starts_with('[') {
                    let (t, n) = take_until(inner, ']')?;
                    conds.push(Cond::Etag(not, t));
                    inner = inner[n..].trim_start();
                } else if let Some(r) = inner.strip_prefix(')') {
                    if not || conds.is_empty() {
                        return Err(BadIf);
                    }
                    inner = r.trim_start();
                    break;
                } else {
                    return Err(BadIf);
                }
            }
            lists.push(IfList {
                resource: tag.clone(),
                conds,
            });
            rest = inner;
        } else {
            return Err(BadIf);
        }
    }
    if lists.is_empty() {
        return Err(BadIf);
    }
    Ok(lists)
}

/// The state tokens a client submitted (the positive ones: `Not <t>` proves nothing).
pub(crate) fn submitted_tokens(lists: &[IfList]) -> Vec<String> {
    lists
        .iter()
        .flat_map(|l| &l.conds)
        .filter_map(|c| match c {
            Cond::Token(false, t) => Some(t.clone()),
            _ => None,
        })
        .collect()
}

/// Compares ETags the way `If` lists do (a weak prefix is ignored).
pub(crate) fn etag_eq(a: &str, b: &str) -> bool {
    a.trim_start_matches("W/") == b.trim_start_matches("W/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_headers_parse() {
        let t = |s: &str| Cond::Token(false, s.to_owned());
        let cases: &[(&str, Result<Vec<IfList>, BadIf>)] = &[
            (
                "(<opaquelocktoken:a> [\"e1\"])",
                Ok(vec![IfList {
                    resource: None,
                    conds: vec![t("opaquelocktoken:a"), Cond::Etag(false, "\"e1\"".into())],
                }]),
            ),
            (
                "(<urn:x>) (Not <DAV:no-lock>)",
                Ok(vec![
                    IfList {
                        resource: None,
                        conds: vec![t("urn:x")],
                    },
                    IfList {
                        resource: None,
                        conds: vec![Cond::Token(true, "DAV:no-lock".into())],
                    },
                ]),
            ),
            (
                "<http://h/a/b> (<urn:y>)",
                Ok(vec![IfList {
                    resource: Some("http://h/a/b".into()),
                    conds: vec![t("urn:y")],
                }]),
            ),
            ("", Err(BadIf)),
            ("(<urn:x>", Err(BadIf)),
            ("()", Err(BadIf)),
            ("junk", Err(BadIf)),
            ("(Not)", Err(BadIf)),
        ];
        for (h, want) in cases {
            assert_eq!(&parse_if(h), want, "{h}");
        }
    }

    #[test]
    fn locks_block_and_admit() {
        let locks = Locks::default();
        let own = |key: &str, inf: bool, excl: bool| {
            locks.acquire(
                "u",
                key,
                inf,
                excl,
                String::new(),
                Some(60),
                format!("/{key}"),
            )
        };
        let coll = own("c", true, true).unwrap();
        assert_eq!(own("c/f", false, false).unwrap_err(), Conflict);
        assert!(!locks.may_write("u", "c/f", Write::Create, &[]));
        assert!(locks.may_write("u", "c/f", Write::Create, std::slice::from_ref(&coll.token)));
        assert!(
            !locks.may_write("u", "", Write::Remove, &[]),
            "deleting above a lock"
        );
        assert!(locks.may_write("u", "d", Write::Create, &[]));
        assert!(
            locks.refresh(&coll.token, "u", "c/f", None).is_some(),
            "indirect refresh"
        );
        let s1 = own("s", false, false).unwrap();
        let s2 = own("s", false, false).unwrap();
        assert_eq!(own("s", false, true).unwrap_err(), Conflict);
        assert!(locks.may_write("u", "s", Write::Content, std::slice::from_ref(&s2.token)));
        assert!(!locks.may_write("u", "s", Write::Content, &[]));
        assert!(locks.release(&s1.token, "u", "s"));
        assert!(!locks.release(&s1.token, "u", "s"));
        assert_eq!(uuid_v4().len(), 36);
    }
}
