//! Batch valuations for monitoring: the cost and list price in force at each sale line's instant,
//! for up to 10,000 lines, with a constant number of queries per batch that read only the rows in
//! force within the batch's time window.

use chrono::{DateTime, Utc};
use lacak_proto::inventory as pb;
use lacak_runtime::Violations;
use lacak_runtime::convert::{decimal_to_proto, timestamp_to_proto};
use tonic::Request;

use super::costs::{currency, instant_or_now};
use super::profitability::group_by_sku;
use super::{InventoryApi, convert, principal, require_cost_reader};
use crate::domain::names::validate_sku;
use crate::error::{InventoryError, InventoryResult};
use crate::store::entities::price;
use crate::store::{self};

/// The most lines one BatchGetValuations takes.
const MAX_VALUATION_LINES: usize = 10_000;

/// The row of `rows` (oldest effective first) in force at `at`.
fn in_force<T>(rows: &[T], at: DateTime<Utc>, effective: impl Fn(&T) -> DateTime<Utc>) -> Option<&T> {
    let after = rows.partition_point(|row| effective(row) <= at);
    after.checked_sub(1).map(|index| &rows[index])
}

pub async fn batch_valuations(
    api: &InventoryApi,
    request: Request<pb::BatchGetValuationsRequest>,
) -> InventoryResult<pb::BatchGetValuationsResponse> {
    let caller = principal(&request)?;
    let req = request.into_inner();
    if req.lines.len() > MAX_VALUATION_LINES {
        return Err(InventoryError::invalid(
            "lines",
            format!("at most {MAX_VALUATION_LINES} lines per call, not {}", req.lines.len()),
        ));
    }
    let mut violations = Violations::new();
    let times: Vec<DateTime<Utc>> = req
        .lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            violations.take(validate_sku(&line.sku, &format!("lines[{i}].sku")));
            currency(
                &mut violations,
                &line.currency_code,
                &format!("lines[{i}].currency_code"),
            );
            instant_or_now(&mut violations, line.time.as_ref(), &format!("lines[{i}].time"))
        })
        .collect();
    violations.finish()?;
    let db = api.db()?;
    let tenant = &caller.tenant;
    require_cost_reader(db, &caller).await?;
    let mut skus: Vec<String> = req.lines.iter().map(|l| l.sku.clone()).collect();
    skus.sort();
    skus.dedup();
    let latest = times.iter().copied().max().unwrap_or_else(Utc::now);
    let earliest = times.iter().copied().min().unwrap_or(latest);
    // A constant number of queries per batch, whatever its size.
    let known: std::collections::HashSet<String> = store::catalogue::products_by_sku(db, tenant, skus.clone())
        .await?
        .into_iter()
        .map(|p| p.sku)
        .collect();
    let costs = group_by_sku(
        store::pricing::costs_of(db, tenant, skus.clone(), earliest, latest).await?,
        |c| c.sku.clone(),
    );
    let prices = group_by_sku(
        store::pricing::prices_of(db, tenant, skus, earliest, latest).await?,
        |p: &price::Model| (p.sku.clone(), p.currency.clone()),
    );
    let valuations = req
        .lines
        .iter()
        .zip(times)
        .map(|(line, at)| {
            let code = line.currency_code.trim();
            let cost = costs
                .get(&line.sku)
                .and_then(|rows| in_force(rows, at, |c| c.effective_time));
            let list = prices
                .get(&(line.sku.clone(), code.to_owned()))
                .and_then(|rows| in_force(rows, at, |p| p.effective_time));
            pb::Valuation {
                sku: line.sku.clone(),
                time: Some(timestamp_to_proto(at)),
                unit_cost: cost.map(|c| convert::money(&c.currency, convert::dec(&c.unit_cost))),
                cost_breakdown: cost
                    .map(|c| format!("products/{}/costBreakdowns/{}", c.sku, c.id))
                    .unwrap_or_default(),
                tax_rate_percent: cost.map(|c| decimal_to_proto(convert::dec(&c.tax_rate_percent))),
                fee_rate_percent: cost.map(|c| decimal_to_proto(convert::dec(&c.fee_rate_percent))),
                list_price: list.map(|p| convert::money(&p.currency, convert::dec(&p.list_price))),
                found: known.contains(&line.sku),
            }
        })
        .collect();
    Ok(pb::BatchGetValuationsResponse { valuations })
}
