//! Ingestion: a batch of up to a thousand events applied exactly once, all or nothing.
//!
//! 1. Every event is checked; one invalid event rejects the batch, naming its index.
//! 2. Sale lines not applied before are valued by inventory as of their sale's time, in one call.
//!    If inventory cannot answer, the sales are still taken, marked as awaiting cost.
//! 3. One transaction claims the events' external ids, applies the records, inserts the sales and
//!    adds them to the rollups; the batch is acknowledged only after it commits.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use lacak_proto::inventory as ipb;
use lacak_proto::monitoring as pb;
use lacak_runtime::auth::CallContext;
use lacak_runtime::convert::{decimal_from_proto, timestamp_to_proto};
use lacak_runtime::error::Violations;
use lacak_runtime::names::new_id;
use sea_orm::{DatabaseConnection, TransactionTrait};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::deps::Dependencies;
use crate::domain::access::Org;
use crate::domain::rollup::{BookedLine, Rollups, SalePlace, Share, credit_or_owner, local_day, local_month};
use crate::domain::units::to_units;
use crate::error::{MonitoringError, MonitoringResult};
use crate::records::{
    self, ClosureInput, CustomerInput, DealInput, LeadInput, ReopeningInput, SaleInput, StageChangeInput,
};
use crate::store::entities::sale;
use crate::store::sales::{StoredLine, lines_to_json};
use crate::store::{self, credit_to_json};

/// Events one batch may hold.
pub const MAX_EVENTS: usize = 1000;
/// Sale lines one batch may hold: what bounds the memory one batch takes (about 1 KiB a line
/// while it is checked, costed and stored).
pub const MAX_BATCH_LINES: usize = 20_000;
/// Sale lines checked and applied at once by one process, across all batches and callers: a
/// batch that would exceed it waits for others to finish (see [`LineBudget`]).
pub const LINES_IN_FLIGHT: usize = 40_000;
/// How long a batch waits for room in the budget before it is refused, retryable.
const BUDGET_WAIT: Duration = Duration::from_secs(10);
/// `IngestEvents` calls read and handled at once by one process; more wait (their requests not
/// yet read) up to [`BATCH_ADMISSION_WAIT`]. A stream's batches are read one at a time anyway.
pub const BATCHES_AT_ONCE: usize = 4;
pub const BATCH_ADMISSION_WAIT: Duration = Duration::from_secs(10);

/// The sale lines of a batch; refuses a batch that holds too many events or lines, naming why.
pub fn size_of(events: &[pb::IngestEvent]) -> Result<usize, Violations> {
    let mut v = Violations::new();
    if events.is_empty() {
        v.add("events", "a batch needs at least one event");
    } else if events.len() > MAX_EVENTS {
        v.add("events", format!("at most {MAX_EVENTS} events per batch; split it"));
    }
    let lines = events
        .iter()
        .map(|e| match &e.event {
            Some(pb::ingest_event::Event::Sale(sale)) => sale.lines.len(),
            _ => 0,
        })
        .sum::<usize>();
    if lines > MAX_BATCH_LINES {
        v.add(
            "events",
            format!("at most {MAX_BATCH_LINES} sale lines per batch, this one has {lines}; split it"),
        );
    }
    v.finish().map(|()| lines)
}

/// Bounds the memory ingestion takes in one process: each batch holds its sale lines' worth of
/// the budget while it is checked and applied, so a burst of large batches queues instead of
/// piling up in memory.
#[derive(Clone)]
pub struct LineBudget {
    permits: Arc<Semaphore>,
    lines: usize,
    wait: Duration,
}

impl Default for LineBudget {
    fn default() -> Self {
        Self::new(LINES_IN_FLIGHT, BUDGET_WAIT)
    }
}

