//! Request dispatch: which API a path belongs to, authentication, first login, common headers.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use http::request::Parts;
use http::{HeaderValue, Request, Response, StatusCode, header};
use http_body_util::{BodyExt as _, Full};

use crate::dav::{self, Base};
use crate::envelope::{self, Format, OcsResult, Version};
use crate::ocs::{self, Params};
use crate::session::{self, Authed};
use crate::state::State;
use crate::store::{UserEntry, write};

/// Every response the simulator sends.
pub(crate) type Resp = Response<Full<Bytes>>;

/// A response with a body.
pub(crate) fn full(status: StatusCode, body: Bytes) -> Resp {
    let mut r = Response::new(Full::new(body));
    *r.status_mut() = status;
    r
}

/// A response without a body.
pub(crate) fn empty(status: StatusCode) -> Resp {
    full(status, Bytes::new())
}

/// `rest` after `prefix` when `path` is `prefix` itself or lies below it.
fn under<'a>(path: &'a str, prefix: &str) -> Option<&'a str> {
    path.strip_prefix(prefix)
        .filter(|r| r.is_empty() || r.starts_with('/'))
}

/// Answers one request; never panics on client input and never fails.
pub(crate) async fn handle<B>(state: Arc<State>, req: Request<B>) -> Resp
where
    B: hyper::body::Body,
{
    state.stats.requests.fetch_add(1, Ordering::Relaxed);
    let (parts, body) = req.into_parts();
    let resp = match body.collect().await {
        Ok(b) => route(&state, &parts, b.to_bytes()).await,
        Err(_) => dav::sabre(
            StatusCode::BAD_REQUEST,
            "Sabre\\DAV\\Exception\\BadRequest",
            "The request body could not be read",
        ),
    };
    finish(resp)
}

async fn route(state: &State, parts: &Parts, body: Bytes) -> Resp {
    let path = parts.uri.path();
    if let Some(rest) = under(path, "/ocs/v1.php") {
        return ocs_call(state, parts, body, Version::V1, rest).await;
    }
    if let Some(rest) = under(path, "/ocs/v2.php") {
        return ocs_call(state, parts, body, Version::V2, rest).await;
    }
    if let Some(rest) = under(path, "/remote.php/dav/files") {
        let rest = rest.trim_start_matches('/');
        let (base, rest) = match rest.split_once('/') {
            Some((owner, r)) => (Base::Files(owner), r),
            None if !rest.is_empty() => (Base::Files(rest), ""),
            None => (Base::Other, ""),
        };
        return dav_call(state, parts, body, base, rest).await;
    }
    if let Some(rest) = under(path, "/remote.php/dav/uploads") {
        let rest = rest.trim_start_matches('/');
        let (base, rest) = match rest.split_once('/') {
            Some((owner, r)) => (Base::Uploads(owner), r),
            None if !rest.is_empty() => (Base::Uploads(rest), ""),
            None => (Base::Other, ""),
        };
        return dav_call(state, parts, body, base, rest).await;
    }
    if let Some(rest) = under(path, "/remote.php/dav") {
        return dav_call(state, parts, body, Base::Other, rest).await;
    }
    if let Some(rest) = under(path, "/remote.php/webdav") {
        return dav_call(state, parts, body, Base::Legacy, rest).await;
    }
    if let Some(rest) = under(path, "/public.php/webdav") {
        return public_call(state, parts, body, rest).await;
    }
    if path == "/status.php" {
        let mut r = full(
            StatusCode::OK,
            Bytes::from_static(
                br#"{"installed":true,"maintenance":false,"needsDbUpgrade":false,"version":"10.14.0.3","versionstring":"10.14.0","edition":"Community","productname":"ownCloud"}"#,
            ),
        );
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        return r;
    }
    let mut r = full(
        StatusCode::NOT_FOUND,
        Bytes::from_static(b"<!DOCTYPE html>\n<html><body><h1>Not Found</h1></body></html>\n"),
    );
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=UTF-8"),
    );
    r
}

