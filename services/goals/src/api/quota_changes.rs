//! A quota's changes: UpdateQuota records one (a person's, or a strategy recommendation applied by
//! a service), and the history reads them back.

use chrono::{DateTime, Utc};
use lacak_domain::Role;
use lacak_proto::goals as pb;
use lacak_runtime::Violations;
use lacak_runtime::convert::{Measure, measure_from_proto, measure_to_proto, timestamp_from_proto};
use lacak_runtime::page::PageRequest;
use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use tonic::Request;

use super::quotas::{profile_weights, visible_quota};
use super::{Caller, GoalsApi, convert, mask_paths, principal, write_once};
use crate::domain::access::may_change_quota;
use crate::domain::names::{Owner, parse_name};
use crate::domain::quota::{ChangeSource, Metric, profile_to_json, repeats_change, seasonal_profile, validate_target};
use crate::error::{GoalsError, GoalsResult};
use crate::store;
use crate::store::entities::{quota, quota_change};

/// A change to record: the new target and/or profile, and why.
pub(super) struct ChangeRequest<'a> {
    pub target: Option<Decimal>,
    pub profile_json: Option<String>,
    pub reason: &'a str,
    pub source: ChangeSource,
    pub reference: &'a str,
    pub actor: &'a str,
}

/// Applies a change to a quota and records it, in the caller's transaction.
pub(super) async fn record_change<C: ConnectionTrait>(
    db: &C,
    current: &quota::Model,
    change: ChangeRequest<'_>,
) -> GoalsResult<(quota::Model, quota_change::Model)> {
    let now = lacak_runtime::convert::now();
    let mut updated = current.clone();
    if let Some(target) = change.target {
        updated.target = target.normalize().to_string();
    }
    if let Some(profile) = change.profile_json {
        updated.seasonal_profile = profile;
    }
    updated.revision = current.revision + 1;
    updated.update_time = now;
    let row = quota_change::Model {
        tenant: current.tenant.clone(),
        quota_id: current.id.clone(),
        seq: updated.revision,
        old_target: Some(current.target.clone()),
        new_target: updated.target.clone(),
        old_profile: current.seasonal_profile.clone(),
        new_profile: updated.seasonal_profile.clone(),
        reason: change.reason.to_owned(),
        source: change.source.as_str().to_owned(),
        source_reference: change.reference.to_owned(),
        actor: change.actor.to_owned(),
        change_time: now,
    };
    store::quotas::apply_change(db, updated.clone(), current.revision, row.clone()).await?;
    Ok((updated, row))
}

fn source_from_proto(violations: &mut Violations, source: i32, reference: &str) -> ChangeSource {
    match pb::ChangeSource::try_from(source) {
        Ok(pb::ChangeSource::Unspecified | pb::ChangeSource::Manual) => ChangeSource::Manual,
        Ok(pb::ChangeSource::StrategyRecommendation) => {
            // The recommendation's name is what makes applying it again recognisable.
            violations.take(parse_name(reference, "recommendations", "source_reference"));
            ChangeSource::StrategyRecommendation
        }
        Ok(pb::ChangeSource::Review) => {
            violations.add("source", "review decisions are made with DecideReviewItem");
            ChangeSource::Review
        }
        Err(_) => {
            violations.add("source", format!("{source} is not a known change source"));
            ChangeSource::Manual
        }
    }
}

/// Why `caller` may not record a change from `source` to quotas/{id}.
fn refusal(caller: &Caller, source: ChangeSource, id: &str) -> GoalsError {
    GoalsError::denied(match (caller.role, source) {
        (Role::Service, _) => format!(
            "a service changes quotas only to apply a strategy recommendation \
             (source STRATEGY_RECOMMENDATION); quotas/{id} was not changed"
        ),
        (_, ChangeSource::StrategyRecommendation) => "a recommendation is applied by accepting it in \
             lacak.strategy.v1.StrategyService; record your own change with source MANUAL"
            .to_owned(),
        _ => format!("you may not change quotas/{id}"),
    })
}

