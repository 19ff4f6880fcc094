//! What the bench does to the suite: the organisation and catalogue it sets up, and the sales it
//! streams in.

use std::time::Instant;

use anyhow::Context;
use chrono::{DateTime, TimeZone, Utc};
use futures::StreamExt;
use lacak_proto::common::{Decimal as PbDecimal, Measure, measure};
use lacak_proto::goals as gpb;
use lacak_proto::inventory as ipb;
use lacak_proto::monitoring::{self as pb, IngestEvent, ingest_event::Event};

use crate::client::{Clients, idr};
use crate::report::status_error;

use super::{BATCH, BenchArgs, MEMBERS_PER_TEAM, PERIOD, SKUS, TEAMS};

pub(super) fn member(i: usize) -> String {
    format!("m{i:02}")
}

pub(super) async fn setup(clients: &mut Clients) -> anyhow::Result<()> {
    let team = |id: String, parent: &str| gpb::CreateTeamRequest {
        team: Some(gpb::Team {
            display_name: id.to_uppercase(),
            parent: parent.to_owned(),
            ..Default::default()
        }),
        team_id: id.clone(),
        request_id: format!("bench-team-{id}"),
    };
    clients
        .goals
        .create_team(team("sales".into(), ""))
        .await
        .map_err(status_error)?;
    for t in 0..TEAMS {
        clients
            .goals
            .create_team(team(format!("t{t}"), "teams/sales"))
            .await
            .map_err(status_error)?;
        for m in 0..MEMBERS_PER_TEAM {
            let id = member(t * MEMBERS_PER_TEAM + m);
            clients
                .goals
                .create_member(gpb::CreateMemberRequest {
                    member: Some(gpb::Member {
                        display_name: id.clone(),
                        team: format!("teams/t{t}"),
                        active: true,
                        ..Default::default()
                    }),
                    member_id: id.clone(),
                    request_id: format!("bench-member-{id}"),
                })
                .await
                .map_err(status_error)?;
            clients
                .goals
                .create_quota(gpb::CreateQuotaRequest {
                    quota: Some(gpb::Quota {
                        owner: format!("members/{id}"),
                        metric: gpb::Metric::Revenue as i32,
                        period: PERIOD.into(),
                        target: Some(Measure {
                            kind: Some(measure::Kind::Money(idr(50_000_000).unwrap_or_default())),
                        }),
                        ..Default::default()
                    }),
                    reason: "bench".into(),
                    request_id: format!("bench-quota-{id}"),
                })
                .await
                .map_err(status_error)?;
        }
    }
    for s in 0..SKUS {
        let sku = format!("SKU-{s:02}");
        clients
            .inventory
            .create_product(ipb::CreateProductRequest {
                product: Some(ipb::Product {
                    display_name: sku.clone(),
                    kind: ipb::ProductKind::Product as i32,
                    unit_of_measure: "unit".into(),
                    ..Default::default()
                }),
                sku: sku.clone(),
                request_id: format!("bench-product-{sku}"),
            })
            .await
            .map_err(status_error)?;
        clients
            .inventory
            .create_cost_breakdown(ipb::CreateCostBreakdownRequest {
                parent: format!("products/{sku}"),
                cost_breakdown: Some(ipb::CostBreakdown {
                    sourcing: idr(1000 + 100 * s as i64),
                    effective_time: Some(prost_types::Timestamp {
                        seconds: Utc
                            .with_ymd_and_hms(2023, 1, 1, 0, 0, 0)
                            .single()
                            .map_or(0, |t| t.timestamp()),
                        nanos: 0,
                    }),
                    ..Default::default()
                }),
                request_id: format!("bench-cost-{sku}"),
            })
            .await
            .map_err(status_error)?;
    }
    Ok(())
}

/// Sale `n` of the bench history: deterministic. Each step of the history (sales `first` to
/// `first + count`) spans FY2024–FY2026 in booking order, as a live feed arrives, so a batch of a
/// thousand covers minutes to days depending on the step's size.
pub(super) fn sale(n: u64, first: u64, count: u64, lines: usize, prefix: &str) -> IngestEvent {
    let start = Utc
        .with_ymd_and_hms(2024, 1, 1, 0, 0, 0)
        .single()
        .map_or(0, |t: DateTime<Utc>| t.timestamp());
    let span: u64 = 3 * 365 * 86_400;
    let mixed = n.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let at = start + ((n - first) as u128 * span as u128 / count.max(1) as u128) as i64;
    let owner = member((mixed >> 20) as usize % (TEAMS * MEMBERS_PER_TEAM));
    let id = format!("{prefix}{n}");
    IngestEvent {
        external_id: id.clone(),
        event: Some(Event::Sale(pb::Sale {
            owner: format!("members/{owner}"),
            lines: (0..lines)
                .map(|l| pb::SaleLine {
                    sku: format!("SKU-{:02}", (mixed >> (8 + l)) as usize % SKUS),
                    quantity: Some(PbDecimal {
                        value: (1 + (mixed >> 30) % 5).to_string(),
                    }),
                    unit_price: idr(2_000 + 10 * ((mixed >> 40) % 100) as i64),
                    discount_percent: None,
                    ..Default::default()
                })
                .collect(),
            book_time: Some(prost_types::Timestamp { seconds: at, nanos: 0 }),
            external_id: id,
            ..Default::default()
        })),
    }
}

