//! Batches: all or nothing, exactly once, acknowledged only once committed — also with several
//! clients at once, connections dropped mid-batch and every batch retried.

use std::collections::HashSet;

use futures::StreamExt;
use lacak_proto::monitoring as pb;
use tonic::Code;

use crate::helpers::*;

fn funnel_batch() -> Vec<pb::IngestEvent> {
    vec![
        customer_event("acme-corp", "emea", "enterprise"),
        lead_event("l1", "ana", "2026-01-05T00:00:00Z", None),
        deal_event("d1", "ana", "3000", "qualify", "2026-01-06T00:00:00Z"),
        stage_event("d1", "propose", "2026-01-10T00:00:00Z"),
        closure_event("d1", true, "2026-01-20T00:00:00Z"),
        lead_event(
            "l1",
            "ana",
            "2026-01-05T00:00:00Z",
            Some(("d1", "2026-01-06T00:00:00Z")),
        ),
        sale_event(
            "s1",
            pb::Sale {
                customer: "customers/acme-corp".into(),
                ..sale("s1", "ana", "LAP-1", "3", "1000", "2026-01-20T00:00:00Z")
            },
        ),
    ]
}

#[tokio::test]
async fn a_batch_is_applied_once_and_its_retry_changes_nothing() {
    let suite = spawn_suite().await;
    org(&suite).await;
    product(&suite, "LAP-1", "700").await;
    let first = ingest(&suite, funnel_batch()).await;
    assert_eq!((first.applied, first.duplicates, first.awaiting_cost), (7, 0, 0));
    let retry = ingest(&suite, funnel_batch()).await;
    assert_eq!((retry.applied, retry.duplicates), (0, 7));

    let kpis = kpis(&suite, "members/ana", "FY2026-Q1").await;
    assert_eq!(amount(&kpis.revenue), dec("3000"));
    assert_eq!(amount(&kpis.gross_margin), dec("900"));
    assert_eq!(
        (value(&kpis.won_deal_count), value(&kpis.lost_deal_count)),
        (dec("1"), dec("0"))
    );
    assert_eq!(kpis.leads_created, 1);
    let cohort = kpis.lead_cohort.unwrap();
    assert_eq!((cohort.leads, cohort.converted), (1, 1));
    assert_eq!(cohort.median_time_to_convert.unwrap().seconds, 86_400);
    assert_eq!(kpis.new_customers, 1, "the first sale acquires the customer");
    assert_eq!(kpis.median_time_to_close.unwrap().seconds, 14 * 86_400);
    let stages: Vec<(String, String, i64, i64, Option<i64>)> = kpis
        .stage_conversions
        .iter()
        .map(|s| {
            let days = s.average_time_in_stage.as_ref().map(|d| d.seconds / 86_400);
            (s.from_stage.clone(), s.to_stage.clone(), s.entered, s.advanced, days)
        })
        .collect();
    // The stage cohorts of the default sales pipeline (qualify → propose → negotiate → won): d1
    // entered qualify on 6 January and went on 4 days later; it entered propose on the 10th and
    // went on (skipping negotiate) with its win on the 20th; nothing entered negotiate.
    assert_eq!(
        stages,
        [
            ("qualify".to_string(), "propose".to_string(), 1, 1, Some(4)),
            ("propose".to_string(), "negotiate".to_string(), 1, 1, Some(10)),
            ("negotiate".to_string(), "won".to_string(), 0, 0, None),
        ]
    );
    let region = kpis_scoped(
        &suite,
        "members/ana",
        "FY2026-Q1",
        Some(lacak_proto::common::Scope {
            region: "emea".into(),
            ..Default::default()
        }),
    )
    .await;
    assert_eq!(amount(&region.revenue), dec("3000"));
    let elsewhere = kpis_scoped(
        &suite,
        "members/ana",
        "FY2026-Q1",
        Some(lacak_proto::common::Scope {
            region: "apac".into(),
            ..Default::default()
        }),
    )
    .await;
    assert_eq!(amount(&elsewhere.revenue), dec("0"));
}

