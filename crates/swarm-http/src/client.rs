//! The [`Client`]: everything immutable that all virtual users share (TLS configs, timeouts,
//! redirect limit, user agent, DNS cache, the recorder), so building a session costs only
//! its jar and an empty connection list.

use crate::target::Base;
use crate::{Error, Session, tls};
use http::HeaderValue;
use rustls::ClientConfig;
use rustls::pki_types::CertificateDer;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};
use swarm_core::metrics::Recorder;

/// Default connect timeout (TCP plus TLS handshake).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default whole-request timeout (send start to last body byte, redirects included).
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// Default number of redirects followed before failing.
pub const DEFAULT_MAX_REDIRECTS: usize = 10;

/// How long a resolved address list is reused before asking the resolver again.
const DNS_TTL: Duration = Duration::from_secs(60);

/// Settings of a [`Client`], built by chaining from `ClientOptions::default()`.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    connect_timeout: Duration,
    request_timeout: Duration,
    max_redirects: usize,
    user_agent: String,
    insecure: bool,
    max_idle_per_session: usize,
    root_certificates: Vec<CertificateDer<'static>>,
    resolve: Vec<(String, SocketAddr)>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            max_redirects: DEFAULT_MAX_REDIRECTS,
            user_agent: concat!("swarm/", env!("CARGO_PKG_VERSION")).to_owned(),
            insecure: false,
            max_idle_per_session: 8,
            root_certificates: Vec::new(),
            resolve: Vec::new(),
        }
    }
}

impl ClientOptions {
    /// Limit on opening a connection (TCP connect plus TLS handshake); default 10 s.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Limit on a whole request, from send start to the last body byte; default 60 s.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Redirects followed before a request fails with `too many redirects`; default 10.
    pub fn max_redirects(mut self, limit: usize) -> Self {
        self.max_redirects = limit;
        self
    }

    /// The `User-Agent` sent with every request; default `swarm/<version>`.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Accept any server certificate (self-signed test servers); default off.
    pub fn insecure(mut self, insecure: bool) -> Self {
        self.insecure = insecure;
        self
    }

    /// Idle keep-alive connections a session keeps per client; default 8.
    pub fn max_idle_per_session(mut self, n: usize) -> Self {
        self.max_idle_per_session = n;
        self
    }

    /// Trusts `der` (a DER certificate) in addition to the system roots.
    pub fn add_root_certificate(mut self, der: impl Into<CertificateDer<'static>>) -> Self {
        self.root_certificates.push(der.into());
        self
    }

    /// Connects to `addr` whenever a URL names `host` (as curl's `--resolve`).
    pub fn resolve(mut self, host: &str, addr: SocketAddr) -> Self {
        self.resolve.push((host.to_ascii_lowercase(), addr));
        self
    }

    /// The connect timeout.
    pub fn get_connect_timeout(&self) -> Duration {
        self.connect_timeout
    }

    /// The whole-request timeout.
    pub fn get_request_timeout(&self) -> Duration {
        self.request_timeout
    }

    /// The redirect limit.
    pub fn get_max_redirects(&self) -> usize {
        self.max_redirects
    }

    /// The idle connections a session keeps.
    pub fn get_max_idle_per_session(&self) -> usize {
        self.max_idle_per_session
    }
}

/// Resolved addresses by (host, port), with when they were looked up.
type DnsCache = HashMap<(Box<str>, u16), (Arc<[SocketAddr]>, Instant)>;

/// The state every session of a client shares; never mutated on the request path except the
/// DNS cache (taken only when a connection is opened).
pub(crate) struct Shared {
    pub(crate) options: ClientOptions,
    pub(crate) user_agent: HeaderValue,
    tls: OnceLock<Result<Arc<ClientConfig>, String>>,
    dns: Mutex<DnsCache>,
    /// The last base URL parsed for `ctx.session()`: every user of a run shares one host.
    pub(crate) base_cache: Mutex<Option<(Box<str>, Arc<Base>)>>,
}

