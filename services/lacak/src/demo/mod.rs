//! `lacak demo`: fills a running suite with a realistic sales history through its public APIs —
//! a team tree, reps of differing skill, products of differing margin, customers in segments and
//! regions, a lead → deal → sale funnel with seasonality, quotas in goals — so that every KPI,
//! report, trend and weak point shows something true. Deterministic for a seed, and safe to run
//! twice: every create carries a request id and every event an external id.

use anyhow::Context;
use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use lacak_proto::common::{Decimal as PbDecimal, Measure, measure};
use lacak_proto::goals as gpb;
use lacak_proto::inventory as ipb;
use lacak_proto::monitoring as pb;
use tonic::Code;

use crate::client::{ClientArgs, Clients, idr};
use crate::report::status_error;

mod cast;
mod history;

use cast::{CATEGORIES, PRODUCTS, REPS, TEAMS};
use history::History;

#[derive(clap::Args)]
pub struct DemoArgs {
    #[command(flatten)]
    pub client: ClientArgs,
    /// Years of history, ending today.
    #[arg(long, default_value_t = 3)]
    pub years: u32,
    /// The seed of the generator: the same seed writes the same history.
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
}

fn decimal(value: impl ToString) -> Option<PbDecimal> {
    Some(PbDecimal {
        value: value.to_string(),
    })
}

fn ts(time: DateTime<Utc>) -> Option<prost_types::Timestamp> {
    Some(prost_types::Timestamp {
        seconds: time.timestamp(),
        nanos: 0,
    })
}

/// Treats ALREADY_EXISTS as done: a second demo run finds what the first one made.
fn created<T>(outcome: Result<T, tonic::Status>) -> anyhow::Result<()> {
    match outcome {
        Ok(_) => Ok(()),
        Err(status) if status.code() == Code::AlreadyExists => Ok(()),
        Err(status) => Err(status_error(status)),
    }
}

pub async fn run(args: DemoArgs) -> anyhow::Result<()> {
    let mut clients = args.client.connect().await?;
    let now = Utc::now();
    let start_year = now.year() - args.years as i32 + 1;
    let start = Utc
        .with_ymd_and_hms(start_year, 1, 1, 0, 0, 0)
        .single()
        .context("a start date")?;
    println!(
        "Filling tenant {:?} at {} with sales from {} to today",
        args.client.tenant,
        args.client.target,
        start.date_naive()
    );

    let setup = ProgressBar::new((TEAMS.len() + REPS.len() + CATEGORIES.len() + PRODUCTS.len() * 3) as u64);
    setup.set_style(style("organisation and catalogue")?);
    organisation(&mut clients, &setup).await?;
    catalogue(&mut clients, &setup, start).await?;
    setup.finish();

    let history = History::generate(args.seed, start, now);
    let quotas = history.quota_targets();
    let quota_bar = ProgressBar::new(quotas.len() as u64);
    quota_bar.set_style(style("quotas in goals")?);
    for ((owner, period), target) in &quotas {
        created(
            clients
                .goals
                .create_quota(gpb::CreateQuotaRequest {
                    quota: Some(gpb::Quota {
                        owner: owner.clone(),
                        metric: gpb::Metric::Revenue as i32,
                        period: period.clone(),
                        target: Some(Measure {
                            kind: Some(measure::Kind::Money(idr(*target).unwrap_or_default())),
                        }),
                        ..Default::default()
                    }),
                    reason: "demo: stretch over last year's run rate".into(),
                    request_id: format!("demo-quota-{}-{period}", owner.replace('/', "-")),
                })
                .await,
        )?;
        quota_bar.inc(1);
    }
    quota_bar.finish();

    let events = history.events;
    let bar = ProgressBar::new(events.len() as u64);
    bar.set_style(style("events ingested")?);
    let mut applied = 0;
    let mut duplicates = 0;
    let mut awaiting = 0;
    for (i, chunk) in events.chunks(1000).enumerate() {
        let ack = clients
            .monitoring
            .ingest_events(pb::IngestEventsRequest {
                events: chunk.to_vec(),
                validate_only: false,
            })
            .await
            .map_err(status_error)
            .with_context(|| format!("batch {i}"))?
            .into_inner();
        applied += ack.applied;
        duplicates += ack.duplicates;
        awaiting += ack.awaiting_cost;
        bar.inc(chunk.len() as u64);
    }
    bar.finish();
    println!(
        "{applied} events applied, {duplicates} already there, {awaiting} sales awaiting cost; {} sales, {} leads, {} deals in all.",
        history.sales, history.leads, history.deals
    );
    let quarter = quarter_of(now);
    println!(
        "\nTry:\n  lacak report --tenant {} --team sales --period {quarter} --xlsx tracking.xlsx",
        args.client.tenant
    );
    Ok(())
}

