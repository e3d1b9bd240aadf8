//! Sessions and the authentication rule: basic auth, session cookies, and "the cookie wins".

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use base64::Engine as _;
use http::{HeaderMap, HeaderValue, header};
use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};

use crate::state::State;
use crate::store::{UserEntry, read, write};

/// Name of ownCloud's passphrase cookie.
const PASSPHRASE: &str = "oc_sessionPassphrase";
/// Sessions kept before idle ones are dropped (PHP's garbage collection, roughly).
const MAX_SESSIONS: usize = 100_000;

thread_local! {
    static RNG: RefCell<StdRng> = RefCell::new(StdRng::from_os_rng());
}

/// A random string over `alphabet`.
pub(crate) fn random_string(len: usize, alphabet: &[u8]) -> String {
    RNG.with(|r| {
        let mut r = r.borrow_mut();
        (0..len)
            .map(|_| char::from(alphabet[r.random_range(0..alphabet.len())]))
            .collect()
    })
}

/// A random number from the thread's generator.
pub(crate) fn random_u64() -> u64 {
    RNG.with(|r| r.borrow_mut().random())
}

/// Lowercase letters and digits, as PHP session ids and instance ids use.
pub(crate) const LOWER_ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
const BASE64_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// One logged-in session.
#[derive(Debug)]
struct Session {
    /// The passphrase exactly as the cookie carries it (percent-encoded).
    passphrase: Box<str>,
    user: Arc<UserEntry>,
    /// Authenticated requests made with this session (the rule needs "two or more").
    requests: AtomicU32,
    /// Milliseconds since the table's epoch of the last password check.
    last_check_ms: AtomicU64,
    /// `Set-Cookie` values for id and passphrase, built once.
    set_cookie: [HeaderValue; 2],
}

/// All sessions of one server.
#[derive(Debug)]
pub(crate) struct Sessions {
    map: std::sync::RwLock<HashMap<Box<str>, Arc<Session>>>,
    cookie_name: String,
    epoch: Instant,
}

/// Who a request runs as, and the cookies its response must set.
#[derive(Debug)]
pub(crate) struct Authed {
    /// The effective user.
    pub(crate) user: Arc<UserEntry>,
    /// `Set-Cookie` values to send (only after a password check, as ownCloud does).
    pub(crate) set_cookie: Option<[HeaderValue; 2]>,
}

/// What the request carried.
struct Presented<'a> {
    sid: Option<&'a str>,
    passphrase: Option<&'a str>,
}

fn cookies<'a>(headers: &'a HeaderMap, name: &str) -> Presented<'a> {
    let mut p = Presented {
        sid: None,
        passphrase: None,
    };
    for v in headers.get_all(header::COOKIE) {
        let Ok(s) = v.to_str() else { continue };
        for pair in s.split(';') {
            if let Some((k, v)) = pair.trim().split_once('=') {
                if k == name {
                    p.sid = Some(v);
                } else if k == PASSPHRASE {
                    p.passphrase = Some(v);
                }
            }
        }
    }
    p
}

/// Decodes `Authorization: Basic` into user and password.
pub(crate) fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(token.trim())
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (u, p) = text.split_once(':')?;
    Some((u.to_owned(), p.to_owned()))
}

impl Sessions {
    /// An empty table whose session cookie is `cookie_name` (`oc<instanceid>`).
    pub(crate) fn new(cookie_name: String) -> Self {
        Self {
            map: std::sync::RwLock::new(HashMap::new()),
            cookie_name,
            epoch: Instant::now(),
        }
    }