impl Shared {
    /// The rustls config, built once (system roots are read here, not per session).
    pub(crate) fn tls_config(&self) -> Result<Arc<ClientConfig>, Error> {
        self.tls
            .get_or_init(|| {
                if self.options.insecure {
                    tls::insecure()
                } else {
                    tls::verifying(&self.options.root_certificates)
                }
            })
            .clone()
            .map_err(Error::Tls)
    }

    /// Addresses for `host:port`: overrides first, IP literals as is, then a cached lookup.
    pub(crate) async fn resolve(&self, host: &str, port: u16) -> Result<Arc<[SocketAddr]>, Error> {
        if let Some((_, addr)) = self.options.resolve.iter().find(|(h, _)| h == host) {
            return Ok(Arc::from([*addr]));
        }
        if let Ok(ip) = host.parse::<std::net::IpAddr>() {
            return Ok(Arc::from([SocketAddr::new(ip, port)]));
        }
        let key = (Box::<str>::from(host), port);
        if let Some((addrs, at)) = self.dns_lock().get(&key) {
            if at.elapsed() < DNS_TTL {
                return Ok(Arc::clone(addrs));
            }
        }
        let addrs: Arc<[SocketAddr]> = tokio::net::lookup_host((host, port))
            .await
            .map_err(|_| Error::Dns(host.to_owned()))?
            .collect();
        if addrs.is_empty() {
            return Err(Error::Dns(host.to_owned()));
        }
        self.dns_lock()
            .insert(key, (Arc::clone(&addrs), Instant::now()));
        Ok(addrs)
    }

    fn dns_lock(&self) -> std::sync::MutexGuard<'_, DnsCache> {
        // A cache: a panic elsewhere cannot leave it worse than stale.
        self.dns.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The shared, cheap-to-clone HTTP client of a run: build one, hand it to every user.
#[derive(Clone)]
pub struct Client {
    pub(crate) shared: Arc<Shared>,
    pub(crate) recorder: Option<Recorder>,
}

impl Client {
    /// A client whose sessions record every request into `recorder`.
    pub fn new(recorder: Recorder, options: ClientOptions) -> Self {
        Self::build(Some(recorder), options)
    }

    /// A client without a recorder, to store in a run's extensions before the run's metrics
    /// exist: `ctx.session()` binds it to the user's recorder; other sessions record nothing.
    pub fn unbound(options: ClientOptions) -> Self {
        Self::build(None, options)
    }

    fn build(recorder: Option<Recorder>, options: ClientOptions) -> Self {
        let user_agent = HeaderValue::try_from(options.user_agent.as_str())
            .unwrap_or_else(|_| HeaderValue::from_static("swarm"));
        Self {
            shared: Arc::new(Shared {
                options,
                user_agent,
                tls: OnceLock::new(),
                dns: Mutex::new(HashMap::new()),
                base_cache: Mutex::new(None),
            }),
            recorder,
        }
    }

    /// The same client recording into `recorder` (shares TLS configs and caches).
    pub fn with_recorder(&self, recorder: Recorder) -> Self {
        Self {
            shared: Arc::clone(&self.shared),
            recorder: Some(recorder),
        }
    }

    /// The options this client was built with.
    pub fn options(&self) -> &ClientOptions {
        &self.shared.options
    }

    /// A new session (own jar, own connections) against `base_url`.
    pub fn session(&self, base_url: &str) -> Result<Session, Error> {
        Session::new(self, base_url)
    }

    /// Builds the TLS configuration now (reading the system roots) instead of on the first
    /// https request, so a broken trust store shows at start-up.
    pub fn preload_tls(&self) -> Result<(), Error> {
        self.shared.tls_config().map(drop)
    }

    /// The parsed `base_url`, reused while every caller asks for the same one.
    pub(crate) fn base(&self, base_url: &str) -> Result<Arc<Base>, Error> {
        let mut cache = self
            .shared
            .base_cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some((raw, base)) = cache.as_ref() {
            if **raw == *base_url {
                return Ok(Arc::clone(base));
            }
        }
        let base = Arc::new(Base::parse(base_url)?);
        *cache = Some((base_url.into(), Arc::clone(&base)));
        Ok(base)
    }
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("options", &self.shared.options)
            .field("recording", &self.recorder.is_some())
            .finish()
    }
}