fn style(what: &str) -> anyhow::Result<ProgressStyle> {
    Ok(ProgressStyle::with_template(&format!(
        "{{bar:40}} {{pos}}/{{len}} {what} ({{elapsed}})"
    ))?)
}

fn quarter_of(time: DateTime<Utc>) -> String {
    format!("FY{}-Q{}", time.year(), (time.month() - 1) / 3 + 1)
}

async fn organisation(clients: &mut Clients, bar: &ProgressBar) -> anyhow::Result<()> {
    for (id, name, parent) in TEAMS {
        created(
            clients
                .goals
                .create_team(gpb::CreateTeamRequest {
                    team: Some(gpb::Team {
                        display_name: name.into(),
                        parent: if parent.is_empty() {
                            String::new()
                        } else {
                            format!("teams/{parent}")
                        },
                        ..Default::default()
                    }),
                    team_id: id.into(),
                    request_id: format!("demo-team-{id}"),
                })
                .await,
        )?;
        bar.inc(1);
    }
    for rep in &REPS {
        created(
            clients
                .goals
                .create_member(gpb::CreateMemberRequest {
                    member: Some(gpb::Member {
                        display_name: rep.name.into(),
                        email: format!("{}@example.com", rep.id),
                        team: format!("teams/{}", rep.team),
                        active: true,
                        ..Default::default()
                    }),
                    member_id: rep.id.into(),
                    request_id: format!("demo-member-{}", rep.id),
                })
                .await,
        )?;
        bar.inc(1);
    }
    Ok(())
}

async fn catalogue(clients: &mut Clients, bar: &ProgressBar, start: DateTime<Utc>) -> anyhow::Result<()> {
    for (id, name) in CATEGORIES {
        created(
            clients
                .inventory
                .create_category(ipb::CreateCategoryRequest {
                    category: Some(ipb::Category {
                        display_name: name.into(),
                        ..Default::default()
                    }),
                    category_id: id.into(),
                    request_id: format!("demo-category-{id}"),
                })
                .await,
        )?;
        bar.inc(1);
    }
    let costs_rise = Utc.with_ymd_and_hms(2025, 7, 1, 0, 0, 0).single().context("a date")?;
    for p in &PRODUCTS {
        created(
            clients
                .inventory
                .create_product(ipb::CreateProductRequest {
                    product: Some(ipb::Product {
                        display_name: p.name.into(),
                        kind: if p.service {
                            ipb::ProductKind::Service
                        } else {
                            ipb::ProductKind::Product
                        } as i32,
                        category: format!("categories/{}", p.category),
                        unit_of_measure: if p.service { "engagement" } else { "unit" }.into(),
                        ..Default::default()
                    }),
                    sku: p.sku.into(),
                    request_id: format!("demo-product-{}", p.sku),
                })
                .await,
        )?;
        bar.inc(1);
        // Laptops cost more from mid-2025: sales before keep their margin, sales after earn less.
        let mut costs = vec![(start - Duration::days(30), p.cost)];
        if p.category == "laptops" {
            costs.push((costs_rise, p.cost * 108 / 100));
        }
        for (i, (effective, cost)) in costs.into_iter().enumerate() {
            created(
                clients
                    .inventory
                    .create_cost_breakdown(ipb::CreateCostBreakdownRequest {
                        parent: format!("products/{}", p.sku),
                        cost_breakdown: Some(ipb::CostBreakdown {
                            sourcing: idr(cost * 85 / 100),
                            shipping: idr(cost - cost * 85 / 100),
                            effective_time: ts(effective),
                            ..Default::default()
                        }),
                        request_id: format!("demo-cost-{}-{i}", p.sku),
                    })
                    .await,
            )?;
        }
        bar.inc(1);
        created(
            clients
                .inventory
                .create_price(ipb::CreatePriceRequest {
                    parent: format!("products/{}", p.sku),
                    price: Some(ipb::Price {
                        list_price: idr(p.price),
                        effective_time: ts(start - Duration::days(30)),
                        ..Default::default()
                    }),
                    request_id: format!("demo-price-{}", p.sku),
                })
                .await,
        )?;
        bar.inc(1);
    }
    Ok(())
}