/// The answer to a recommendation applied before: the quota as it stands, with the change the
/// recommendation made, when this asks for that same change. A different change under the same
/// recommendation is refused, never applied over the first.
async fn answer_repeat(
    db: &DatabaseConnection,
    tenant: &str,
    applied: &quota_change::Model,
    target: Option<Decimal>,
    profile_json: Option<&str>,
) -> GoalsResult<pb::UpdateQuotaResponse> {
    if !repeats_change(&applied.new_target, &applied.new_profile, target, profile_json) {
        return Err(GoalsError::precondition(
            "RECOMMENDATION_ALREADY_APPLIED",
            format!(
                "{} was already applied to quotas/{} as change {} (target {}); \
                 a different change needs a new recommendation",
                applied.source_reference, applied.quota_id, applied.seq, applied.new_target
            ),
        ));
    }
    let quota = store::quotas::quota(db, tenant, &applied.quota_id).await?;
    Ok(pb::UpdateQuotaResponse {
        change: Some(convert::change(&quota.currency, applied)),
        quota: Some(convert::quota(&quota)),
    })
}

pub async fn update(api: &GoalsApi, request: Request<pb::UpdateQuotaRequest>) -> GoalsResult<pb::UpdateQuotaResponse> {
    let caller = principal(&request)?;
    let req = request.into_inner();
    let input = req.quota.clone().unwrap_or_default();
    let id = parse_name(&input.name, "quotas", "quota.name")?;
    let paths = mask_paths(req.update_mask.as_ref(), &["target", "seasonal_profile"])?;
    let mut violations = Violations::new();
    let reason = req.reason.trim();
    if reason.is_empty() {
        violations.add("reason", "is required: say why the target changes");
    } else if reason.chars().count() > 2000 {
        violations.add("reason", "must be at most 2000 characters");
    }
    let reference = req.source_reference.trim();
    let source = source_from_proto(&mut violations, req.source, reference);
    violations.finish()?;

    let db = api.db()?;
    let current = visible_quota(db, &caller, &id).await?;
    let owner = Owner::from_parts(&current.owner_kind, &current.owner_id);
    if !may_change_quota(&caller, caller.visibility(db).await?, &owner, source) {
        return Err(refusal(&caller, source, &id));
    }
    let metric = Metric::parse(&current.metric)
        .ok_or_else(|| GoalsError::precondition("QUOTA_DAMAGED", "the stored metric is unknown"))?;
    let period = convert::parse_period(&current.period, "quota.period")?;

    let mut violations = Violations::new();
    let mut target = None;
    let mut profile_json = None;
    if paths.iter().any(|p| p == "target")
        && let Some(new) = violations.take(measure_from_proto(input.target.as_ref(), "quota.target"))
    {
        violations.take(validate_target(metric, &new, "quota.target"));
        if let Measure::Money(money) = &new
            && money.currency != current.currency
        {
            violations.add(
                "quota.target.money.currency_code",
                format!("the quota is in {}; a target cannot change currency", current.currency),
            );
        }
        target = Some(new.amount());
    }
    if paths.iter().any(|p| p == "seasonal_profile") {
        let weights = profile_weights(&mut violations, &input.seasonal_profile, "quota.seasonal_profile");
        profile_json = violations
            .take(seasonal_profile(metric, &period, weights, "quota.seasonal_profile"))
            .map(|p| profile_to_json(&p));
    }
    violations.finish()?;

    let tenant = caller.tenant.clone();
    // A recommendation applies at most once per quota. Asking again answers what it did, whatever
    // the quota's etag has become since.
    let recommendation = (source == ChangeSource::StrategyRecommendation).then_some(reference);
    if let Some(recommendation) = recommendation
        && let Some(applied) = store::quotas::recommendation_change(db, &tenant, &id, recommendation).await?
    {
        return answer_repeat(db, &tenant, &applied, target, profile_json.as_deref()).await;
    }
    if !input.etag.is_empty() && input.etag != convert::etag(&current) {
        return Err(GoalsError::Aborted(format!(
            "quotas/{id} changed since you read it (etag {} is now {}); read it again",
            input.etag,
            convert::etag(&current)
        )));
    }

    let actor = caller.actor();
    let written = write_once(db, &tenant, "UpdateQuota", &req.request_id, &req, async |txn| {
        let change = ChangeRequest {
            target,
            profile_json: profile_json.clone(),
            reason,
            source,
            reference,
            actor: &actor,
        };
        let (_, row) = record_change(txn, &current, change).await?;
        Ok(format!("quotas/{}/changes/{}", row.quota_id, row.seq))
    })
    .await;
    let name = match (written, recommendation) {
        (Ok(name), _) => name,
        // Two attempts at one recommendation raced: the loser failed on the quota's revision or on
        // the unique index, and answers as a repeat of the winner.
        (Err(error), Some(recommendation)) => {
            return match store::quotas::recommendation_change(db, &tenant, &id, recommendation).await? {
                Some(applied) => answer_repeat(db, &tenant, &applied, target, profile_json.as_deref()).await,
                None => Err(error),
            };
        }
        (Err(error), None) => return Err(error),
    };
    let seq: i32 = name.rsplit('/').next().and_then(|s| s.parse().ok()).unwrap_or_default();
    let updated = store::quotas::quota(db, &tenant, &id).await?;
    let changes = store::quotas::all_changes(db, &tenant, &id).await?;
    let change = changes.iter().find(|c| c.seq == seq);
    Ok(pb::UpdateQuotaResponse {
        quota: Some(convert::quota(&updated)),
        change: change.map(|c| convert::change(&updated.currency, c)),
    })
}