impl LineBudget {
    pub fn new(lines: usize, wait: Duration) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(lines)),
            lines,
            wait,
        }
    }

    /// Room for `lines` (a batch larger than the whole budget takes all of it), waiting up to
    /// the budget's wait for it; RESOURCE_EXHAUSTED after that.
    pub async fn admit(&self, lines: usize) -> MonitoringResult<OwnedSemaphorePermit> {
        let wanted = lines.clamp(1, self.lines) as u32;
        match tokio::time::timeout(self.wait, self.permits.clone().acquire_many_owned(wanted)).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(MonitoringError::Overloaded(
                "ingestion is at its memory budget; retry the batch with backoff".into(),
            )),
        }
    }
}

/// One checked event.
#[derive(Debug, Clone)]
pub enum Event {
    Customer(CustomerInput),
    Lead(LeadInput),
    Deal(DealInput),
    StageChange(StageChangeInput),
    Closure {
        deal_external_id: String,
        closure: ClosureInput,
    },
    Sale(SaleInput),
    Reopening {
        deal_external_id: String,
        reopening: ReopeningInput,
    },
}

/// A checked batch: each event with its external id, in the order sent.
#[derive(Debug, Clone, Default)]
pub struct Batch {
    pub events: Vec<(String, Event)>,
}

/// What applying a batch did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    pub applied: i32,
    pub duplicates: i32,
    pub awaiting_cost: i32,
    /// The members whose numbers changed: watchers of them are woken. Empty: anyone's may have.
    pub members: HashSet<String>,
}

/// Checks every event of a batch; violations name `events[i]…`.
pub fn check(events: &[pb::IngestEvent]) -> Result<Batch, Violations> {
    size_of(events)?;
    let mut v = Violations::new();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut sales_seen: HashMap<&str, usize> = HashMap::new();
    let mut batch = Batch::default();
    for (i, event) in events.iter().enumerate() {
        let at = format!("events[{i}]");
        let id = records::external_id(&mut v, &event.external_id, format!("{at}.external_id"), true);
        if let Some(first) = seen.insert(event.external_id.as_str(), i)
            && id.is_some()
        {
            v.add(
                format!("{at}.external_id"),
                format!("repeats events[{first}].external_id"),
            );
        }
        use pb::ingest_event::Event as E;
        let checked = match &event.event {
            None => {
                v.add(
                    format!("{at}.event"),
                    "is required: customer, lead, deal, stage_change, closure, reopening or sale",
                );
                continue;
            }
            Some(E::Customer(c)) => Event::Customer(records::customer(&mut v, c, &format!("{at}.customer"))),
            Some(E::Lead(l)) => Event::Lead(records::lead(&mut v, l, &format!("{at}.lead"))),
            Some(E::Deal(d)) => Event::Deal(records::deal(&mut v, d, &format!("{at}.deal"), true)),
            Some(E::StageChange(c)) => {
                Event::StageChange(records::stage_change(&mut v, c, &format!("{at}.stage_change")))
            }
            Some(E::Closure(c)) => {
                let prefix = format!("{at}.closure");
                let deal_external_id =
                    records::external_id(&mut v, &c.deal_external_id, format!("{prefix}.deal_external_id"), true)
                        .unwrap_or_default();
                let closure = records::closure(&mut v, c.outcome, &c.reason, c.time.as_ref(), &prefix);
                if closure.time.is_none() {
                    v.add(format!("{prefix}.time"), "is required");
                }
                Event::Closure {
                    deal_external_id,
                    closure,
                }
            }
            Some(E::Reopening(r)) => {
                let prefix = format!("{at}.reopening");
                let deal_external_id =
                    records::external_id(&mut v, &r.deal_external_id, format!("{prefix}.deal_external_id"), true)
                        .unwrap_or_default();
                let reopening = records::reopening(&mut v, &r.stage, &r.reason, r.time.as_ref(), &prefix);
                if reopening.time.is_none() {
                    v.add(format!("{prefix}.time"), "is required");
                }
                Event::Reopening {
                    deal_external_id,
                    reopening,
                }
            }
            Some(E::Sale(s)) => {
                if let Some(first) = sales_seen.insert(s.external_id.as_str(), i)
                    && !s.external_id.is_empty()
                {
                    v.add(
                        format!("{at}.sale.external_id"),
                        format!("repeats events[{first}].sale.external_id: a sale is recorded once"),
                    );
                }
                Event::Sale(records::sale(&mut v, s, &format!("{at}.sale")))
            }
        };
        batch.events.push((id.unwrap_or_default(), checked));
    }
    v.finish()?;
    Ok(batch)
}

