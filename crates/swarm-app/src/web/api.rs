//! The routes: Locust 2.47's web API (so scripts written for Locust's UI work unchanged), the
//! page's own few extras, and the downloads.

use super::assets;
use super::downloads::Download;
use super::form::{self, FormError};
use super::guard::{self, Guard};
use super::locust;
use super::state::{AppState, ControlError, StartOutcome};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use std::sync::Arc;

type App = State<Arc<AppState>>;

/// Every route, behind the guard (auth, cross-site, Host checks).
pub(crate) fn router(app: Arc<AppState>, guard: Guard) -> Router {
    Router::new()
        .route("/", get(assets::index))
        .route("/assets/app.js", get(assets::app_js))
        .route("/assets/style.css", get(assets::style_css))
        .route("/ui/config", get(ui_config))
        .route("/swarm", post(swarm))
        // POST only, as Locust 2.47 (web.py:373, :384): a GET is answered 405.
        .route("/stop", post(stop))
        .route("/stats/reset", post(reset))
        .route("/stats/requests", get(requests))
        .route("/stats/history", get(history))
        .route("/stats/open", get(open_model))
        .route("/exceptions", get(exceptions))
        .route("/worker-count", get(worker_count))
        .route(
            "/stats/requests/csv",
            get(|s: App| download(s, Download::Requests)),
        )
        .route(
            "/stats/requests_full_history/csv",
            get(|s: App| download(s, Download::FullHistory)),
        )
        .route(
            "/stats/failures/csv",
            get(|s: App| download(s, Download::Failures)),
        )
        .route(
            "/exceptions/csv",
            get(|s: App| download(s, Download::Exceptions)),
        )
        .route("/stats/report", get(report))
        .route(
            "/stats/report.json",
            get(|s: App| download(s, Download::Json)),
        )
        .with_state(app)
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(guard),
            guard::middleware,
        ))
}

/// A JSON answer that no cache keeps.
fn json_response(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        axum::Json(body),
    )
        .into_response()
}

/// Locust's failure shape: `{"success": false, "message": ...}`.
fn refused(status: StatusCode, message: &str, host: Option<String>) -> Response {
    json_response(
        status,
        &json!({"success": false, "message": message, "host": host}),
    )
}

/// The current or last host, any password in it hidden.
fn shown_host(app: &AppState) -> Option<String> {
    app.host().as_deref().map(swarm_http::redact_url)
}

fn internal(e: &anyhow::Error) -> Response {
    tracing::warn!(target: "swarm.web", "web UI request failed: {e:#}");
    refused(StatusCode::INTERNAL_SERVER_ERROR, &format!("{e:#}"), None)
}

/// `GET /ui/config`: what the page pre-fills and shows (any password in the host hidden).
async fn ui_config(State(app): App) -> Response {
    let d = &app.defaults;
    json_response(
        StatusCode::OK,
        &json!({
            "scenario": app.scenario,
            "version": env!("CARGO_PKG_VERSION"),
            "run_id": app.runner.run_id(),
            "host": shown_host(&app),
            "user_count": d.users,
            "spawn_rate": d.spawn_rate,
            "run_time": d.run_time.map(|t| t.as_secs_f64()),
            "user_classes": app.runner.scenario().classes().iter().map(|c| c.name).collect::<Vec<_>>(),
            "load": app.form_load().0,
            "arrival_rate": app.form_load().1,
        }),
    )
}

/// The `/swarm` fields from a form or JSON body.
fn fields(headers: &HeaderMap, body: &[u8]) -> Result<Vec<(String, String)>, FormError> {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            ct.trim_start()
                .to_ascii_lowercase()
                .starts_with("application/json")
        });
    if json {
        form::from_json(body)
    } else {
        Ok(form::from_urlencoded(body))
    }
}