    /// Number of live sessions.
    pub(crate) fn len(&self) -> usize {
        read(&self.map).len()
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn lookup(&self, p: &Presented<'_>) -> Option<Arc<Session>> {
        let (sid, pass) = (p.sid?, p.passphrase?);
        let s = read(&self.map).get(sid).cloned()?;
        (s.passphrase.as_ref() == pass && s.user.active()).then_some(s)
    }

    fn create(&self, user: Arc<UserEntry>, now_ms: u64) -> Arc<Session> {
        let sid = random_string(26, LOWER_ALNUM);
        let pass: String = random_string(128, BASE64_CHARS)
            .replace('+', "%2B")
            .replace('/', "%2F");
        let header = |s: String| {
            HeaderValue::from_str(&s).unwrap_or_else(|_| HeaderValue::from_static("x=y"))
        };
        let session = Arc::new(Session {
            set_cookie: [
                header(format!("{}={sid}; path=/; HttpOnly", self.cookie_name)),
                header(format!("{PASSPHRASE}={pass}; path=/; HttpOnly")),
            ],
            passphrase: pass.into_boxed_str(),
            user,
            requests: AtomicU32::new(1),
            last_check_ms: AtomicU64::new(now_ms),
        });
        let mut map = write(&self.map);
        if map.len() >= MAX_SESSIONS {
            // Idle sessions first, then ones never reused: what PHP's GC would have dropped.
            let stale = now_ms.saturating_sub(300_000);
            map.retain(|_, s| {
                s.last_check_ms.load(Ordering::Relaxed) > stale
                    && !s.user.deleted.load(Ordering::Relaxed)
            });
            if map.len() >= MAX_SESSIONS {
                map.retain(|_, s| s.requests.load(Ordering::Relaxed) > 1);
            }
        }
        map.insert(sid.into_boxed_str(), session.clone());
        session
    }
}

/// `cookie_test` as ownCloud sets it, valid for an hour.
fn cookie_test() -> HeaderValue {
    let expires = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(3600));
    HeaderValue::from_str(&format!(
        "cookie_test=test; expires={expires}; Max-Age=3600; path=/"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("cookie_test=test; path=/"))
}

/// Builds the three `Set-Cookie` values of a password-checked response.
pub(crate) fn set_cookie_headers(authed: &Authed) -> Option<[HeaderValue; 3]> {
    let [a, b] = authed.set_cookie.clone()?;
    Some([a, b, cookie_test()])
}

/// Decides who a request runs as, following ownCloud's rule (see the crate docs).
pub(crate) async fn authenticate(state: &State, headers: &HeaderMap) -> Option<Authed> {
    let sessions = &state.sessions;
    let presented = cookies(headers, &sessions.cookie_name);
    let session = sessions.lookup(&presented);
    let basic = headers.contains_key(header::AUTHORIZATION);
    let now = sessions.now_ms();
    let recheck_ms = u64::try_from(state.cfg.session_recheck.as_millis()).unwrap_or(u64::MAX);
    if let Some(s) = &session {
        let fresh = now.saturating_sub(s.last_check_ms.load(Ordering::Relaxed)) < recheck_ms;
        let warm = s.requests.load(Ordering::Relaxed) >= 2;
        if fresh && (!basic || (state.cfg.cookie_wins && warm)) {
            s.requests.fetch_add(1, Ordering::Relaxed);
            return Some(Authed {
                user: s.user.clone(),
                set_cookie: None,
            });
        }
        if !basic {
            // A stale session re-validates its login (the costly check) and carries on.
            state.password_check().await;
            s.last_check_ms.store(now, Ordering::Relaxed);
            s.requests.fetch_add(1, Ordering::Relaxed);
            return Some(Authed {
                user: s.user.clone(),
                set_cookie: None,
            });
        }
    }
    let (uid, password) = basic_credentials(headers)?;
    state.password_check().await;
    let user = state
        .store
        .user(&uid)
        .filter(|u| u.active() && u.password_matches(&password))?;
    let session = match session {
        Some(s) if Arc::ptr_eq(&s.user, &user) => {
            s.requests.fetch_add(1, Ordering::Relaxed);
            s.last_check_ms.store(now, Ordering::Relaxed);
            s
        }
        _ => sessions.create(user.clone(), now),
    };
    Some(Authed {
        user,
        set_cookie: Some(session.set_cookie.clone()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cookies_and_basic() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("cookie_test=test; ocabc=sid1; oc_sessionPassphrase=p%2B1"),
        );
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Basic YWRtaW46YTpi"),
        );
        let p = cookies(&h, "ocabc");
        assert_eq!((p.sid, p.passphrase), (Some("sid1"), Some("p%2B1")));
        assert_eq!(
            basic_credentials(&h),
            Some(("admin".to_owned(), "a:b".to_owned()))
        );
    }
}