/// Runs the first-login copy if needed; `false` when this request lost the race.
async fn first_login(state: &State, user: &Arc<UserEntry>) -> bool {
    if user.home.is_ready() {
        return true;
    }
    let u = user.clone();
    let manual = state.store.manual().clone();
    user.home
        .ensure(
            state.cfg.first_login_race,
            state.cfg.skeleton_copy_time,
            move || {
                if let Err(e) = crate::skeleton::fill(&mut write(&u.tree), &manual) {
                    tracing::warn!("skeleton copy for {}: {e:?}", u.id);
                }
            },
        )
        .await
        .is_ok()
}

fn with_cookies(mut r: Resp, authed: &Authed) -> Resp {
    if let Some(values) = session::set_cookie_headers(authed) {
        for v in values {
            r.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    r
}

async fn ocs_call(state: &State, parts: &Parts, body: Bytes, v: Version, rest: &str) -> Resp {
    let query = parts.uri.query().unwrap_or("");
    let mut params = Params::default();
    params.add_form(query);
    let format = match params.get("format") {
        Some("json") => Format::Json,
        _ => Format::Xml,
    };
    let Some(authed) = session::authenticate(state, &parts.headers).await else {
        return envelope::render(v, format, &OcsResult::unauthorised());
    };
    if !first_login(state, &authed.user).await {
        // ownCloud answers the loser of the race with an empty 200 and does nothing.
        return with_cookies(empty(StatusCode::OK), &authed);
    }
    let json_body = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|c| c.to_str().ok())
        .is_some_and(|c| c.starts_with("application/json"));
    if json_body {
        params.add_json(&body);
    } else if let Ok(text) = std::str::from_utf8(&body) {
        params.add_form(text);
    }
    let result = ocs::handle(state, &parts.method, rest, &params, &authed.user);
    with_cookies(envelope::render(v, format, &result), &authed)
}

async fn dav_call(state: &State, parts: &Parts, body: Bytes, base: Base<'_>, rest: &str) -> Resp {
    let Some(authed) = session::authenticate(state, &parts.headers).await else {
        return dav::unauthorized();
    };
    if !first_login(state, &authed.user).await {
        return with_cookies(dav::locked(&authed.user.id), &authed);
    }
    let r = dav::handle(state, parts, body, base, rest, &authed.user);
    with_cookies(r, &authed)
}

/// A public link's WebDAV: the token is the basic-auth user, the password empty (no link
/// passwords here).
async fn public_call(state: &State, parts: &Parts, body: Bytes, rest: &str) -> Resp {
    let link = session::basic_credentials(&parts.headers)
        .filter(|(_, password)| password.is_empty())
        .and_then(|(token, _)| state.shares.by_token(&token));
    let owner = link.as_ref().and_then(|l| state.store.user(&l.owner));
    let (Some(link), Some(owner)) = (link, owner) else {
        let mut r = dav::sabre(
            StatusCode::UNAUTHORIZED,
            "Sabre\\DAV\\Exception\\NotAuthenticated",
            "No public access to this resource., Username or password was incorrect",
        );
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"ownCloud\", charset=\"UTF-8\""),
        );
        return r;
    };
    if !first_login(state, &owner).await {
        return dav::locked(&owner.id);
    }
    let view = crate::view::View::public(owner, link);
    dav::handle_public(state, parts, body, &view, rest)
}

fn request_id() -> HeaderValue {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    HeaderValue::from_maybe_shared(Bytes::from(format!("ocsim{n:015}")))
        .unwrap_or_else(|_| HeaderValue::from_static("ocsim"))
}

/// Headers every ownCloud response carries, and Apache's close-after-400.
fn finish(mut r: Resp) -> Resp {
    let close = r.status() == StatusCode::BAD_REQUEST;
    let h = r.headers_mut();
    h.insert("x-request-id", request_id());
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-store, no-cache, must-revalidate"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert("x-robots-tag", HeaderValue::from_static("none"));
    h.insert(header::SERVER, HeaderValue::from_static("Apache"));
    if close {
        h.insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    r
}
