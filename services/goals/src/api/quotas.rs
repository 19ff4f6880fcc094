//! Quotas: targets per owner, metric, period and scope, split over months, with every change kept.

use chrono::{DateTime, Utc};
use lacak_proto::goals as pb;
use lacak_runtime::Violations;
use lacak_runtime::convert::{Measure, decimal_from_proto, measure_from_proto, measure_to_proto, timestamp_from_proto};
use lacak_runtime::page::PageRequest;
use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use tonic::Request;

use super::{Caller, GoalsApi, convert, mask_paths, principal, write_once};
use crate::domain::access::may_write;
use crate::domain::names::{Owner, new_id, parse_name};
use crate::domain::quota::{Metric, profile_to_json, seasonal_profile, validate_target};
use crate::error::{GoalsError, GoalsResult};
use crate::store::entities::{quota, quota_change};
use crate::store::{self, quotas::QuotaFilter};

/// Where a change came from, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Source {
    Manual,
    Review,
    StrategyRecommendation,
}

impl Source {
    fn as_str(self) -> &'static str {
        match self {
            Source::Manual => "manual",
            Source::Review => "review",
            Source::StrategyRecommendation => "strategy_recommendation",
        }
    }
}

/// A change to record: the new target and/or profile, and why.
pub(super) struct ChangeRequest<'a> {
    pub target: Option<Decimal>,
    pub profile_json: Option<String>,
    pub reason: &'a str,
    pub source: Source,
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

pub(super) fn scope_text(violations: &mut Violations, value: &str, field: &str) -> String {
    let value = value.trim();
    if value.chars().count() > 100 {
        violations.add(field, "must be at most 100 characters");
    }
    value.to_owned()
}

fn profile_weights(violations: &mut Violations, weights: &[lacak_proto::common::Decimal], field: &str) -> Vec<Decimal> {
    weights
        .iter()
        .enumerate()
        .filter_map(|(i, w)| violations.take(decimal_from_proto(w, &format!("{field}[{i}]"))))
        .collect()
}

async fn require_owner(db: &DatabaseConnection, tenant: &str, owner: &Owner) -> GoalsResult<()> {
    match owner {
        Owner::Member(id) => store::org::member(db, tenant, id).await.map(|_| ()),
        Owner::Team(id) => store::org::team(db, tenant, id).await.map(|_| ()),
    }
}

/// Loads a quota the caller may see; one they may not see is refused as such.
pub(super) async fn visible_quota(db: &DatabaseConnection, caller: &Caller, id: &str) -> GoalsResult<quota::Model> {
    let model = store::quotas::quota(db, &caller.tenant, id).await?;
    let owner = Owner::from_parts(&model.owner_kind, &model.owner_id);
    if !caller.visibility(db).await?.sees_owner(&owner) {
        return Err(GoalsError::denied(format!("you may not see quotas/{id}")));
    }
    Ok(model)
}

pub async fn create(api: &GoalsApi, request: Request<pb::CreateQuotaRequest>) -> GoalsResult<pb::CreateQuotaResponse> {
    let caller = principal(&request)?;
    let req = request.into_inner();
    let input = req.quota.clone().unwrap_or_default();
    let mut violations = Violations::new();
    let owner = violations.take(Owner::parse(&input.owner, "quota.owner"));
    let metric = violations.take(convert::metric_from_proto(input.metric, "quota.metric"));
    let period = violations.take(convert::parse_period(&input.period, "quota.period"));
    let target = violations.take(measure_from_proto(input.target.as_ref(), "quota.target"));
    if let (Some(metric), Some(target)) = (metric, &target) {
        violations.take(validate_target(metric, target, "quota.target"));
    }
    let scope = input.scope.clone().unwrap_or_default();
    let scope = [
        scope_text(&mut violations, &scope.product, "quota.scope.product"),
        scope_text(&mut violations, &scope.product_category, "quota.scope.product_category"),
        scope_text(&mut violations, &scope.region, "quota.scope.region"),
        scope_text(&mut violations, &scope.segment, "quota.scope.segment"),
    ];
    let weights = profile_weights(&mut violations, &input.seasonal_profile, "quota.seasonal_profile");
    let profile = match (metric, &period) {
        (Some(metric), Some(period)) => {
            violations.take(seasonal_profile(metric, period, weights, "quota.seasonal_profile"))
        }
        _ => None,
    };
    if req.reason.chars().count() > 2000 {
        violations.add("reason", "must be at most 2000 characters");
    }
    violations.finish()?;
    let (Some(owner), Some(metric), Some(period), Some(target), Some(profile)) =
        (owner, metric, period, target, profile)
    else {
        return Err(GoalsError::invalid("quota", "is incomplete"));
    };

    let db = api.db()?;
    let tenant = &caller.tenant;
    let seen = caller.visibility(db).await?;
    if !may_write(&caller, seen, &owner) {
        return Err(GoalsError::denied(format!(
            "you may not set quotas for {}",
            owner.name()
        )));
    }
    require_owner(db, tenant, &owner).await?;

    let now = lacak_runtime::convert::now();
    let id = new_id();
    let model = quota::Model {
        tenant: tenant.clone(),
        id: id.clone(),
        owner_kind: owner.kind().to_owned(),
        owner_id: owner.id().to_owned(),
        metric: metric.as_str().to_owned(),
        period: period.to_string(),
        currency: target.currency().unwrap_or_default().to_owned(),
        target: target.amount().normalize().to_string(),
        scope_product: scope[0].clone(),
        scope_category: scope[1].clone(),
        scope_region: scope[2].clone(),
        scope_segment: scope[3].clone(),
        seasonal_profile: profile_to_json(&profile),
        revision: 1,
        create_time: now,
        update_time: now,
    };
    let first = quota_change::Model {
        tenant: tenant.clone(),
        quota_id: id.clone(),
        seq: 1,
        old_target: None,
        new_target: model.target.clone(),
        old_profile: "[]".to_owned(),
        new_profile: model.seasonal_profile.clone(),
        reason: if req.reason.trim().is_empty() {
            "quota created".to_owned()
        } else {
            req.reason.trim().to_owned()
        },
        source: Source::Manual.as_str().to_owned(),
        source_reference: String::new(),
        actor: caller.subject.clone(),
        change_time: now,
    };
    let name = write_once(db, tenant, "CreateQuota", &req.request_id, &req, async |txn| {
        store::quotas::insert(txn, model, first).await?;
        Ok(format!("quotas/{id}"))
    })
    .await?;
    let created = store::quotas::quota(db, tenant, &parse_name(&name, "quotas", "name")?).await?;
    Ok(pb::CreateQuotaResponse {
        quota: Some(convert::quota(&created)),
    })
}

