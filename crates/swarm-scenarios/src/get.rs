//! The `get` scenario: every user GETs the host URL over and over with no wait, on its own
//! keep-alive connection. For quick checks and for `cargo xtask bench http`. The URL is the
//! test's host (`--host`, or the web UI's start form), path and query included.

use swarm::prelude::*;

/// The scenario, ready to register: `App::new("swarm").register(swarm_scenarios::get::scenario())`.
pub fn scenario() -> Scenario {
    Scenario::new("get")
        .about("GET the --host URL in a loop with no wait (quick checks, benchmarks)")
        .user::<Getter>()
}

/// The URL as given, split once per user into the session's base (its origin, where any
/// userinfo becomes the session's basic auth) and the path and query to request, unchanged
/// (a trailing `/` included).
fn split(host: &str) -> Result<(String, String), TaskError> {
    let url = url::Url::parse(host).map_err(|e| {
        TaskError::Exception(format!(
            "`{}` is not a URL ({e})",
            swarm::http::redact_url(host)
        ))
    })?;
    let mut path = url.path().to_owned();
    if let Some(q) = url.query() {
        path.push('?');
        path.push_str(q);
    }
    let mut base = url.clone();
    base.set_path("");
    base.set_query(None);
    base.set_fragment(None);
    Ok((base.to_string(), path))
}

/// A user that fetches one URL.
struct Getter {
    session: Session,
    path: String,
}

impl User for Getter {
    async fn on_start(ctx: &mut Ctx) -> Result<Self, TaskError> {
        let host = ctx.host().ok_or("no URL to fetch: give a host")?;
        let (base, path) = split(host)?;
        let session = Session::new(&ctx.http_client()?, &base)?;
        Ok(Self { session, path })
    }

    fn tasks(&self) -> Tasks<Self> {
        tasks![1 => Self::fetch]
    }
}

impl Getter {
    async fn fetch(&mut self) -> TaskResult {
        // An absolute path from the origin, exactly as given.
        self.session.get(self.path.as_str()).send().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_is_requested_as_given() {
        let cases = [
            ("http://h:1/dir/", "http://h:1/", "/dir/"),
            ("http://h:1/x?q=a/", "http://h:1/", "/x?q=a/"),
            ("http://h:1", "http://h:1/", "/"),
            ("http://u:pw@h:1/p", "http://u:pw@h:1/", "/p"),
        ];
        for (host, base, path) in cases {
            assert_eq!(
                split(host).map_err(|e| e.to_string()),
                Ok((base.to_owned(), path.to_owned())),
                "{host}"
            );
        }
    }
}
