//! The period rollups of deals (`domain::deal_rollup`): kept in step by every deal change, read
//! per member and month by KPI reads, and built for a tenant from its deals when first read or
//! when the time zone or the sales pipeline they were built with has changed.
//!
//! On PostgreSQL a build takes the tenant's advisory lock exclusively and each deal change takes
//! it shared, so no change lands between a build's read of the deals and its commit; an outcome
//! row (which holds its deals by id) is locked while it is rewritten. SQLite has one writer.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sea_orm::sea_query::{Alias, Cond, Condition, Expr, ExprTrait, LockType, OnConflict, Query, SimpleExpr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
    TransactionTrait,
};

use super::deals::{attach_stages, credit_of};
use super::entities::deal;
use crate::domain::deal_rollup::{
    CohortKey, CohortSums, DealRollups, DealState, OutcomeChange, OutcomeKey, OutcomeSums, change, contribution,
};
use crate::domain::rollup::Share;
use crate::error::{MonitoringError, MonitoringResult, corrupt};

const OUTCOMES: &str = "deal_outcome_rollups";
const COHORTS: &str = "stage_cohort_rollups";
const STATE: &str = "deal_rollup_state";
/// Rows per multi-row insert, and members per read.
const CHUNK: usize = 500;
/// Deals per page of a build.
const PAGE: u64 = 1_000;

fn col(name: &str) -> Expr {
    Expr::col(Alias::new(name))
}

/// What a tenant's rows were built with: months in its time zone, cohorts over its stages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Basis {
    pub time_zone: Tz,
    pub stages: Vec<String>,
}

impl Basis {
    fn stages_text(&self) -> String {
        serde_json::to_string(&self.stages).unwrap_or_default()
    }
}

/// The tenant's advisory lock on PostgreSQL, shared (deal changes) or exclusive (builds).
async fn lock_tenant<C: ConnectionTrait>(db: &C, tenant: &str, exclusive: bool) -> MonitoringResult<()> {
    if db.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(());
    }
    let function = if exclusive {
        "pg_advisory_xact_lock"
    } else {
        "pg_advisory_xact_lock_shared"
    };
    let sql = format!("SELECT {function}(hashtextextended('deal_rollups:' || $1, 0))");
    db.execute_raw(Statement::from_sql_and_values(
        DatabaseBackend::Postgres,
        sql,
        [tenant.into()],
    ))
    .await?;
    Ok(())
}

/// What the tenant's rows were built with; `None` while they are not built.
#[tracing::instrument(name = "db.basis", skip_all, fields(otel.kind = "client"))]
pub async fn basis<C: ConnectionTrait>(db: &C, tenant: &str) -> MonitoringResult<Option<Basis>> {
    let query = Query::select()
        .columns([Alias::new("time_zone"), Alias::new("stages")])
        .from(Alias::new(STATE))
        .and_where(col("tenant").eq(tenant))
        .to_owned();
    let Some(row) = db.query_one(&query).await? else {
        return Ok(None);
    };
    let zone: String = row.try_get("", "time_zone")?;
    let stages: String = row.try_get("", "stages")?;
    let time_zone = zone
        .parse()
        .map_err(|_| corrupt(format_args!("{STATE} {tenant}"), format_args!("time zone {zone:?}")))?;
    let stages = serde_json::from_str(&stages)
        .map_err(|_| corrupt(format_args!("{STATE} {tenant}"), format_args!("stages {stages:?}")))?;
    Ok(Some(Basis { time_zone, stages }))
}

/// A deal's state as the rollups see it.
pub struct DealView<'a> {
    pub deal: &'a deal::Model,
    pub credit: &'a [Share],
    pub entries: &'a [(String, DateTime<Utc>)],
}

fn rollups_of(view: &DealView<'_>, basis: &Basis) -> MonitoringResult<DealRollups> {
    let deal = view.deal;
    let amount = deal
        .amount
        .parse()
        .map_err(|_| corrupt(format_args!("deals {}/{} amount", deal.tenant, deal.id), &deal.amount))?;
    contribution(
        &DealState {
            id: &deal.id,
            credit: view.credit,
            currency: &deal.currency,
            amount,
            create_time: deal.create_time,
            outcome: &deal.outcome,
            close_time: deal.close_time,
            region: &deal.region,
            segment: &deal.segment,
            entries: view.entries,
        },
        &basis.stages,
        basis.time_zone,
    )
    .map_err(|error| MonitoringError::invalid("deal.amount", error.to_string()))
}

