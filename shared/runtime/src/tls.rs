//! Transport security: TLS served from certificate files that are reloaded when they change, and
//! client certificates required when a client CA is configured (mutual TLS between services).

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::server::WebPkiClientVerifier;
use tokio_rustls::rustls::{RootCertStore, ServerConfig};
use tokio_rustls::server::TlsStream;
use tokio_stream::wrappers::ReceiverStream;

use crate::server::greeting::Greeted;

/// The PEM files a TLS server is made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// The certificate chain, leaf first.
    pub cert: PathBuf,
    /// The private key of the leaf.
    pub key: PathBuf,
    /// With it, clients must present a certificate this CA signed (mutual TLS).
    pub client_ca: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("{path}: {message}")]
    File { path: String, message: String },
    #[error("TLS configuration: {0}")]
    Config(String),
}

fn file_error(path: &Path, message: impl ToString) -> TlsError {
    TlsError::File {
        path: path.display().to_string(),
        message: message.to_string(),
    }
}

fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| file_error(path, e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| file_error(path, e))?;
    if certs.is_empty() {
        return Err(file_error(path, "holds no PEM certificate"));
    }
    Ok(certs)
}

/// A rustls server configuration from the files, offering HTTP/2 (gRPC) and HTTP/1.1 (gRPC-Web).
pub fn server_config(files: &TlsFiles) -> Result<ServerConfig, TlsError> {
    let certs = read_certs(&files.cert)?;
    let key = PrivateKeyDer::from_pem_file(&files.key).map_err(|e| file_error(&files.key, e))?;
    let builder = ServerConfig::builder();
    let builder = match &files.client_ca {
        Some(ca) => {
            let mut roots = RootCertStore::empty();
            for cert in read_certs(ca)? {
                roots.add(cert).map_err(|e| file_error(ca, e))?;
            }
            let verifier = WebPkiClientVerifier::builder(Arc::new(roots))
                .build()
                .map_err(|e| TlsError::Config(e.to_string()))?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let mut config = builder
        .with_single_cert(certs, key)
        .map_err(|e| TlsError::Config(e.to_string()))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// When each file last changed, to notice a renewed certificate.
fn stamp(files: &TlsFiles) -> Vec<Option<SystemTime>> {
    [Some(&files.cert), Some(&files.key), files.client_ca.as_ref()]
        .into_iter()
        .flatten()
        .map(|path| std::fs::metadata(path).and_then(|m| m.modified()).ok())
        .collect()
}

/// A TLS acceptor that follows its files: renewed certificates apply to new connections without a
/// restart; files that fail to load leave the previous certificate in place.
pub struct ReloadingAcceptor {
    files: TlsFiles,
    current: RwLock<(TlsAcceptor, Vec<Option<SystemTime>>)>,
}

impl ReloadingAcceptor {
    pub fn new(files: TlsFiles) -> Result<Self, TlsError> {
        let acceptor = TlsAcceptor::from(Arc::new(server_config(&files)?));
        let stamp = stamp(&files);
        Ok(Self {
            files,
            current: RwLock::new((acceptor, stamp)),
        })
    }

    pub fn acceptor(&self) -> TlsAcceptor {
        match self.current.read() {
            Ok(current) => current.0.clone(),
            Err(poisoned) => poisoned.into_inner().0.clone(),
        }
    }

    /// Reloads the files if they changed; says whether a new certificate is now served.
    pub fn refresh(&self) -> bool {
        let now = stamp(&self.files);
        let unchanged = match self.current.read() {
            Ok(current) => current.1 == now,
            Err(_) => false,
        };
        if unchanged {
            return false;
        }
        match server_config(&self.files) {
            Ok(config) => {
                if let Ok(mut current) = self.current.write() {
                    *current = (TlsAcceptor::from(Arc::new(config)), now);
                }
                tracing::info!(cert = %self.files.cert.display(), "reloaded the TLS certificate");
                true
            }
            Err(error) => {
                tracing::warn!(%error, "the changed TLS files do not load; still serving the previous certificate");
                false
            }
        }
    }
}

/// TLS connections from `listener`. Handshakes run off the accept loop, so a slow or failing client
/// never holds up the others; failed handshakes are logged, not served. A client has
/// `handshake_timeout` for the TLS handshake, and as long again to greet inside it
/// ([`Greeted`]). The files are checked for changes every `reload_every`.
pub fn incoming(
    listener: TcpListener,
    acceptor: Arc<ReloadingAcceptor>,
    reload_every: Duration,
    handshake_timeout: Duration,
) -> ReceiverStream<Result<Greeted<TlsStream<TcpStream>>, std::io::Error>> {
    let (sender, receiver) = tokio::sync::mpsc::channel(64);
    tokio::spawn(async move {
        let mut reload = tokio::time::interval(reload_every.max(Duration::from_millis(10)));
        loop {
            tokio::select! {
                () = sender.closed() => return,
                _ = reload.tick() => {
                    acceptor.refresh();
                }
                accepted = listener.accept() => {
                    let Ok((stream, peer)) = accepted else { continue };
                    let _ = stream.set_nodelay(true);
                    let tls = acceptor.acceptor();
                    let sender = sender.clone();
                    tokio::spawn(async move {
                        match tokio::time::timeout(handshake_timeout, tls.accept(stream)).await {
                            Ok(Ok(stream)) => {
                                let _ = sender.send(Ok(Greeted::new(stream, handshake_timeout))).await;
                            }
                            Ok(Err(error)) => tracing::debug!(%peer, %error, "TLS handshake refused"),
                            Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                        }
                    });
                }
            }
        }
    });
    ReceiverStream::new(receiver)
}
