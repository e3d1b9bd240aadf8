//! The web UI: `swarm run` without `--headless` serves a Locust-like page and Locust's HTTP
//! API on the run's own tokio runtime, and waits for a start (or starts at once with
//! `--autostart`). Ctrl-C or SIGTERM stops the test, writes the reports and exits.

mod api;
mod assets;
mod downloads;
mod form;
pub(crate) mod guard;
mod locust;
mod open;
mod state;

use crate::report::RunMeta;
use crate::run::Run;
use crate::signals::StopSignals;
use anyhow::{Context, Result};
pub(crate) use guard::Credentials;
use guard::Guard;
use state::{AppState, StartOutcome, StartRequest};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// How long open browser connections may delay the exit once the test has stopped.
const SERVER_DRAIN: Duration = Duration::from_secs(2);

/// `http://ADDR` as a browser would be pointed at it.
fn page_url(addr: SocketAddr) -> String {
    format!("http://{addr}")
}

/// The warning for a UI that other machines can reach without `--web-auth`.
fn exposure_warning(addr: SocketAddr, has_auth: bool) -> Option<String> {
    (!addr.ip().is_loopback() && !has_auth).then(|| {
        format!("The web UI listens on {addr}, reachable from other machines, without --web-auth: anyone who reaches it can start load (add --web-auth user:password)")
    })
}

/// Serves the UI for `run` until a signal; returns the process exit code.
pub(crate) async fn serve(run: Run, credentials: Option<Credentials>) -> Result<i32> {
    let (runner, args) = (run.runner.clone(), &run.args);
    let mut signals = StopSignals::new().context("cannot install signal handlers")?;
    let listener = tokio::net::TcpListener::bind((args.web_host.as_str(), args.web_port))
        .await
        .with_context(|| {
            format!(
                "cannot serve the web UI on {}:{} (choose another --web-port, or --headless)",
                args.web_host, args.web_port
            )
        })?;
    let addr = listener
        .local_addr()
        .context("cannot read the web UI's address")?;
    tracing::info!(target: "swarm.main", "Starting swarm {} (run id {})", env!("CARGO_PKG_VERSION"), runner.run_id());
    tracing::info!(target: "swarm.web", "Starting web interface at {}", page_url(addr));
    let loopback = addr.ip().is_loopback();
    if let Some(warning) = exposure_warning(addr, credentials.is_some()) {
        tracing::warn!(target: "swarm.web", "{warning}");
    }
    let (warnings, watcher) = crate::cpu::spawn_watch(args);
    let app = Arc::new(AppState::new(
        runner.clone(),
        run.scenario.clone(),
        args,
        Arc::clone(&warnings),
        run.load.clone(),
    ));
    let guard = Guard {
        credentials,
        loopback_only: loopback,
    };
    let router = api::router(Arc::clone(&app), guard.clone()).merge(run.outputs.router(guard));
    let (quit_tx, quit_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = quit_rx.await;
            })
            .await
    });
    let name = if args.autostart {
        // In its own task: a signal must stop a start whose on_test_start hangs.
        let start = {
            let app = Arc::clone(&app);
            let request = StartRequest::from_args(args);
            tokio::spawn(async move { app.swarm(request).await })
        };
        tokio::select! {
            started = start => match started {
                Ok(Ok(StartOutcome::Started { .. } | StartOutcome::Reshaped { .. })) => {
                    signals.recv().await
                }
                Ok(Err(e)) => anyhow::bail!("--autostart failed: {e}"),
                Err(e) => anyhow::bail!("--autostart failed: {e}"),
            },
            name = signals.recv() => name,
        }
    } else {
        tracing::info!(target: "swarm.web", "Waiting for a start from the web UI (or --autostart)");
        signals.recv().await
    };
    tracing::info!(target: "swarm.main", "Got {name}: stopping every user (again to exit at once)");
    let quitting = {
        let runner = runner.clone();
        tokio::spawn(async move { runner.quit().await })
    };
    let forced = tokio::select! {
        _ = quitting => false,
        name = signals.recv() => {
            tracing::warn!(target: "swarm.main", "Second {name}: exiting now; users still stopping may leave data behind");
            true
        }
    };
    let _ = quit_tx.send(());
    if !forced {
        // Browsers keep connections open; they must not hold the exit for long.
        let _ = tokio::time::timeout(SERVER_DRAIN, server).await;
    }
    watcher.abort();
    let stats = app.snapshot_now().await?;
    let ran = app.has_run();
    if ran {
        print!("{}", crate::live::tables(&stats, app.runner.user_count()));
    }
    let meta: RunMeta = app.run_meta();
    crate::run::finish(&run, &stats, meta, ran, forced)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_open_non_loopback_address_warns() {
        let cases = [
            ("127.0.0.1:8089", false, false),
            ("[::1]:8089", false, false),
            ("0.0.0.0:8089", false, true),
            ("0.0.0.0:8089", true, false),
            ("192.0.2.7:8089", false, true),
        ];
        for (addr, auth, warns) in cases {
            let addr: SocketAddr = addr.parse().expect("address");
            assert_eq!(
                exposure_warning(addr, auth).is_some(),
                warns,
                "{addr} auth={auth}"
            );
        }
    }
}
