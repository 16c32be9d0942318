//! HTTPS: the certificate chain and private key from PEM files (rustls, no OpenSSL), and
//! their reload without a restart. The rustls configuration is built once; its
//! certificate resolver hands each handshake the pair in force, which a reload swaps.
//! Handshakes already done keep the pair they started with.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, SystemTime};

use rustls::crypto::CryptoProvider;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;

/// How often the files are checked for a change (SIGHUP reloads at once).
pub const RELOAD_POLL: Duration = Duration::from_secs(2);

/// Where the certificate chain and its key are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// PEM: the server's certificate first, then its intermediates.
    pub cert: PathBuf,
    /// PEM: the private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

/// Why a certificate and key could not be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// A file holds no usable PEM item of its kind.
    #[error("{path}: {what}")]
    Pem {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        what: String,
    },
    /// SIGHUP, which reloads the files, could not be listened for.
    #[error("cannot listen for SIGHUP: {0}")]
    Signal(io::Error),
    /// rustls refused the pair (an unsupported key, or a key of another certificate).
    #[error("{cert} and {key} cannot be used together: {reason}")]
    Pair {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
        /// rustls's reason.
        reason: rustls::Error,
    },
}

/// The TLS side of the listener: the acceptor and the reloadable pair behind it.
#[derive(Clone)]
pub(crate) struct Tls {
    pub(crate) acceptor: TlsAcceptor,
    resolver: Arc<Reloadable>,
    /// SIGHUP, registered at load so that none is missed (or kills the process) before
    /// the watch starts; taken by [`Tls::watch`].
    #[cfg(unix)]
    hangups: Arc<std::sync::Mutex<Option<tokio::signal::unix::Signal>>>,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls")
            .field("files", &self.resolver.files)
            .finish_non_exhaustive()
    }
}

impl Tls {
    /// Loads `files`; fails when they cannot serve (so a server never starts without).
    /// Call within the runtime.
    pub(crate) fn load(files: TlsFiles) -> Result<Self, TlsError> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let pair = read_pair(&files, &provider)?;
        let stamp = stamp(&files);
        let resolver = Arc::new(Reloadable {
            files,
            provider: Arc::clone(&provider),
            current: RwLock::new((Arc::new(pair), stamp)),
        });
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|reason| resolver.pair_error(reason))?
            .with_no_client_auth()
            .with_cert_resolver(Arc::clone(&resolver) as Arc<dyn ResolvesServerCert>);
        // The server speaks HTTP/1.1 only.
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        #[cfg(unix)]
        let hangups = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
            .map_err(TlsError::Signal)?;
        Ok(Self {
            acceptor: TlsAcceptor::from(Arc::new(config)),
            resolver,
            #[cfg(unix)]
            hangups: Arc::new(std::sync::Mutex::new(Some(hangups))),
        })
    }

    /// Reloads the files if `forced` or if they changed since the last load. A pair that
    /// cannot be used is refused and the one in force stays: `Ok(true)` when a new pair
    /// is in force.
    pub(crate) fn reload(&self, forced: bool) -> Result<bool, TlsError> {
        self.resolver.reload(forced)
    }

    /// Reloads on SIGHUP and whenever the files change, until `stop` completes; each
    /// outcome is logged.
    pub(crate) async fn watch(self, stop: impl std::future::Future<Output = ()>) {
        #[cfg(unix)]
        let mut hangups = self
            .hangups
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let mut poll = tokio::time::interval(RELOAD_POLL);
        poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tokio::pin!(stop);
        loop {
            #[cfg(unix)]
            let hangup = async {
                match hangups.as_mut() {
                    Some(signals) => signals.recv().await,
                    None => std::future::pending().await,
                }
            };
            #[cfg(not(unix))]
            let hangup = std::future::pending::<Option<()>>();
            let forced = tokio::select! {
                () = &mut stop => return,
                _ = hangup => true,
                _ = poll.tick() => false,
            };
            match self.reload(forced) {
                Ok(true) => tracing::info!(
                    cert = %self.resolver.files.cert.display(),
                    "TLS certificate reloaded"
                ),
                Ok(false) => {}
                Err(err) => tracing::error!(
                    error = %err,
                    "TLS certificate not reloaded; the previous one stays in force"
                ),
            }
        }
    }
}

/// The pair in force, with the files' modification stamp it was read at.
#[derive(Debug)]
struct Reloadable {
    files: TlsFiles,
    provider: Arc<CryptoProvider>,
    current: RwLock<(Arc<CertifiedKey>, Stamp)>,
}

/// When and how large each file was: a rewrite or a rename over it changes it.
type Stamp = Option<[(SystemTime, u64); 2]>;

impl Reloadable {
    fn reload(&self, forced: bool) -> Result<bool, TlsError> {
        let stamp = stamp(&self.files);
        let unchanged = {
            let current = self.current.read().unwrap_or_else(PoisonError::into_inner);
            current.1 == stamp
        };
        if unchanged && !forced {
            return Ok(false);
        }
        let result = read_pair(&self.files, &self.provider);
        let mut current = self.current.write().unwrap_or_else(PoisonError::into_inner);
        // A refused pair is not retried until the files change again.
        current.1 = stamp;
        current.0 = Arc::new(result?);
        Ok(true)
    }

    fn pair_error(&self, reason: rustls::Error) -> TlsError {
        TlsError::Pair {
            cert: self.files.cert.clone(),
            key: self.files.key.clone(),
            reason,
        }
    }
}

impl ResolvesServerCert for Reloadable {
    fn resolve(&self, _: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let current = self.current.read().unwrap_or_else(PoisonError::into_inner);
        Some(Arc::clone(&current.0))
    }
}

fn stamp(files: &TlsFiles) -> Stamp {
    let one = |path: &Path| {
        let meta = fs::metadata(path).ok()?;
        Some((meta.modified().ok()?, meta.len()))
    };
    Some([one(&files.cert)?, one(&files.key)?])
}

fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    fs::read(path).map_err(|source| TlsError::Read {
        path: path.to_owned(),
        source,
    })
}

/// Reads and checks the pair: a chain, a key rustls can sign with, and the key of the
/// chain's first certificate.
fn read_pair(files: &TlsFiles, provider: &CryptoProvider) -> Result<CertifiedKey, TlsError> {
    let pem_error = |path: &Path, what: String| TlsError::Pem {
        path: path.to_owned(),
        what,
    };
    let chain = CertificateDer::pem_slice_iter(&read(&files.cert)?)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| pem_error(&files.cert, format!("bad PEM: {err}")))?;
    if chain.is_empty() {
        return Err(pem_error(
            &files.cert,
            "holds no CERTIFICATE block".to_owned(),
        ));
    }
    let key = PrivateKeyDer::from_pem_slice(&read(&files.key)?)
        .map_err(|err| pem_error(&files.key, format!("no private key: {err}")))?;
    let pair_error = |reason| TlsError::Pair {
        cert: files.cert.clone(),
        key: files.key.clone(),
        reason,
    };
    let signing = provider
        .key_provider
        .load_private_key(key)
        .map_err(pair_error)?;
    let pair = CertifiedKey::new(chain, signing);
    pair.keys_match().map_err(pair_error)?;
    Ok(pair)
}
