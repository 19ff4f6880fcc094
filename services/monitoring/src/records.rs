//! What a client sends, checked once and typed: customers, leads, deals and sales as the single
//! RPCs and the ingestion batches both take them. A violation names the field under `prefix`
//! (`sale.lines[2].quantity`, `events[7].deal.owner`).

use chrono::{DateTime, Utc};
use lacak_proto::monitoring as pb;
use lacak_runtime::convert::{decimal_from_proto, money_from_proto, timestamp_from_proto};
use lacak_runtime::error::Violations;
use lacak_runtime::names::{parse_name, validate_id};
use rust_decimal::Decimal;

use crate::domain::rollup::{Share, line_revenue};
use crate::domain::sales_pipeline::stage_name;

/// Lines one sale may hold.
pub const MAX_LINES: usize = 200;
/// Characters of an external id.
pub const MAX_EXTERNAL_ID: usize = 128;
/// Characters of short text (sources, stages, segments, reasons).
const MAX_TEXT: usize = 200;

fn field(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}.{name}")
    }
}

fn optional_text(violations: &mut Violations, value: &str, field: String) -> String {
    let value = value.trim();
    if value.chars().count() > MAX_TEXT {
        violations.add(field, format!("must be at most {MAX_TEXT} characters"));
    }
    value.to_owned()
}

fn required_text(violations: &mut Violations, value: &str, field: String) -> String {
    let value = value.trim();
    if value.is_empty() {
        violations.add(field, "is required");
        return String::new();
    }
    optional_text(violations, value, field)
}

/// An external id: optional unless `required`, at most 128 characters without control characters.
pub fn external_id(violations: &mut Violations, value: &str, field: String, required: bool) -> Option<String> {
    if value.is_empty() {
        if required {
            violations.add(field, "is required");
        }
        return None;
    }
    if value.chars().count() > MAX_EXTERNAL_ID || value.chars().any(char::is_control) {
        violations.add(
            field,
            format!("must be 1-{MAX_EXTERNAL_ID} characters without control characters"),
        );
        return None;
    }
    Some(value.to_owned())
}

fn time(violations: &mut Violations, value: Option<&prost_types::Timestamp>, field: String) -> Option<DateTime<Utc>> {
    value.and_then(|t| violations.take(timestamp_from_proto(t, &field)))
}

fn name(violations: &mut Violations, value: &str, collection: &str, field: String, required: bool) -> String {
    if value.is_empty() && !required {
        return String::new();
    }
    violations
        .take(parse_name(value, collection, &field))
        .unwrap_or_default()
}

/// The id a client chose in a resource name, or none.
fn chosen_id(violations: &mut Violations, value: &str, collection: &str, field: String) -> Option<String> {
    if value.is_empty() {
        None
    } else {
        violations.take(parse_name(value, collection, &field))
    }
}

fn credit(violations: &mut Violations, shares: &[pb::CreditShare], prefix: &str) -> Vec<Share> {
    let mut parsed = Vec::with_capacity(shares.len());
    let mut sum = Decimal::ZERO;
    for (i, share) in shares.iter().enumerate() {
        let at = format!("{prefix}.credit[{i}]");
        let member = name(violations, &share.member, "members", format!("{at}.member"), true);
        let percent = match &share.percent {
            Some(p) => violations.take(decimal_from_proto(p, &format!("{at}.percent"))),
            None => {
                violations.add(format!("{at}.percent"), "is required");
                None
            }
        };
        if let Some(percent) = percent {
            if percent <= Decimal::ZERO || percent > Decimal::ONE_HUNDRED {
                violations.add(format!("{at}.percent"), "must be more than 0 and at most 100");
            }
            sum += percent;
            if parsed.iter().any(|s: &Share| s.member == member) {
                violations.add(format!("{at}.member"), "is credited twice");
            }
            parsed.push(Share { member, percent });
        }
    }
    if !shares.is_empty() && parsed.len() == shares.len() && sum != Decimal::ONE_HUNDRED {
        violations.add(
            format!("{prefix}.credit"),
            format!("shares sum to {sum}; they must sum to 100"),
        );
    }
    parsed
}

