//! A [`Session`]: one virtual user's connections and cookie jar, plus its default auth.

use crate::conn::Pool;
use crate::cookies::{Cookie, Jar};
use crate::target::Base;
use crate::{Client, Error, RequestBuilder, auth};
use http::{HeaderValue, Method, Uri};
use std::borrow::Cow;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// One virtual user's HTTP session: its own keep-alive connections and its own cookie jar
/// (never shared with another session), a base URL and optional default basic auth.
///
/// Clones share the jar and the connections (handy to hand one session to several typed
/// wrappers); [`Session::fresh`] or [`Session::new`] give a separate, cookie-less one.
#[derive(Clone)]
pub struct Session {
    pub(crate) client: Client,
    pub(crate) base: Arc<Base>,
    pub(crate) auth: Option<HeaderValue>,
    pub(crate) state: Arc<State>,
}

/// What a session owns and its clones share.
#[derive(Default)]
pub(crate) struct State {
    jar: Mutex<Jar>,
    pub(crate) pool: Pool,
    /// The last relative path requested without an extra query, and its URI: a load loop
    /// asks for the same few paths again and again, and resolving one (requoting, joining to
    /// the base path, parsing) cost more than the rest of building the request.
    route: Mutex<Option<(Box<str>, Uri)>>,
}

impl State {
    pub(crate) fn jar(&self) -> MutexGuard<'_, Jar> {
        // The jar is only touched in short non-panicking sections; poisoning cannot corrupt it.
        self.jar.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The URI `path` resolved to last time, if it was the last path resolved.
    pub(crate) fn known_route(&self, path: &str) -> Option<Uri> {
        let route = self.route.lock().unwrap_or_else(PoisonError::into_inner);
        route
            .as_ref()
            .filter(|(known, _)| **known == *path)
            .map(|(_, uri)| uri.clone())
    }

    /// Remembers what `path` resolved to (see [`State::known_route`]).
    pub(crate) fn remember_route(&self, path: &str, uri: &Uri) {
        *self.route.lock().unwrap_or_else(PoisonError::into_inner) =
            Some((path.into(), uri.clone()));
    }
}

impl Session {
    /// A new session against `base_url` (e.g. `http://localhost:8080` or
    /// `https://host/owncloud`): empty jar, no connections yet. Userinfo in the URL becomes
    /// the default basic auth.
    pub fn new(client: &Client, base_url: &str) -> Result<Self, Error> {
        let base = client.base(base_url)?;
        Ok(Self {
            client: client.clone(),
            auth: base.auth.clone(),
            base,
            state: Arc::new(State::default()),
        })
    }

    /// This session with `user:password` basic auth on every request (unless a request
    /// overrides it).
    pub fn with_basic_auth(mut self, user: &str, password: &str) -> Self {
        self.set_basic_auth(user, password);
        self
    }

    /// Sets the default basic auth of this session.
    pub fn set_basic_auth(&mut self, user: &str, password: &str) {
        self.auth = Some(auth::basic(user, password));
    }

    /// This session with `Authorization: Bearer <token>` on every request (unless a request
    /// overrides it), e.g. with a token taken from a login response.
    pub fn with_bearer_auth(mut self, token: &str) -> Result<Self, Error> {
        self.auth = Some(
            auth::bearer(token)
                .ok_or_else(|| Error::InvalidHeader("value of authorization".to_owned()))?,
        );
        Ok(self)
    }

    /// Removes the default auth of this session.
    pub fn clear_basic_auth(&mut self) {
        self.auth = None;
    }

    /// A separate session on the same client and base URL: empty jar, no connections, and
    /// no default auth beyond the base URL's own userinfo.
    pub fn fresh(&self) -> Self {
        Self {
            client: self.client.clone(),
            base: Arc::clone(&self.base),
            auth: self.base.auth.clone(),
            state: Arc::new(State::default()),
        }
    }

    /// The base URL (userinfo stripped).
    pub fn base_url(&self) -> &str {
        &self.base.display
    }

    /// The absolute URL of `path` under the base URL (userinfo stripped, raw characters
    /// percent-encoded), e.g. for a WebDAV `Destination` header.
    pub fn url(&self, path: &str) -> String {
        let origin = &self.base.origin;
        let scheme = if origin.tls { "https" } else { "http" };
        let host = origin.host_header.to_str().unwrap_or_default();
        let slash = if path.starts_with('/') { "" } else { "/" };
        let path = crate::target::requote(path);
        format!("{scheme}://{host}{}{slash}{path}", self.base.path)
    }