#[tokio::test]
async fn one_invalid_event_rejects_the_whole_batch_naming_its_index() {
    let suite = spawn_suite().await;
    org(&suite).await;
    product(&suite, "LAP-1", "700").await;
    let mut events = funnel_batch();
    events.push(sale_event(
        "bad",
        sale("bad", "ana", "LAP-1", "-1", "1000", "2026-01-20T00:00:00Z"),
    ));
    events.push(sale_event(
        "ghost",
        sale("ghost", "ghost", "LAP-1", "1", "1000", "2026-01-20T00:00:00Z"),
    ));
    let status = suite
        .admin()
        .ingest_events(pb::IngestEventsRequest {
            events,
            validate_only: false,
        })
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&status), ["events[7].sale.lines[0].quantity"]);
    // Nothing of the batch was stored: the valid events apply in full afterwards.
    let after = ingest(&suite, funnel_batch()).await;
    assert_eq!(after.applied, 7);

    // Members goals does not know are named too, once the events are well formed.
    let status = suite
        .admin()
        .ingest_events(pb::IngestEventsRequest {
            events: vec![sale_event(
                "ghost",
                sale("ghost", "ghost", "LAP-1", "1", "1000", "2026-01-20T00:00:00Z"),
            )],
            validate_only: false,
        })
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&status), ["events[0].sale.owner"]);
    let too_many: Vec<_> = (0..1001)
        .map(|i| {
            sale_event(
                &format!("n{i}"),
                sale(&format!("n{i}"), "ana", "LAP-1", "1", "1", "2026-01-20T00:00:00Z"),
            )
        })
        .collect();
    let status = suite
        .admin()
        .ingest_events(pb::IngestEventsRequest {
            events: too_many,
            validate_only: false,
        })
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&status), ["events"]);
    // At most 20,000 sale lines a batch, however they are spread: 101 sales of 199 lines and one.
    let mut wide: Vec<_> = (0..101)
        .map(|i| {
            let mut s = sale(&format!("w{i}"), "ana", "LAP-1", "1", "1", "2026-01-20T00:00:00Z");
            s.lines = vec![s.lines[0].clone(); 199];
            sale_event(&format!("w{i}"), s)
        })
        .collect();
    wide.push(sale_event(
        "w-last",
        sale("w-last", "ana", "LAP-1", "1", "1", "2026-01-20T00:00:00Z"),
    ));
    let status = suite
        .admin()
        .ingest_events(pb::IngestEventsRequest {
            events: wide,
            validate_only: false,
        })
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&status), ["events"], "{status:?}");
    assert!(status.message().contains("20000 sale lines"), "{}", status.message());
    let rep = suite
        .rep("ana")
        .ingest_events(pb::IngestEventsRequest {
            events: funnel_batch(),
            validate_only: false,
        })
        .await
        .unwrap_err();
    assert_eq!(rep.code(), Code::PermissionDenied);
}

#[tokio::test]
async fn a_stream_acknowledges_each_batch_after_commit() {
    let suite = spawn_suite().await;
    org(&suite).await;
    product(&suite, "LAP-1", "700").await;
    let batches: Vec<pb::StreamIngestEventsRequest> = (0..5)
        .map(|b| pb::StreamIngestEventsRequest {
            batch_id: format!("b{b}"),
            events: (0..100)
                .map(|i| {
                    let id = format!("s{b}-{i}");
                    sale_event(&id, sale(&id, "budi", "LAP-1", "1", "10", "2026-02-01T00:00:00Z"))
                })
                .collect(),
            validate_only: false,
        })
        .collect();
    let acks: Vec<pb::StreamIngestEventsResponse> = suite
        .admin()
        .stream_ingest_events(futures::stream::iter(batches))
        .await
        .unwrap()
        .into_inner()
        .map(|ack| ack.expect("an acknowledgement"))
        .collect()
        .await;
    let ids: Vec<&str> = acks.iter().map(|a| a.batch_id.as_str()).collect();
    assert_eq!(ids, ["b0", "b1", "b2", "b3", "b4"]);
    assert!(acks.iter().all(|a| a.applied == 100));
    let kpis = kpis(&suite, "teams/sales", "FY2026-Q1").await;
    assert_eq!(amount(&kpis.revenue), dec("5000"));
}

