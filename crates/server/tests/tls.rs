//! HTTPS: the server serves TLS from PEM files generated here (rcgen), refuses to start
//! on a pair it cannot use, and takes a new certificate without a restart, on a change
//! of the files and on SIGHUP, keeping the old one when the new files are unusable.

use std::path::Path;
use std::time::{Duration, Instant};

use keyward_server::config::{TLS_RELOAD_POLL, TlsFiles};
use keyward_server::{ServerError, TestServer};
use reqwest::{Certificate, Client};

/// A self-signed certificate for `localhost` and its key, as PEM.
struct Pair {
    cert: String,
    key: String,
}

impl Pair {
    fn new() -> Self {
        let rcgen::CertifiedKey { cert, signing_key } =
            rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        Self {
            cert: cert.pem(),
            key: signing_key.serialize_pem(),
        }
    }

    fn write(&self, files: &TlsFiles) {
        write_replacing(&files.cert, &self.cert);
        write_replacing(&files.key, &self.key);
    }

    /// A client that trusts this certificate only.
    fn client(&self) -> Client {
        Client::builder()
            .tls_certs_only([Certificate::from_pem(self.cert.as_bytes()).unwrap()])
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap()
    }
}

/// Writes `text` to a temporary file and renames it over `path`, as deployment tools do.
fn write_replacing(path: &Path, text: &str) {
    let temporary = path.with_extension("new");
    std::fs::write(&temporary, text).unwrap();
    std::fs::rename(&temporary, path).unwrap();
}

/// `pem` padded with newlines to a fixed size (PEM readers skip text between blocks), so
/// that two pairs' files have the same length.
fn padded(pem: &str) -> String {
    const SIZE: usize = 4096;
    assert!(pem.len() < SIZE);
    format!("{pem}{}", "\n".repeat(SIZE - pem.len()))
}

fn files(dir: &Path) -> TlsFiles {
    TlsFiles {
        cert: dir.join("cert.pem"),
        key: dir.join("key.pem"),
    }
}

async fn start(files: &TlsFiles) -> Result<TestServer, ServerError> {
    let files = files.clone();
    TestServer::start_with(move |config| config.tls = Some(files)).await
}

fn https(server: &TestServer, path: &str) -> String {
    format!("https://localhost:{}{path}", server.addr().port())
}

/// Whether a new connection of `client` gets `/health` answered.
async fn healthy(client: &Client, server: &TestServer) -> bool {
    match client.get(https(server, "/health")).send().await {
        Ok(response) => response.status().is_success(),
        Err(_) => false,
    }
}

/// Waits until `client` is served (a reload took effect), or fails after `limit`.
async fn until_served(client: &Client, server: &TestServer, limit: Duration) {
    let start = Instant::now();
    while !healthy(client, server).await {
        assert!(
            start.elapsed() < limit,
            "the new certificate was not served"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_https_and_not_plain_http() {
    let dir = tempfile::tempdir().unwrap();
    let files = files(dir.path());
    let pair = Pair::new();
    pair.write(&files);
    let server = start(&files).await.unwrap();
    let client = pair.client();
    assert!(healthy(&client, &server).await);
    // The Developer API answers over TLS as over HTTP.
    let response = client
        .get(https(&server, "/v1/account"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status().as_u16(),
        keyward_errors::ApiError::InvalidApiKey.http_status()
    );
    // Plain HTTP on the TLS port gets no HTTP answer.
    let plain = Client::new()
        .get(format!("http://{}/health", server.addr()))
        .timeout(Duration::from_secs(10))
        .send()
        .await;
    assert!(plain.is_err(), "{plain:?}");
    // A client that trusts another certificate refuses the server's.
    assert!(!healthy(&Pair::new().client(), &server).await);
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refuses_to_start_on_an_unusable_pair() {
    let dir = tempfile::tempdir().unwrap();
    let files = files(dir.path());
    // A key that is not the certificate's.
    let (one, other) = (Pair::new(), Pair::new());
    write_replacing(&files.cert, &one.cert);
    write_replacing(&files.key, &other.key);
    let err = start(&files).await.unwrap_err();
    assert!(matches!(err, ServerError::Tls(_)), "{err}");
    // No certificate at all, and a missing key file.
    write_replacing(&files.cert, "not a certificate\n");
    let err = start(&files).await.unwrap_err();
    assert!(err.to_string().contains("cert.pem"), "{err}");
    std::fs::remove_file(&files.key).unwrap();
    one.write(&TlsFiles {
        cert: files.cert.clone(),
        key: dir.path().join("elsewhere.pem"),
    });
    let err = start(&files).await.unwrap_err();
    assert!(err.to_string().contains("key.pem"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_certificate_is_served_without_a_restart_and_a_broken_one_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let files = files(dir.path());
    let (old, new) = (Pair::new(), Pair::new());
    old.write(&files);
    let server = start(&files).await.unwrap();
    assert!(healthy(&old.client(), &server).await);

    // Unusable files are refused: the old certificate stays in force.
    write_replacing(
        &files.key,
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    );
    tokio::time::sleep(TLS_RELOAD_POLL * 2).await;
    assert!(healthy(&old.client(), &server).await);

    new.write(&files);
    until_served(&new.client(), &server, Duration::from_secs(15)).await;
    assert!(!healthy(&old.client(), &server).await);
    server.shutdown().await.unwrap();
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reloads_files_whose_stamp_did_not_change() {
    let dir = tempfile::tempdir().unwrap();
    let files = files(dir.path());
    let (old, new) = (Pair::new(), Pair::new());
    write_replacing(&files.cert, &padded(&old.cert));
    write_replacing(&files.key, &padded(&old.key));
    let server = start(&files).await.unwrap();
    assert!(healthy(&old.client(), &server).await);

    // The new pair in the same files with the old size and modification time: the
    // change check cannot see it, so only the signal reloads it.
    for (path, text) in [(&files.cert, &new.cert), (&files.key, &new.key)] {
        let modified = std::fs::metadata(path).unwrap().modified().unwrap();
        std::fs::write(path, padded(text)).unwrap();
        let file = std::fs::File::options().write(true).open(path).unwrap();
        file.set_modified(modified).unwrap();
    }
    tokio::time::sleep(TLS_RELOAD_POLL * 2).await;
    assert!(
        healthy(&old.client(), &server).await,
        "reloaded without a change seen"
    );

    let status = std::process::Command::new("kill")
        .args(["-HUP", &std::process::id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    until_served(&new.client(), &server, Duration::from_secs(15)).await;
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_completes_its_handshake_is_closed_by_the_header_timeout() {
    use tokio::io::AsyncReadExt;

    let dir = tempfile::tempdir().unwrap();
    let files = files(dir.path());
    Pair::new().write(&files);
    let tls = files.clone();
    let server = TestServer::start_with(move |config| {
        config.tls = Some(tls);
        config.connections.header_timeout = Duration::from_secs(1);
    })
    .await
    .unwrap();
    // Half a ClientHello record header, then silence.
    let mut socket = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    tokio::io::AsyncWriteExt::write_all(&mut socket, &[0x16, 0x03])
        .await
        .unwrap();
    let mut buf = [0u8; 64];
    let read = tokio::time::timeout(Duration::from_secs(10), socket.read(&mut buf))
        .await
        .expect("the server kept a silent handshake open");
    assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    server.shutdown().await.unwrap();
}