/// Sends `count` sales from `first` over the configured streams; answers sale lines per second
/// from the first batch sent to the last acknowledgement.
pub(super) async fn ingest(
    clients: &Clients,
    first: u64,
    count: u64,
    args: &BenchArgs,
    validate_only: bool,
) -> anyhow::Result<f64> {
    if count == 0 {
        return Ok(0.0);
    }
    let started = Instant::now();
    let batches = count.div_ceil(BATCH as u64);
    let streams = args.streams.max(1) as u64;
    let lines = args.lines;
    let prefix = if validate_only { "dry-" } else { "s-" };
    let mut tasks = Vec::new();
    for stream in 0..streams {
        let mut monitoring = clients.monitoring.clone();
        let mine: Vec<u64> = (0..batches).filter(|b| b % streams == stream).collect();
        // Batches are made on the fly by a producer, a few ahead of the stream.
        let (sender, receiver) = tokio::sync::mpsc::channel::<pb::StreamIngestEventsRequest>(4);
        tokio::spawn(async move {
            for b in mine {
                let from = first + b * BATCH as u64;
                let to = (from + BATCH as u64).min(first + count);
                let request = pb::StreamIngestEventsRequest {
                    batch_id: format!("{prefix}{b}"),
                    events: (from..to).map(|n| sale(n, first, count, lines, prefix)).collect(),
                    validate_only,
                };
                if sender.send(request).await.is_err() {
                    return;
                }
            }
        });
        tasks.push(tokio::spawn(async move {
            let requests = tokio_stream::wrappers::ReceiverStream::new(receiver);
            let mut acks = monitoring
                .stream_ingest_events(requests)
                .await
                .map_err(status_error)?
                .into_inner();
            let mut awaiting = 0u64;
            while let Some(ack) = acks.next().await {
                awaiting += ack.map_err(status_error)?.awaiting_cost as u64;
            }
            anyhow::Ok(awaiting)
        }));
    }
    let mut awaiting = 0;
    for task in tasks {
        awaiting += task.await.context("an ingestion stream")??;
    }
    // Every line must have been costed by inventory, or the run measured the wrong path.
    anyhow::ensure!(
        awaiting == 0,
        "{awaiting} sales were taken without a cost: inventory did not answer"
    );
    let elapsed = started.elapsed().as_secs_f64();
    Ok((count as usize * lines) as f64 / elapsed)
}

/// Sales per deal in the bench history: a deal for every hundred sales.
pub(super) const SALES_PER_DEAL: u64 = 100;

/// Deal `n` of a step of `count` deals, as three events: created in "qualify", moved to "propose"
/// five days later, and twenty days after creation won (a third), lost (a third) or left open.
/// Every fourth deal is split 50/50 with a member of another team.
fn deal_events(n: u64, first: u64, count: u64, prefix: &str) -> Vec<IngestEvent> {
    let start = Utc
        .with_ymd_and_hms(2024, 1, 1, 0, 0, 0)
        .single()
        .map_or(0, |t: DateTime<Utc>| t.timestamp());
    let span: u64 = 3 * 365 * 86_400;
    let mixed = n.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let at = start + ((n - first) as u128 * span as u128 / count.max(1) as u128) as i64;
    let members = TEAMS * MEMBERS_PER_TEAM;
    let owner = (mixed >> 20) as usize % members;
    let id = format!("{prefix}{n}");
    let time = |days: i64| {
        Some(prost_types::Timestamp {
            seconds: at + days * 86_400,
            nanos: 0,
        })
    };
    let credit = if n.is_multiple_of(4) {
        let other = (owner + MEMBERS_PER_TEAM) % members;
        ["50", "50"]
            .iter()
            .zip([owner, other])
            .map(|(percent, m)| pb::CreditShare {
                member: format!("members/{}", member(m)),
                percent: Some(PbDecimal {
                    value: (*percent).into(),
                }),
            })
            .collect()
    } else {
        Vec::new()
    };
    let mut events = vec![
        IngestEvent {
            external_id: format!("{id}-new"),
            event: Some(Event::Deal(pb::Deal {
                owner: format!("members/{}", member(owner)),
                amount: idr(10_000 + 100 * ((mixed >> 40) % 100) as i64),
                stage: "qualify".into(),
                forecast_category: if n.is_multiple_of(2) {
                    pb::ForecastCategory::Commit
                } else {
                    pb::ForecastCategory::Pipeline
                } as i32,
                credit,
                create_time: time(0),
                external_id: id.clone(),
                ..Default::default()
            })),
        },
        IngestEvent {
            external_id: format!("{id}-propose"),
            event: Some(Event::StageChange(pb::DealStageChange {
                deal_external_id: id.clone(),
                stage: "propose".into(),
                time: time(5),
            })),
        },
    ];
    if n % 3 != 2 {
        events.push(IngestEvent {
            external_id: format!("{id}-close"),
            event: Some(Event::Closure(pb::DealClosure {
                deal_external_id: id,
                outcome: if n.is_multiple_of(3) {
                    pb::Outcome::Won
                } else {
                    pb::Outcome::Lost
                } as i32,
                reason: "bench".into(),
                time: time(20),
            })),
        });
    }
    events
}

/// Records `count` deals from `first` (each step spanning FY2024–FY2026 like the sales), in
/// batches of IngestEvents; answers deal events per second.
pub(super) async fn ingest_deals(clients: &Clients, first: u64, count: u64) -> anyhow::Result<f64> {
    if count == 0 {
        return Ok(0.0);
    }
    let started = Instant::now();
    let mut monitoring = clients.monitoring.clone();
    let mut events = 0usize;
    let per_batch = (BATCH / 3) as u64;
    let mut from = first;
    while from < first + count {
        let to = (from + per_batch).min(first + count);
        let batch: Vec<IngestEvent> = (from..to).flat_map(|n| deal_events(n, first, count, "d-")).collect();
        events += batch.len();
        monitoring
            .ingest_events(pb::IngestEventsRequest {
                events: batch,
                validate_only: false,
            })
            .await
            .map_err(status_error)?;
        from = to;
    }
    Ok(events as f64 / started.elapsed().as_secs_f64())
}