/// Several clients ingest overlapping batches at once over their own connections; some calls are
/// abandoned mid-flight (the connection drops); then every client retries every batch. Afterwards
/// each sale is stored once and the KPI totals are exact.
#[tokio::test]
async fn concurrent_clients_with_drops_and_retries_count_every_sale_exactly_once() {
    let suite = spawn_suite().await;
    org(&suite).await;
    product(&suite, "LAP-1", "4").await;
    const CLIENTS: usize = 4;
    const BATCHES: usize = 6;
    const PER_BATCH: usize = 50;
    // Batch b of every client holds the same sales: clients race on the same external ids.
    let batch = |b: usize| -> Vec<pb::IngestEvent> {
        (0..PER_BATCH)
            .map(|i| {
                let id = format!("s{b}-{i}");
                let owner = ["ana", "budi", "citra"][i % 3];
                let mut s = sale(&id, owner, "LAP-1", "1", "10", "2026-02-01T00:00:00Z");
                if i % 5 == 0 {
                    s.credit = split(&[("ana", "50"), ("budi", "50")]);
                }
                sale_event(&id, s)
            })
            .collect()
    };
    let token = suite.admin_token();
    let mut tasks = Vec::new();
    for client in 0..CLIENTS {
        let channel = suite.fresh_channel().await;
        let mut monitoring = suite.monitoring_on(channel, &token);
        tasks.push(tokio::spawn(async move {
            for b in 0..BATCHES {
                let request = pb::IngestEventsRequest {
                    events: batch(b),
                    validate_only: false,
                };
                if (client + b) % 3 == 0 {
                    // Give up on the call after it was sent: its connection goes away mid-batch.
                    let call = monitoring.ingest_events(request);
                    let _ = tokio::time::timeout(std::time::Duration::from_millis(2), call).await;
                } else {
                    monitoring.ingest_events(request).await.expect("a batch");
                }
            }
            // Every client retries everything, as a client unsure of its acknowledgements would.
            for b in 0..BATCHES {
                monitoring
                    .ingest_events(pb::IngestEventsRequest {
                        events: batch(b),
                        validate_only: false,
                    })
                    .await
                    .expect("a retried batch");
            }
        }));
    }
    for task in tasks {
        task.await.expect("a client");
    }
    let mut names = HashSet::new();
    let mut token = String::new();
    loop {
        let page = suite
            .admin()
            .list_sales(pb::ListSalesRequest {
                page_size: 1000,
                page_token: token,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        for sale in page.sales {
            assert!(names.insert(sale.external_id), "a sale stored twice");
        }
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(names.len(), BATCHES * PER_BATCH);
    let team = kpis(&suite, "teams/sales", "FY2026-Q1").await;
    assert_eq!(amount(&team.revenue), dec("3000"), "300 sales of 10, each counted once");
    assert_eq!(amount(&team.gross_margin), dec("1800"));
    let ana = kpis(&suite, "members/ana", "FY2026-Q1").await;
    // ana: 100 own sales less her 20 split ones (i%3==0, i%5==0 → 4 per batch → 24 in all), plus half of 60 splits.
    let per_batch_own = (0..PER_BATCH).filter(|i| i % 3 == 0 && i % 5 != 0).count();
    let per_batch_split = (0..PER_BATCH).filter(|i| i % 5 == 0).count();
    let expected = (per_batch_own * BATCHES * 10) as i64 + (per_batch_split * BATCHES * 5) as i64;
    assert_eq!(amount(&ana.revenue), rust_decimal::Decimal::from(expected));
}

/// A stream checks the caller's token with each batch: a batch sent after the token lapsed (past
/// the tolerated skew, 30 s in these suites) ends the stream UNAUTHENTICATED and is not applied.
#[tokio::test]
async fn a_batch_sent_after_the_token_lapsed_ends_the_stream_unapplied() {
    let suite = spawn_suite().await;
    org(&suite).await;
    product(&suite, "LAP-1", "4").await;
    let batch = |id: &str| pb::StreamIngestEventsRequest {
        batch_id: id.to_owned(),
        events: vec![sale_event(
            id,
            sale(id, "budi", "LAP-1", "1", "10", "2026-02-01T00:00:00Z"),
        )],
        validate_only: false,
    };
    // Its exp was 27 s ago: accepted for 3 s more, within the skew.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let token = suite.admin_token_expiring_at(now - 27);
    let (send, batches) = tokio::sync::mpsc::channel(4);
    send.send(batch("early")).await.unwrap();
    let mut acks = suite
        .monitoring(&token)
        .stream_ingest_events(tokio_stream::wrappers::ReceiverStream::new(batches))
        .await
        .unwrap()
        .into_inner();
    let first = acks.next().await.unwrap().expect("the first batch, sent in time");
    assert_eq!(first.applied, 1);
    tokio::time::sleep(std::time::Duration::from_secs(4)).await;
    send.send(batch("late")).await.unwrap();
    let lapsed = acks.next().await.unwrap().unwrap_err();
    assert_eq!(lapsed.code(), Code::Unauthenticated, "{}", lapsed.message());
    assert!(acks.next().await.is_none(), "the stream ends");
    let kpis = kpis(&suite, "members/budi", "FY2026-Q1").await;
    assert_eq!(
        amount(&kpis.revenue),
        dec("10"),
        "only the batch sent in time is applied"
    );
}
