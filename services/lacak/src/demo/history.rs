//! The generated history: customers, the funnel of each rep month by month, repeat orders, and
//! the quota each owner is given, all deterministic for a seed.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use lacak_proto::monitoring::{self as pb, IngestEvent, ingest_event::Event};

use super::cast::{CUSTOMERS_PER_REGION, PRODUCTS, REGIONS, REPS, Rep, SEASON, SEGMENTS, TEAMS};
use super::{decimal, quarter_of, ts};
use crate::client::idr;

/// A customer id and when it churned, if it did.
type Account = (String, Option<DateTime<Utc>>);

/// The generated history, in the order it happened.
pub(super) struct History {
    pub(super) events: Vec<IngestEvent>,
    /// Revenue per (owner, quarter), sales until the end of the current quarter included.
    pub(super) revenue: HashMap<(String, String), i64>,
    pub(super) sales: usize,
    pub(super) leads: usize,
    pub(super) deals: usize,
}

/// A generated line before it is a message.
struct Line {
    sku: &'static str,
    quantity: i64,
    price: i64,
    discount: i64,
}

impl Line {
    fn value(&self) -> i64 {
        self.quantity * self.price * (100 - self.discount) / 100
    }

    fn message(&self) -> pb::SaleLine {
        pb::SaleLine {
            sku: self.sku.into(),
            quantity: decimal(self.quantity),
            unit_price: idr(self.price),
            discount_percent: decimal(self.discount),
            ..Default::default()
        }
    }
}

