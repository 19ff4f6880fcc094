//! The strategy tables as sea-orm entities, and the reads and writes the handlers make.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, OnConflict};
use std::collections::HashMap;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionTrait,
};

use crate::domain::model::{Change, Evidence, Kind, Proposal, State, Verification};
use crate::error::{StrategyError, StrategyResult};

macro_rules! no_relations {
    () => {
        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}
        impl ActiveModelBehavior for ActiveModel {}
    };
}

pub mod recommendation {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "recommendations")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub fingerprint: String,
        pub kind: String,
        pub subject: String,
        /// "teams/{team}" it was generated for.
        pub team: String,
        /// "/root/…/team/": the team and its ancestors, so a manager of any of them sees it.
        pub team_path: String,
        pub period: String,
        pub currency: String,
        pub evidence: String,
        pub expected_impact: String,
        pub change: Option<String>,
        pub state: String,
        pub applied_reference: String,
        pub apply_error: String,
        pub decided_by: String,
        pub decision_reason: String,
        pub create_time: DateTimeUtc,
        pub update_time: DateTimeUtc,
        pub apply_time: Option<DateTimeUtc>,
        pub verification: Option<String>,
    }
    no_relations!();
}

pub mod forecast {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "forecasts")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub owner: String,
        pub period: String,
        /// The goals metric's number.
        pub metric: String,
        pub currency: String,
        pub point: String,
        pub lower: String,
        pub upper: String,
        pub level: String,
        pub method: String,
        pub create_time: DateTimeUtc,
        /// Where the history fitted ends; unknown for forecasts kept before it was recorded.
        pub origin_time: Option<DateTimeUtc>,
        pub actual: Option<String>,
        pub wape: Option<String>,
        pub bias: Option<String>,
        pub score_time: Option<DateTimeUtc>,
    }
    no_relations!();
}

pub mod schedule {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "schedules")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub team: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub currency: String,
        pub requested_by: String,
        pub create_time: DateTimeUtc,
        pub last_run: Option<DateTimeUtc>,
    }
    no_relations!();
}

fn corrupt(what: &str, error: impl std::fmt::Display) -> StrategyError {
    StrategyError::Database(sea_orm::DbErr::Custom(format!(
        "a stored {what} does not read back: {error}"
    )))
}

/// A stored recommendation, decoded.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    pub row: recommendation::Model,
    pub kind: Kind,
    pub state: State,
    pub evidence: Vec<Evidence>,
    pub expected_impact: Decimal,
    pub change: Option<Change>,
    pub verification: Option<Verification>,
}

impl Stored {
    pub fn decode(row: recommendation::Model) -> StrategyResult<Stored> {
        let kind = Kind::parse(&row.kind).ok_or_else(|| corrupt("kind", &row.kind))?;
        let state = State::parse(&row.state).ok_or_else(|| corrupt("state", &row.state))?;
        let evidence = serde_json::from_str(&row.evidence).map_err(|e| corrupt("evidence", e))?;
        let expected_impact = row.expected_impact.parse().map_err(|e| corrupt("impact", e))?;
        let change = match &row.change {
            Some(text) => Some(serde_json::from_str(text).map_err(|e| corrupt("change", e))?),
            None => None,
        };
        let verification = match &row.verification {
            Some(text) => Some(serde_json::from_str(text).map_err(|e| corrupt("verification", e))?),
            None => None,
        };
        Ok(Stored {
            row,
            kind,
            state,
            evidence,
            expected_impact,
            change,
            verification,
        })
    }

    pub fn name(&self) -> String {
        format!("recommendations/{}", self.row.id)
    }
}

/// Where a generation run files its proposals.
pub struct Batch<'a> {
    pub tenant: &'a str,
    pub team: &'a str,
    pub team_path: &'a str,
    pub period: &'a str,
    pub currency: &'a str,
    pub now: DateTime<Utc>,
}

