//! The running simulator: bind, accept loop, keep-alive connections, graceful shutdown.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::Bytes;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::task::TaskTracker;

use crate::config::SimConfig;
use crate::error::SimError;
use crate::session::{LOWER_ALNUM, Sessions, random_string};
use crate::state::{State, Stats};
use crate::store::{ADMIN_GROUP, CreateError, Profile, Store, read};

/// How long shutdown waits for in-flight requests before giving up on them.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// A running simulator. Dropping it stops accepting; [`Sim::shutdown`] also drains.
#[derive(Debug)]
pub struct Sim {
    addr: SocketAddr,
    state: Arc<State>,
    stop: watch::Sender<bool>,
    accept: Option<JoinHandle<()>>,
}

impl Sim {
    /// Binds, creates the admin account and starts serving on the current tokio runtime.
    pub async fn start(config: SimConfig) -> Result<Sim, SimError> {
        let addr = SocketAddr::new(config.host, config.port);
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| SimError::Bind { addr, source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| SimError::Bind { addr, source })?;
        if let Some(dir) = &config.data_dir {
            std::fs::create_dir_all(dir).map_err(|source| SimError::DataDir {
                path: dir.clone(),
                source,
            })?;
        }
        let instance_id = format!("oc{}", random_string(10, LOWER_ALNUM));
        let store = Store::new(config.data_dir.clone(), config.manual_size);
        store
            .create_user(
                &config.admin_user,
                &config.admin_password,
                Profile::default(),
                &[ADMIN_GROUP.to_owned()],
                true,
            )
            .map_err(|e| create_error(e, &config.admin_user, config.data_dir.as_deref()))?;
        let state = Arc::new(State {
            sessions: Sessions::new(instance_id.clone()),
            instance_id,
            store,
            cfg: config,
            stats: Stats::default(),
            shares: crate::shares::Shares::default(),
            locks: crate::locks::Locks::default(),
            base_url: format!("http://{addr}"),
        });
        let (stop, stop_rx) = watch::channel(false);
        let accept = tokio::spawn(accept_loop(listener, state.clone(), stop_rx));
        Ok(Sim {
            addr,
            state,
            stop,
            accept: Some(accept),
        })
    }

    /// Base URL, e.g. `http://127.0.0.1:41234` (no trailing slash).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// ownCloud's instance id; it is also the name of the session cookie.
    pub fn instance_id(&self) -> &str {
        &self.state.instance_id
    }

    /// Ids of all existing users (admin included), sorted case-insensitively.
    pub fn user_ids(&self) -> Vec<String> {
        self.state.store.user_ids()
    }

    /// TCP connections accepted so far.
    pub fn connections_accepted(&self) -> u64 {
        self.state.stats.connections.load(Ordering::Relaxed)
    }

    /// Password checks performed so far (requests not carried by a session cookie).
    pub fn password_checks(&self) -> u64 {
        self.state.stats.password_checks.load(Ordering::Relaxed)
    }

    /// Requests answered so far.
    pub fn requests(&self) -> u64 {
        self.state.stats.requests.load(Ordering::Relaxed)
    }

    /// Shares (user shares and links) that exist now.
    pub fn shares(&self) -> usize {
        self.state.shares.filter(|_| true).len()
    }

    /// Live sessions.
    pub fn sessions(&self) -> usize {
        self.state.sessions.len()
    }

    /// Contents of a file in a user's home (`path` decoded, relative to the home), if any.
    pub fn file(&self, user: &str, path: &str) -> Option<Bytes> {
        let u = self.state.store.user(user)?;
        let tree = read(&u.tree);
        match &tree.get(path.trim_matches('/'))?.content {
            crate::tree::Content::File(b) => Some(b.clone()),
            crate::tree::Content::Dir => None,
        }
    }

    /// Creates a user directly (test set-up without HTTP); its home is made on first login.
    pub fn create_user(&self, id: &str, password: &str) -> Result<(), SimError> {
        self.state
            .store
            .create_user(id, password, Profile::default(), &[], false)
            .map(|_| ())
            .map_err(|e| create_error(e, id, self.state.cfg.data_dir.as_deref()))
    }

    /// Stops accepting, lets in-flight requests finish (bounded), closes idle connections.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.accept.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

fn create_error(e: CreateError, id: &str, dir: Option<&std::path::Path>) -> SimError {
    match e {
        CreateError::Exists => SimError::UserExists(id.to_owned()),
        CreateError::Io(source) => SimError::DataDir {
            path: dir.map(|d| d.join(id)).unwrap_or_default(),
            source,
        },
        CreateError::Invalid(_) | CreateError::NoGroup(_) => SimError::InvalidUserId(id.to_owned()),
    }
}

async fn accept_loop(listener: TcpListener, state: Arc<State>, mut stop: watch::Receiver<bool>) {
    let tracker = TaskTracker::new();
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = stop.changed() => break,
        };
        let (stream, _) = match accepted {
            Ok(s) => s,
            Err(e) => {
                // Out of descriptors and the like: back off instead of spinning.
                tracing::warn!("accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        state.stats.connections.fetch_add(1, Ordering::Relaxed);
        let _ = stream.set_nodelay(true);
        let state = state.clone();
        let mut stop = stop.clone();
        tracker.spawn(async move {
            let max = state.cfg.max_header_bytes.max(8192);
            let svc = service_fn(move |req| {
                let state = state.clone();
                async move { Ok::<_, Infallible>(crate::router::handle(state, req).await) }
            });
            let conn = http1::Builder::new()
                .keep_alive(true)
                .max_header_size(max)
                .serve_connection(TokioIo::new(stream), svc);
            tokio::pin!(conn);
            tokio::select! {
                r = conn.as_mut() => {
                    if let Err(e) = r {
                        tracing::debug!("connection: {e}");
                    }
                }
                _ = async move { stop.wait_for(|s| *s).await.is_ok() } => {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
            }
        });
    }
    drop(listener);
    tracker.close();
    let _ = tokio::time::timeout(DRAIN_TIMEOUT, tracker.wait()).await;
}