/// Whether the tenant's rows are kept (a deal change must then call [`record`]); takes the
/// tenant's shared lock on PostgreSQL, in the caller's transaction.
#[tracing::instrument(name = "db.kept", skip_all, fields(otel.kind = "client"))]
pub async fn kept<C: ConnectionTrait>(db: &C, tenant: &str) -> MonitoringResult<Option<Basis>> {
    lock_tenant(db, tenant, false).await?;
    basis(db, tenant).await
}

/// Books a deal's change from `before` (`None` for a new deal) to `after`.
#[tracing::instrument(name = "db.record", skip_all, fields(otel.kind = "client"))]
pub async fn record<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    basis: &Basis,
    before: Option<&DealView<'_>>,
    after: &DealView<'_>,
) -> MonitoringResult<()> {
    let before = match before {
        Some(view) => rollups_of(view, basis)?,
        None => DealRollups::default(),
    };
    let (outcomes, cohorts) = change(&before, &rollups_of(after, basis)?);
    add_cohorts(db, tenant, &cohorts).await?;
    for (key, delta) in &outcomes {
        change_outcome(db, tenant, key, delta).await?;
    }
    Ok(())
}

async fn add_cohorts<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    rows: &BTreeMap<CohortKey, CohortSums>,
) -> MonitoringResult<()> {
    let rows: Vec<(&CohortKey, &CohortSums)> = rows.iter().collect();
    for chunk in rows.chunks(CHUNK) {
        let mut insert = Query::insert();
        insert
            .into_table(Alias::new(COHORTS))
            .columns(COHORT_COLUMNS.map(Alias::new));
        for (key, sums) in chunk {
            let values: [SimpleExpr; 9] = [
                tenant.into(),
                key.member.as_str().into(),
                key.month.into(),
                key.stage.as_str().into(),
                key.region.as_str().into(),
                key.segment.as_str().into(),
                sums.entered.into(),
                sums.advanced.into(),
                sums.advance_seconds.into(),
            ];
            insert.values_panic(values);
        }
        let mut on_conflict =
            OnConflict::columns(["tenant", "member", "month", "stage", "region", "segment"].map(Alias::new));
        for column in ["entered", "advanced", "advance_seconds"] {
            on_conflict.value(
                Alias::new(column),
                Expr::cust(format!("{COHORTS}.{column} + excluded.{column}")),
            );
        }
        insert.on_conflict(on_conflict.to_owned());
        db.execute(&insert).await?;
    }
    Ok(())
}

/// `tenant = ? AND <the key's columns> = ?` for one outcome row.
fn outcome_row(tenant: &str, key: &OutcomeKey) -> Condition {
    Cond::all()
        .add(col("tenant").eq(tenant))
        .add(col("member").eq(key.member.as_str()))
        .add(col("month").eq(key.month))
        .add(col("currency").eq(key.currency.as_str()))
        .add(col("region").eq(key.region.as_str()))
        .add(col("segment").eq(key.segment.as_str()))
}

fn outcome_values(tenant: &str, key: &OutcomeKey, sums: &OutcomeSums) -> [SimpleExpr; 13] {
    [
        tenant.into(),
        key.member.as_str().into(),
        key.month.into(),
        key.currency.as_str().into(),
        key.region.as_str().into(),
        key.segment.as_str().into(),
        sums.won.into(),
        sums.lost.into(),
        sums.won_amount.into(),
        serde_json::to_string(&sums.won_shared).unwrap_or_default().into(),
        serde_json::to_string(&sums.lost_shared).unwrap_or_default().into(),
        serde_json::to_string(&sums.won_alone).unwrap_or_default().into(),
        sums.lost_alone.into(),
    ]
}

const COHORT_COLUMNS: [&str; 9] = [
    "tenant",
    "member",
    "month",
    "stage",
    "region",
    "segment",
    "entered",
    "advanced",
    "advance_seconds",
];

const OUTCOME_COLUMNS: [&str; 13] = [
    "tenant",
    "member",
    "month",
    "currency",
    "region",
    "segment",
    "won",
    "lost",
    "won_amount",
    "won_deals",
    "lost_deals",
    "won_alone",
    "lost_alone",
];