/// Files a generation's proposals in one transaction and answers them as filed: new advice is
/// inserted; advice already on file and still undecided is refreshed with today's evidence;
/// decided advice is left as it was decided. Two generations of the same team at the same moment
/// (two replicas, two callers) both succeed: the second waits on the first's rows (PostgreSQL;
/// SQLite has one writer), finds them and refreshes them. Proposals are written in fingerprint
/// order, so two such generations lock rows in the same order and never deadlock.
#[tracing::instrument(name = "db.file_generation", skip_all, fields(otel.kind = "client"))]
pub async fn file_generation(
    db: &DatabaseConnection,
    batch: &Batch<'_>,
    proposals: &[Proposal],
) -> StrategyResult<Vec<Stored>> {
    let mut ordered: Vec<&Proposal> = proposals.iter().collect();
    ordered.sort_by(|a, b| a.fingerprint.cmp(&b.fingerprint));
    let txn = db.begin().await?;
    let mut ids = HashMap::new();
    for proposal in ordered {
        ids.insert(proposal.fingerprint.as_str(), file(&txn, batch, proposal).await?);
    }
    let mut filed = Vec::with_capacity(proposals.len());
    for proposal in proposals {
        if let Some(stored) = get(&txn, batch.tenant, &ids[proposal.fingerprint.as_str()]).await? {
            filed.push(stored);
        }
    }
    txn.commit().await?;
    Ok(filed)
}

/// Files one proposal (see [`file_generation`]); returns its id.
async fn file<C: ConnectionTrait>(db: &C, batch: &Batch<'_>, proposal: &Proposal) -> StrategyResult<String> {
    let evidence = serde_json::to_string(&proposal.evidence).map_err(|e| corrupt("evidence", e))?;
    let change = match &proposal.change {
        Some(change) => Some(serde_json::to_string(change).map_err(|e| corrupt("change", e))?),
        None => None,
    };
    let id = lacak_runtime::names::new_id();
    let row = recommendation::ActiveModel {
        tenant: Set(batch.tenant.to_owned()),
        id: Set(id.clone()),
        fingerprint: Set(proposal.fingerprint.clone()),
        kind: Set(proposal.kind.as_str().to_owned()),
        subject: Set(proposal.subject.clone()),
        team: Set(batch.team.to_owned()),
        team_path: Set(batch.team_path.to_owned()),
        period: Set(batch.period.to_owned()),
        currency: Set(batch.currency.to_owned()),
        evidence: Set(evidence.clone()),
        expected_impact: Set(proposal.expected_impact.normalize().to_string()),
        change: Set(change.clone()),
        state: Set(State::Proposed.as_str().to_owned()),
        applied_reference: Set(String::new()),
        apply_error: Set(String::new()),
        decided_by: Set(String::new()),
        decision_reason: Set(String::new()),
        create_time: Set(batch.now),
        update_time: Set(batch.now),
        apply_time: Set(None),
        verification: Set(None),
    };
    // A row with the same fingerprint, committed or being written, makes this a no-op (waiting
    // for the other writer's commit on PostgreSQL) instead of a duplicate key.
    let inserted = recommendation::Entity::insert(row)
        .on_conflict_do_nothing_on([recommendation::Column::Tenant, recommendation::Column::Fingerprint])
        .exec_without_returning(db)
        .await?;
    if matches!(inserted, sea_orm::TryInsertResult::Inserted(1)) {
        return Ok(id);
    }
    let existing = recommendation::Entity::find()
        .filter(recommendation::Column::Tenant.eq(batch.tenant))
        .filter(recommendation::Column::Fingerprint.eq(proposal.fingerprint.as_str()))
        .one(db)
        .await?
        .ok_or_else(|| StrategyError::Conflict("a recommendation filed concurrently is gone; retry".into()))?;
    if existing.state == State::Proposed.as_str() {
        let id = existing.id.clone();
        let mut active: recommendation::ActiveModel = existing.into();
        active.evidence = Set(evidence);
        active.expected_impact = Set(proposal.expected_impact.normalize().to_string());
        active.change = Set(change);
        active.update_time = Set(batch.now);
        active.update(db).await?;
        return Ok(id);
    }
    Ok(existing.id)
}

