//! Starting and stopping a server.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::admin::Admin;
use crate::clock::Clock;
use crate::config::Config;
use crate::conn::Limits;
use crate::conn::tls::{Tls, TlsError};
use crate::metrics::Exporter;
use crate::secret::Secret;
use crate::state::AppState;
use crate::store::{Store, StoreError};

/// How often the heartbeat counts kept in memory are written.
const FLUSH_EVERY: Duration = Duration::from_secs(1);
/// How often validate nonces past the replay window are forgotten.
const FORGET_NONCES_EVERY: Duration = Duration::from_secs(60);

/// Why a server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The database could not be opened or migrated.
    #[error("storage: {0}")]
    Store(#[from] StoreError),
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
    /// Serving failed.
    #[error("server failed: {0}")]
    Serve(std::io::Error),
    /// The OS random number generator failed.
    #[error("the OS random number generator failed")]
    Random,
    /// The TLS certificate or key cannot be used.
    #[error("TLS: {0}")]
    Tls(#[from] TlsError),
}

/// A server running in the background of the current tokio runtime.
#[derive(Debug)]
pub struct RunningServer {
    addr: SocketAddr,
    metrics_addr: Option<SocketAddr>,
    admin: Admin,
    clock: Clock,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), std::io::Error>>,
}

impl RunningServer {
    /// The bound address (with the real port when the config asked for port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The bound address of the metrics listener, if the config asked for one.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_addr
    }

    /// `http://ADDR` of the server.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The admin handle on the server's own store.
    pub fn admin(&self) -> &Admin {
        &self.admin
    }

    /// The server's clock.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Stops accepting connections, lets open requests finish, and waits.
    pub async fn shutdown(mut self) -> Result<(), ServerError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match (&mut self.task).await {
            Ok(result) => result.map_err(ServerError::Serve),
            Err(err) => Err(ServerError::Serve(std::io::Error::other(err))),
        }
    }
}

/// The state (store, server secret) for `config`.
async fn prepare(config: &Config) -> Result<(AppState, Store), ServerError> {
    let store = Store::open(&config.database, config.postgres_connections).await?;
    let secret = match &config.server_secret {
        Some(secret) => secret.clone(),
        None => {
            let candidate = Secret::generate().map_err(|_| ServerError::Random)?;
            Secret::new(store.server_secret(candidate.expose().to_vec()).await?)
        }
    };
    Ok((AppState::new(store.clone(), secret, config), store))
}

async fn bind(config: &Config) -> Result<TcpListener, ServerError> {
    TcpListener::bind(config.listen)
        .await
        .map_err(|source| ServerError::Bind {
            addr: config.listen,
            source,
        })
}

/// The metrics listener, if `config` asks for one.
async fn bind_metrics(config: &Config) -> Result<Option<Exporter>, ServerError> {
    let Some(addr) = config.metrics_listen else {
        return Ok(None);
    };
    Exporter::bind(addr)
        .await
        .map(Some)
        .map_err(|source| ServerError::Bind { addr, source })
}

/// Starts the server described by `config` in the background and returns once it is
/// listening.
pub async fn spawn(config: Config) -> Result<RunningServer, ServerError> {
    spawn_wrapped(config, |router| router).await
}

/// [`spawn`], with `wrap` put around the whole router (the test server's contract check).
pub(crate) async fn spawn_wrapped(
    config: Config,
    wrap: impl FnOnce(Router) -> Router + Send + 'static,
) -> Result<RunningServer, ServerError> {
    let (state, store) = prepare(&config).await?;
    let public = Public::open(&config).await?;
    let addr = public.addr()?;
    let metrics = bind_metrics(&config).await?;
    let metrics_addr = match &metrics {
        Some(exporter) => Some(exporter.local_addr().map_err(ServerError::Serve)?),
        None => None,
    };
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(run(
        public,
        metrics,
        state,
        store.clone(),
        async move {
            let _ = stopped.await;
        },
        wrap,
    ));
    Ok(RunningServer {
        addr,
        metrics_addr,
        admin: Admin::new(store, config.clock.clone()),
        clock: config.clock,
        stop: Some(stop),
        task,
    })
}

