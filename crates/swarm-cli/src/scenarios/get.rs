//! The `get` scenario: every user GETs the host URL over and over with no wait, on its own
//! keep-alive connection. For quick checks and for `cargo xtask bench http`. The URL is the
//! test's host (`--host`, or the web UI's start form), path and query included.

use super::{Prepared, ScenarioDef};
use crate::cli::RunArgs;
use crate::error::Usage;
use anyhow::Result;
use swarm_core::metrics::Metrics;
use swarm_core::{Ctx, Extensions, Scenario, TaskError, TaskResult, Tasks, User, tasks};
use swarm_http::{Client, ClientOptions, CtxExt, Session};

/// The registry entry.
pub(crate) const DEF: ScenarioDef = ScenarioDef {
    name: "get",
    about: "GET the --host URL in a loop with no wait (quick checks, benchmarks)",
    options: &["-H/--host URL   the URL to fetch (path and query included)"],
    prepare,
};

fn prepare(args: &RunArgs, metrics: &Metrics) -> Result<Prepared> {
    // The web UI's start form may give the URL later; headless runs need it now.
    if args.headless && args.host.is_none() {
        return Err(Usage(
            "the get scenario needs a URL: add --host http://127.0.0.1:8080/path".into(),
        )
        .into());
    }
    let mut extensions = Extensions::new();
    extensions.insert(Client::new(metrics.recorder(), ClientOptions::default()));
    Ok(Prepared {
        scenario: Scenario::new().user::<Getter>(),
        extensions,
    })
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
    async fn fetch(&mut self, _: &mut Ctx) -> TaskResult {
        self.session.get(self.path.as_str()).send().await?;
        Ok(())
    }
}