/// Rewrites one outcome row under its lock (the row is created empty first if need be).
async fn change_outcome<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    key: &OutcomeKey,
    delta: &OutcomeChange,
) -> MonitoringResult<()> {
    let insert = Query::insert()
        .into_table(Alias::new(OUTCOMES))
        .columns(OUTCOME_COLUMNS.map(Alias::new))
        .values_panic(outcome_values(tenant, key, &OutcomeSums::default()))
        .on_conflict(OnConflict::new().do_nothing().to_owned())
        .to_owned();
    db.execute(&insert).await?;
    let mut select = Query::select();
    select
        .columns(OUTCOME_COLUMNS[6..].iter().map(|c| Alias::new(*c)))
        .from(Alias::new(OUTCOMES));
    select.cond_where(outcome_row(tenant, key));
    select.lock(LockType::Update);
    let mut row = match db.query_one(&select).await? {
        Some(row) => outcome_sums(tenant, &row)?,
        None => OutcomeSums::default(),
    };
    delta.apply(&mut row);
    if row.is_empty() {
        let delete = Query::delete()
            .from_table(Alias::new(OUTCOMES))
            .cond_where(outcome_row(tenant, key))
            .to_owned();
        db.execute(&delete).await?;
        return Ok(());
    }
    let mut update = Query::update();
    update
        .table(Alias::new(OUTCOMES))
        .value(Alias::new("won"), row.won)
        .value(Alias::new("lost"), row.lost)
        .value(Alias::new("won_amount"), row.won_amount)
        .value(
            Alias::new("won_deals"),
            serde_json::to_string(&row.won_shared).unwrap_or_default(),
        )
        .value(
            Alias::new("lost_deals"),
            serde_json::to_string(&row.lost_shared).unwrap_or_default(),
        )
        .value(
            Alias::new("won_alone"),
            serde_json::to_string(&row.won_alone).unwrap_or_default(),
        )
        .value(Alias::new("lost_alone"), row.lost_alone)
        .cond_where(outcome_row(tenant, key));
    db.execute(&update).await?;
    Ok(())
}

fn outcome_sums(tenant: &str, row: &sea_orm::QueryResult) -> MonitoringResult<OutcomeSums> {
    fn json<T: serde::de::DeserializeOwned>(
        tenant: &str,
        row: &sea_orm::QueryResult,
        column: &str,
    ) -> MonitoringResult<T> {
        let text: String = row.try_get("", column)?;
        serde_json::from_str(&text).map_err(|_| {
            let member: String = row.try_get("", "member").unwrap_or_default();
            let month: i32 = row.try_get("", "month").unwrap_or_default();
            corrupt(
                format_args!("{OUTCOMES} {tenant}/{member}/{month}"),
                format_args!("{column} {text:?}"),
            )
        })
    }
    Ok(OutcomeSums {
        won: row.try_get("", "won")?,
        lost: row.try_get("", "lost")?,
        won_amount: row.try_get("", "won_amount")?,
        won_alone: json(tenant, row, "won_alone")?,
        lost_alone: row.try_get("", "lost_alone")?,
        won_shared: json(tenant, row, "won_deals")?,
        lost_shared: json(tenant, row, "lost_deals")?,
    })
}

/// Builds the tenant's rows when they are not built, or were built with another time zone or
/// other stages than `wanted`: what every read of the rollups does first. `built` is what
/// [`basis`] read.
pub async fn ensure_built(
    db: &sea_orm::DatabaseConnection,
    tenant: &str,
    built: Option<&Basis>,
    wanted: &Basis,
) -> MonitoringResult<()> {
    if built != Some(wanted) {
        build(db, tenant, wanted).await?;
    }
    Ok(())
}