/// Runs the server described by `config` until `shutdown` completes.
pub async fn serve(
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    let (state, store) = prepare(&config).await?;
    let public = Public::open(&config).await?;
    tracing::info!(
        addr = %public.addr()?,
        scheme = if public.tls.is_some() { "https" } else { "http" },
        db = %config.database.display(),
        open_file_limit = %public
            .limits
            .open_file_limit
            .map_or_else(|| "unlimited".to_owned(), |n| n.to_string()),
        max_connections = public.limits.cap,
        "keyward-server listening"
    );
    let metrics = bind_metrics(&config).await?;
    if let Some(exporter) = &metrics {
        let addr = exporter.local_addr().map_err(ServerError::Serve)?;
        tracing::info!(%addr, "metrics at http://{addr}/metrics");
    }
    run(public, metrics, state, store, shutdown, |router| router)
        .await
        .map_err(ServerError::Serve)
}

/// The public listener and how its connections are served.
struct Public {
    listener: TcpListener,
    limits: Limits,
    tls: Option<Tls>,
}

impl Public {
    /// Loads the TLS pair (so that an unusable one fails the start) and binds the listen
    /// address of `config`.
    async fn open(config: &Config) -> Result<Self, ServerError> {
        let tls = config.tls.clone().map(Tls::load).transpose()?;
        Ok(Self {
            listener: bind(config).await?,
            limits: Limits::new(config.connections),
            tls,
        })
    }

    fn addr(&self) -> Result<SocketAddr, ServerError> {
        self.listener.local_addr().map_err(ServerError::Serve)
    }
}

/// Serves until `shutdown` completes and open requests finish, writing the heartbeat
/// counts kept in memory every [`FLUSH_EVERY`] and once more at the end.
async fn run(
    public: Public,
    metrics: Option<Exporter>,
    state: AppState,
    store: Store,
    shutdown: impl Future<Output = ()> + Send + 'static,
    wrap: impl FnOnce(Router) -> Router,
) -> Result<(), std::io::Error> {
    let Public {
        listener,
        limits,
        tls,
    } = public;
    let clock = state.clock().clone();
    let (stop_flusher, mut flusher_stopped) = oneshot::channel::<()>();
    let flusher = tokio::spawn({
        let store = store.clone();
        let clock = clock.clone();
        async move {
            let mut ticks = tokio::time::interval(FLUSH_EVERY);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut nonce_ticks = tokio::time::interval(FORGET_NONCES_EVERY);
            nonce_ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = ticks.tick() => flush(&store, &clock).await,
                    _ = nonce_ticks.tick() => forget_expired(&store, &clock).await,
                    _ = &mut flusher_stopped => break,
                }
            }
        }
    });
    let (stop_metrics, metrics_stopped) = oneshot::channel::<()>();
    let exporter = metrics.map(|exporter| {
        tokio::spawn(exporter.serve(limits, async move {
            let _ = metrics_stopped.await;
        }))
    });
    let (stop_reloads, reloads_stopped) = oneshot::channel::<()>();
    let reloads = tls.clone().map(|tls| {
        tokio::spawn(tls.watch(async move {
            let _ = reloads_stopped.await;
        }))
    });
    let app = wrap(crate::app::router(state, exporter.is_some()));
    crate::conn::serve_connections(listener, app, limits, tls, shutdown).await;
    let _ = stop_reloads.send(());
    if let Some(reloads) = reloads {
        let _ = reloads.await;
    }
    let _ = stop_metrics.send(());
    if let Some(exporter) = exporter {
        let _ = exporter.await;
    }
    // The last flush runs after the flusher's, so that it writes what that one left.
    let _ = stop_flusher.send(());
    let _ = flusher.await;
    flush(&store, &clock).await;
    Ok(())
}

/// Forgets what the database keeps only for a while: validate nonces past the replay
/// window, and the shared rate-limit state of idle API keys.
async fn forget_expired(store: &Store, clock: &Clock) {
    if let Err(err) = store.forget_old_nonces(clock.now_unix()).await {
        tracing::warn!(error = %err, "forgetting old validate nonces failed; retrying later");
    }
    if let Err(err) = store.forget_spent_rate_limits(clock.now_micros()).await {
        tracing::warn!(error = %err, "forgetting idle API rate limits failed; retrying later");
    }
}

async fn flush(store: &Store, clock: &Clock) {
    if let Err(err) = store.flush_heartbeats(clock.now_unix()).await {
        tracing::warn!(error = %err, "writing heartbeat counts failed; retrying later");
    }
}