    /// The client this session belongs to.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// A request with any method (including WebDAV's `PROPFIND`, `MKCOL`, `MOVE`, `COPY`) to a
    /// path under the base URL or an absolute URL.
    pub fn request<'a, M>(
        &'a self,
        method: M,
        target: impl Into<Cow<'a, str>>,
    ) -> RequestBuilder<'a>
    where
        M: TryInto<Method>,
    {
        match method.try_into() {
            Ok(m) => RequestBuilder::new(self, m, target.into()),
            Err(_) => {
                RequestBuilder::new(self, Method::GET, target.into()).fail(Error::InvalidMethod)
            }
        }
    }

    /// A `GET` request.
    pub fn get<'a>(&'a self, target: impl Into<Cow<'a, str>>) -> RequestBuilder<'a> {
        RequestBuilder::new(self, Method::GET, target.into())
    }

    /// A `HEAD` request.
    pub fn head<'a>(&'a self, target: impl Into<Cow<'a, str>>) -> RequestBuilder<'a> {
        RequestBuilder::new(self, Method::HEAD, target.into())
    }

    /// A `POST` request.
    pub fn post<'a>(&'a self, target: impl Into<Cow<'a, str>>) -> RequestBuilder<'a> {
        RequestBuilder::new(self, Method::POST, target.into())
    }

    /// A `PUT` request.
    pub fn put<'a>(&'a self, target: impl Into<Cow<'a, str>>) -> RequestBuilder<'a> {
        RequestBuilder::new(self, Method::PUT, target.into())
    }

    /// A `DELETE` request.
    pub fn delete<'a>(&'a self, target: impl Into<Cow<'a, str>>) -> RequestBuilder<'a> {
        RequestBuilder::new(self, Method::DELETE, target.into())
    }

    /// A `PATCH` request.
    pub fn patch<'a>(&'a self, target: impl Into<Cow<'a, str>>) -> RequestBuilder<'a> {
        RequestBuilder::new(self, Method::PATCH, target.into())
    }

    /// The unexpired cookies in this session's jar.
    pub fn cookies(&self) -> Vec<Cookie> {
        self.state.jar().list()
    }

    /// The value of the first unexpired cookie called `name`, whatever its domain and path.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies()
            .into_iter()
            .find(|c| c.name == name)
            .map(|c| c.value)
    }

    /// Empties this session's jar (its clones share it, so theirs too).
    pub fn clear_cookies(&self) {
        self.state.jar().clear();
    }

    /// Stores a cookie as if `set_cookie` (a `Set-Cookie` header value) came from the base URL.
    pub fn add_cookie(&self, set_cookie: &str) -> Result<(), Error> {
        let url = self.base.origin.url(&format!("{}/", self.base.path))?;
        let value = HeaderValue::from_str(set_cookie)
            .map_err(|_| Error::InvalidHeader("Set-Cookie".to_owned()))?;
        self.state.jar().store(std::iter::once(&value), &url);
        Ok(())
    }

    /// Closes this session's idle connections (the next request opens a new one).
    pub fn close_connections(&self) {
        self.state.pool.clear();
    }

    /// How many idle keep-alive connections this session holds now.
    pub fn idle_connections(&self) -> usize {
        self.state.pool.len()
    }
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("base", &self.base.display)
            .field("auth", &self.auth.is_some())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ClientOptions;

    #[test]
    fn urls_under_the_base() {
        let client = Client::unbound(ClientOptions::default());
        let s = Session::new(&client, "https://u:pw@cloud.test:8443/owncloud/").unwrap();
        assert_eq!(s.base_url(), "https://cloud.test:8443/owncloud/");
        assert_eq!(
            s.url("remote.php/dav/files/u/a b.txt"),
            "https://cloud.test:8443/owncloud/remote.php/dav/files/u/a%20b.txt"
        );
        let plain = Session::new(&client, "http://cloud.test").unwrap();
        assert_eq!(plain.url("/x"), "http://cloud.test/x");
        assert!(format!("{s:?}").contains("auth: true"));
        assert!(!format!("{s:?}").contains("pw"));
    }
}
