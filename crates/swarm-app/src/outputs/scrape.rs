//! `GET /metrics` for a Prometheus to scrape: a route the web UI merges into its own server,
//! and in headless runs the same route on `--metrics-listen`, behind the web UI's guard
//! (`--web-auth`, the loopback Host rule).

use super::Source;
use crate::web::guard::{self, Guard};
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::sync::Arc;

/// The `/metrics` route behind `guard`.
pub(crate) fn router(source: Arc<Source>, guard: Guard) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .with_state(source)
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(guard),
            guard::middleware,
        ))
}

async fn metrics(State(source): State<Arc<Source>>) -> Response {
    // Merging the shards is off the workers, so users never wait on a scrape.
    match tokio::task::spawn_blocking(move || source.text()).await {
        Ok(text) => (
            [
                (header::CONTENT_TYPE, super::text::CONTENT_TYPE),
                (header::CACHE_CONTROL, "no-store"),
            ],
            text,
        )
            .into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}