pub async fn get(api: &GoalsApi, request: Request<pb::GetQuotaRequest>) -> GoalsResult<pb::GetQuotaResponse> {
    let caller = principal(&request)?;
    let id = parse_name(&request.get_ref().name, "quotas", "name")?;
    let model = visible_quota(api.db()?, &caller, &id).await?;
    Ok(pb::GetQuotaResponse {
        quota: Some(convert::quota(&model)),
    })
}

pub async fn list(api: &GoalsApi, request: Request<pb::ListQuotasRequest>) -> GoalsResult<pb::ListQuotasResponse> {
    let caller = principal(&request)?;
    let req = request.into_inner();
    let mut violations = Violations::new();
    let mut filter = QuotaFilter::default();
    if !req.owner.is_empty() {
        filter.owner = violations.take(Owner::parse(&req.owner, "owner"));
    }
    if !req.period.is_empty() {
        filter.period = violations
            .take(convert::parse_period(&req.period, "period"))
            .map(|p| p.to_string());
    }
    if req.metric != 0 {
        filter.metric = violations
            .take(convert::metric_from_proto(req.metric, "metric"))
            .map(Metric::as_str);
    }
    let metric = req.metric.to_string();
    let page = violations.take(PageRequest::parse(
        req.page_size,
        &req.page_token,
        &[
            &caller.tenant,
            &caller.subject,
            "ListQuotas",
            &req.owner,
            &req.period,
            &metric,
        ],
    ));
    violations.finish()?;
    let page = page.ok_or_else(|| GoalsError::invalid("page_token", "is invalid"))?;
    let db = api.db()?;
    let seen = caller.visibility(db).await?;
    let rows = store::quotas::list(db, &caller.tenant, &filter, seen, &page).await?;
    let (rows, next_page_token) = page.finish(rows, |q| q.id.clone());
    Ok(pb::ListQuotasResponse {
        quotas: rows.iter().map(convert::quota).collect(),
        next_page_token,
    })
}

fn source_from_proto(violations: &mut Violations, source: i32, reference: &str) -> Source {
    match pb::ChangeSource::try_from(source) {
        Ok(pb::ChangeSource::Unspecified | pb::ChangeSource::Manual) => Source::Manual,
        Ok(pb::ChangeSource::StrategyRecommendation) => {
            if reference.trim().is_empty() {
                violations.add("source_reference", "is required: the id of the recommendation applied");
            }
            Source::StrategyRecommendation
        }
        Ok(pb::ChangeSource::Review) => {
            violations.add("source", "review decisions are made with DecideReviewItem");
            Source::Review
        }
        Err(_) => {
            violations.add("source", format!("{source} is not a known change source"));
            Source::Manual
        }
    }
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
    let source = source_from_proto(&mut violations, req.source, &req.source_reference);
    violations.finish()?;

    let db = api.db()?;
    let current = visible_quota(db, &caller, &id).await?;
    let owner = Owner::from_parts(&current.owner_kind, &current.owner_id);
    if !may_write(&caller, caller.visibility(db).await?, &owner) {
        return Err(GoalsError::denied(format!("you may not change quotas/{id}")));
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
    if !input.etag.is_empty() && input.etag != convert::etag(&current) {
        return Err(GoalsError::Aborted(format!(
            "quotas/{id} changed since you read it (etag {} is now {}); read it again",
            input.etag,
            convert::etag(&current)
        )));
    }

    let tenant = caller.tenant.clone();
    let name = write_once(db, &tenant, "UpdateQuota", &req.request_id, &req, async |txn| {
        let change = ChangeRequest {
            target,
            profile_json,
            reason,
            source,
            reference: req.source_reference.trim(),
            actor: &caller.subject,
        };
        let (_, row) = record_change(txn, &current, change).await?;
        Ok(format!("quotas/{}/changes/{}", row.quota_id, row.seq))
    })
    .await?;
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
