//! The one-line entry point from a scenario: `ctx.session()` on swarm-core's `Ctx` (and on
//! `TestCtx`, for test-level hooks).

use crate::{Client, Error, Session};
use swarm_core::{Ctx, TestCtx};

/// HTTP sessions straight from a user's context: `use swarm_http::CtxExt;` then
/// `let s = ctx.session()?;`.
pub trait CtxExt {
    /// The run's [`Client`] (from the run's extensions), recording into this user's recorder.
    fn http_client(&self) -> Result<Client, Error>;

    /// A new session against the run's host: own jar, own connections, recording into the
    /// run's stats.
    fn session(&self) -> Result<Session, Error>;
}

/// Both contexts have the same three things a session needs.
macro_rules! impl_ctx_ext {
    ($($ctx:ty),+) => {$(
        impl CtxExt for $ctx {
            fn http_client(&self) -> Result<Client, Error> {
                let client = self.get::<Client>().ok_or(Error::MissingClient)?;
                Ok(client.with_recorder(self.recorder().clone()))
            }

            fn session(&self) -> Result<Session, Error> {
                let host = self.host().ok_or(Error::MissingHost)?;
                Session::new(&self.http_client()?, host)
            }
        }
    )+};
}

impl_ctx_ext!(Ctx, TestCtx);
