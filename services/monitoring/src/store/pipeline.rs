//! The pipeline ledger and the tenant's sales pipeline.
//!
//! `pipeline_ledger` holds one row per key (member, currency, stage, forecast category, region,
//! segment) and instant: the change booked then and the key's running balance after it. The
//! pipeline at an instant is, for each key of the members asked, the balance of its latest row
//! before that instant: one index seek per key, however long the history. A change dated before
//! a key's later rows also moves their balances, so the ledger stays true whatever the order in
//! which changes arrive.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{
    Alias, Expr, ExprTrait, LockType, OnConflict, Order, Query, QueryStatementBuilder, SelectStatement,
};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder};

use super::entities::pipeline_stage;
use crate::domain::pipeline::{PipelineAmounts, PipelineKey};
use crate::domain::sales_pipeline::{PipelineStage, SalesPipeline};
use crate::error::{MonitoringResult, corrupt};

const KEY_COLUMNS: [&str; 6] = ["member", "currency", "stage", "category", "region", "segment"];
/// Members per read.
const CHUNK: usize = 500;

fn key_values(key: &PipelineKey) -> [&str; 6] {
    [
        &key.member,
        &key.currency,
        &key.stage,
        &key.category,
        &key.region,
        &key.segment,
    ]
}

fn col(name: &str) -> Expr {
    Expr::col(Alias::new(name))
}

/// `WHERE tenant = ? AND <key columns> = ?`.
fn where_key(query: &mut SelectStatement, tenant: &str, key: &PipelineKey) {
    query.and_where(col("tenant").eq(tenant));
    for (column, value) in KEY_COLUMNS.iter().zip(key_values(key)) {
        query.and_where(col(column).eq(value));
    }
}

/// Books changes, each at its instant, in the caller's transaction.
#[tracing::instrument(name = "db.book", skip_all, fields(otel.kind = "client"))]
pub async fn book<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    changes: &BTreeMap<(PipelineKey, DateTime<Utc>), PipelineAmounts>,
) -> MonitoringResult<()> {
    let ledger = Alias::new("pipeline_ledger");
    for ((key, time), delta) in changes {
        if delta.is_zero() {
            continue;
        }
        let mut columns = vec![Alias::new("tenant")];
        columns.extend(KEY_COLUMNS.iter().map(|c| Alias::new(*c)));
        let mut values: Vec<Expr> = vec![tenant.into()];
        values.extend(key_values(key).iter().map(|v| Expr::from(*v)));
        let insert_key = Query::insert()
            .into_table(Alias::new("pipeline_keys"))
            .columns(columns.clone())
            .values_panic(values.clone())
            .on_conflict(OnConflict::new().do_nothing().to_owned())
            .to_owned();
        db.execute(&insert_key).await?;
        // Changes to one key are booked one transaction at a time: the key's row is locked until
        // commit (PostgreSQL; SQLite has one writer), so no two writers compute a balance from
        // the same previous row.
        let mut lock = Query::select();
        lock.column(Alias::new("member")).from(Alias::new("pipeline_keys"));
        where_key(&mut lock, tenant, key);
        lock.lock(LockType::Update);
        db.query_one(&lock).await?;

        let mut before = Query::select();
        before
            .columns([
                Alias::new("time"),
                Alias::new("amount_balance"),
                Alias::new("count_balance"),
            ])
            .from(ledger.clone());
        where_key(&mut before, tenant, key);
        before
            .and_where(col("time").lte(*time))
            .order_by(Alias::new("time"), Order::Desc)
            .limit(1);
        let previous = match db.query_one(&before).await? {
            Some(row) => Some((
                row.try_get::<DateTime<Utc>>("", "time")?,
                row.try_get::<i64>("", "amount_balance")?,
                row.try_get::<i64>("", "count_balance")?,
            )),
            None => None,
        };
        match previous {
            Some((at, amount, count)) if at == *time => {
                let mut update = Query::update();
                update
                    .table(ledger.clone())
                    .value(Alias::new("amount_delta"), col("amount_delta").add(delta.amount))
                    .value(Alias::new("count_delta"), col("count_delta").add(delta.count))
                    .value(Alias::new("amount_balance"), amount + delta.amount)
                    .value(Alias::new("count_balance"), count + delta.count)
                    .and_where(col("tenant").eq(tenant))
                    .and_where(col("time").eq(*time));
                for (column, value) in KEY_COLUMNS.iter().zip(key_values(key)) {
                    update.and_where(col(column).eq(value));
                }
                db.execute(&update).await?;
            }
            previous => {
                let (amount, count) = previous.map_or((0, 0), |(_, a, c)| (a, c));
                let mut row_columns = columns.clone();
                row_columns
                    .extend(["time", "amount_delta", "count_delta", "amount_balance", "count_balance"].map(Alias::new));
                let mut row = values.clone();
                row.extend([
                    Expr::from(*time),
                    delta.amount.into(),
                    delta.count.into(),
                    (amount + delta.amount).into(),
                    (count + delta.count).into(),
                ]);
                let insert = Query::insert()
                    .into_table(ledger.clone())
                    .columns(row_columns)
                    .values_panic(row)
                    .to_owned();
                db.execute(&insert).await?;
            }
        }
        // Rows after this instant already hold balances without this change.
        let mut later = Query::update();
        later
            .table(ledger.clone())
            .value(Alias::new("amount_balance"), col("amount_balance").add(delta.amount))
            .value(Alias::new("count_balance"), col("count_balance").add(delta.count))
            .and_where(col("tenant").eq(tenant))
            .and_where(col("time").gt(*time));
        for (column, value) in KEY_COLUMNS.iter().zip(key_values(key)) {
            later.and_where(col(column).eq(value));
        }
        db.execute(&later).await?;
    }
    Ok(())
}

