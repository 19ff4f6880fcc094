//! The ledger's records (every one is listed, with the arithmetic, in `ledger.md`): a tenant whose
//! fiscal year starts in April in Jakarta (UTC+7), named by the year it ends in, so FY2026-Q3 is
//! October to December 2025 local, [2025-09-30T17:00Z, 2025-12-31T17:00Z).

use lacak_proto::common::{Measure, Money, measure};
use lacak_proto::goals::UpdateFiscalCalendarRequest;
use lacak_proto::goals::{self as gpb, CreateQuotaRequest, FiscalCalendar, FiscalYearNaming, Quota};
use lacak_proto::inventory as ipb;
use lacak_proto::inventory::{CostBreakdown, CreateCostBreakdownRequest, CreateProductRequest, Product};
use lacak_proto::monitoring::{self as pb, IngestEvent, ingest_event::Event};

use crate::helpers::*;

pub fn usd(value: &str) -> Option<Money> {
    Some(money("USD", value))
}

/// A one-line sale of (`sku`, `quantity`, unit `price`), to `customer` ("" for none), split by `credit`
/// (empty: all to the owner).
pub fn sold(
    id: &str,
    owner: &str,
    (sku, quantity, price): (&str, &str, Option<Money>),
    at: &str,
    customer: &str,
    credit: &[(&str, &str)],
) -> IngestEvent {
    let mut sale = sale(id, owner, sku, quantity, "0", at);
    sale.lines[0].unit_price = price;
    sale.credit = split(credit);
    if !customer.is_empty() {
        sale.customer = format!("customers/{customer}");
    }
    sale_event(id, sale)
}

/// A deal created at `created` in `stage`, in `category`, split by `credit`.
pub fn deal(
    id: &str,
    owner: &str,
    amount: Option<Money>,
    stage: &str,
    category: pb::ForecastCategory,
    created: &str,
    credit: &[(&str, &str)],
) -> IngestEvent {
    event(
        &format!("deal-{id}"),
        Event::Deal(pb::Deal {
            name: format!("deals/{id}"),
            owner: format!("members/{owner}"),
            amount,
            stage: stage.into(),
            forecast_category: category as i32,
            create_time: ts(created),
            credit: split(credit),
            external_id: format!("crm-deal-{id}"),
            ..Default::default()
        }),
    )
}

/// A closure with an event id of its own, so that a deal can close twice (lost, reopened, won).
pub fn closed(id: &str, won: bool, at: &str) -> IngestEvent {
    let mut closure = closure_event(id, won, at);
    closure.external_id = format!("deal-{id}-closed-{at}");
    closure
}

pub fn reopened(id: &str, stage: &str, at: &str) -> IngestEvent {
    event(
        &format!("deal-{id}-reopened-{at}"),
        Event::Reopening(pb::DealReopening {
            deal_external_id: format!("crm-deal-{id}"),
            stage: stage.into(),
            reason: "the customer came back".into(),
            time: ts(at),
        }),
    )
}

fn account(id: &str, owner: &str) -> IngestEvent {
    let mut customer = customer_event(id, "java", "smb");
    if let Some(Event::Customer(c)) = customer.event.as_mut() {
        c.owner = owner.into();
    }
    customer
}

/// The sale that is sent twice: once in the first batch, again (a retry) in the second.
pub fn retried_sale() -> IngestEvent {
    // 3 × 900 = 2,700 IDR, citra's, Dec 10 2025.
    sold(
        "s5",
        "citra",
        ("LAP", "3", idr("900")),
        "2025-12-10T03:00:00Z",
        "gula",
        &[],
    )
}

async fn calendar(suite: &Suite) {
    suite
        .goals(&suite.admin_token())
        .update_fiscal_calendar(UpdateFiscalCalendarRequest {
            fiscal_calendar: Some(FiscalCalendar {
                start_month: 4,
                time_zone: "Asia/Jakarta".into(),
                year_naming: FiscalYearNaming::EndingYear as i32,
                ..Default::default()
            }),
            update_mask: None,
        })
        .await
        .expect("the calendar is set before any quota");
}