/// `POST /swarm`: start a test, or reshape the running one.
async fn swarm(State(app): App, headers: HeaderMap, body: Bytes) -> Response {
    let req = match fields(&headers, &body).and_then(|f| form::parse(&f, &app.defaults)) {
        Ok(req) => req,
        Err(e) => return refused(StatusCode::BAD_REQUEST, &e.to_string(), shown_host(&app)),
    };
    let (users, rate, run_time) = (req.users, req.spawn_rate, req.run_time);
    match app.swarm(req).await {
        Ok(StartOutcome::Started { host }) => {
            let mut body = json!({
                "success": true,
                "message": "Swarming started",
                "host": host.as_deref().map(swarm_http::redact_url),
            });
            if let (Some(t), Value::Object(map)) = (run_time, &mut body) {
                // Whole seconds as an integer, as Locust's `parse_timespan` gives them.
                let secs = if t.subsec_nanos() == 0 {
                    Value::from(t.as_secs())
                } else {
                    Value::from(t.as_secs_f64())
                };
                map.insert("run_time".into(), secs);
            }
            json_response(StatusCode::OK, &body)
        }
        Ok(StartOutcome::Reshaped { host }) => json_response(
            StatusCode::OK,
            &json!({
                "success": true,
                "message": format!("Swarming changed: now ramping to {users} users at {rate} users/s"),
                "host": host.as_deref().map(swarm_http::redact_url),
            }),
        ),
        Err(e) => {
            let status = match &e {
                ControlError::Stopping
                | ControlError::Runner(
                    swarm_core::RunnerError::AlreadyRunning
                    | swarm_core::RunnerError::NotRunning
                    | swarm_core::RunnerError::ArrivalRun,
                ) => StatusCode::CONFLICT,
                ControlError::Runner(swarm_core::RunnerError::InvalidSpawnRate(_)) => {
                    StatusCode::BAD_REQUEST
                }
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            };
            refused(status, &e.to_string(), shown_host(&app))
        }
    }
}

/// `POST /stop`: every user's `on_stop`, then `on_test_stop`; the
/// program stays up. Answers once the test has stopped.
async fn stop(State(app): App) -> Response {
    match app.stop().await {
        Ok(()) => json_response(
            StatusCode::OK,
            &json!({"success": true, "message": "Test stopped"}),
        ),
        Err(e) => internal(&e.into()),
    }
}

/// `POST /stats/reset`: clears the statistics.
async fn reset(State(app): App) -> &'static str {
    app.reset_stats();
    "ok"
}

/// `GET /stats/requests`: Locust's live report.
async fn requests(State(app): App) -> Response {
    match app.snapshot().await {
        Ok(s) => json_response(
            StatusCode::OK,
            &locust::requests(&s, app.runner.state().as_str(), app.runner.user_count()),
        ),
        Err(e) => internal(&e),
    }
}

/// `GET /stats/open`: the open model's numbers (target and achieved arrival rate, pool,
/// dropped and late iterations) and the corrected times of every row that has them.
async fn open_model(State(app): App) -> Response {
    match app.snapshot().await {
        Ok(s) => json_response(StatusCode::OK, &super::open::open_model(&s)),
        Err(e) => internal(&e),
    }
}

/// `?since=UNIX_SECONDS`.
#[derive(Debug, serde::Deserialize)]
struct Since {
    #[serde(default)]
    since: u64,
}

/// `GET /stats/history?since=T`: chart samples newer than `T`.
async fn history(State(app): App, Query(q): Query<Since>) -> Response {
    match app.snapshot().await {
        Ok(s) => json_response(StatusCode::OK, &locust::history(&s, q.since)),
        Err(e) => internal(&e),
    }
}

/// `GET /exceptions`.
async fn exceptions(State(app): App) -> Response {
    match app.snapshot().await {
        Ok(s) => json_response(StatusCode::OK, &locust::exceptions(&s)),
        Err(e) => internal(&e),
    }
}

/// `GET /worker-count`: Locust's answer for a run without workers (web.py:620), which every
/// swarm run is.
async fn worker_count() -> Response {
    json_response(StatusCode::OK, &json!({"worker_count": 0}))
}

/// `?download=1` asks for an attachment, as in Locust.
#[derive(Debug, serde::Deserialize)]
struct ReportQuery {
    #[serde(default)]
    download: Option<String>,
}

/// `GET /stats/report`: the HTML report, shown, or downloaded with `?download=1`.
async fn report(state: App, Query(q): Query<ReportQuery>) -> Response {
    let attach = q.download.is_some_and(|v| !v.is_empty() && v != "0");
    let mut response = download(state, Download::Html).await;
    if !attach {
        response.headers_mut().remove(header::CONTENT_DISPOSITION);
    }
    response
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A download of the current or last run, rendered off the runtime's worker threads.
async fn download(State(app): App, what: Download) -> Response {
    let stats = match app.snapshot_now().await {
        Ok(s) => s,
        Err(e) => return internal(&e),
    };
    let meta = app.report_meta(&stats);
    let rendered = tokio::task::spawn_blocking(move || what.render(&stats, &meta)).await;
    match rendered {
        Ok(Ok(text)) => (
            [
                (header::CONTENT_TYPE, what.content_type().to_owned()),
                (header::CONTENT_DISPOSITION, what.disposition(unix_now())),
                (header::CACHE_CONTROL, "no-store".to_owned()),
            ],
            text,
        )
            .into_response(),
        Ok(Err(e)) => internal(&e),
        Err(e) => internal(&e.into()),
    }
}