pub async fn list_changes(
    api: &GoalsApi,
    request: Request<pb::ListQuotaChangesRequest>,
) -> GoalsResult<pb::ListQuotaChangesResponse> {
    let caller = principal(&request)?;
    let req = request.into_inner();
    let id = parse_name(&req.parent, "quotas", "parent")?;
    let page = PageRequest::parse(
        req.page_size,
        &req.page_token,
        &[&caller.tenant, "ListQuotaChanges", &req.parent],
    )?;
    let db = api.db()?;
    let quota = visible_quota(db, &caller, &id).await?;
    let rows = store::quotas::changes(db, &caller.tenant, &id, &page).await?;
    let (rows, next_page_token) = page.finish(rows, |c| c.seq.to_string());
    Ok(pb::ListQuotaChangesResponse {
        changes: rows.iter().map(|c| convert::change(&quota.currency, c)).collect(),
        next_page_token,
    })
}

pub async fn target_as_of(
    api: &GoalsApi,
    request: Request<pb::GetQuotaTargetAsOfRequest>,
) -> GoalsResult<pb::GetQuotaTargetAsOfResponse> {
    let caller = principal(&request)?;
    let req = request.into_inner();
    let mut violations = Violations::new();
    let id = violations.take(parse_name(&req.name, "quotas", "name"));
    let at: Option<DateTime<Utc>> = match &req.as_of_time {
        Some(time) => violations.take(timestamp_from_proto(time, "as_of_time")),
        None => {
            violations.add("as_of_time", "is required");
            None
        }
    };
    violations.finish()?;
    let (Some(id), Some(at)) = (id, at) else {
        return Err(GoalsError::invalid("name", "is invalid"));
    };
    let db = api.db()?;
    let quota = visible_quota(db, &caller, &id).await?;
    let changes = store::quotas::all_changes(db, &caller.tenant, &id).await?;
    let in_force = changes
        .iter()
        .rev()
        .find(|c| c.change_time <= at)
        .ok_or_else(|| GoalsError::not_found("target", format!("quotas/{id} at {at}")))?;
    let target = convert::stored_measure(&quota.currency, &in_force.new_target);
    Ok(pb::GetQuotaTargetAsOfResponse {
        target: Some(measure_to_proto(&target)),
        monthly_targets: convert::monthly(&quota, &target, &in_force.new_profile),
        change: Some(convert::change(&quota.currency, in_force)),
    })
}