#[tracing::instrument(name = "db.get", skip_all, fields(otel.kind = "client"))]
pub async fn get<C: ConnectionTrait>(db: &C, tenant: &str, id: &str) -> StrategyResult<Option<Stored>> {
    recommendation::Entity::find_by_id((tenant.to_owned(), id.to_owned()))
        .one(db)
        .await?
        .map(Stored::decode)
        .transpose()
}

/// Recommendations by id, after `after`, at most `limit`; filtered by state, subject and the
/// teams whose paths the caller sees (`None`: all).
#[tracing::instrument(name = "db.list", skip_all, fields(otel.kind = "client"))]
pub async fn list<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    state: Option<State>,
    subject: &str,
    teams: Option<&[String]>,
    after: Option<&str>,
    limit: u64,
) -> StrategyResult<Vec<Stored>> {
    let mut query = recommendation::Entity::find().filter(recommendation::Column::Tenant.eq(tenant));
    if let Some(state) = state {
        query = query.filter(recommendation::Column::State.eq(state.as_str()));
    }
    if !subject.is_empty() {
        query = query.filter(recommendation::Column::Subject.eq(subject));
    }
    if let Some(teams) = teams {
        let mut any = sea_orm::Condition::any();
        for team in teams {
            any = any.add(recommendation::Column::TeamPath.like(format!("%/{team}/%")));
        }
        if teams.is_empty() {
            return Ok(Vec::new());
        }
        query = query.filter(any);
    }
    if let Some(after) = after {
        query = query.filter(recommendation::Column::Id.gt(after));
    }
    query
        .order_by_asc(recommendation::Column::Id)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(Stored::decode)
        .collect()
}

/// Moves a recommendation from one of `from` to `to`, recording the decision; `false` when it
/// was no longer in one of `from` (someone else decided first).
#[allow(clippy::too_many_arguments)]
#[tracing::instrument(name = "db.transition", skip_all, fields(otel.kind = "client"))]
pub async fn transition<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    id: &str,
    from: &[State],
    to: State,
    decided_by: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> StrategyResult<bool> {
    let result = recommendation::Entity::update_many()
        .col_expr(recommendation::Column::State, Expr::value(to.as_str()))
        .col_expr(recommendation::Column::DecidedBy, Expr::value(decided_by))
        .col_expr(recommendation::Column::DecisionReason, Expr::value(reason))
        .col_expr(recommendation::Column::UpdateTime, Expr::value(now))
        .filter(recommendation::Column::Tenant.eq(tenant))
        .filter(recommendation::Column::Id.eq(id))
        .filter(recommendation::Column::State.is_in(from.iter().map(|s| s.as_str())))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Records how applying ended: APPLIED with what it made, or APPLY_FAILED with why.
#[tracing::instrument(name = "db.record_apply", skip_all, fields(otel.kind = "client"))]
pub async fn record_apply<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    id: &str,
    outcome: Result<String, String>,
    now: DateTime<Utc>,
) -> StrategyResult<()> {
    let (state, reference, error, apply_time) = match outcome {
        Ok(reference) => (State::Applied, reference, String::new(), Some(now)),
        Err(error) => (State::ApplyFailed, String::new(), error, None),
    };
    recommendation::Entity::update_many()
        .col_expr(recommendation::Column::State, Expr::value(state.as_str()))
        .col_expr(recommendation::Column::AppliedReference, Expr::value(reference))
        .col_expr(recommendation::Column::ApplyError, Expr::value(error))
        .col_expr(recommendation::Column::ApplyTime, Expr::value(apply_time))
        .col_expr(recommendation::Column::UpdateTime, Expr::value(now))
        .filter(recommendation::Column::Tenant.eq(tenant))
        .filter(recommendation::Column::Id.eq(id))
        .filter(recommendation::Column::State.eq(State::Accepted.as_str()))
        .exec(db)
        .await?;
    Ok(())
}

