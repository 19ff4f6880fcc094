//! Building requests and setting up the organisation a story needs.

use chrono::{DateTime, Utc};
use lacak_proto::common::{Decimal as PbDecimal, Measure, Money, measure};
use lacak_proto::goals::{CreateMemberRequest, CreateQuotaRequest, CreateTeamRequest, Member, Metric, Quota, Team};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive as _;

use super::Goals;

/// An amount of money, written as a decimal ("33333.34").
pub fn money(currency: &str, amount: &str) -> Measure {
    let value: Decimal = amount.parse().expect("a decimal amount");
    let units = value.trunc();
    let nanos = ((value - units) * Decimal::from(1_000_000_000)).trunc();
    Measure {
        kind: Some(measure::Kind::Money(Money {
            currency_code: currency.to_owned(),
            units: units.to_i64().expect("units fit"),
            nanos: nanos.to_i32().expect("nanos fit"),
        })),
    }
}

pub fn usd(amount: &str) -> Measure {
    money("USD", amount)
}

/// A count or a rate.
pub fn quantity(value: &str) -> Measure {
    Measure {
        kind: Some(measure::Kind::Quantity(PbDecimal {
            value: value.to_owned(),
        })),
    }
}

/// The amount of a measure (money or quantity) as an exact decimal.
#[track_caller]
pub fn amount(measure: &Option<Measure>) -> Decimal {
    match measure.as_ref().and_then(|m| m.kind.as_ref()) {
        Some(measure::Kind::Money(m)) => Decimal::from(m.units) + Decimal::new(i64::from(m.nanos), 9),
        Some(measure::Kind::Quantity(q)) => q.value.parse().expect("a decimal quantity"),
        None => panic!("expected a measure, found none"),
    }
}

pub fn dec(value: &str) -> Decimal {
    value.parse().expect("a decimal")
}

/// The currency of a money measure.
#[track_caller]
pub fn currency(measure: &Option<Measure>) -> String {
    match measure.as_ref().and_then(|m| m.kind.as_ref()) {
        Some(measure::Kind::Money(m)) => m.currency_code.clone(),
        other => panic!("expected money, found {other:?}"),
    }
}

pub fn weights(values: &[&str]) -> Vec<PbDecimal> {
    values.iter().map(|v| PbDecimal { value: (*v).to_owned() }).collect()
}

pub fn mask(paths: &[&str]) -> Option<prost_types::FieldMask> {
    Some(prost_types::FieldMask {
        paths: paths.iter().map(|p| (*p).to_owned()).collect(),
    })
}

/// A timestamp from RFC 3339 text, e.g. "2025-11-15T00:00:00Z".
pub fn ts(rfc3339: &str) -> prost_types::Timestamp {
    let at = DateTime::parse_from_rfc3339(rfc3339).expect("an RFC 3339 time");
    prost_types::Timestamp {
        seconds: at.timestamp(),
        nanos: at.timestamp_subsec_nanos() as i32,
    }
}

/// A timestamp as chrono, for comparing and doing arithmetic.
#[track_caller]
pub fn instant(timestamp: &Option<prost_types::Timestamp>) -> DateTime<Utc> {
    let t = timestamp.as_ref().expect("a timestamp");
    DateTime::from_timestamp(t.seconds, t.nanos as u32).expect("a representable time")
}

pub fn timestamp(at: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: at.timestamp(),
        nanos: at.timestamp_subsec_nanos() as i32,
    }
}

/// A quota for `owner` ("members/ana"), ready to create.
pub fn quota(owner: &str, metric: Metric, period: &str, target: Measure) -> Quota {
    Quota {
        owner: owner.to_owned(),
        metric: metric as i32,
        period: period.to_owned(),
        target: Some(target),
        ..Default::default()
    }
}

// ---- Setting up a story --------------------------------------------------------------------------

pub async fn create_team(client: &mut Goals, id: &str, parent: Option<&str>) -> anyhow::Result<Team> {
    let team = Team {
        display_name: format!("Team {id}"),
        parent: parent.map(|p| format!("teams/{p}")).unwrap_or_default(),
        ..Default::default()
    };
    let response = client
        .create_team(CreateTeamRequest {
            team: Some(team),
            team_id: id.to_owned(),
            request_id: String::new(),
        })
        .await?;
    Ok(response.into_inner().team.expect("the created team"))
}

pub async fn create_member(client: &mut Goals, id: &str, team: &str) -> anyhow::Result<Member> {
    let member = Member {
        display_name: format!("Member {id}"),
        email: format!("{id}@acme.test"),
        team: format!("teams/{team}"),
        active: true,
        ..Default::default()
    };
    let response = client
        .create_member(CreateMemberRequest {
            member: Some(member),
            member_id: id.to_owned(),
            request_id: String::new(),
        })
        .await?;
    Ok(response.into_inner().member.expect("the created member"))
}

pub async fn create_quota(client: &mut Goals, quota: Quota) -> anyhow::Result<Quota> {
    let response = client
        .create_quota(CreateQuotaRequest {
            quota: Some(quota),
            reason: "annual planning".to_owned(),
            request_id: String::new(),
        })
        .await?;
    Ok(response.into_inner().quota.expect("the created quota"))
}

/// A small sales organisation:
///
/// ```text
/// teams/sales            members/citra
///   teams/emea           members/ana
/// teams/apac             members/budi
/// ```
pub async fn seed_org(admin: &mut Goals) -> anyhow::Result<()> {
    create_team(admin, "sales", None).await?;
    create_team(admin, "emea", Some("sales")).await?;
    create_team(admin, "apac", None).await?;
    create_member(admin, "citra", "sales").await?;
    create_member(admin, "ana", "emea").await?;
    create_member(admin, "budi", "apac").await?;
    Ok(())
}

/// A revenue quota of `amount` USD for `owner` in `period`.
pub async fn revenue_quota(admin: &mut Goals, owner: &str, period: &str, amount: &str) -> anyhow::Result<Quota> {
    create_quota(admin, quota(owner, Metric::Revenue, period, usd(amount))).await
}
