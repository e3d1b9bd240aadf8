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

/// The URL split once per user: the session's base (scheme://authority) and the target.
fn split(host: &str) -> Result<(String, String), TaskError> {
    let url = url::Url::parse(host)
        .map_err(|e| TaskError::Exception(format!("`{host}` is not a URL ({e})")))?;
    let mut path = url.path().to_owned();
    if let Some(q) = url.query() {
        path.push('?');
        path.push_str(q);
    }
    Ok((url.origin().ascii_serialization(), path))
}

/// A user that fetches one URL.
struct Getter {
    session: Session,
    path: String,
}

impl User for Getter {
    async fn on_start(ctx: &mut Ctx) -> Result<Self, TaskError> {
        let host = ctx.host().ok_or("no URL to fetch: give a host")?;
        let (origin, path) = split(host)?;
        let session = Session::new(&ctx.http_client()?, &origin)?;
        Ok(Self { session, path })
    }

    fn tasks(&self) -> Tasks<Self> {
        tasks![1 => Self::fetch]
    }
}

impl Getter {
    async fn fetch(&mut self) -> TaskResult {
        self.session.get(self.path.as_str()).send().await?;
        Ok(())
    }
}
