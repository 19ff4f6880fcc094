//! WatchKpis pushes the KPIs now, then again after every ingestion that changes them.

use std::time::{Duration, Instant};

use futures::StreamExt;
use lacak_proto::monitoring as pb;

use crate::helpers::*;

/// A watch of `owner`'s KPIs for `period` in IDR.
async fn watch(mut client: Monitoring, owner: &str, period: &str) -> tonic::Streaming<pb::WatchKpisResponse> {
    client
        .watch_kpis(pb::WatchKpisRequest {
            owner: owner.into(),
            period: period.into(),
            scope: None,
            currency_code: "IDR".into(),
        })
        .await
        .unwrap()
        .into_inner()
}

#[tokio::test]
async fn a_watch_sees_an_ingestion_that_changes_its_numbers() {
    let suite = spawn_suite().await;
    org(&suite).await;
    product(&suite, "LAP-1", "1").await;
    let mut stream = watch(suite.admin(), "teams/emea", "FY2026-Q1").await;
    let first = stream.next().await.unwrap().unwrap().kpis.unwrap();
    assert_eq!(amount(&first.revenue), dec("0"));

    // A sale of someone outside the team changes nothing the watch shows.
    ingest(
        &suite,
        vec![sale_event(
            "c",
            sale("c", "citra", "LAP-1", "1", "300", "2026-02-01T00:00:00Z"),
        )],
    )
    .await;
    let sent = Instant::now();
    ingest(
        &suite,
        vec![sale_event(
            "b",
            sale("b", "budi", "LAP-1", "1", "200", "2026-02-01T00:00:00Z"),
        )],
    )
    .await;
    let next = tokio::time::timeout(Duration::from_secs(10), stream.next())
        .await
        .expect("an update")
        .unwrap()
        .unwrap()
        .kpis
        .unwrap();
    assert_eq!(
        amount(&next.revenue),
        dec("200"),
        "the first update is the team's own sale"
    );
    eprintln!("watch update after {:?}", sent.elapsed());
}

/// A watch ends UNAUTHENTICATED once the token it was opened with lapses (past the tolerated
/// skew), instead of streaming for as long as the connection lasts.
#[tokio::test]
async fn a_watch_ends_when_its_token_lapses() {
    let suite = spawn_suite().await;
    org(&suite).await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    // Its exp was 28 s ago: accepted for 2 s more, within the 30 s skew.
    let token = suite.admin_token_expiring_at(now - 28);
    let mut stream = watch(suite.monitoring(&token), "teams/emea", "FY2026-Q1").await;
    assert!(
        stream.next().await.unwrap().is_ok(),
        "the figures while the token holds"
    );
    let ended = tokio::time::timeout(Duration::from_secs(10), stream.next())
        .await
        .expect("the watch ends within seconds of the token lapsing")
        .expect("with a status");
    assert_eq!(ended.unwrap_err().code(), tonic::Code::Unauthenticated);
}

/// At shutdown an idle watch ends at once with UNAVAILABLE (its client watches again elsewhere)
/// instead of holding the exit for the whole drain timeout.
#[tokio::test]
async fn a_watch_ends_unavailable_as_soon_as_the_server_drains() {
    let mut suite = spawn_suite().await;
    org(&suite).await;
    let mut stream = watch(suite.admin(), "teams/emea", "FY2026-Q1").await;
    stream.next().await.unwrap().expect("the KPIs now");

    suite.shut_down();
    // Well inside the 15 s drain timeout that would otherwise cut it.
    let ended = tokio::time::timeout(Duration::from_secs(5), stream.next())
        .await
        .expect("the watch ends promptly");
    let status = ended.expect("a status, not a silent end").unwrap_err();
    assert_eq!(status.code(), tonic::Code::Unavailable, "{status:?}");
}

/// The current quarter's id (the default calendar: fiscal years are calendar years) and an instant
/// early in it.
fn current_quarter() -> (String, String) {
    use chrono::Datelike;
    let now = chrono::Utc::now();
    let quarter = (now.month() - 1) / 3 + 1;
    let start = format!("{}-{:02}-01T00:00:01Z", now.year(), (quarter - 1) * 3 + 1);
    (format!("FY{}-Q{quarter}", now.year()), start)
}

/// A watch of the period under way stays quiet while only the clock moves (its run-rate
/// projection creeps with every second), and speaks when a sale changes its numbers.
#[tokio::test]
async fn a_quiet_watch_sends_nothing_while_only_the_clock_moves() {
    let suite = spawn_suite().await;
    org(&suite).await;
    product(&suite, "LAP-1", "1").await;
    let (period, early) = current_quarter();
    revenue_quota(&suite, "members/ana", &period, "100000").await;
    ingest(
        &suite,
        vec![sale_event("q1", sale("q1", "ana", "LAP-1", "1", "500", &early))],
    )
    .await;
    let mut stream = watch(suite.admin(), "members/ana", &period).await;
    let first = stream.next().await.unwrap().unwrap().kpis.unwrap();
    assert!(
        first.attainments[0].projection.is_some(),
        "a projection that moves with time"
    );

    let quiet = tokio::time::timeout(Duration::from_millis(3500), stream.next()).await;
    assert!(quiet.is_err(), "nothing sent while only the clock moved: {quiet:?}");

    ingest(
        &suite,
        vec![sale_event("q2", sale("q2", "ana", "LAP-1", "1", "700", &early))],
    )
    .await;
    let next = tokio::time::timeout(Duration::from_secs(10), stream.next())
        .await
        .expect("an update for the sale")
        .unwrap()
        .unwrap()
        .kpis
        .unwrap();
    assert_eq!(amount(&next.revenue), dec("1200"));
}

/// On PostgreSQL a write served by one replica reaches a watcher on another through the database's
/// notifications, not a poll (a quiet watch looks again only every 30 s).
#[tokio::test]
async fn a_write_on_one_replica_reaches_a_watcher_on_another() {
    if std::env::var(lacak_testkit::POSTGRES_URL_VAR).is_err() {
        eprintln!("skipped: one SQLite file is one replica's");
        return;
    }
    let suite = spawn_suite().await;
    org(&suite).await;
    product(&suite, "LAP-1", "1").await;
    let other = monitoring_replica(&suite).await;
    let mut stream = watch(
        suite.monitoring_on(other.channel.clone(), &suite.admin_token()),
        "teams/emea",
        "FY2026-Q1",
    )
    .await;
    stream.next().await.unwrap().unwrap();

    let mut latencies = Vec::new();
    for n in 1..=10 {
        let id = format!("r{n}");
        let sent = Instant::now();
        ingest(
            &suite,
            vec![sale_event(
                &id,
                sale(&id, "budi", "LAP-1", "1", "100", "2026-02-01T00:00:00Z"),
            )],
        )
        .await;
        let next = tokio::time::timeout(Duration::from_secs(10), stream.next())
            .await
            .expect("an update from the other replica, well before a recheck")
            .unwrap()
            .unwrap()
            .kpis
            .unwrap();
        latencies.push(sent.elapsed());
        assert_eq!(amount(&next.revenue), dec(&(100 * n).to_string()));
    }
    latencies.sort();
    eprintln!(
        "across replicas: median {:?}, worst {:?}",
        latencies[latencies.len() / 2],
        latencies[latencies.len() - 1]
    );
}
