//! Sales taken while inventory could not value them are costed here, in the background, as soon
//! as inventory answers: no sale lost, none left uncosted silently (`ListSales` with
//! `awaiting_cost_only` shows what still waits).
//!
//! Every replica runs this. Each pass shares its sales among the tenants with sales due, so one
//! tenant's backlog never holds another's back; it leases the sales it takes, so replicas take
//! different ones and more replicas clear a backlog faster; and a sale inventory answered without
//! a cost (none recorded for its product at its time) backs off, while one asked during an outage
//! is asked again at the next pass.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use chrono::{DateTime, Utc};
use lacak_proto::inventory as ipb;
use lacak_runtime::convert::timestamp_to_proto;
use lacak_runtime::db::ReadyDb;
use lacak_runtime::server::Draining;
use sea_orm::{DatabaseConnection, TransactionTrait};

use crate::deps::{Dependencies, service_context};
use crate::domain::rollup::{BookedLine, Rollups, SalePlace, credit_or_owner, local_day, local_month};
use crate::error::{Monitoring, MonitoringResult};
use crate::feed::Feed;
use crate::ingest::apply_valuation;
use crate::store;
use crate::store::entities::sale;
use crate::store::sales::{lines_from_json, lines_to_json};

/// Sales asked of inventory per pass, shared among the tenants with sales due.
const PASS: u64 = 500;
/// The least share of a pass a tenant gets.
const MIN_SHARE: u64 = 20;
/// How long a replica holds the sales it took; past it (the replica died), another takes them.
const LEASE: chrono::Duration = chrono::Duration::seconds(60);

/// When a sale inventory answered without a cost is asked again: 2 s after the first answer,
/// doubling with each, at most 5 minutes — a cost recorded later is picked up within that.
pub fn backoff(attempts: i32) -> chrono::Duration {
    let doublings = attempts.clamp(0, 8) as u32;
    chrono::Duration::seconds((2i64 << doublings).min(300))
}

/// Costs awaiting sales every `interval`, for as long as the process runs.
pub async fn run(db: ReadyDb, deps: Dependencies, feed: Feed, interval: Duration, mut draining: Draining) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            () = draining.started() => return,
        }
        let Ok(db) = db.get::<Monitoring>() else { continue };
        match cost_awaiting(db, &deps, &feed, Utc::now()).await {
            Ok(0) => {}
            Ok(costed) => tracing::info!(costed, "sales costed after inventory answered"),
            Err(error) => tracing::warn!(%error, "costing awaiting sales failed; will retry"),
        }
    }
}

/// One pass at `now`: a share of each tenant's due sales, valued and booked. Answers how many
/// sales were fully costed.
pub async fn cost_awaiting(
    db: &DatabaseConnection,
    deps: &Dependencies,
    feed: &Feed,
    now: DateTime<Utc>,
) -> MonitoringResult<usize> {
    let tenants = store::sales::tenants_due_for_cost(db, now, PASS).await?;
    if tenants.is_empty() {
        return Ok(0);
    }
    let share = (PASS / tenants.len() as u64).max(MIN_SHARE);
    let mut costed = 0;
    for tenant in tenants {
        let sales = store::sales::lease_due_for_cost(db, &tenant, now, now + LEASE, share).await?;
        if sales.is_empty() {
            continue; // another replica took them
        }
        match cost_tenant(db, deps, feed, &tenant, sales, now).await {
            Ok(n) => costed += n,
            Err(error) => tracing::warn!(%error, tenant, "costing a tenant's sales failed; they are retried"),
        }
    }
    Ok(costed)
}