/// A customer as sent.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerInput {
    pub id: Option<String>,
    pub display_name: String,
    pub segment: String,
    pub region: String,
    pub acquire_time: Option<DateTime<Utc>>,
    pub churn_time: Option<DateTime<Utc>>,
    pub external_id: Option<String>,
    /// The owning member's id, or empty for none.
    pub owner: String,
}

pub fn customer(violations: &mut Violations, c: &pb::Customer, prefix: &str) -> CustomerInput {
    let input = CustomerInput {
        id: chosen_id(violations, &c.name, "customers", field(prefix, "name")),
        display_name: required_text(violations, &c.display_name, field(prefix, "display_name")),
        segment: optional_text(violations, &c.segment, field(prefix, "segment")).to_lowercase(),
        region: optional_text(violations, &c.region, field(prefix, "region")).to_lowercase(),
        acquire_time: time(violations, c.acquire_time.as_ref(), field(prefix, "acquire_time")),
        churn_time: time(violations, c.churn_time.as_ref(), field(prefix, "churn_time")),
        external_id: external_id(violations, &c.external_id, field(prefix, "external_id"), false),
        owner: name(violations, &c.owner, "members", field(prefix, "owner"), false),
    };
    if let (Some(acquired), Some(churned)) = (input.acquire_time, input.churn_time)
        && churned < acquired
    {
        violations.add(field(prefix, "churn_time"), "must not be before acquire_time");
    }
    input
}

/// The stored word of a lead status.
pub fn lead_status_word(status: pb::LeadStatus) -> Option<&'static str> {
    match status {
        pb::LeadStatus::Unspecified => None,
        pb::LeadStatus::New => Some("new"),
        pb::LeadStatus::Working => Some("working"),
        pb::LeadStatus::Converted => Some("converted"),
        pb::LeadStatus::Disqualified => Some("disqualified"),
    }
}

/// A lead as sent.
#[derive(Debug, Clone, PartialEq)]
pub struct LeadInput {
    pub id: Option<String>,
    pub source: String,
    pub owner: String,
    pub customer: String,
    pub status: &'static str,
    pub deal: String,
    pub create_time: Option<DateTime<Utc>>,
    pub convert_time: Option<DateTime<Utc>>,
    pub external_id: Option<String>,
}

pub fn lead(violations: &mut Violations, l: &pb::Lead, prefix: &str) -> LeadInput {
    let status = pb::LeadStatus::try_from(l.status).unwrap_or(pb::LeadStatus::Unspecified);
    let mut input = LeadInput {
        id: chosen_id(violations, &l.name, "leads", field(prefix, "name")),
        source: optional_text(violations, &l.source, field(prefix, "source")).to_lowercase(),
        owner: name(violations, &l.owner, "members", field(prefix, "owner"), true),
        customer: name(violations, &l.customer, "customers", field(prefix, "customer"), false),
        status: lead_status_word(status).unwrap_or("new"),
        deal: name(violations, &l.deal, "deals", field(prefix, "deal"), false),
        create_time: time(violations, l.create_time.as_ref(), field(prefix, "create_time")),
        convert_time: time(violations, l.convert_time.as_ref(), field(prefix, "convert_time")),
        external_id: external_id(violations, &l.external_id, field(prefix, "external_id"), false),
    };
    if !input.deal.is_empty() && input.status != "converted" {
        input.status = "converted";
    }
    if input.status == "converted" && input.deal.is_empty() {
        violations.add(field(prefix, "deal"), "is required for a converted lead");
    }
    if let (Some(created), Some(converted)) = (input.create_time, input.convert_time)
        && converted < created
    {
        violations.add(field(prefix, "convert_time"), "must not be before create_time");
    }
    input
}

/// The stored word of a forecast category.
pub fn forecast_word(category: pb::ForecastCategory) -> &'static str {
    match category {
        pb::ForecastCategory::Unspecified | pb::ForecastCategory::Pipeline => "pipeline",
        pb::ForecastCategory::BestCase => "best_case",
        pb::ForecastCategory::Commit => "commit",
        pb::ForecastCategory::Closed => "closed",
        pb::ForecastCategory::Omitted => "omitted",
    }
}