/// Builds the tenant's rows from its deals with `wanted`, unless another call has just done so.
/// Runs in its own transaction.
#[tracing::instrument(name = "db.build", skip_all, fields(otel.kind = "client"))]
pub async fn build(db: &sea_orm::DatabaseConnection, tenant: &str, wanted: &Basis) -> MonitoringResult<()> {
    let txn = db.begin().await?;
    lock_tenant(&txn, tenant, true).await?;
    // Another replica may have built them while this one waited for the lock.
    if basis(&txn, tenant).await?.as_ref() == Some(wanted) {
        return Ok(());
    }
    let mut outcomes: BTreeMap<OutcomeKey, OutcomeSums> = BTreeMap::new();
    let mut cohorts: BTreeMap<CohortKey, CohortSums> = BTreeMap::new();
    let mut after: Option<String> = None;
    loop {
        let mut page = deal::Entity::find().filter(deal::Column::Tenant.eq(tenant));
        if let Some(after) = &after {
            page = page.filter(deal::Column::Id.gt(after.as_str()));
        }
        let deals = page.order_by_asc(deal::Column::Id).limit(PAGE).all(&txn).await?;
        let Some(last) = deals.last().map(|d| d.id.clone()) else {
            break;
        };
        for record in attach_stages(&txn, deals).await? {
            let credit = credit_of(&record.deal)?;
            let entries: Vec<(String, DateTime<Utc>)> =
                record.stages.iter().map(|s| (s.to_stage.clone(), s.time)).collect();
            let rows = rollups_of(
                &DealView {
                    deal: &record.deal,
                    credit: &credit,
                    entries: &entries,
                },
                wanted,
            )?;
            for (key, sums) in rows.outcomes {
                outcomes.entry(key).or_default().merge(sums);
            }
            for (key, sums) in rows.cohorts {
                cohorts.entry(key).or_default().add(sums);
            }
        }
        after = Some(last);
    }
    for table in [OUTCOMES, COHORTS, STATE] {
        let delete = Query::delete()
            .from_table(Alias::new(table))
            .and_where(col("tenant").eq(tenant))
            .to_owned();
        txn.execute(&delete).await?;
    }
    add_cohorts(&txn, tenant, &cohorts).await?;
    let rows: Vec<(&OutcomeKey, &OutcomeSums)> = outcomes.iter().collect();
    for chunk in rows.chunks(CHUNK / 2) {
        let mut insert = Query::insert();
        insert
            .into_table(Alias::new(OUTCOMES))
            .columns(OUTCOME_COLUMNS.map(Alias::new));
        for (key, sums) in chunk {
            insert.values_panic(outcome_values(tenant, key, sums));
        }
        txn.execute(&insert).await?;
    }
    let state = Query::insert()
        .into_table(Alias::new(STATE))
        .columns(["tenant", "time_zone", "stages", "build_time"].map(Alias::new))
        .values_panic([
            tenant.into(),
            wanted.time_zone.name().into(),
            wanted.stages_text().into(),
            Expr::from(lacak_runtime::convert::now()),
        ])
        .to_owned();
    txn.execute(&state).await?;
    txn.commit().await?;
    Ok(())
}

/// Which rows a read takes: the members' months `[start, end)` (local month numbers), narrowed to
/// one region or segment.
#[derive(Debug, Clone, Default)]
pub struct DealRollupFilter {
    pub members: Vec<String>,
    pub start: i32,
    pub end: i32,
    pub region: Option<String>,
    pub segment: Option<String>,
    /// Read the stage cohorts too, not only the outcomes.
    pub cohorts: bool,
}

/// The outcome and cohort rows a filter takes.
#[derive(Debug, Clone, Default)]
pub struct DealRollupRows {
    pub outcomes: Vec<(OutcomeKey, OutcomeSums)>,
    pub cohorts: Vec<(CohortKey, CohortSums)>,
}

#[tracing::instrument(name = "db.read", skip_all, fields(otel.kind = "client"))]
pub async fn read<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    filter: &DealRollupFilter,
) -> MonitoringResult<DealRollupRows> {
    let mut out = DealRollupRows::default();
    for members in filter.members.chunks(CHUNK) {
        let narrow = |query: &mut sea_orm::sea_query::SelectStatement| {
            query
                .and_where(col("tenant").eq(tenant))
                .and_where(col("member").is_in(members.iter().cloned()))
                .and_where(col("month").gte(filter.start))
                .and_where(col("month").lt(filter.end));
            for (column, value) in [("region", &filter.region), ("segment", &filter.segment)] {
                if let Some(value) = value {
                    query.and_where(col(column).eq(value.as_str()));
                }
            }
        };
        let mut outcomes = Query::select();
        outcomes
            .columns(OUTCOME_COLUMNS.map(Alias::new))
            .from(Alias::new(OUTCOMES));
        narrow(&mut outcomes);
        for row in db.query_all(&outcomes).await? {
            let key = OutcomeKey {
                member: row.try_get("", "member")?,
                month: row.try_get("", "month")?,
                currency: row.try_get("", "currency")?,
                region: row.try_get("", "region")?,
                segment: row.try_get("", "segment")?,
            };
            out.outcomes.push((key, outcome_sums(tenant, &row)?));
        }
        if !filter.cohorts {
            continue;
        }
        let mut cohorts = Query::select();
        cohorts
            .columns(COHORT_COLUMNS[1..].iter().map(|c| Alias::new(*c)))
            .from(Alias::new(COHORTS));
        narrow(&mut cohorts);
        for row in db.query_all(&cohorts).await? {
            let key = CohortKey {
                member: row.try_get("", "member")?,
                month: row.try_get("", "month")?,
                stage: row.try_get("", "stage")?,
                region: row.try_get("", "region")?,
                segment: row.try_get("", "segment")?,
            };
            let sums = CohortSums {
                entered: row.try_get("", "entered")?,
                advanced: row.try_get("", "advanced")?,
                advance_seconds: row.try_get("", "advance_seconds")?,
            };
            out.cohorts.push((key, sums));
        }
    }
    Ok(out)
}
