//! Quotas: targets per owner, metric, period and scope, split over months; every change to them is
//! recorded by `quota_changes`.

use lacak_proto::goals as pb;
use lacak_runtime::Violations;
use lacak_runtime::convert::{decimal_from_proto, measure_from_proto};
use lacak_runtime::page::PageRequest;
use rust_decimal::Decimal;
use sea_orm::DatabaseConnection;
use tonic::Request;

use super::{Caller, GoalsApi, convert, principal, write_once};
use crate::domain::access::{Visibility, may_set_quota};
use crate::domain::names::{Owner, new_id, parse_name};
use crate::domain::quota::{ChangeSource, Metric, profile_to_json, seasonal_profile, validate_target};
use crate::error::{GoalsError, GoalsResult};
use crate::store::entities::{quota, quota_change};
use crate::store::{self, quotas::QuotaFilter};

pub(super) fn scope_text(violations: &mut Violations, value: &str, field: &str) -> String {
    let value = value.trim();
    if value.chars().count() > 100 {
        violations.add(field, "must be at most 100 characters");
    }
    value.to_owned()
}

pub(super) fn profile_weights(
    violations: &mut Violations,
    weights: &[lacak_proto::common::Decimal],
    field: &str,
) -> Vec<Decimal> {
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
    if !may_set_quota(&caller, seen, &owner) {
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
        source: ChangeSource::Manual.as_str().to_owned(),
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
    let subtree_of = match (&filter.owner, req.include_subtree) {
        (Some(owner), true) if owner.kind() == "team" => Some(owner.id().to_owned()),
        (_, true) => {
            violations.add("include_subtree", "needs a team owner: \"teams/{team}\"");
            None
        }
        _ => None,
    };
    let metric = req.metric.to_string();
    let subtree = req.include_subtree.to_string();
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
            &subtree,
        ],
    ));
    violations.finish()?;
    let page = page.ok_or_else(|| GoalsError::invalid("page_token", "is invalid"))?;
    let db = api.db()?;
    if let Some(team) = subtree_of {
        let teams = store::org::org_tree(db, &caller.tenant)
            .await?
            .subtree(std::slice::from_ref(&team));
        let members = store::org::member_ids_in(db, &caller.tenant, teams.iter().cloned().collect()).await?;
        filter.owner = None;
        filter.within = Some(Visibility::Teams {
            teams,
            members: members.into_iter().collect(),
        });
    }
    let seen = caller.visibility(db).await?;
    let rows = store::quotas::list(db, &caller.tenant, &filter, seen, &page).await?;
    let (rows, next_page_token) = page.finish(rows, |q| q.id.clone());
    Ok(pb::ListQuotasResponse {
        quotas: rows.iter().map(convert::quota).collect(),
        next_page_token,
    })
}
