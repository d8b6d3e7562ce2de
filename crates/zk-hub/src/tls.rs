//! HTTPS for the hub: rustls (ring) in front of the same router, certificate and key from PEM
//! files. Handshakes run beside the accept loop, so a slow or silent client holds up no one.

use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

use crate::error::HubError;
use crate::server::{router, HubState};

/// A client that has not finished its handshake by then is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Finished handshakes waiting for the server to take them.
const READY_QUEUE: usize = 64;

/// Reads the hub's certificate chain (PEM, leaf first) and private key (PEM: PKCS#8, PKCS#1 or
/// SEC1) into a server configuration (TLS 1.2 and 1.3, HTTP/1.1).
pub fn load_tls_config(
    cert_path: &Path,
    key_path: &Path,
) -> Result<Arc<rustls::ServerConfig>, HubError> {
    let bad = |path: &Path, why: String| {
        HubError::Serve(format!(
            "TLS file {}: {why}; give the hub's certificate chain and its private key as PEM files",
            path.display()
        ))
    };
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert_path)
        .map_err(|error| bad(cert_path, error.to_string()))?
        .collect::<Result<_, _>>()
        .map_err(|error| bad(cert_path, error.to_string()))?;
    if chain.is_empty() {
        return Err(bad(cert_path, "no CERTIFICATE block in it".into()));
    }
    let key =
        PrivateKeyDer::from_pem_file(key_path).map_err(|error| bad(key_path, error.to_string()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| HubError::Serve(format!("TLS set-up: {error}")))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|error| {
            bad(
                key_path,
                format!("the key does not fit the certificate or is unusable: {error}"),
            )
        })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Accepted, handshaken connections for axum.
struct TlsListener {
    ready: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local: SocketAddr,
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(ready) => ready,
            // The accept loop is gone (it only stops when this listener is dropped).
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}

/// Takes TCP connections and hands each one's finished handshake to the listener.
async fn accept_loop(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    ready: mpsc::Sender<(TlsStream<TcpStream>, SocketAddr)>,
) {
    loop {
        let accepted = tokio::select! {
            () = ready.closed() => return,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(error) => {
                // Out of file descriptors and the like: wait, then go on.
                tracing::warn!("cannot accept a connection: {error}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let acceptor = acceptor.clone();
        let ready = ready.clone();
        tokio::spawn(async move {
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                Ok(Ok(tls)) => {
                    let _ = ready.send((tls, peer)).await;
                }
                Ok(Err(error)) => tracing::info!(%peer, "TLS handshake refused: {error}"),
                Err(_) => tracing::info!(%peer, "TLS handshake timed out"),
            }
        });
    }
}

/// Serves the hub over HTTPS on `listener` until `shutdown` completes.
pub async fn serve_tls(
    listener: TcpListener,
    config: Arc<rustls::ServerConfig>,
    state: Arc<HubState>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), HubError> {
    let local = listener
        .local_addr()
        .map_err(|error| HubError::Serve(error.to_string()))?;
    let (sender, ready) = mpsc::channel(READY_QUEUE);
    let accepting = tokio::spawn(accept_loop(listener, TlsAcceptor::from(config), sender));
    let result = axum::serve(TlsListener { ready, local }, router(state))
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|error| HubError::Serve(error.to_string()));
    accepting.abort();
    result
}
