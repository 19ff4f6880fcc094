//! Values, event builders and the organisation, catalogue and quotas a story needs.

use lacak_proto::common::{Decimal as PbDecimal, Measure, Money, measure};
use lacak_proto::goals::{
    self as gpb, CreateMemberRequest, CreateQuotaRequest, CreateTeamRequest, Member, Quota, Team,
};
use lacak_proto::inventory::{self as ipb, CostBreakdown, CreateCostBreakdownRequest, CreateProductRequest, Product};
use lacak_proto::monitoring::{self as pb, IngestEvent, ingest_event::Event};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive as _;
use tonic::Code;
use tonic_types::StatusExt as _;

use super::Suite;

pub fn money(currency: &str, amount: &str) -> Money {
    let value: Decimal = amount.parse().expect("a decimal amount");
    let units = value.trunc();
    let nanos = ((value - units) * Decimal::from(1_000_000_000)).trunc();
    Money {
        currency_code: currency.to_owned(),
        units: units.to_i64().expect("units fit"),
        nanos: nanos.to_i32().expect("nanos fit"),
    }
}

pub fn idr(amount: &str) -> Option<Money> {
    Some(money("IDR", amount))
}

#[track_caller]
pub fn amount(money: &Option<Money>) -> Decimal {
    let m = money.as_ref().expect("expected money, found none");
    (Decimal::from(m.units) + Decimal::new(i64::from(m.nanos), 9)).normalize()
}

pub fn num(value: &str) -> Option<PbDecimal> {
    Some(PbDecimal {
        value: value.to_owned(),
    })
}

#[track_caller]
pub fn value(decimal: &Option<PbDecimal>) -> Decimal {
    decimal
        .as_ref()
        .expect("expected a decimal, found none")
        .value
        .parse::<Decimal>()
        .expect("a decimal")
        .normalize()
}

pub fn dec(value: &str) -> Decimal {
    value.parse::<Decimal>().expect("a decimal").normalize()
}

pub fn ts(rfc3339: &str) -> Option<prost_types::Timestamp> {
    let t: chrono::DateTime<chrono::Utc> = rfc3339.parse().expect("an RFC 3339 instant");
    Some(prost_types::Timestamp {
        seconds: t.timestamp(),
        nanos: t.timestamp_subsec_nanos() as i32,
    })
}

pub fn mask(paths: &[&str]) -> Option<prost_types::FieldMask> {
    Some(prost_types::FieldMask {
        paths: paths.iter().map(|p| (*p).to_owned()).collect(),
    })
}

/// The fields a status's BadRequest names.
pub fn violated_fields(status: &tonic::Status) -> Vec<String> {
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    status
        .get_error_details()
        .bad_request()
        .map(|b| b.field_violations.iter().map(|f| f.field.clone()).collect())
        .unwrap_or_default()
}

/// The organisation of the stories: sales ⊃ {emea ⊃ uk, apac}; ana in emea, budi in uk, citra in apac.
pub async fn org(suite: &Suite) {
    let mut goals = suite.goals(&suite.admin_token());
    for (id, parent) in [
        ("sales", ""),
        ("emea", "teams/sales"),
        ("uk", "teams/emea"),
        ("apac", "teams/sales"),
    ] {
        goals
            .create_team(CreateTeamRequest {
                team: Some(Team {
                    display_name: id.to_uppercase(),
                    parent: parent.to_owned(),
                    ..Default::default()
                }),
                team_id: id.to_owned(),
                request_id: String::new(),
            })
            .await
            .expect("a team");
    }
    for (id, team, name) in [
        ("ana", "emea", "Ana"),
        ("budi", "uk", "Budi"),
        ("citra", "apac", "Citra, Jr."),
    ] {
        add_member(&mut goals, id, team, name).await;
    }
}

pub async fn add_member(goals: &mut super::Goals, id: &str, team: &str, name: &str) {
    goals
        .create_member(CreateMemberRequest {
            member: Some(Member {
                display_name: name.to_owned(),
                team: format!("teams/{team}"),
                active: true,
                ..Default::default()
            }),
            member_id: id.to_owned(),
            request_id: String::new(),
        })
        .await
        .expect("a member");
}

/// A product whose unit cost is `cost` IDR from 2020 on.
pub async fn product(suite: &Suite, sku: &str, cost: &str) {
    let mut inventory = suite.inventory(&suite.admin_token());
    inventory
        .create_product(CreateProductRequest {
            product: Some(Product {
                display_name: sku.to_owned(),
                kind: ipb::ProductKind::Product as i32,
                unit_of_measure: "unit".into(),
                ..Default::default()
            }),
            sku: sku.to_owned(),
            request_id: String::new(),
        })
        .await
        .expect("a product");
    add_cost(suite, sku, cost, "2020-01-01T00:00:00Z").await;
}

