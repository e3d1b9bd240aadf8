//! Pushing encoded metrics to a receiver (remote-write, OTLP): a few tries with backoff per
//! push, counted, never on a user's path. Sent with a swarm-http client that has no
//! recorder, so pushes never show up as load requests.

use bytes::Bytes;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use swarm_core::lock;
use swarm_http::{Client, ClientOptions, Session};

/// Tries per push, and the wait before the second try (doubled for each next one).
const TRIES: u32 = 3;
const FIRST_BACKOFF: Duration = Duration::from_millis(250);

/// Longest one try may take.
const TRY_TIMEOUT: Duration = Duration::from_secs(5);

/// One receiver: where, how, and how it went so far.
pub(crate) struct Pusher {
    /// The flag that asked for it, for messages.
    pub(crate) flag: &'static str,
    /// The URL with any password redacted, for messages.
    shown: String,
    session: Session,
    target: String,
    headers: &'static [(&'static str, &'static str)],
    pushes: AtomicU64,
    failed: AtomicU64,
    last_error: Mutex<Option<String>>,
}

/// A URL as a session base (its origin; userinfo becomes basic auth) and the path and query.
fn split(url: &str) -> Result<(String, String), String> {
    let parsed = url::Url::parse(url).map_err(|e| e.to_string())?;
    let mut target = parsed.path().to_owned();
    if let Some(q) = parsed.query() {
        target.push('?');
        target.push_str(q);
    }
    let mut base = parsed;
    base.set_path("");
    base.set_query(None);
    base.set_fragment(None);
    Ok((base.to_string(), target))
}

impl Pusher {
    /// A pusher to `url` (already checked by the flag's parser).
    pub(crate) fn new(
        flag: &'static str,
        url: &str,
        headers: &'static [(&'static str, &'static str)],
    ) -> Result<Self, String> {
        let shown = swarm_http::redact_url(url);
        let (base, target) = split(url).map_err(|e| format!("{flag} {shown}: {e}"))?;
        let client = Client::unbound(
            ClientOptions::default()
                .request_timeout(TRY_TIMEOUT)
                .user_agent(concat!("swarm/", env!("CARGO_PKG_VERSION"))),
        );
        let session = Session::new(&client, &base).map_err(|e| format!("{flag} {shown}: {e}"))?;
        Ok(Self {
            flag,
            shown,
            session,
            target,
            headers,
            pushes: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            last_error: Mutex::new(None),
        })
    }

    /// One try; a 4xx other than 429 is final (the receiver refuses this body).
    async fn try_once(&self, body: &Bytes) -> Result<(), (String, bool)> {
        let mut request = self
            .session
            .post(self.target.as_str())
            .body(body.clone())
            .follow_redirects(false)
            .check(|r| match r.status().as_u16() {
                200..=299 => Ok(()),
                other => Err(format!("HTTP {other}, not 2xx")),
            });
        for (k, v) in self.headers {
            request = request.header(*k, *v);
        }
        match request.send().await {
            Ok(_) => Ok(()),
            Err(e) => {
                let retry = e
                    .status()
                    .is_none_or(|s| s.as_u16() == 429 || !s.is_client_error());
                Err((e.to_string(), retry))
            }
        }
    }

    /// Pushes `body` with retries; a push that never got through counts as failed.
    pub(crate) async fn push(&self, body: Bytes) {
        self.pushes.fetch_add(1, Ordering::Relaxed);
        let mut backoff = FIRST_BACKOFF;
        for attempt in 1..=TRIES {
            match self.try_once(&body).await {
                Ok(()) => return,
                Err((error, retry)) => {
                    if !retry || attempt == TRIES {
                        self.failed.fetch_add(1, Ordering::Relaxed);
                        let first = lock(&self.last_error).replace(error.clone()).is_none();
                        if first {
                            tracing::warn!(target: "swarm.outputs", "{} {}: a push failed ({error}); swarm keeps trying at every interval", self.flag, self.shown);
                        }
                        return;
                    }
                    tokio::time::sleep(backoff).await;
                    backoff *= 2;
                }
            }
        }
    }

    /// How many pushes failed so far, of how many.
    pub(crate) fn counts(&self) -> (u64, u64) {
        (
            self.failed.load(Ordering::Relaxed),
            self.pushes.load(Ordering::Relaxed),
        )
    }

    /// The warning the reports carry when any push failed.
    pub(crate) fn summary(&self) -> Option<String> {
        let (failed, pushes) = self.counts();
        (failed > 0).then(|| {
            let last = lock(&self.last_error).clone().unwrap_or_default();
            format!(
                "{} {}: {failed} of {pushes} pushes failed (last: {last})",
                self.flag, self.shown
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_into_a_base_and_a_target() {
        let cases = [
            (
                "http://127.0.0.1:9090/api/v1/write",
                "http://127.0.0.1:9090/",
                "/api/v1/write",
            ),
            (
                "https://u:pw@h/v1/metrics?x=1",
                "https://u:pw@h/",
                "/v1/metrics?x=1",
            ),
            ("http://h:4318", "http://h:4318/", "/"),
        ];
        for (url, base, target) in cases {
            assert_eq!(
                split(url),
                Ok((base.to_owned(), target.to_owned())),
                "{url}"
            );
        }
    }

    #[tokio::test]
    async fn a_receiver_that_is_not_there_counts_as_failed_pushes() {
        // A port that was just free: connecting is refused at once.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let url = format!("http://user:s3cret@127.0.0.1:{port}/api/v1/write");
        let pusher = Pusher::new("--prometheus-rw", &url, &[]).expect("pusher");
        pusher.push(Bytes::from_static(b"x")).await;
        pusher.push(Bytes::from_static(b"x")).await;
        assert_eq!(pusher.counts(), (2, 2));
        let summary = pusher.summary().expect("a summary");
        assert!(
            summary.starts_with("--prometheus-rw http://user:***@127.0.0.1:"),
            "{summary}"
        );
        assert!(summary.contains("2 of 2 pushes failed"), "{summary}");
        assert!(!summary.contains("s3cret"), "{summary}");
    }
}