impl History {
    pub(super) fn generate(seed: u64, start: DateTime<Utc>, now: DateTime<Utc>) -> History {
        let mut rng = fastrand::Rng::with_seed(seed);
        let mut timed: Vec<(DateTime<Utc>, IngestEvent)> = Vec::new();
        let mut revenue: HashMap<(String, String), i64> = HashMap::new();
        let (mut sales, mut leads, mut deals) = (0, 0, 0);
        let end_of_quarter = {
            let q_end_month = ((now.month() - 1) / 3 + 1) * 3;
            let (y, m) = if q_end_month == 12 {
                (now.year() + 1, 1)
            } else {
                (now.year(), q_end_month + 1)
            };
            Utc.with_ymd_and_hms(y, m, 1, 0, 0, 0).single().unwrap_or(now)
        };
        let event = |id: String, event: Event| IngestEvent {
            external_id: id,
            event: Some(event),
        };

        // Customers, each in a region and segment; some churn along the way.
        let mut customers: HashMap<&str, Vec<Account>> = HashMap::new();
        for region in REGIONS {
            for n in 0..CUSTOMERS_PER_REGION {
                let id = format!("{region}-{n:03}");
                let segment = SEGMENTS[[0, 1, 1, 2, 2, 2][rng.usize(0..6)]];
                let churn =
                    (rng.f64() < 0.12).then(|| start + Duration::days(rng.i64(200..(now - start).num_days().max(201))));
                timed.push((
                    start,
                    event(
                        format!("demo-customer-{id}"),
                        Event::Customer(pb::Customer {
                            name: format!("customers/{id}"),
                            display_name: format!("{} {}", ["PT", "Ltd", "GmbH", "Inc"][n % 4], id.to_uppercase()),
                            segment: segment.into(),
                            region: region.into(),
                            external_id: format!("crm-{id}"),
                            ..Default::default()
                        }),
                    ),
                ));
                if let Some(churned) = churn.filter(|c| *c < now) {
                    timed.push((
                        churned,
                        event(
                            format!("demo-churn-{id}"),
                            Event::Customer(pb::Customer {
                                name: format!("customers/{id}"),
                                display_name: format!("{} {}", ["PT", "Ltd", "GmbH", "Inc"][n % 4], id.to_uppercase()),
                                segment: segment.into(),
                                region: region.into(),
                                churn_time: ts(churned),
                                external_id: format!("crm-{id}"),
                                ..Default::default()
                            }),
                        ),
                    ));
                }
                customers.entry(region).or_default().push((id, churn));
            }
        }
        let slow_propose_from = now - Duration::days(75);

        let mut month = NaiveDate::from_ymd_opt(start.year(), start.month(), 1).unwrap_or_default();
        while let Some(month_start) = month
            .and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc())
            .filter(|t| *t < end_of_quarter)
        {
            let next = month.checked_add_months(chrono::Months::new(1)).unwrap_or(month);
            let days_in_month = (next - month).num_days();
            let season = SEASON[month.month0() as usize];
            for (r, rep) in REPS.iter().enumerate() {
                let pool = &customers[rep.region];
                let pick = |rng: &mut fastrand::Rng, at: DateTime<Utc>| -> Option<String> {
                    let (id, churn) = &pool[rng.usize(0..pool.len())];
                    churn.is_none_or(|c| at < c).then(|| id.clone())
                };
                // The funnel: leads, some converting to deals that move through the stages.
                let lead_count = (rep.leads_per_month * season * (0.8 + 0.4 * rng.f64())).round() as i64;
                for n in 0..lead_count {
                    let created = month_start + Duration::minutes(rng.i64(0..days_in_month * 1440));
                    let lead_id = format!("{}-{}-{n}", rep.id, month.format("%Y%m"));
                    let Some(customer) = pick(&mut rng, created) else {
                        continue;
                    };
                    leads += 1;
                    let lead = |status: pb::LeadStatus, deal: &str, converted: Option<DateTime<Utc>>| pb::Lead {
                        name: format!("leads/{lead_id}"),
                        source: ["webinar", "referral", "website", "event", "outbound"][n as usize % 5].into(),
                        owner: format!("members/{}", rep.id),
                        customer: format!("customers/{customer}"),
                        create_time: ts(created),
                        status: status as i32,
                        deal: deal.into(),
                        convert_time: converted.and_then(ts),
                        external_id: format!("crm-lead-{lead_id}"),
                    };
                    timed.push((
                        created,
                        event(
                            format!("demo-lead-{lead_id}"),
                            Event::Lead(lead(pb::LeadStatus::Working, "", None)),
                        ),
                    ));
                    if rng.f64() >= rep.conversion {
                        let dropped = created + Duration::days(rng.i64(3..20));
                        timed.push((
                            dropped,
                            event(
                                format!("demo-lead-{lead_id}-dropped"),
                                Event::Lead(lead(pb::LeadStatus::Disqualified, "", None)),
                            ),
                        ));
                        continue;
                    }
                    deals += 1;
                    let opened = created + Duration::days(rng.i64(1..10));
                    let deal_id = format!("d-{lead_id}");
                    let main = [0, 0, 1, 1, 2, 7][rng.usize(0..6)];
                    let quantity = ((rng.i64(2..16) as f64) * rep.size).round().max(1.0) as i64;
                    let discount = [0, 0, 5, 10, 15][rng.usize(0..5)];
                    let mut lines = vec![Line {
                        sku: PRODUCTS[main].sku,
                        quantity,
                        price: PRODUCTS[main].price,
                        discount,
                    }];
                    if rng.f64() < 0.5 {
                        lines.push(Line {
                            sku: "SVC-SETUP",
                            quantity,
                            price: PRODUCTS[6].price,
                            discount: 0,
                        });
                    }
                    let amount: i64 = lines.iter().map(Line::value).sum();
                    let mates: Vec<&Rep> = REPS.iter().filter(|m| m.team == rep.team && m.id != rep.id).collect();
                    let credit = if rng.f64() < 0.1 && !mates.is_empty() {
                        vec![share(rep.id, "70"), share(mates[r % mates.len()].id, "30")]
                    } else {
                        Vec::new()
                    };
                    timed.push((
                        opened,
                        event(
                            format!("demo-lead-{lead_id}-converted"),
                            Event::Lead(lead(
                                pb::LeadStatus::Converted,
                                &format!("deals/{deal_id}"),
                                Some(opened),
                            )),
                        ),
                    ));
                    timed.push((
                        opened,
                        event(
                            format!("demo-deal-{deal_id}"),
                            Event::Deal(pb::Deal {
                                name: format!("deals/{deal_id}"),
                                owner: format!("members/{}", rep.id),
                                customer: format!("customers/{customer}"),
                                amount: idr(amount),
                                expected_close_time: ts(opened + Duration::days(45)),
                                stage: "qualify".into(),
                                forecast_category: pb::ForecastCategory::Pipeline as i32,
                                credit: credit.clone(),
                                lead: format!("leads/{lead_id}"),
                                create_time: ts(opened),
                                external_id: format!("crm-deal-{deal_id}"),
                                ..Default::default()
                            }),
                        ),
                    ));
                    // Stages: qualify → propose → negotiate → won or lost.
                    let mut at = opened;
                    let mut outcome = None;
                    for (stage, pass) in [("propose", 0.85), ("negotiate", 0.78)] {
                        let mut dwell = rng.i64(3..14);
                        // Lately, proposals in South-East Asia wait twice as long for sign-off.
                        if stage == "negotiate" && rep.team == "apac-sea" && at > slow_propose_from {
                            dwell *= 3;
                        }
                        at += Duration::days(dwell);
                        if rng.f64() >= pass {
                            outcome = Some((false, at));
                            break;
                        }
                        timed.push((
                            at,
                            event(
                                format!("demo-deal-{deal_id}-{stage}"),
                                Event::StageChange(pb::DealStageChange {
                                    deal_external_id: format!("crm-deal-{deal_id}"),
                                    stage: stage.into(),
                                    time: ts(at),
                                }),
                            ),
                        ));
                    }
                    let (won, closed) =
                        outcome.unwrap_or_else(|| (rng.f64() < rep.win, at + Duration::days(rng.i64(3..12))));
                    timed.push((
                        closed,
                        event(
                            format!("demo-deal-{deal_id}-closed"),
                            Event::Closure(pb::DealClosure {
                                deal_external_id: format!("crm-deal-{deal_id}"),
                                outcome: if won { pb::Outcome::Won } else { pb::Outcome::Lost } as i32,
                                reason: if won {
                                    ["fit", "price", "relationship"][rng.usize(0..3)]
                                } else {
                                    ["price", "competitor", "no budget", "timing"][rng.usize(0..4)]
                                }
                                .into(),
                                time: ts(closed),
                            }),
                        ),
                    ));
                    if won {
                        sales += 1;
                        add_revenue(&mut revenue, rep, &credit, closed, amount);
                        timed.push((
                            closed,
                            event(
                                format!("demo-sale-{deal_id}"),
                                Event::Sale(pb::Sale {
                                    customer: format!("customers/{customer}"),
                                    owner: format!("members/{}", rep.id),
                                    credit,
                                    lines: lines.iter().map(Line::message).collect(),
                                    book_time: ts(closed),
                                    deal: format!("deals/{deal_id}"),
                                    external_id: format!("inv-{deal_id}"),
                                    ..Default::default()
                                }),
                            ),
                        ));
                    }
                }
                // Repeat orders of accessories and care plans from existing accounts.
                let orders = (12.0 * season * (0.7 + 0.6 * rng.f64())).round() as i64;
                for n in 0..orders {
                    let at = month_start + Duration::minutes(rng.i64(0..days_in_month * 1440));
                    let Some(customer) = pick(&mut rng, at) else { continue };
                    let lines: Vec<Line> = (0..rng.usize(1..4))
                        .map(|_| {
                            let p = &PRODUCTS[[3, 4, 5, 7][rng.usize(0..4)]];
                            Line {
                                sku: p.sku,
                                quantity: rng.i64(1..12),
                                price: p.price,
                                discount: [0, 0, 5, 10][rng.usize(0..4)],
                            }
                        })
                        .collect();
                    let amount: i64 = lines.iter().map(Line::value).sum();
                    sales += 1;
                    add_revenue(&mut revenue, rep, &[], at, amount);
                    let id = format!("{}-{}-{n}", rep.id, month.format("%Y%m"));
                    timed.push((
                        at,
                        event(
                            format!("demo-order-{id}"),
                            Event::Sale(pb::Sale {
                                customer: format!("customers/{customer}"),
                                owner: format!("members/{}", rep.id),
                                lines: lines.iter().map(Line::message).collect(),
                                book_time: ts(at),
                                external_id: format!("order-{id}"),
                                ..Default::default()
                            }),
                        ),
                    ));
                }
            }
            month = next;
        }
        // What has not happened yet stays out; the quotas still see the whole current quarter.
        timed.retain(|(at, _)| *at <= now);
        timed.sort_by_key(|(at, _)| *at);
        History {
            events: timed.into_iter().map(|(_, e)| e).collect(),
            revenue,
            sales,
            leads,
            deals,
        }
    }

    /// Revenue quotas per member and team and quarter: what each sold, stretched by 5–25%, so
    /// that attainment varies around 100%.
    pub(super) fn quota_targets(&self) -> Vec<((String, String), i64)> {
        let mut rng = fastrand::Rng::with_seed(7);
        let mut keys: Vec<&(String, String)> = self.revenue.keys().collect();
        keys.sort();
        let mut targets: Vec<((String, String), i64)> = Vec::new();
        let mut teams: HashMap<(String, String), i64> = HashMap::new();
        for key in keys {
            let actual = self.revenue[key];
            let target = (actual as f64 * (0.85 + 0.4 * rng.f64()) / 1_000_000.0).round() as i64 * 1_000_000;
            targets.push(((format!("members/{}", key.0), key.1.clone()), target));
            let rep = REPS.iter().find(|r| r.id == key.0).map_or("sales", |r| r.team);
            let mut team = Some(rep);
            while let Some(t) = team {
                *teams.entry((t.to_owned(), key.1.clone())).or_default() += target;
                team = TEAMS
                    .iter()
                    .find(|(id, _, _)| *id == t)
                    .map(|(_, _, parent)| *parent)
                    .filter(|p| !p.is_empty());
            }
        }
        let mut team_targets: Vec<_> = teams
            .into_iter()
            .map(|((team, period), t)| ((format!("teams/{team}"), period), t))
            .collect();
        team_targets.sort();
        targets.extend(team_targets);
        targets
    }
}