/// SVC, a service costing 40 USD a unit (its cost in the sale's currency, so it has a margin).
async fn usd_product(suite: &Suite) {
    let mut inventory = suite.inventory(&suite.admin_token());
    inventory
        .create_product(CreateProductRequest {
            product: Some(Product {
                display_name: "Setup service".into(),
                kind: ipb::ProductKind::Product as i32,
                unit_of_measure: "unit".into(),
                ..Default::default()
            }),
            sku: "SVC".into(),
            request_id: String::new(),
        })
        .await
        .expect("a product");
    inventory
        .create_cost_breakdown(CreateCostBreakdownRequest {
            parent: "products/SVC".into(),
            cost_breakdown: Some(CostBreakdown {
                sourcing: usd("40"),
                effective_time: ts("2020-01-01T00:00:00Z"),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("a cost");
}

async fn sales_pipeline(suite: &Suite) {
    let stage = |stage: &str, p: &str| pb::PipelineStage {
        stage: stage.into(),
        win_probability_percent: num(p),
    };
    suite
        .admin()
        .update_sales_pipeline(pb::UpdateSalesPipelineRequest {
            sales_pipeline: Some(pb::SalesPipeline {
                stages: vec![
                    stage("discover", "10"),
                    stage("propose", "40"),
                    stage("negotiate", "75"),
                ],
                ..Default::default()
            }),
        })
        .await
        .expect("the sales pipeline");
}

async fn quotas(suite: &Suite) -> Vec<Quota> {
    let mut goals = suite.goals(&suite.admin_token());
    let mut made = Vec::new();
    let weights = ["5", "5", "5", "5", "5", "5", "10", "10", "10", "15", "15", "10"];
    for (owner, metric, period, target, profile) in [
        // citra's year: 48,000 IDR, months M07..M09 (Oct–Dec) 10% each = 4,800.
        (
            "members/citra",
            gpb::Metric::Revenue,
            "FY2026",
            measure::Kind::Money(money("IDR", "48000")),
            &weights[..],
        ),
        (
            "members/citra",
            gpb::Metric::Revenue,
            "FY2026-Q3",
            measure::Kind::Money(money("USD", "500")),
            &[][..],
        ),
        (
            "teams/emea",
            gpb::Metric::DealsWon,
            "FY2026-Q3",
            measure::Kind::Quantity(num("2").expect("2")),
            &[][..],
        ),
    ] {
        let quota = goals
            .create_quota(CreateQuotaRequest {
                quota: Some(Quota {
                    owner: owner.into(),
                    metric: metric as i32,
                    period: period.into(),
                    target: Some(Measure { kind: Some(target) }),
                    seasonal_profile: profile.iter().map(|w| num(w).expect("a weight")).collect(),
                    ..Default::default()
                }),
                reason: "the ledger's plan".into(),
                request_id: String::new(),
            })
            .await
            .expect("a quota")
            .into_inner()
            .quota
            .expect("the quota");
        made.push(quota);
    }
    made
}

/// The ledger with the deal rollups built (empty) before any record arrives, so every deal event
/// books into them as it lands, where [`ledger`] leaves them to be built from the deals at the first read.
pub async fn ledger_booked_as_it_lands(suite: &Suite) -> Vec<Quota> {
    ledger_with(suite, true).await
}

pub async fn ledger(suite: &Suite) -> Vec<Quota> {
    ledger_with(suite, false).await
}

/// Sets up the whole ledger: calendar, org (sales ⊃ {emea ⊃ uk, apac}; ana in emea, budi in uk,
/// citra and the empty dewi in apac), catalogue, pipeline, quotas and two ingestion batches.
async fn ledger_with(suite: &Suite, read_first: bool) -> Vec<Quota> {
    use pb::ForecastCategory::{BestCase, Commit, Pipeline};
    calendar(suite).await;
    org(suite).await;
    add_member(&mut suite.goals(&suite.admin_token()), "dewi", "apac", "Dewi").await;
    product(suite, "LAP", "600").await;
    usd_product(suite).await;
    sales_pipeline(suite).await;
    let quotas = quotas(suite).await;
    if read_first {
        super::read(suite, "", "FY2026-Q3", "", None).await;
    }
    let first = vec![
        account("kopi", "members/budi"),
        account("teh", ""),
        account("gula", ""),
        // Sales.
        sold(
            "s1",
            "ana",
            ("LAP", "2", idr("1000")),
            "2025-09-30T17:00:00Z",
            "kopi",
            &[],
        ),
        sold("s2", "budi", ("LAP", "1", idr("1500")), "2025-09-30T16:59:59Z", "", &[]),
        sold(
            "s3",
            "ana",
            ("LAP", "1", idr("2000")),
            "2025-10-15T03:00:00Z",
            "teh",
            &[("ana", "60"), ("budi", "40")],
        ),
        sold(
            "s4",
            "ana",
            ("SVC", "1", usd("100")),
            "2025-10-20T03:00:00Z",
            "kopi",
            &[("ana", "50"), ("citra", "50")],
        ),
        retried_sale(),
        sold("s6", "citra", ("SVC", "2", usd("120")), "2025-12-31T17:00:00Z", "", &[]),
        // Deals, then their moves in time order.
        deal(
            "d4",
            "citra",
            idr("3000"),
            "discover",
            Pipeline,
            "2025-08-01T03:00:00Z",
            &[],
        ),
        deal(
            "d3",
            "budi",
            idr("6000"),
            "negotiate",
            Commit,
            "2025-09-15T03:00:00Z",
            &[],
        ),
        closed("d4", false, "2025-10-05T03:00:00Z"),
        deal(
            "d1",
            "ana",
            idr("10000"),
            "discover",
            Pipeline,
            "2025-10-07T03:00:00Z",
            &[("ana", "60"), ("budi", "40")],
        ),
        deal(
            "d2",
            "citra",
            usd("2000"),
            "propose",
            BestCase,
            "2025-10-10T03:00:00Z",
            &[("ana", "50"), ("citra", "50")],
        ),
        stage_event("d3", "propose", "2025-10-10T03:00:00Z"),
        deal(
            "d5",
            "ana",
            idr("5000"),
            "discover",
            Pipeline,
            "2025-10-12T03:00:00Z",
            &[],
        ),
        stage_event("d1", "propose", "2025-10-20T03:00:00Z"),
        reopened("d4", "propose", "2025-10-25T03:00:00Z"),
        deal(
            "d6",
            "citra",
            idr("8000"),
            "discover",
            Pipeline,
            "2025-11-03T03:00:00Z",
            &[],
        ),
        stage_event("d1", "negotiate", "2025-11-05T03:00:00Z"),
        closed("d5", false, "2025-11-12T03:00:00Z"),
        closed("d2", true, "2025-11-20T03:00:00Z"),
        closed("d1", true, "2025-12-01T03:00:00Z"),
        deal(
            "d7",
            "budi",
            idr("1000"),
            "legal",
            BestCase,
            "2025-12-05T03:00:00Z",
            &[],
        ),
        closed("d4", true, "2025-12-15T03:00:00Z"),
        stage_event("d6", "negotiate", "2025-12-20T03:00:00Z"),
        // Leads.
        lead_event(
            "l1",
            "ana",
            "2025-10-05T03:00:00Z",
            Some(("d1", "2025-10-07T03:00:00Z")),
        ),
        lead_event("l2", "ana", "2025-10-31T17:30:00Z", None),
        lead_event(
            "l3",
            "citra",
            "2025-09-30T16:30:00Z",
            Some(("d2", "2025-10-10T04:30:00Z")),
        ),
        lead_event(
            "l4",
            "citra",
            "2025-10-30T03:00:00Z",
            Some(("d6", "2025-11-03T03:00:00Z")),
        ),
    ];
    let sent = first.len() as i32;
    let ack = ingest(suite, first).await;
    assert_eq!(
        (ack.applied, ack.duplicates),
        (sent, 0),
        "the first batch applies whole"
    );
    // The retry: s5 again under the same event id changes nothing.
    let ack = ingest(suite, vec![retried_sale()]).await;
    assert_eq!((ack.applied, ack.duplicates), (0, 1), "a retried sale is a duplicate");
    quotas
}
