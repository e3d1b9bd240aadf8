//! The `get` scenario: every user GETs the `--host` URL over and over with no wait, on its
//! own keep-alive connection. For quick checks and for `cargo xtask bench http`.

use super::{Prepared, ScenarioDef};
use crate::cli::RunArgs;
use crate::error::Usage;
use anyhow::Result;
use swarm_core::metrics::Metrics;
use swarm_core::{Ctx, Extensions, Scenario, TaskError, TaskResult, Tasks, User, tasks};
use swarm_http::{Client, ClientOptions, Session};

/// The registry entry.
pub(crate) const DEF: ScenarioDef = ScenarioDef {
    name: "get",
    about: "GET the --host URL in a loop with no wait (quick checks, benchmarks)",
    options: &["-H/--host URL   the URL to fetch (path and query included)"],
    prepare,
};

/// The URL split once: the session's base (scheme://authority) and the request target.
struct Target {
    origin: String,
    path: String,
}

fn prepare(args: &RunArgs, metrics: &Metrics) -> Result<Prepared> {
    let host = args.host.as_deref().ok_or_else(|| {
        Usage("the get scenario needs a URL: add --host http://127.0.0.1:8080/path".into())
    })?;
    let url = url::Url::parse(host).map_err(|e| Usage(format!("`{host}` is not a URL ({e})")))?;
    let origin = url.origin().ascii_serialization();
    let mut path = url.path().to_owned();
    if let Some(q) = url.query() {
        path.push('?');
        path.push_str(q);
    }
    let mut extensions = Extensions::new();
    extensions
        .insert(Client::new(metrics.recorder(), ClientOptions::default()))
        .insert(Target { origin, path });
    Ok(Prepared {
        scenario: Scenario::new().user::<Getter>(),
        extensions,
    })
}

/// A user that fetches one URL.
struct Getter {
    session: Session,
    path: String,
}

impl User for Getter {
    async fn on_start(ctx: &mut Ctx) -> Result<Self, TaskError> {
        let target = ctx
            .get::<Target>()
            .ok_or("the get scenario was not prepared")?;
        let client = ctx
            .get::<Client>()
            .ok_or("the get scenario has no HTTP client")?;
        let session = Session::new(
            &client.with_recorder(ctx.recorder().clone()),
            &target.origin,
        )?;
        Ok(Self {
            session,
            path: target.path.clone(),
        })
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