/// Keeps a computed verification; the first one written stays.
#[tracing::instrument(name = "db.record_verification", skip_all, fields(otel.kind = "client"))]
pub async fn record_verification<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    id: &str,
    verification: &Verification,
) -> StrategyResult<()> {
    let text = serde_json::to_string(verification).map_err(|e| corrupt("verification", e))?;
    recommendation::Entity::update_many()
        .col_expr(recommendation::Column::Verification, Expr::value(Some(text)))
        .filter(recommendation::Column::Tenant.eq(tenant))
        .filter(recommendation::Column::Id.eq(id))
        .filter(recommendation::Column::Verification.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Applied recommendations not yet verified, across tenants, oldest first.
#[tracing::instrument(name = "db.unverified", skip_all, fields(otel.kind = "client"))]
pub async fn unverified<C: ConnectionTrait>(db: &C, limit: u64) -> StrategyResult<Vec<Stored>> {
    recommendation::Entity::find()
        .filter(recommendation::Column::State.eq(State::Applied.as_str()))
        .filter(recommendation::Column::Verification.is_null())
        .order_by_asc(recommendation::Column::ApplyTime)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(Stored::decode)
        .collect()
}

/// The subjects of a tenant's recommendations of `kinds` applied in `[from, to)`.
#[tracing::instrument(name = "db.applied_subjects", skip_all, fields(otel.kind = "client"))]
pub async fn applied_subjects<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    kinds: &[Kind],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> StrategyResult<Vec<String>> {
    let rows = recommendation::Entity::find()
        .filter(recommendation::Column::Tenant.eq(tenant))
        .filter(recommendation::Column::State.eq(State::Applied.as_str()))
        .filter(recommendation::Column::Kind.is_in(kinds.iter().map(|k| k.as_str())))
        .filter(recommendation::Column::ApplyTime.gte(from))
        .filter(recommendation::Column::ApplyTime.lt(to))
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|row| row.subject).collect())
}

