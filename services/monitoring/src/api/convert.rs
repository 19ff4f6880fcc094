//! Stored rows as wire messages.

use lacak_domain::Money;
use lacak_proto::monitoring as pb;
use lacak_runtime::convert::{decimal_to_proto, money_to_proto, timestamp_to_proto};

use crate::store::credit_from_json;
use crate::store::deals::DealRecord;
use crate::store::entities::{customer, lead, sale};
use crate::store::sales::lines_from_json;

fn name(collection: &str, id: &str) -> String {
    if id.is_empty() {
        String::new()
    } else {
        format!("{collection}/{id}")
    }
}

fn credit(json: &str) -> Vec<pb::CreditShare> {
    credit_from_json(json)
        .into_iter()
        .map(|share| pb::CreditShare {
            member: name("members", &share.member),
            percent: Some(decimal_to_proto(share.percent)),
        })
        .collect()
}

pub fn customer(c: customer::Model) -> pb::Customer {
    pb::Customer {
        name: name("customers", &c.id),
        display_name: c.display_name,
        segment: c.segment,
        region: c.region,
        acquire_time: c.acquire_time.map(timestamp_to_proto),
        churn_time: c.churn_time.map(timestamp_to_proto),
        external_id: c.external_id.unwrap_or_default(),
        owner: name("members", &c.owner),
    }
}

pub fn lead(l: lead::Model) -> pb::Lead {
    let status = match l.status.as_str() {
        "working" => pb::LeadStatus::Working,
        "converted" => pb::LeadStatus::Converted,
        "disqualified" => pb::LeadStatus::Disqualified,
        _ => pb::LeadStatus::New,
    };
    pb::Lead {
        name: name("leads", &l.id),
        source: l.source,
        owner: name("members", &l.owner),
        customer: name("customers", &l.customer),
        create_time: Some(timestamp_to_proto(l.create_time)),
        status: status as i32,
        deal: name("deals", &l.deal),
        convert_time: l.convert_time.map(timestamp_to_proto),
        external_id: l.external_id.unwrap_or_default(),
    }
}

pub fn deal(record: DealRecord) -> pb::Deal {
    let d = record.deal;
    let forecast = match d.forecast_category.as_str() {
        "best_case" => pb::ForecastCategory::BestCase,
        "commit" => pb::ForecastCategory::Commit,
        "closed" => pb::ForecastCategory::Closed,
        "omitted" => pb::ForecastCategory::Omitted,
        _ => pb::ForecastCategory::Pipeline,
    };
    let outcome = match d.outcome.as_str() {
        "won" => pb::Outcome::Won,
        "lost" => pb::Outcome::Lost,
        _ => pb::Outcome::Unspecified,
    };
    pb::Deal {
        name: name("deals", &d.id),
        owner: name("members", &d.owner),
        customer: name("customers", &d.customer),
        amount: Some(money_to_proto(&Money {
            currency: d.currency.clone(),
            amount: d.amount.parse().unwrap_or_default(),
        })),
        expected_close_time: d.expected_close_time.map(timestamp_to_proto),
        stage: d.stage,
        stage_history: record
            .stages
            .into_iter()
            .map(|s| pb::StageTransition {
                from_stage: s.from_stage,
                to_stage: s.to_stage,
                time: Some(timestamp_to_proto(s.time)),
                reason: s.reason,
                reopened_from: match s.reopened_from.as_str() {
                    "won" => pb::Outcome::Won as i32,
                    "lost" => pb::Outcome::Lost as i32,
                    _ => pb::Outcome::Unspecified as i32,
                },
            })
            .collect(),
        forecast_category: forecast as i32,
        outcome: outcome as i32,
        outcome_reason: d.outcome_reason,
        close_time: d.close_time.map(timestamp_to_proto),
        credit: credit(&d.credit),
        lead: name("leads", &d.lead),
        create_time: Some(timestamp_to_proto(d.create_time)),
        external_id: d.external_id.unwrap_or_default(),
    }
}

pub fn sale(s: sale::Model) -> pb::Sale {
    let currency = s.currency.clone();
    let money = |amount| {
        money_to_proto(&Money {
            currency: currency.clone(),
            amount,
        })
    };
    pb::Sale {
        name: name("sales", &s.id),
        customer: name("customers", &s.customer),
        owner: name("members", &s.owner),
        credit: credit(&s.credit),
        lines: lines_from_json(&s.lines)
            .into_iter()
            .map(|line| pb::SaleLine {
                sku: line.sku,
                quantity: Some(decimal_to_proto(line.quantity)),
                unit_price: Some(money(line.unit_price)),
                discount_percent: Some(decimal_to_proto(line.discount_percent)),
                unit_cost: match (line.unit_cost, line.cost_currency) {
                    (Some(amount), Some(currency)) => Some(money_to_proto(&Money { currency, amount })),
                    _ => None,
                },
                awaiting_cost: line.awaiting_cost,
            })
            .collect(),
        book_time: Some(timestamp_to_proto(s.book_time)),
        deal: name("deals", &s.deal),
        external_id: s.external_id,
    }
}
