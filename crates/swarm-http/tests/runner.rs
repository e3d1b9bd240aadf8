//! `ctx.session()` inside a real swarm-core run: one session (and one connection) per
//! virtual user, recorded into the run's stats; a missing client is a clear exception.
#![allow(clippy::unwrap_used)]

#[allow(dead_code)]
#[path = "it/support.rs"]
mod support;

use std::time::Duration;
use swarm_core::{
    Ctx, Extensions, Runner, RunnerConfig, Scenario, TaskError, TaskResult, TestPlan, User, Wait,
    tasks,
};
use swarm_http::{Client, ClientOptions, CtxExt, Session};

struct Browser {
    http: Session,
}

impl User for Browser {
    const WAIT: Wait = Wait::constant(Duration::from_millis(20));

    async fn on_start(ctx: &mut Ctx) -> Result<Self, TaskError> {
        Ok(Self {
            http: ctx.session()?,
        })
    }

    fn tasks(&self) -> swarm_core::Tasks<Self> {
        tasks![1 => Self::home]
    }
}

impl Browser {
    async fn home(&mut self, _ctx: &mut Ctx) -> TaskResult {
        self.http.get("/").name("home").send().await?;
        Ok(())
    }
}

async fn run(extensions: Extensions, host: String) -> swarm_core::metrics::StatsSnapshot {
    let config = RunnerConfig {
        extensions,
        ..RunnerConfig::default()
    };
    let runner = Runner::new(Scenario::new().user::<Browser>(), config);
    runner
        .start(TestPlan {
            users: 3,
            spawn_rate: 100.0,
            run_time: Some(Duration::from_millis(500)),
            host: Some(host),
        })
        .await
        .unwrap();
    runner.wait_stopped().await;
    runner.snapshot()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_user_gets_its_own_session() {
    let server = support::serve(|_| async { support::resp(200, "hi") }).await;
    let mut extensions = Extensions::new();
    extensions.insert(Client::unbound(ClientOptions::default()));
    let snap = run(extensions, server.url()).await;
    let home = snap.entries.iter().find(|e| e.name == "home").unwrap();
    assert!(home.num_requests >= 6, "{}", home.num_requests);
    assert_eq!(home.num_failures, 0);
    assert_eq!(home.total_bytes, 2 * home.num_requests);
    assert_eq!(server.connections(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_client_says_what_to_do() {
    let snap = run(Extensions::new(), "http://127.0.0.1:9".to_owned()).await;
    assert!(
        snap.exceptions.iter().any(|e| e
            .message
            .contains("insert one into RunnerConfig.extensions")),
        "{:?}",
        snap.exceptions
    );
}
