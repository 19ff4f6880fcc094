//! Transport security: TLS refuses plaintext; mutual TLS refuses missing and unknown client
//! certificates; a renewed certificate is served without a restart.

use std::path::{Path, PathBuf};
use std::time::Duration;

use lacak_domain::Role;
use lacak_e2e::{authorized, spawn_suite};
use lacak_proto::goals::GetFiscalCalendarRequest;
use lacak_proto::goals::goals_service_client::GoalsServiceClient;
use lacak_proto::monitoring::monitoring_service_client::MonitoringServiceClient;
use lacak_proto::monitoring::{GetSalesSeriesRequest, SeriesDimension};
use lacak_runtime::client::{ClientTls, Outgoing, PeerTlsFiles, balanced_channel, tls_channel};
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

/// Monitoring alone on a plaintext port, calling goals and inventory at `callee` over TLS with
/// `peer` (files that may change while it runs).
async fn monitoring_calling(
    callee: std::net::SocketAddr,
    peer: &PeerTlsFiles,
    data: &Path,
    issuer: lacak_runtime::TokenIssuer,
) -> anyhow::Result<(std::net::SocketAddr, tokio::task::JoinHandle<()>)> {
    let url = format!("https://{callee}");
    let goals = balanced_channel(&url, Duration::from_secs(2), Duration::from_millis(50), Some(peer))?;
    let inventory = balanced_channel(&url, Duration::from_secs(2), Duration::from_millis(50), Some(peer))?;
    let deps = lacak_monitoring::Dependencies::new(
        goals,
        inventory,
        Outgoing::new(lacak_monitoring::SERVICE_NAME, issuer.clone(), Duration::from_secs(2)),
    );
    let (authenticator, _) =
        lacak_runtime::auth::hs256_keys(lacak_e2e::SECRET, "lacak", "lacak", Duration::from_secs(30));
    let mut host = lacak_runtime::ServerHost::new(ServerArgs::default(), std::sync::Arc::new(authenticator))?;
    let database = lacak_runtime::db::database_url(None, data, "monitoring")?;
    lacak_monitoring::mount(&mut host, &database, deps).await.await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(async move {
        let _ = host.serve(listener, std::future::pending()).await;
    });
    Ok((addr, server))
}

fn series() -> GetSalesSeriesRequest {
    GetSalesSeriesRequest {
        owner: String::new(),
        dimension: SeriesDimension::Total as i32,
        start_period: "FY2026-M01".into(),
        end_period: "FY2026-M03".into(),
        currency_code: "IDR".into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn services_call_each_other_over_mutual_tls_and_present_a_renewed_client_certificate() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let ca = Authority::new();
    let suite = spawn_suite(tls_args(
        dir.path(),
        &ca.issue(ExtendedKeyUsagePurpose::ServerAuth),
        Some(&ca),
    ))
    .await?;

    // The calling service starts with a client certificate the callee's CA never signed.
    let identity = (dir.path().join("peer.pem"), dir.path().join("peer.key"));
    let unknown = Authority::new().issue(ExtendedKeyUsagePurpose::ClientAuth);
    std::fs::write(&identity.0, &unknown.0)?;
    std::fs::write(&identity.1, &unknown.1)?;
    let peer = PeerTlsFiles {
        ca: write(dir.path(), "peer-ca.pem", &ca.pem()),
        identity: Some(identity.clone()),
        server_name: Some("localhost".into()),
    };
    let data = tempfile::tempdir()?;
    let (monitoring, server) = monitoring_calling(suite.addr, &peer, data.path(), suite.issuer.clone()).await?;
    let token = suite.token("acme", "ana", Role::Admin);
    let mut client = MonitoringServiceClient::new(
        tonic::transport::Channel::from_shared(format!("http://{monitoring}"))?.connect_lazy(),
    );
    tokio::time::sleep(Duration::from_millis(150)).await;
    let refused = client.get_sales_series(authorized(&token, series())).await;
    assert_eq!(
        refused.as_ref().map_err(tonic::Status::code).err(),
        Some(tonic::Code::Unavailable),
        "goals refuses a client certificate of an unknown CA: {refused:?}"
    );

    // The certificate is renewed in place (key first, as a certificate manager writes them).
    let known = ca.issue(ExtendedKeyUsagePurpose::ClientAuth);
    std::fs::write(&identity.1, &known.1)?;
    std::fs::write(&identity.0, &known.0)?;
    let mut answered = None;
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        if let Ok(response) = client.get_sales_series(authorized(&token, series())).await {
            answered = Some(response.into_inner());
            break;
        }
    }
    let series = answered.expect("monitoring reaches goals once its certificate is signed by the CA");
    let points = series.series.first().map(|s| s.points.len());
    assert_eq!(points, Some(3), "three fiscal months, read through goals' calendar");
    server.abort();
    Ok(())
}

#[tokio::test]
async fn probes_check_health_in_plaintext_on_their_own_port_while_the_api_requires_client_certificates()
-> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let ca = Authority::new();
    let probe_port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
    let args = ServerArgs {
        health_listen: Some(probe_port),
        ..tls_args(dir.path(), &ca.issue(ExtendedKeyUsagePurpose::ServerAuth), Some(&ca))
    };
    let suite = spawn_suite(args).await?;

    let probe = tonic::transport::Channel::from_shared(format!("http://{probe_port}"))?.connect_lazy();
    let mut health = HealthClient::new(probe.clone());
    for service in [
        "",
        "lacak.goals.v1.GoalsService",
        "lacak.monitoring.v1.MonitoringService",
    ] {
        let status = health
            .check(HealthCheckRequest {
                service: service.into(),
            })
            .await?
            .into_inner()
            .status;
        assert_eq!(status, 1, "{service:?} is SERVING on the probe port");
    }
    // The probe port serves health only: the API stays behind mutual TLS.
    let token = suite.token("acme", "ana", Role::Admin);
    let api = GoalsServiceClient::new(probe)
        .get_fiscal_calendar(authorized(&token, GetFiscalCalendarRequest {}))
        .await;
    assert_eq!(api.map_err(|s| s.code()).err(), Some(tonic::Code::Unimplemented));
    let plaintext = HealthClient::new(suite.channel_lazy()?)
        .check(HealthCheckRequest { service: String::new() })
        .await;
    assert!(plaintext.is_err(), "the main port still refuses plaintext");
    Ok(())
}