async fn cost_tenant(
    db: &DatabaseConnection,
    deps: &Dependencies,
    feed: &Feed,
    tenant: &str,
    sales: Vec<sale::Model>,
    now: DateTime<Utc>,
) -> MonitoringResult<usize> {
    let caller = service_context(tenant);
    let mut asks = Vec::new();
    let mut keys = Vec::new();
    for (i, sale) in sales.iter().enumerate() {
        for (j, line) in lines_from_json(&sale.lines).iter().enumerate() {
            if line.awaiting_cost {
                keys.push((i, j));
                asks.push(ipb::ValuationLine {
                    sku: line.sku.clone(),
                    time: Some(timestamp_to_proto(sale.book_time)),
                    currency_code: sale.currency.clone(),
                });
            }
        }
    }
    let valuations = match deps.valuations(&caller, asks).await {
        Ok(valuations) if valuations.len() == keys.len() => valuations,
        answer => {
            // Inventory did not answer (or answered out of shape): not the sales' fault, so no
            // attempt counts and they are asked again at the next pass.
            if let Err(status) = answer {
                tracing::debug!(%status, tenant, "inventory still cannot value awaiting sales");
            }
            let ids: Vec<String> = sales.iter().map(|s| s.id.clone()).collect();
            store::sales::cost_later(db, tenant, &ids, now, false).await?;
            return Ok(0);
        }
    };
    let time_zone = deps.calendar(&caller).await?.time_zone;
    let mut updated_lines: Vec<Vec<store::sales::StoredLine>> =
        sales.iter().map(|s| lines_from_json(&s.lines)).collect();
    let mut newly_costed: Vec<Vec<BookedLine>> = vec![Vec::new(); sales.len()];
    for (k, &(i, j)) in keys.iter().enumerate() {
        let line = &mut updated_lines[i][j];
        apply_valuation(line, &valuations[k]);
        if !line.awaiting_cost {
            newly_costed[i].push(BookedLine {
                sku: line.sku.clone(),
                quantity: line.quantity,
                revenue: line.revenue,
                cost: line.cost_in(&sales[i].currency),
            });
        }
    }

    let txn = db.begin().await?;
    let mut rollups = Rollups::default();
    let mut members = HashSet::new();
    let mut costed = 0;
    // Sales still without a full cost, by the attempts inventory answered before.
    let mut later: BTreeMap<i32, Vec<String>> = BTreeMap::new();
    for (i, sale) in sales.iter().enumerate() {
        let still_awaiting = updated_lines[i].iter().any(|l| l.awaiting_cost);
        if still_awaiting {
            later.entry(sale.cost_attempts).or_default().push(sale.id.clone());
        }
        if newly_costed[i].is_empty() {
            continue;
        }
        if !store::sales::replace_lines(&txn, sale, &lines_to_json(&updated_lines[i]), still_awaiting).await? {
            continue; // another replica costed it first
        }
        let credit = credit_or_owner(&sale.owner, &store::credit_from_json(&sale.credit));
        let place = SalePlace {
            day: local_day(sale.book_time, time_zone),
            month: local_month(sale.book_time, time_zone),
            currency: &sale.currency,
            region: &sale.region,
            segment: &sale.segment,
        };
        if let Err(error) = rollups.add_cost(&place, &credit, &newly_costed[i]) {
            tracing::error!(%error, sale = %sale.id, "a stored sale cannot be rolled up");
            continue;
        }
        members.extend(credit.into_iter().map(|s| s.member));
        if !still_awaiting {
            costed += 1;
        }
    }
    store::sales::add_to_rollups(&txn, tenant, &rollups.into_sorted()).await?;
    for (attempts, ids) in later {
        store::sales::cost_later(&txn, tenant, &ids, now + backoff(attempts), true).await?;
    }
    txn.commit().await?;
    if !members.is_empty() {
        feed.announce(tenant, members);
    }
    Ok(costed)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use sea_orm_migration::MigratorTrait;

    use super::*;

    fn awaiting(id: &str) -> sale::Model {
        let at = Utc.with_ymd_and_hms(2026, 2, 1, 0, 0, 0).unwrap();
        sale::Model {
            tenant: "acme".into(),
            id: id.into(),
            external_id: id.into(),
            customer: String::new(),
            region: String::new(),
            segment: String::new(),
            owner: "ana".into(),
            credit: "[]".into(),
            members: ",ana,".into(),
            lines: "[]".into(),
            currency: "IDR".into(),
            revenue_units: 0,
            book_time: at,
            deal: String::new(),
            awaiting_cost: true,
            create_time: at,
            next_cost_attempt: None,
            cost_attempts: 0,
        }
    }

    #[test]
    fn an_uncostable_sale_backs_off_doubling_to_five_minutes() {
        let seconds: Vec<i64> = (0..10).map(|a| backoff(a).num_seconds()).collect();
        assert_eq!(seconds, [2, 4, 8, 16, 32, 64, 128, 256, 300, 300]);
        assert_eq!(backoff(-1).num_seconds(), 2);
        assert_eq!(backoff(i32::MAX).num_seconds(), 300);
    }

    #[tokio::test]
    async fn replicas_lease_different_sales_and_a_sale_backed_off_waits_its_turn() {
        let db = lacak_runtime::db::connect("sqlite::memory:").await.unwrap();
        crate::Migrator::up(&db, None).await.unwrap();
        let sales: Vec<sale::Model> = (0..30).map(|i| awaiting(&format!("s{i:02}"))).collect();
        store::sales::insert_new(&db, &sales).await.unwrap();
        let now = Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap();
        assert_eq!(
            store::sales::tenants_due_for_cost(&db, now, 10).await.unwrap(),
            ["acme"]
        );

        let one = store::sales::lease_due_for_cost(&db, "acme", now, now + LEASE, 20)
            .await
            .unwrap();
        let two = store::sales::lease_due_for_cost(&db, "acme", now, now + LEASE, 20)
            .await
            .unwrap();
        assert_eq!((one.len(), two.len()), (20, 10), "the second replica takes the rest");
        let ids = |sales: &[sale::Model]| sales.iter().map(|s| s.id.clone()).collect::<HashSet<_>>();
        assert!(ids(&one).is_disjoint(&ids(&two)));
        assert!(
            store::sales::tenants_due_for_cost(&db, now, 10)
                .await
                .unwrap()
                .is_empty(),
            "all leased"
        );

        // Inventory answered without a cost for the first; it is asked again only after its backoff.
        let first = vec![one[0].id.clone()];
        store::sales::cost_later(&db, "acme", &first, now + backoff(0), true)
            .await
            .unwrap();
        let soon = now + chrono::Duration::seconds(1);
        assert!(
            store::sales::lease_due_for_cost(&db, "acme", soon, soon + LEASE, 50)
                .await
                .unwrap()
                .is_empty()
        );
        let later = now + chrono::Duration::seconds(2);
        let again = store::sales::lease_due_for_cost(&db, "acme", later, later + LEASE, 50)
            .await
            .unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!((again[0].id.as_str(), again[0].cost_attempts), (first[0].as_str(), 1));
        // A lease that ran out (its replica died) makes the sales due for anyone.
        let expired = now + LEASE + chrono::Duration::seconds(1);
        let taken_over = store::sales::lease_due_for_cost(&db, "acme", expired, expired + LEASE, 50)
            .await
            .unwrap();
        assert_eq!(taken_over.len(), 29);
    }
}