/// Remembers that `team` wants its recommendations refreshed on the schedule.
#[tracing::instrument(name = "db.subscribe", skip_all, fields(otel.kind = "client"))]
pub async fn subscribe<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    team: &str,
    currency: &str,
    requested_by: &str,
    now: DateTime<Utc>,
) -> StrategyResult<()> {
    let row = schedule::ActiveModel {
        tenant: Set(tenant.to_owned()),
        team: Set(team.to_owned()),
        currency: Set(currency.to_owned()),
        requested_by: Set(requested_by.to_owned()),
        create_time: Set(now),
        last_run: Set(Some(now)),
    };
    schedule::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([
                schedule::Column::Tenant,
                schedule::Column::Team,
                schedule::Column::Currency,
            ])
            .update_column(schedule::Column::LastRun)
            .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Schedules whose last run is older than `before`: candidates for [`claim`].
#[tracing::instrument(name = "db.due_schedules", skip_all, fields(otel.kind = "client"))]
pub async fn due_schedules<C: ConnectionTrait>(db: &C, before: DateTime<Utc>) -> StrategyResult<Vec<schedule::Model>> {
    Ok(schedule::Entity::find().filter(due(before)).all(db).await?)
}

fn due(before: DateTime<Utc>) -> sea_orm::Condition {
    sea_orm::Condition::any()
        .add(schedule::Column::LastRun.is_null())
        .add(schedule::Column::LastRun.lt(before))
}

fn this_schedule(schedule: &schedule::Model) -> sea_orm::Condition {
    sea_orm::Condition::all()
        .add(schedule::Column::Tenant.eq(schedule.tenant.as_str()))
        .add(schedule::Column::Team.eq(schedule.team.as_str()))
        .add(schedule::Column::Currency.eq(schedule.currency.as_str()))
}

/// A run's stamp as PostgreSQL keeps it (microseconds), so a claim can be found again by it.
fn stamp(at: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::SubsecRound;
    at.trunc_subsecs(6)
}

/// Takes a due schedule's run for this replica: one conditional update stamps it run at `now`,
/// so of the replicas that saw it due, exactly one gets `true` and runs it.
#[tracing::instrument(name = "db.claim", skip_all, fields(otel.kind = "client"))]
pub async fn claim<C: ConnectionTrait>(
    db: &C,
    schedule: &schedule::Model,
    before: DateTime<Utc>,
    now: DateTime<Utc>,
) -> StrategyResult<bool> {
    let result = schedule::Entity::update_many()
        .col_expr(schedule::Column::LastRun, Expr::value(Some(stamp(now))))
        .filter(this_schedule(schedule))
        .filter(due(before))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Gives a claimed run back after it failed, so the next tick (of any replica) tries again; a
/// run stamped since by someone else is left alone.
#[tracing::instrument(name = "db.release", skip_all, fields(otel.kind = "client"))]
pub async fn release<C: ConnectionTrait>(
    db: &C,
    schedule: &schedule::Model,
    claimed_at: DateTime<Utc>,
) -> StrategyResult<()> {
    schedule::Entity::update_many()
        .col_expr(schedule::Column::LastRun, Expr::value(schedule.last_run))
        .filter(this_schedule(schedule))
        .filter(schedule::Column::LastRun.eq(stamp(claimed_at)))
        .exec(db)
        .await?;
    Ok(())
}

/// A forecast to keep.
pub struct NewForecast<'a> {
    pub owner: &'a str,
    pub period: &'a str,
    pub metric: i32,
    pub currency: &'a str,
    pub point: Decimal,
    pub lower: Decimal,
    pub upper: Decimal,
    pub level: Decimal,
    pub method: &'a str,
    /// Where the history fitted ends.
    pub origin: DateTime<Utc>,
}

/// Keeps `forecasts` in one transaction, a few hundred rows a statement; their ids in order.
#[tracing::instrument(name = "db.keep_forecasts", skip_all, fields(otel.kind = "client", count = forecasts.len()))]
pub async fn keep_forecasts(
    db: &DatabaseConnection,
    tenant: &str,
    forecasts: &[NewForecast<'_>],
    now: DateTime<Utc>,
) -> StrategyResult<Vec<String>> {
    let rows: Vec<forecast::ActiveModel> = forecasts
        .iter()
        .map(|forecast| forecast::ActiveModel {
            tenant: Set(tenant.to_owned()),
            id: Set(lacak_runtime::names::new_id()),
            owner: Set(forecast.owner.to_owned()),
            period: Set(forecast.period.to_owned()),
            metric: Set(forecast.metric.to_string()),
            currency: Set(forecast.currency.to_owned()),
            point: Set(forecast.point.normalize().to_string()),
            lower: Set(forecast.lower.normalize().to_string()),
            upper: Set(forecast.upper.normalize().to_string()),
            level: Set(forecast.level.normalize().to_string()),
            method: Set(forecast.method.to_owned()),
            create_time: Set(now),
            origin_time: Set(Some(forecast.origin)),
            actual: Set(None),
            wape: Set(None),
            bias: Set(None),
            score_time: Set(None),
        })
        .collect();
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone().unwrap()).collect();
    let txn = db.begin().await?;
    // 17 columns a row: 200 rows stay well under SQLite's and PostgreSQL's bound-parameter limits.
    for chunk in rows.chunks(200) {
        forecast::Entity::insert_many(chunk.to_vec()).exec(&txn).await?;
    }
    txn.commit().await?;
    Ok(ids)
}

/// Forecasts newest first (by id, which grows with time), filtered by owners (`None`: all) and
/// period.
#[tracing::instrument(name = "db.list_forecasts", skip_all, fields(otel.kind = "client"))]
pub async fn list_forecasts<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    owners: Option<&[String]>,
    period: &str,
    before: Option<&str>,
    limit: u64,
) -> StrategyResult<Vec<forecast::Model>> {
    let mut query = forecast::Entity::find().filter(forecast::Column::Tenant.eq(tenant));
    if let Some(owners) = owners {
        if owners.is_empty() {
            return Ok(Vec::new());
        }
        query = query.filter(forecast::Column::Owner.is_in(owners.iter().cloned()));
    }
    if !period.is_empty() {
        query = query.filter(forecast::Column::Period.eq(period));
    }
    if let Some(before) = before {
        query = query.filter(forecast::Column::Id.lt(before));
    }
    Ok(query.order_by_desc(forecast::Column::Id).limit(limit).all(db).await?)
}