/// Which keys a pipeline read takes.
#[derive(Debug, Clone, Default)]
pub struct PipelineFilter {
    pub members: Vec<String>,
    pub region: Option<String>,
    pub segment: Option<String>,
}

/// The members' pipeline just before `at`, key by key; keys at zero are left out.
#[tracing::instrument(name = "db.at", skip_all, fields(otel.kind = "client"))]
pub async fn at<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    filter: &PipelineFilter,
    at: DateTime<Utc>,
) -> MonitoringResult<Vec<(PipelineKey, PipelineAmounts)>> {
    let (k, l) = (Alias::new("k"), Alias::new("l"));
    // One seek per key: the latest row's two balances come back as one text, "amount:count".
    let latest = {
        let mut query = Query::select();
        query
            .expr(Expr::cust(
                "CAST(l.amount_balance AS TEXT) || ':' || CAST(l.count_balance AS TEXT)",
            ))
            .from_as(Alias::new("pipeline_ledger"), l.clone())
            .and_where(Expr::col((l.clone(), Alias::new("tenant"))).equals((k.clone(), Alias::new("tenant"))));
        for column in KEY_COLUMNS {
            query.and_where(Expr::col((l.clone(), Alias::new(column))).equals((k.clone(), Alias::new(column))));
        }
        query
            .and_where(Expr::col((l.clone(), Alias::new("time"))).lt(at))
            .order_by((l.clone(), Alias::new("time")), Order::Desc)
            .limit(1);
        Expr::SubQuery(None, Box::new(query.into_sub_query_statement()))
    };
    let mut out = Vec::new();
    for members in filter.members.chunks(CHUNK) {
        let mut query = Query::select();
        for column in KEY_COLUMNS {
            query.column((k.clone(), Alias::new(column)));
        }
        query
            .expr_as(latest.clone(), Alias::new("balances"))
            .from_as(Alias::new("pipeline_keys"), k.clone())
            .and_where(Expr::col((k.clone(), Alias::new("tenant"))).eq(tenant))
            .and_where(Expr::col((k.clone(), Alias::new("member"))).is_in(members.iter().cloned()));
        for (column, value) in [("region", &filter.region), ("segment", &filter.segment)] {
            if let Some(value) = value {
                query.and_where(Expr::col((k.clone(), Alias::new(column))).eq(value.as_str()));
            }
        }
        for row in db.query_all(&query).await? {
            let Some(balances) = row.try_get::<Option<String>>("", "balances")? else {
                continue;
            };
            let amounts = balances
                .split_once(':')
                .and_then(|(amount, count)| {
                    Some(PipelineAmounts {
                        amount: amount.parse().ok()?,
                        count: count.parse().ok()?,
                    })
                })
                .ok_or_else(|| {
                    corrupt(
                        format_args!("pipeline_ledger {tenant}"),
                        format_args!("balances {balances:?}"),
                    )
                })?;
            if amounts.is_zero() {
                continue;
            }
            let key = PipelineKey {
                member: row.try_get("", "member")?,
                currency: row.try_get("", "currency")?,
                stage: row.try_get("", "stage")?,
                category: row.try_get("", "category")?,
                region: row.try_get("", "region")?,
                segment: row.try_get("", "segment")?,
            };
            out.push((key, amounts));
        }
    }
    Ok(out)
}

/// The tenant's sales pipeline, or the default while it has set none.
#[tracing::instrument(name = "db.sales_pipeline", skip_all, fields(otel.kind = "client"))]
pub async fn sales_pipeline<C: ConnectionTrait>(db: &C, tenant: &str) -> MonitoringResult<SalesPipeline> {
    let rows = pipeline_stage::Entity::find()
        .filter(pipeline_stage::Column::Tenant.eq(tenant))
        .order_by_asc(pipeline_stage::Column::Position)
        .all(db)
        .await?;
    if rows.is_empty() {
        return Ok(SalesPipeline::default());
    }
    let update_time = rows.iter().map(|r| r.update_time).max();
    let stages = rows
        .into_iter()
        .map(|row| {
            let probability = row.probability.parse().map_err(|_| {
                corrupt(
                    format_args!("pipeline_stages {}/{}", row.tenant, row.position),
                    format_args!("probability {:?} is not a decimal", row.probability),
                )
            })?;
            Ok(PipelineStage {
                stage: row.stage,
                probability,
            })
        })
        .collect::<MonitoringResult<Vec<_>>>()?;
    Ok(SalesPipeline { stages, update_time })
}

/// Replaces the tenant's sales pipeline.
#[tracing::instrument(name = "db.set_sales_pipeline", skip_all, fields(otel.kind = "client"))]
pub async fn set_sales_pipeline<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    stages: &[PipelineStage],
    now: DateTime<Utc>,
) -> MonitoringResult<()> {
    pipeline_stage::Entity::delete_many()
        .filter(pipeline_stage::Column::Tenant.eq(tenant))
        .exec(db)
        .await?;
    let rows = stages.iter().enumerate().map(|(i, stage)| {
        pipeline_stage::Model {
            tenant: tenant.to_owned(),
            position: i as i32,
            stage: stage.stage.clone(),
            probability: stage.probability.normalize().to_string(),
            update_time: now,
        }
        .into_active_model()
    });
    pipeline_stage::Entity::insert_many(rows).exec(db).await?;
    Ok(())
}