/// A deal as sent.
#[derive(Debug, Clone, PartialEq)]
pub struct DealInput {
    pub id: Option<String>,
    pub owner: String,
    pub customer: String,
    pub currency: String,
    pub amount: Decimal,
    pub expected_close_time: Option<DateTime<Utc>>,
    pub stage: String,
    pub forecast_category: &'static str,
    pub credit: Vec<Share>,
    pub lead: String,
    pub create_time: Option<DateTime<Utc>>,
    pub external_id: Option<String>,
}

pub fn deal(violations: &mut Violations, d: &pb::Deal, prefix: &str, external_required: bool) -> DealInput {
    let amount = match &d.amount {
        Some(money) => violations.take(money_from_proto(money, &field(prefix, "amount"))),
        None => {
            violations.add(field(prefix, "amount"), "is required");
            None
        }
    };
    if amount.as_ref().is_some_and(|m| m.amount.is_sign_negative()) {
        violations.add(field(prefix, "amount"), "must not be negative");
    }
    let (currency, amount) = amount.map(|m| (m.currency, m.amount)).unwrap_or_default();
    DealInput {
        id: chosen_id(violations, &d.name, "deals", field(prefix, "name")),
        owner: name(violations, &d.owner, "members", field(prefix, "owner"), true),
        customer: name(violations, &d.customer, "customers", field(prefix, "customer"), false),
        currency,
        amount,
        expected_close_time: time(
            violations,
            d.expected_close_time.as_ref(),
            field(prefix, "expected_close_time"),
        ),
        stage: required_text(violations, &d.stage, field(prefix, "stage")).to_lowercase(),
        forecast_category: forecast_word(
            pb::ForecastCategory::try_from(d.forecast_category).unwrap_or(pb::ForecastCategory::Unspecified),
        ),
        credit: credit(violations, &d.credit, prefix),
        lead: name(violations, &d.lead, "leads", field(prefix, "lead"), false),
        create_time: time(violations, d.create_time.as_ref(), field(prefix, "create_time")),
        external_id: external_id(
            violations,
            &d.external_id,
            field(prefix, "external_id"),
            external_required,
        ),
    }
}

/// A sale line as sent, with its value after discount.
#[derive(Debug, Clone, PartialEq)]
pub struct LineInput {
    pub sku: String,
    pub quantity: Decimal,
    pub unit_price: Decimal,
    pub discount_percent: Decimal,
    pub revenue: Decimal,
}

/// A sale as sent.
#[derive(Debug, Clone, PartialEq)]
pub struct SaleInput {
    pub external_id: String,
    pub customer: String,
    pub owner: String,
    pub credit: Vec<Share>,
    pub currency: String,
    pub lines: Vec<LineInput>,
    pub book_time: DateTime<Utc>,
    pub deal: String,
}