fn share(member: &str, percent: &str) -> pb::CreditShare {
    pb::CreditShare {
        member: format!("members/{member}"),
        percent: decimal(percent),
    }
}

fn add_revenue(
    revenue: &mut HashMap<(String, String), i64>,
    rep: &Rep,
    credit: &[pb::CreditShare],
    at: DateTime<Utc>,
    amount: i64,
) {
    let quarter = quarter_of(at);
    if credit.is_empty() {
        *revenue.entry((rep.id.to_owned(), quarter)).or_default() += amount;
        return;
    }
    for share in credit {
        let percent: i64 = share.percent.as_ref().and_then(|p| p.value.parse().ok()).unwrap_or(0);
        let member = share.member.trim_start_matches("members/").to_owned();
        *revenue.entry((member, quarter.clone())).or_default() += amount * percent / 100;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_writes_the_same_history() {
        let start = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
        let now = Utc.with_ymd_and_hms(2025, 5, 15, 0, 0, 0).unwrap();
        let a = History::generate(1, start, now);
        let b = History::generate(1, start, now);
        assert_eq!(a.events, b.events);
        assert!(
            a.sales > 500,
            "a few months of a dozen reps make hundreds of sales: {}",
            a.sales
        );
        // Nothing from the future is sent.
        let latest = a.events.iter().filter_map(|e| match &e.event {
            Some(Event::Sale(s)) => s.book_time.as_ref().map(|t| t.seconds),
            _ => None,
        });
        assert!(latest.max().unwrap() <= now.timestamp());
        // Every rep and team has a quota for each quarter it sold in.
        let targets = a.quota_targets();
        assert!(
            targets
                .iter()
                .any(|((owner, period), _)| owner == "teams/sales" && period == "FY2025-Q2")
        );
        assert!(targets.iter().all(|(_, t)| *t >= 0));
    }
}