/// The members a batch names, each with the field that names it first.
fn named_members(batch: &Batch) -> Vec<(String, String)> {
    let mut named = Vec::new();
    for (i, (_, event)) in batch.events.iter().enumerate() {
        let (prefix, owner, credit): (&str, &str, &[Share]) = match event {
            Event::Customer(c) if !c.owner.is_empty() => ("customer", &c.owner, &[]),
            Event::Lead(l) => ("lead", &l.owner, &[]),
            Event::Deal(d) => ("deal", &d.owner, &d.credit),
            Event::Sale(s) => ("sale", &s.owner, &s.credit),
            _ => continue,
        };
        named.push((owner.to_owned(), format!("events[{i}].{prefix}.owner")));
        for (j, share) in credit.iter().enumerate() {
            named.push((share.member.clone(), format!("events[{i}].{prefix}.credit[{j}].member")));
        }
    }
    named
}

/// Refuses members goals does not know, re-reading the organisation once before refusing.
pub async fn check_members(deps: &Dependencies, caller: &CallContext, batch: &Batch) -> MonitoringResult<()> {
    let named = named_members(batch);
    let unknown = |org: &Org| -> Violations {
        let mut v = Violations::new();
        for (member, field) in &named {
            if !org.members.contains_key(member) {
                v.add(field.clone(), format!("members/{member} is not a member in goals"));
            }
        }
        v
    };
    if unknown(&*deps.org(caller).await?).is_empty() {
        return Ok(());
    }
    unknown(&*deps.fresh_org(caller).await?).finish()?;
    Ok(())
}

/// Each new sale's lines as stored: costed from `valuations`, or awaiting.
struct Costing {
    /// Keyed by (event index, line index).
    lines: HashMap<(usize, usize), StoredLine>,
}

async fn cost_sales(deps: &Dependencies, caller: &CallContext, batch: &Batch) -> MonitoringResult<Costing> {
    let mut keys = Vec::new();
    let mut asks = Vec::new();
    for (i, (_, event)) in batch.events.iter().enumerate() {
        if let Event::Sale(sale) = event {
            for (j, line) in sale.lines.iter().enumerate() {
                keys.push((i, j));
                asks.push(ipb::ValuationLine {
                    sku: line.sku.clone(),
                    time: Some(timestamp_to_proto(sale.book_time)),
                    currency_code: sale.currency.clone(),
                });
            }
        }
    }
    let mut costing = Costing { lines: HashMap::new() };
    if asks.is_empty() {
        return Ok(costing);
    }
    let valuations = match deps.valuations(caller, asks).await {
        Ok(valuations) if valuations.len() == keys.len() => Some(valuations),
        Ok(_) => {
            tracing::warn!("inventory answered a different number of valuations; sales wait for their cost");
            None
        }
        Err(status) => {
            tracing::warn!(%status, "inventory cannot value sale lines now; sales wait for their cost");
            None
        }
    };
    let mut v = Violations::new();
    for (k, &(i, j)) in keys.iter().enumerate() {
        let Event::Sale(sale) = &batch.events[i].1 else {
            continue;
        };
        let line = &sale.lines[j];
        let mut stored = StoredLine {
            sku: line.sku.clone(),
            quantity: line.quantity,
            unit_price: line.unit_price,
            discount_percent: line.discount_percent,
            revenue: line.revenue,
            unit_cost: None,
            cost_currency: None,
            awaiting_cost: true,
        };
        if let Some(valuations) = &valuations {
            let valuation = &valuations[k];
            if !valuation.found {
                v.add(
                    format!("events[{i}].sale.lines[{j}].sku"),
                    format!("{} is not in inventory's catalogue", line.sku),
                );
            }
            apply_valuation(&mut stored, valuation);
        }
        costing.lines.insert((i, j), stored);
    }
    v.finish()?;
    Ok(costing)
}