pub fn sale(violations: &mut Violations, s: &pb::Sale, prefix: &str) -> SaleInput {
    let external_id = external_id(violations, &s.external_id, field(prefix, "external_id"), true).unwrap_or_default();
    let book_time = match &s.book_time {
        Some(t) => violations.take(timestamp_from_proto(t, &field(prefix, "book_time"))),
        None => {
            violations.add(field(prefix, "book_time"), "is required");
            None
        }
    };
    if s.lines.is_empty() {
        violations.add(field(prefix, "lines"), "a sale needs at least one line");
    } else if s.lines.len() > MAX_LINES {
        violations.add(field(prefix, "lines"), format!("at most {MAX_LINES} lines per sale"));
    }
    let mut currency: Option<String> = None;
    let mut lines = Vec::with_capacity(s.lines.len());
    for (i, line) in s.lines.iter().enumerate() {
        let at = format!("{prefix}.lines[{i}]");
        let sku = line.sku.trim().to_owned();
        if sku.is_empty() || sku.len() > 64 {
            violations.add(format!("{at}.sku"), "is required: 1-64 characters");
        }
        let quantity = match &line.quantity {
            Some(q) => violations.take(decimal_from_proto(q, &format!("{at}.quantity"))),
            None => {
                violations.add(format!("{at}.quantity"), "is required");
                None
            }
        };
        if quantity.is_some_and(|q| q <= Decimal::ZERO) {
            violations.add(format!("{at}.quantity"), "must be more than 0");
        }
        let price = match &line.unit_price {
            Some(p) => violations.take(money_from_proto(p, &format!("{at}.unit_price"))),
            None => {
                violations.add(format!("{at}.unit_price"), "is required");
                None
            }
        };
        if let Some(price) = &price {
            if price.amount.is_sign_negative() {
                violations.add(format!("{at}.unit_price"), "must not be negative");
            }
            match &currency {
                None => currency = Some(price.currency.clone()),
                Some(c) if *c != price.currency => violations.add(
                    format!("{at}.unit_price.currency_code"),
                    format!(
                        "{} differs from the sale's {c}: a sale is in one currency",
                        price.currency
                    ),
                ),
                Some(_) => {}
            }
        }
        let discount = match &line.discount_percent {
            Some(d) => violations.take(decimal_from_proto(d, &format!("{at}.discount_percent"))),
            None => Some(Decimal::ZERO),
        };
        if discount.is_some_and(|d| d < Decimal::ZERO || d > Decimal::ONE_HUNDRED) {
            violations.add(format!("{at}.discount_percent"), "must be within 0..=100");
        }
        if let (Some(quantity), Some(price), Some(discount)) = (quantity, price, discount) {
            match line_revenue(quantity, price.amount, discount) {
                Some(revenue) => lines.push(LineInput {
                    sku,
                    quantity,
                    unit_price: price.amount,
                    discount_percent: discount,
                    revenue,
                }),
                None => violations.add(format!("{at}.quantity"), "quantity × price is too large"),
            }
        }
    }
    SaleInput {
        external_id,
        customer: name(violations, &s.customer, "customers", field(prefix, "customer"), false),
        owner: name(violations, &s.owner, "members", field(prefix, "owner"), true),
        credit: credit(violations, &s.credit, prefix),
        currency: currency.unwrap_or_default(),
        lines,
        book_time: book_time.unwrap_or_default(),
        deal: name(violations, &s.deal, "deals", field(prefix, "deal"), false),
    }
}

/// A stage move as sent in a batch.
#[derive(Debug, Clone, PartialEq)]
pub struct StageChangeInput {
    pub deal_external_id: String,
    pub stage: String,
    pub time: DateTime<Utc>,
}

pub fn stage_change(violations: &mut Violations, c: &pb::DealStageChange, prefix: &str) -> StageChangeInput {
    StageChangeInput {
        deal_external_id: external_id(violations, &c.deal_external_id, field(prefix, "deal_external_id"), true)
            .unwrap_or_default(),
        stage: required_text(violations, &c.stage, field(prefix, "stage")).to_lowercase(),
        time: match &c.time {
            Some(t) => violations
                .take(timestamp_from_proto(t, &field(prefix, "time")))
                .unwrap_or_default(),
            None => {
                violations.add(field(prefix, "time"), "is required");
                DateTime::default()
            }
        },
    }
}

/// A deal's outcome as sent.
#[derive(Debug, Clone, PartialEq)]
pub struct ClosureInput {
    pub won: bool,
    pub reason: String,
    pub time: Option<DateTime<Utc>>,
}

pub fn closure(
    violations: &mut Violations,
    outcome: i32,
    reason: &str,
    time_value: Option<&prost_types::Timestamp>,
    prefix: &str,
) -> ClosureInput {
    let won = match pb::Outcome::try_from(outcome) {
        Ok(pb::Outcome::Won) => true,
        Ok(pb::Outcome::Lost) => false,
        _ => {
            violations.add(field(prefix, "outcome"), "must be OUTCOME_WON or OUTCOME_LOST");
            false
        }
    };
    ClosureInput {
        won,
        reason: required_text(violations, reason, field(prefix, "reason")),
        time: time(violations, time_value, field(prefix, "time")),
    }
}

