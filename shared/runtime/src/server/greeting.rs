//! Connections that never say anything: a client may open a TCP connection and send nothing, or
//! only part of an HTTP/2 greeting, and hold a file descriptor for as long as it likes. Each
//! accepted connection must greet within the handshake timeout — the HTTP/2 preface and the frame
//! header of its first SETTINGS (33 bytes), or as much of an HTTP/1 request — or it is closed.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tonic::transport::server::Connected;

/// The HTTP/2 connection preface (24 bytes) and a frame header (9 bytes).
pub(crate) const GREETING_BYTES: usize = 33;

/// A connection that is closed (its reads fail with `TimedOut`) unless it has sent
/// [`GREETING_BYTES`] by its deadline.
pub struct Greeted<IO> {
    inner: IO,
    received: usize,
    deadline: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl<IO> Greeted<IO> {
    pub fn new(inner: IO, within: Duration) -> Self {
        Self {
            inner,
            received: 0,
            deadline: Some(Box::pin(tokio::time::sleep(within))),
        }
    }
}

impl<IO: AsyncRead + Unpin> AsyncRead for Greeted<IO> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                self.received += buf.filled().len() - before;
                if self.received >= GREETING_BYTES {
                    self.deadline = None;
                }
                Poll::Ready(Ok(()))
            }
            Poll::Pending => match self.deadline.as_mut().map(|d| d.as_mut().poll(cx)) {
                Some(Poll::Ready(())) => Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "the client did not greet within the handshake timeout",
                ))),
                _ => Poll::Pending,
            },
            other => other,
        }
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for Greeted<IO> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, data)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

impl<IO: Connected> Connected for Greeted<IO> {
    type ConnectInfo = IO::ConnectInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        self.inner.connect_info()
    }
}

/// Plaintext connections from `listener`, each with `TCP_NODELAY` and the greeting deadline.
pub fn incoming(
    listener: tokio::net::TcpListener,
    handshake_timeout: Duration,
) -> impl tokio_stream::Stream<Item = io::Result<Greeted<tokio::net::TcpStream>>> {
    tokio_stream::StreamExt::map(
        tokio_stream::wrappers::TcpListenerStream::new(listener),
        move |stream| {
            stream.map(|s| {
                // Accepted sockets do not inherit `tcp_nodelay`: without it, a response of a few
                // segments waits on the peer's delayed ACK (~40 ms).
                let _ = s.set_nodelay(true);
                Greeted::new(s, handshake_timeout)
            })
        },
    )
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};

    use super::*;
    use crate::ServerHost;
    use crate::auth::hs256_keys;

    const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    /// An empty SETTINGS frame: length 0, type 4, no flags, stream 0.
    const EMPTY_SETTINGS: [u8; 9] = [0, 0, 0, 4, 0, 0, 0, 0, 0];

    async fn serving(
        handshake_timeout: Duration,
        keepalive_interval: Duration,
        max_connection_age: Duration,
    ) -> std::net::SocketAddr {
        let (authenticator, _) = hs256_keys(
            b"greeting-test-secret-0123456789abcdef",
            "lacak",
            "lacak",
            Duration::ZERO,
        );
        let args = crate::config::ServerArgs {
            handshake_timeout,
            keepalive_interval,
            max_connection_age,
            ..Default::default()
        };
        let host = ServerHost::new(args, Arc::new(authenticator)).unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(host.serve(listener, std::future::pending()));
        addr
    }

    /// Reads until the server closes the connection; how long that took, if within `limit`.
    async fn closed_within(stream: &mut TcpStream, limit: Duration) -> Option<Duration> {
        let started = tokio::time::Instant::now();
        let mut buf = [0u8; 1024];
        tokio::time::timeout(limit, async {
            loop {
                match stream.read(&mut buf).await {
                    Ok(0) | Err(_) => return started.elapsed(),
                    Ok(_) => {}
                }
            }
        })
        .await
        .ok()
    }

    #[tokio::test]
    async fn a_connection_that_says_nothing_or_only_the_preface_is_closed() {
        let addr = serving(
            Duration::from_millis(300),
            Duration::from_secs(60),
            Duration::from_secs(600),
        )
        .await;
        let mut silent = TcpStream::connect(addr).await.unwrap();
        assert!(
            closed_within(&mut silent, Duration::from_secs(5)).await.is_some(),
            "a silent connection is closed"
        );
        let mut preface_only = TcpStream::connect(addr).await.unwrap();
        preface_only.write_all(PREFACE).await.unwrap();
        assert!(
            closed_within(&mut preface_only, Duration::from_secs(5)).await.is_some(),
            "a preface and nothing else is closed"
        );
    }

    #[tokio::test]
    async fn a_greeted_connection_that_answers_no_ping_is_closed() {
        let addr = serving(
            Duration::from_millis(300),
            Duration::from_secs(1),
            Duration::from_secs(600),
        )
        .await;
        let mut deaf = TcpStream::connect(addr).await.unwrap();
        deaf.write_all(PREFACE).await.unwrap();
        deaf.write_all(&EMPTY_SETTINGS).await.unwrap();
        let closed = closed_within(&mut deaf, Duration::from_secs(10))
            .await
            .expect("a peer that answers no ping is disconnected");
        assert!(
            closed >= Duration::from_secs(1),
            "a greeting is enough to pass the handshake timeout ({closed:?})"
        );
    }

    #[tokio::test]
    async fn a_client_outliving_its_connections_age_reconnects_without_noticing() {
        let addr = serving(
            Duration::from_millis(300),
            Duration::from_millis(200),
            Duration::from_secs(1),
        )
        .await;
        let channel = tonic::transport::Channel::from_shared(format!("http://{addr}"))
            .unwrap()
            .connect()
            .await
            .unwrap();
        let mut health = tonic_health::pb::health_client::HealthClient::new(channel);
        for round in 0..3 {
            let answer = health
                .check(tonic_health::pb::HealthCheckRequest { service: String::new() })
                .await
                .unwrap_or_else(|status| panic!("round {round}: {status:?}"));
            assert_eq!(answer.into_inner().status, 1);
            tokio::time::sleep(Duration::from_millis(1200)).await;
        }
    }

    /// A client calling without pause through connections the server recycles every 100 ms: some
    /// calls race the server's GOAWAY and fail CANCELLED in the client's transport; retried as
    /// idempotent calls, none fails.
    #[tokio::test]
    async fn calls_racing_a_recycled_connection_are_retried() {
        let addr = serving(
            Duration::from_secs(5),
            Duration::from_secs(60),
            Duration::from_millis(100),
        )
        .await;
        let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
            .unwrap()
            .connect()
            .await
            .unwrap();
        let health = tonic_health::pb::health_client::HealthClient::new(channel);
        let ask = || {
            let mut health = health.clone();
            async move {
                health
                    .check(tonic_health::pb::HealthCheckRequest { service: String::new() })
                    .await
            }
        };
        let (mut raced, mut failed) = (0, Vec::new());
        let until = tokio::time::Instant::now() + Duration::from_secs(3);
        while tokio::time::Instant::now() < until {
            // Four at once, so a call is usually in flight when the connection is recycled.
            let calls = (0..4).map(|_| crate::client::retry_idempotent(3, ask));
            for answer in futures::future::join_all(calls).await {
                if let Err(status) = answer {
                    failed.push(status);
                }
            }
            if let Err(status) = ask().await {
                assert!(crate::client::is_transient(&status), "{status:?}");
                raced += 1;
            }
        }
        assert!(failed.is_empty(), "{failed:?}");
        eprintln!("calls without a retry that raced a recycled connection: {raced}");
    }
}