/// Takes a valuation's unit cost into a line; a line whose SKU had no cost in force yet stays awaiting.
pub fn apply_valuation(line: &mut StoredLine, valuation: &ipb::Valuation) {
    let Some(cost) = &valuation.unit_cost else { return };
    let amount = decimal_from_proto(
        &lacak_proto::common::Decimal {
            value: lacak_domain::Money::from_units_nanos(&cost.currency_code, cost.units, cost.nanos)
                .map(|m| m.amount.to_string())
                .unwrap_or_default(),
        },
        "unit_cost",
    );
    if let Ok(amount) = amount {
        line.unit_cost = Some(amount);
        line.cost_currency = Some(cost.currency_code.clone());
        line.awaiting_cost = false;
    }
}

/// The booked form of stored lines, for the rollups.
pub fn booked(lines: &[StoredLine], currency: &str) -> Vec<BookedLine> {
    lines
        .iter()
        .map(|line| BookedLine {
            sku: line.sku.clone(),
            quantity: line.quantity,
            revenue: line.revenue,
            cost: line.cost_in(currency),
        })
        .collect()
}

/// Applies a checked batch; see the module's steps.
pub async fn apply(
    db: &DatabaseConnection,
    deps: &Dependencies,
    caller: &CallContext,
    batch: &Batch,
    now: DateTime<Utc>,
) -> MonitoringResult<Applied> {
    let tenant = caller.principal.tenant.as_str();
    // Records are applied once per event id (`applied_events`); a sale once per its own external
    // id (the sales table's unique key, checked by the insert itself), which a retried event carries
    // too. Only records are looked up beforehand: a batch made of records already applied answers at
    // once; a retried batch of sales is valued again and then found stored, changing nothing.
    let record_ids: Vec<String> = batch
        .events
        .iter()
        .filter(|(_, event)| !matches!(event, Event::Sale(_)))
        .map(|(id, _)| id.clone())
        .collect();
    let has_sales = record_ids.len() < batch.events.len();
    let known_records = store::sales::applied_events(db, tenant, &record_ids).await?;
    if !has_sales && known_records.len() == record_ids.len() {
        return Ok(Applied {
            duplicates: batch.events.len() as i32,
            ..Applied::default()
        });
    }
    check_members(deps, caller, batch).await?;
    let costing = cost_sales(deps, caller, batch).await?;
    let time_zone = deps.calendar(caller).await?.time_zone;

    let txn = db.begin().await?;
    let claimed = store::sales::claim_events(&txn, tenant, &record_ids, now).await?;
    let mut outcome = Applied::default();
    let mut touches_customers = false;
    let mut sales: Vec<(usize, sale::Model, Vec<StoredLine>, Vec<Share>)> = Vec::new();
    for (i, (id, event)) in batch.events.iter().enumerate() {
        if !matches!(event, Event::Sale(_)) && !claimed.contains(id) {
            outcome.duplicates += 1;
            continue;
        }
        let at = format!("events[{i}]");
        match event {
            Event::Customer(c) => {
                store::customers::upsert(&txn, tenant, c, now).await?;
                touches_customers = true;
            }
            Event::Lead(l) => {
                store::leads::upsert(&txn, tenant, l, now).await?;
                outcome.members.insert(l.owner.clone());
            }
            Event::Deal(d) => {
                let upserted = store::deals::upsert(&txn, tenant, d, now).await?;
                for deal in upserted.before.iter().chain([&upserted.after]) {
                    outcome.members.extend(store::deals::concerned(deal));
                }
            }
            Event::StageChange(c) => {
                let deal = store::deals::find_external(&txn, tenant, &c.deal_external_id)
                    .await?
                    .ok_or_else(|| {
                        MonitoringError::invalid(
                            &format!("{at}.stage_change.deal_external_id"),
                            "no deal has this external id",
                        )
                    })?;
                outcome.members.extend(store::deals::concerned(&deal));
                store::deals::move_stage(&txn, deal, &c.stage, c.time, now).await?;
            }
            Event::Closure {
                deal_external_id,
                closure,
            } => {
                let deal = store::deals::find_external(&txn, tenant, deal_external_id)
                    .await?
                    .ok_or_else(|| {
                        MonitoringError::invalid(
                            &format!("{at}.closure.deal_external_id"),
                            "no deal has this external id",
                        )
                    })?;
                outcome.members.extend(store::deals::concerned(&deal));
                store::deals::close(&txn, deal, closure, now).await?;
            }
            Event::Reopening {
                deal_external_id,
                reopening,
            } => {
                let deal = store::deals::find_external(&txn, tenant, deal_external_id)
                    .await?
                    .ok_or_else(|| {
                        MonitoringError::invalid(
                            &format!("{at}.reopening.deal_external_id"),
                            "no deal has this external id",
                        )
                    })?;
                outcome.members.extend(store::deals::concerned(&deal));
                store::deals::reopen(&txn, deal, reopening, now).await?;
            }
            Event::Sale(s) => {
                let lines: Vec<StoredLine> = (0..s.lines.len())
                    .map(|j| costing.lines.get(&(i, j)).cloned())
                    .collect::<Option<_>>()
                    .ok_or_else(|| MonitoringError::precondition("NOT_VALUED", "a sale line was not valued"))?;
                let credit = credit_or_owner(&s.owner, &s.credit);
                let revenue_units = lines
                    .iter()
                    .map(|l| to_units(l.revenue))
                    .try_fold(0i64, |sum, units| units.and_then(|u| sum.checked_add(u)))
                    .ok_or_else(|| {
                        MonitoringError::invalid(&format!("{at}.sale.lines"), "the sale's total is too large")
                    })?;
                let members = format!(
                    ",{},",
                    credit.iter().map(|c| c.member.as_str()).collect::<Vec<_>>().join(",")
                );
                let model = sale::Model {
                    tenant: tenant.to_owned(),
                    id: new_id(),
                    external_id: s.external_id.clone(),
                    customer: s.customer.clone(),
                    region: String::new(),
                    segment: String::new(),
                    owner: s.owner.clone(),
                    credit: credit_to_json(&s.credit),
                    members,
                    lines: lines_to_json(&lines),
                    currency: s.currency.clone(),
                    revenue_units,
                    book_time: s.book_time,
                    deal: s.deal.clone(),
                    awaiting_cost: lines.iter().any(|l| l.awaiting_cost),
                    create_time: now,
                    next_cost_attempt: None,
                    cost_attempts: 0,
                };
                sales.push((i, model, lines, credit));
            }
        }
    }

    let customer_ids: Vec<String> = {
        let ids: HashSet<&str> = sales
            .iter()
            .filter(|(_, m, _, _)| !m.customer.is_empty())
            .map(|(_, m, _, _)| m.customer.as_str())
            .collect();
        ids.into_iter().map(str::to_owned).collect()
    };
    let mut customers: HashMap<String, store::entities::customer::Model> =
        store::customers::many(&txn, tenant, customer_ids)
            .await?
            .into_iter()
            .map(|c| (c.id.clone(), c))
            .collect();
    let mut v = Violations::new();
    for (i, model, _, _) in &mut sales {
        if model.customer.is_empty() {
            continue;
        }
        match customers.get(&model.customer) {
            Some(customer) => {
                model.region = customer.region.clone();
                model.segment = customer.segment.clone();
            }
            None => v.add(
                format!("events[{i}].sale.customer"),
                format!("customers/{} does not exist", model.customer),
            ),
        }
    }
    v.finish()?;

    let models: Vec<sale::Model> = sales.iter().map(|(_, model, _, _)| model.clone()).collect();
    let inserted = store::sales::insert_new(&txn, &models).await?;
    let mut rollups = Rollups::default();
    for (i, model, lines, credit) in &sales {
        if !inserted.contains(&model.external_id) {
            outcome.duplicates += 1;
            continue;
        }
        let place = SalePlace {
            day: local_day(model.book_time, time_zone),
            month: local_month(model.book_time, time_zone),
            currency: &model.currency,
            region: &model.region,
            segment: &model.segment,
        };
        rollups
            .add_sale(&place, credit, &booked(lines, &model.currency))
            .map_err(|error| MonitoringError::invalid(&format!("events[{i}].sale"), error.to_string()))?;
        if let Some(customer) = customers.get_mut(&model.customer) {
            store::customers::acquire_by_sale(&txn, customer, credit, &model.owner, model.book_time).await?;
        }
        outcome.applied += 1;
        if model.awaiting_cost {
            outcome.awaiting_cost += 1;
        }
        outcome.members.extend(credit.iter().map(|s| s.member.clone()));
    }
    store::sales::add_to_rollups(&txn, tenant, &rollups.into_sorted()).await?;
    txn.commit().await?;
    if touches_customers {
        // A customer counts for whoever owns or acquired it, before and after: no member list
        // says that, so the change concerns anyone in the tenant.
        outcome.members.clear();
    }
    outcome.applied += batch
        .events
        .iter()
        .filter(|(id, event)| claimed.contains(id) && !matches!(event, Event::Sale(_)))
        .count() as i32;
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sale_with(lines: usize) -> pb::IngestEvent {
        pb::IngestEvent {
            external_id: "s".into(),
            event: Some(pb::ingest_event::Event::Sale(pb::Sale {
                lines: vec![pb::SaleLine::default(); lines],
                ..Default::default()
            })),
        }
    }

    fn fields(v: &Violations) -> Vec<String> {
        v.iter().map(|f| f.field.clone()).collect()
    }

    #[test]
    fn a_batch_holds_at_most_its_events_and_sale_lines() {
        assert_eq!(size_of(&vec![sale_with(20); 1000]).unwrap(), MAX_BATCH_LINES);
        let over = size_of(&vec![sale_with(1); 1001]).unwrap_err();
        assert_eq!(fields(&over), ["events"]);
        let too_many_lines = size_of(&[sale_with(200), sale_with(200)]).map(|_| ());
        assert!(too_many_lines.is_ok(), "400 lines");
        let mut many = vec![sale_with(200); 100];
        many.push(sale_with(1));
        let refused = size_of(&many).unwrap_err();
        assert_eq!(fields(&refused), ["events"], "20,001 lines");
        assert!(size_of(&[]).is_err());
    }

    #[tokio::test]
    async fn a_batch_waits_for_room_in_the_line_budget_then_is_refused_retryable() {
        let budget = LineBudget::new(100, Duration::from_millis(50));
        let held = budget.admit(80).await.unwrap();
        let refused = budget.admit(30).await.unwrap_err();
        let status = tonic::Status::from(refused);
        assert_eq!(status.code(), tonic::Code::ResourceExhausted);
        let waiting = tokio::spawn({
            let budget = budget.clone();
            async move { budget.admit(30).await.map(|_| ()) }
        });
        tokio::time::sleep(Duration::from_millis(10)).await;
        drop(held);
        waiting.await.unwrap().expect("admitted once room was made");
        let _all = budget
            .admit(500)
            .await
            .expect("a batch larger than the budget takes all of it");
    }
}
