//! Transport security: TLS refuses plaintext; mutual TLS refuses missing and unknown client
//! certificates; a renewed certificate is served without a restart.

use std::path::{Path, PathBuf};
use std::time::Duration;

use lacak_domain::Role;
use lacak_e2e::{authorized, spawn_suite};
use lacak_proto::goals::GetFiscalCalendarRequest;
use lacak_proto::goals::goals_service_client::GoalsServiceClient;
use lacak_runtime::client::{ClientTls, tls_channel};
use lacak_runtime::config::ServerArgs;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, ExtendedKeyUsagePurpose, IsCa, KeyPair};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

/// A certificate authority of a test.
struct Authority(CertifiedIssuer<'static, KeyPair>);

impl Authority {
    fn new() -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        Self(CertifiedIssuer::self_signed(params, KeyPair::generate().expect("a key")).expect("a CA"))
    }

    fn pem(&self) -> Vec<u8> {
        self.0.pem().into_bytes()
    }

    /// A certificate and key (PEM) for `usage`, valid for localhost.
    fn issue(&self, usage: ExtendedKeyUsagePurpose) -> (Vec<u8>, Vec<u8>) {
        let key = KeyPair::generate().expect("a key");
        let mut params = CertificateParams::new(vec!["localhost".to_owned()]).expect("leaf params");
        params.extended_key_usages = vec![usage];
        let cert = params.signed_by(&key, &self.0).expect("a signed certificate");
        (cert.pem().into_bytes(), key.serialize_pem().into_bytes())
    }
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("a written file");
    path
}

/// Server args serving `server` (cert, key) from files in `dir`, optionally requiring client certs.
fn tls_args(dir: &Path, server: &(Vec<u8>, Vec<u8>), client_ca: Option<&Authority>) -> ServerArgs {
    ServerArgs {
        tls_cert_file: Some(write(dir, "server.pem", &server.0)),
        tls_key_file: Some(write(dir, "server.key", &server.1)),
        tls_client_ca_file: client_ca.map(|ca| write(dir, "clients-ca.pem", &ca.pem())),
        tls_reload_interval: Duration::from_millis(50),
        ..ServerArgs::default()
    }
}

fn client(ca: &Authority, identity: Option<(Vec<u8>, Vec<u8>)>) -> ClientTls {
    ClientTls {
        ca: ca.pem(),
        identity,
        domain: Some("localhost".to_owned()),
    }
}

/// Whether a health check over TLS with `tls` succeeds against `addr`.
async fn health_over_tls(addr: std::net::SocketAddr, tls: &ClientTls) -> bool {
    let Ok(channel) = tls_channel(&format!("https://{addr}"), Duration::from_secs(2), tls) else {
        return false;
    };
    HealthClient::new(channel)
        .check(HealthCheckRequest { service: String::new() })
        .await
        .is_ok()
}

#[tokio::test]
async fn tls_refuses_plaintext_and_serves_clients_that_trust_its_ca() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let ca = Authority::new();
    let suite = spawn_suite(tls_args(
        dir.path(),
        &ca.issue(ExtendedKeyUsagePurpose::ServerAuth),
        None,
    ))
    .await?;

    let plaintext = HealthClient::new(suite.channel_lazy()?)
        .check(HealthCheckRequest { service: String::new() })
        .await;
    assert!(plaintext.is_err(), "plaintext must be refused: {plaintext:?}");

    let tls = client(&ca, None);
    assert!(health_over_tls(suite.addr, &tls).await);
    let channel = tls_channel(&format!("https://{}", suite.addr), Duration::from_secs(2), &tls)?;
    let token = suite.token("acme", "ana", Role::Admin);
    GoalsServiceClient::new(channel)
        .get_fiscal_calendar(authorized(&token, GetFiscalCalendarRequest {}))
        .await?;

    let stranger = Authority::new();
    assert!(
        !health_over_tls(suite.addr, &client(&stranger, None)).await,
        "a server from an unknown CA is not trusted"
    );
    Ok(())
}

#[tokio::test]
async fn mutual_tls_refuses_missing_and_unknown_client_certificates() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let ca = Authority::new();
    let server = ca.issue(ExtendedKeyUsagePurpose::ServerAuth);
    let suite = spawn_suite(tls_args(dir.path(), &server, Some(&ca))).await?;

    assert!(
        !health_over_tls(suite.addr, &client(&ca, None)).await,
        "no client certificate"
    );
    let unknown = Authority::new().issue(ExtendedKeyUsagePurpose::ClientAuth);
    assert!(
        !health_over_tls(suite.addr, &client(&ca, Some(unknown))).await,
        "a client certificate from an unknown CA"
    );
    let known = ca.issue(ExtendedKeyUsagePurpose::ClientAuth);
    assert!(
        health_over_tls(suite.addr, &client(&ca, Some(known))).await,
        "a client certificate from the configured CA"
    );
    Ok(())
}

#[tokio::test]
async fn a_renewed_certificate_is_served_without_a_restart() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let old_ca = Authority::new();
    let args = tls_args(dir.path(), &old_ca.issue(ExtendedKeyUsagePurpose::ServerAuth), None);
    let (cert_path, key_path) = (args.tls_cert_file.clone(), args.tls_key_file.clone());
    let suite = spawn_suite(args).await?;
    assert!(health_over_tls(suite.addr, &client(&old_ca, None)).await);

    let new_ca = Authority::new();
    let renewed = new_ca.issue(ExtendedKeyUsagePurpose::ServerAuth);
    // Key first, then the certificate, as a certificate manager would replace them.
    std::fs::write(key_path.expect("a key path"), &renewed.1)?;
    std::fs::write(cert_path.expect("a cert path"), &renewed.0)?;

    let mut served = false;
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        if health_over_tls(suite.addr, &client(&new_ca, None)).await {
            served = true;
            break;
        }
    }
    assert!(served, "new connections get the renewed certificate");
    assert!(
        !health_over_tls(suite.addr, &client(&old_ca, None)).await,
        "the old certificate is no longer served"
    );
    Ok(())
}
