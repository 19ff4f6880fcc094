//! Sales taken while inventory could not value them are costed here, in the background, as soon
//! as inventory answers: no sale lost, none left uncosted silently (`ListSales` with
//! `awaiting_cost_only` shows what still waits).

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

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

/// Sales looked at per pass.
const PASS: u64 = 500;

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
        match cost_awaiting(db, &deps, &feed).await {
            Ok(0) => {}
            Ok(costed) => tracing::info!(costed, "sales costed after inventory answered"),
            Err(error) => tracing::warn!(%error, "costing awaiting sales failed; will retry"),
        }
    }
}

/// One pass: values the oldest awaiting sales, tenant by tenant. Answers how many sales were fully costed.
pub async fn cost_awaiting(db: &DatabaseConnection, deps: &Dependencies, feed: &Feed) -> MonitoringResult<usize> {
    let waiting = store::sales::awaiting_cost(db, PASS).await?;
    let mut by_tenant: BTreeMap<String, Vec<sale::Model>> = BTreeMap::new();
    for sale in waiting {
        by_tenant.entry(sale.tenant.clone()).or_default().push(sale);
    }
    let mut costed = 0;
    for (tenant, sales) in by_tenant {
        costed += cost_tenant(db, deps, feed, &tenant, sales).await?;
    }
    Ok(costed)
}

async fn cost_tenant(
    db: &DatabaseConnection,
    deps: &Dependencies,
    feed: &Feed,
    tenant: &str,
    sales: Vec<sale::Model>,
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
        Ok(_) => return Ok(0),
        Err(status) => {
            tracing::debug!(%status, tenant, "inventory still cannot value awaiting sales");
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
    for (i, sale) in sales.iter().enumerate() {
        if newly_costed[i].is_empty() {
            continue;
        }
        let still_awaiting = updated_lines[i].iter().any(|l| l.awaiting_cost);
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
    txn.commit().await?;
    if !members.is_empty() {
        feed.announce(tenant, members);
    }
    Ok(costed)
}