pub async fn add_cost(suite: &Suite, sku: &str, cost: &str, effective: &str) {
    suite
        .inventory(&suite.admin_token())
        .create_cost_breakdown(CreateCostBreakdownRequest {
            parent: format!("products/{sku}"),
            cost_breakdown: Some(CostBreakdown {
                sourcing: idr(cost),
                effective_time: ts(effective),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("a cost");
}

/// A revenue quota in IDR.
pub async fn revenue_quota(suite: &Suite, owner: &str, period: &str, target: &str) -> Quota {
    quota(
        suite,
        owner,
        period,
        gpb::Metric::Revenue,
        measure::Kind::Money(money("IDR", target)),
    )
    .await
}

pub async fn quota(suite: &Suite, owner: &str, period: &str, metric: gpb::Metric, target: measure::Kind) -> Quota {
    suite
        .goals(&suite.admin_token())
        .create_quota(CreateQuotaRequest {
            quota: Some(Quota {
                owner: owner.to_owned(),
                metric: metric as i32,
                period: period.to_owned(),
                target: Some(Measure { kind: Some(target) }),
                ..Default::default()
            }),
            reason: "set for the story".into(),
            request_id: String::new(),
        })
        .await
        .expect("a quota")
        .into_inner()
        .quota
        .expect("the quota")
}

// ---- Events -------------------------------------------------------------------------------------

pub fn event(external_id: &str, event: Event) -> IngestEvent {
    IngestEvent {
        external_id: external_id.to_owned(),
        event: Some(event),
    }
}

pub fn customer_event(id: &str, region: &str, segment: &str) -> IngestEvent {
    event(
        &format!("customer-{id}"),
        Event::Customer(pb::Customer {
            name: format!("customers/{id}"),
            display_name: id.to_uppercase(),
            region: region.into(),
            segment: segment.into(),
            external_id: format!("crm-{id}"),
            ..Default::default()
        }),
    )
}

/// A sale of `quantity` × `sku` at `price` IDR each.
pub fn sale(external_id: &str, owner: &str, sku: &str, quantity: &str, price: &str, time: &str) -> pb::Sale {
    pb::Sale {
        owner: format!("members/{owner}"),
        lines: vec![pb::SaleLine {
            sku: sku.into(),
            quantity: num(quantity),
            unit_price: idr(price),
            ..Default::default()
        }],
        book_time: ts(time),
        external_id: external_id.into(),
        ..Default::default()
    }
}

pub fn sale_event(external_id: &str, sale: pb::Sale) -> IngestEvent {
    event(&format!("event-{external_id}"), Event::Sale(sale))
}

pub fn split(shares: &[(&str, &str)]) -> Vec<pb::CreditShare> {
    shares
        .iter()
        .map(|(member, percent)| pb::CreditShare {
            member: format!("members/{member}"),
            percent: num(percent),
        })
        .collect()
}

pub fn lead_event(id: &str, owner: &str, created: &str, converted: Option<(&str, &str)>) -> IngestEvent {
    let (status, deal, convert_time) = match converted {
        Some((deal, at)) => (pb::LeadStatus::Converted, format!("deals/{deal}"), ts(at)),
        None => (pb::LeadStatus::Working, String::new(), None),
    };
    event(
        &format!("lead-{id}-{}", if converted.is_some() { "converted" } else { "new" }),
        Event::Lead(pb::Lead {
            name: format!("leads/{id}"),
            source: "webinar".into(),
            owner: format!("members/{owner}"),
            create_time: ts(created),
            status: status as i32,
            deal,
            convert_time,
            external_id: format!("crm-lead-{id}"),
            ..Default::default()
        }),
    )
}

pub fn deal_event(id: &str, owner: &str, amount: &str, stage: &str, created: &str) -> IngestEvent {
    event(
        &format!("deal-{id}"),
        Event::Deal(pb::Deal {
            name: format!("deals/{id}"),
            owner: format!("members/{owner}"),
            amount: idr(amount),
            stage: stage.into(),
            forecast_category: pb::ForecastCategory::Pipeline as i32,
            create_time: ts(created),
            external_id: format!("crm-deal-{id}"),
            ..Default::default()
        }),
    )
}

pub fn stage_event(id: &str, stage: &str, at: &str) -> IngestEvent {
    event(
        &format!("deal-{id}-to-{stage}"),
        Event::StageChange(pb::DealStageChange {
            deal_external_id: format!("crm-deal-{id}"),
            stage: stage.into(),
            time: ts(at),
        }),
    )
}

pub fn closure_event(id: &str, won: bool, at: &str) -> IngestEvent {
    event(
        &format!("deal-{id}-closed"),
        Event::Closure(pb::DealClosure {
            deal_external_id: format!("crm-deal-{id}"),
            outcome: if won { pb::Outcome::Won } else { pb::Outcome::Lost } as i32,
            reason: if won { "best offer" } else { "price" }.into(),
            time: ts(at),
        }),
    )
}

/// Ingests one batch as the admin and answers the acknowledgement.
pub async fn ingest(suite: &Suite, events: Vec<IngestEvent>) -> pb::IngestEventsResponse {
    suite
        .admin()
        .ingest_events(pb::IngestEventsRequest {
            events,
            validate_only: false,
        })
        .await
        .expect("the batch is applied")
        .into_inner()
}

/// KPIs read by the admin, in IDR.
pub async fn kpis(suite: &Suite, owner: &str, period: &str) -> pb::Kpis {
    kpis_scoped(suite, owner, period, None).await
}

/// The KPIs an admin reads for `request`.
pub async fn kpis_asked(suite: &Suite, request: pb::GetKpisRequest) -> pb::Kpis {
    suite
        .admin()
        .get_kpis(request)
        .await
        .expect("KPIs")
        .into_inner()
        .kpis
        .expect("the KPIs")
}

pub async fn kpis_scoped(
    suite: &Suite,
    owner: &str,
    period: &str,
    scope: Option<lacak_proto::common::Scope>,
) -> pb::Kpis {
    suite
        .admin()
        .get_kpis(pb::GetKpisRequest {
            owner: owner.into(),
            period: period.into(),
            scope,
            currency_code: "IDR".into(),
            as_of: None,
        })
        .await
        .expect("KPIs")
        .into_inner()
        .kpis
        .expect("the KPIs")
}