/// Unscored forecasts of a tenant (all tenants when `None`).
#[tracing::instrument(name = "db.unscored", skip_all, fields(otel.kind = "client"))]
pub async fn unscored<C: ConnectionTrait>(db: &C, tenant: Option<&str>) -> StrategyResult<Vec<forecast::Model>> {
    let mut query = forecast::Entity::find().filter(forecast::Column::ScoreTime.is_null());
    if let Some(tenant) = tenant {
        query = query.filter(forecast::Column::Tenant.eq(tenant));
    }
    Ok(query.all(db).await?)
}

#[tracing::instrument(name = "db.score", skip_all, fields(otel.kind = "client"))]
pub async fn score<C: ConnectionTrait>(
    db: &C,
    forecast: &forecast::Model,
    actual: Decimal,
    wape: Option<Decimal>,
    bias: Option<Decimal>,
    now: DateTime<Utc>,
) -> StrategyResult<()> {
    forecast::Entity::update_many()
        .col_expr(
            forecast::Column::Actual,
            Expr::value(Some(actual.normalize().to_string())),
        )
        .col_expr(
            forecast::Column::Wape,
            Expr::value(wape.map(|w| w.normalize().to_string())),
        )
        .col_expr(
            forecast::Column::Bias,
            Expr::value(bias.map(|b| b.normalize().to_string())),
        )
        .col_expr(forecast::Column::ScoreTime, Expr::value(Some(now)))
        .filter(forecast::Column::Tenant.eq(forecast.tenant.as_str()))
        .filter(forecast::Column::Id.eq(forecast.id.as_str()))
        .exec(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use sea_orm_migration::MigratorTrait;

    use super::*;

    #[tokio::test]
    async fn of_the_replicas_that_see_a_schedule_due_exactly_one_claims_its_run() {
        let db = lacak_runtime::db::connect("sqlite::memory:").await.unwrap();
        crate::Migrator::up(&db, None).await.unwrap();
        let asked = Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap();
        subscribe(&db, "acme", "sales", "IDR", "admin", asked).await.unwrap();
        let now = asked + chrono::Duration::days(2);
        let before = now - chrono::Duration::days(1);

        // Both replicas read the schedule as due, then both try to run it.
        let seen_by_one = due_schedules(&db, before).await.unwrap();
        let seen_by_two = due_schedules(&db, before).await.unwrap();
        assert_eq!((seen_by_one.len(), seen_by_two.len()), (1, 1));
        let (one, two) = tokio::join!(
            claim(&db, &seen_by_one[0], before, now),
            claim(&db, &seen_by_two[0], before, now + chrono::Duration::milliseconds(3)),
        );
        assert_eq!(
            [one.unwrap(), two.unwrap()].iter().filter(|c| **c).count(),
            1,
            "one run"
        );
        assert!(due_schedules(&db, before).await.unwrap().is_empty(), "no longer due");

        // A failed run is given back and is due again; a stale release changes nothing.
        let claimed_at = if one_won(&db, now).await {
            now
        } else {
            now + chrono::Duration::milliseconds(3)
        };
        release(&db, &seen_by_one[0], claimed_at + chrono::Duration::seconds(1))
            .await
            .unwrap();
        assert!(
            due_schedules(&db, before).await.unwrap().is_empty(),
            "not the claim's stamp"
        );
        release(&db, &seen_by_one[0], claimed_at).await.unwrap();
        let again = due_schedules(&db, before).await.unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].last_run, Some(asked));
    }

    async fn one_won(db: &DatabaseConnection, at: DateTime<Utc>) -> bool {
        schedule::Entity::find().one(db).await.unwrap().and_then(|s| s.last_run) == Some(at)
    }
}