/// A reopening as sent.
#[derive(Debug, Clone, PartialEq)]
pub struct ReopeningInput {
    /// The open stage to move to; the stage it closed in when `None`.
    pub stage: Option<String>,
    pub reason: String,
    pub time: Option<DateTime<Utc>>,
}

/// A reopening as sent: an optional open stage, a required reason, a time.
pub fn reopening(
    violations: &mut Violations,
    stage: &str,
    reason: &str,
    time_value: Option<&prost_types::Timestamp>,
    prefix: &str,
) -> ReopeningInput {
    let stage = stage_name(stage);
    if stage.chars().count() > 200 {
        violations.add(field(prefix, "stage"), "must be at most 200 characters");
    }
    ReopeningInput {
        stage: (!stage.is_empty()).then_some(stage),
        reason: required_text(violations, reason, field(prefix, "reason")),
        time: time(violations, time_value, field(prefix, "time")),
    }
}

/// A checked id given in a request field other than a name (e.g. `customer_id`).
pub fn requested_id(violations: &mut Violations, id: &str, field: &str) -> Option<String> {
    if id.is_empty() {
        None
    } else {
        violations.take(validate_id(id, field).map(|()| id.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lacak_proto::common as cpb;

    fn money(currency: &str, units: i64) -> cpb::Money {
        cpb::Money {
            currency_code: currency.into(),
            units,
            nanos: 0,
        }
    }

    fn dec(s: &str) -> cpb::Decimal {
        cpb::Decimal { value: s.into() }
    }

    fn fields(violations: &Violations) -> Vec<String> {
        violations.iter().map(|v| v.field.clone()).collect()
    }

    #[test]
    fn a_sale_line_is_valued_after_its_discount() {
        let mut v = Violations::new();
        let sale = sale(
            &mut v,
            &pb::Sale {
                owner: "members/ana".into(),
                external_id: "s-1".into(),
                book_time: Some(prost_types::Timestamp::default()),
                lines: vec![pb::SaleLine {
                    sku: "LAP-1".into(),
                    quantity: Some(dec("2")),
                    unit_price: Some(money("IDR", 1000)),
                    discount_percent: Some(dec("10")),
                    ..Default::default()
                }],
                ..Default::default()
            },
            "sale",
        );
        assert!(v.is_empty(), "{:?}", fields(&v));
        assert_eq!(sale.lines[0].revenue, Decimal::from(1800));
        assert_eq!(sale.currency, "IDR");
    }

    #[test]
    fn violations_name_the_line_and_share_at_fault() {
        let mut v = Violations::new();
        sale(
            &mut v,
            &pb::Sale {
                owner: "members/ana".into(),
                book_time: Some(prost_types::Timestamp::default()),
                credit: vec![
                    pb::CreditShare {
                        member: "members/ana".into(),
                        percent: Some(dec("60")),
                    },
                    pb::CreditShare {
                        member: "members/budi".into(),
                        percent: Some(dec("30")),
                    },
                ],
                lines: vec![
                    pb::SaleLine {
                        sku: "A".into(),
                        quantity: Some(dec("1")),
                        unit_price: Some(money("IDR", 5)),
                        ..Default::default()
                    },
                    pb::SaleLine {
                        sku: "B".into(),
                        quantity: Some(dec("0")),
                        unit_price: Some(money("USD", 5)),
                        ..Default::default()
                    },
                ],
                ..Default::default()
            },
            "events[4].sale",
        );
        assert_eq!(
            fields(&v),
            [
                "events[4].sale.external_id",
                "events[4].sale.lines[1].quantity",
                "events[4].sale.lines[1].unit_price.currency_code",
                "events[4].sale.credit",
            ]
        );
    }

    #[test]
    fn a_converted_lead_names_its_deal() {
        let mut v = Violations::new();
        lead(
            &mut v,
            &pb::Lead {
                owner: "members/ana".into(),
                status: pb::LeadStatus::Converted as i32,
                ..Default::default()
            },
            "lead",
        );
        assert_eq!(fields(&v), ["lead.deal"]);
    }
}
