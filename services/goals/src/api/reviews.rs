//! Quota reviews: the quotas of a period re-evaluated, each decision applied as a recorded change.

use std::collections::HashMap;

use lacak_domain::{PeriodId, PeriodKind, Role};
use lacak_proto::goals as pb;
use lacak_runtime::Violations;
use lacak_runtime::convert::{measure_from_proto, timestamp_to_proto};
use lacak_runtime::page::PageRequest;
use sea_orm::{DatabaseConnection, TransactionTrait};
use tonic::Request;

use super::quota_changes::{ChangeRequest, record_change};
use super::{Caller, GoalsApi, convert, principal, write_once};
use crate::domain::access::may_write;
use crate::domain::names::{Owner, new_id, parse_name};
use crate::domain::quota::ChangeSource;
use crate::domain::review::{Decision, check_decision, covers};
use crate::error::{GoalsError, GoalsResult};
use crate::store::entities::{quota, quota_review, review_item};
use crate::store::{self};

/// The periods whose quotas a review of `period` covers.
fn covered_periods(period: &PeriodId) -> Vec<String> {
    let mut candidates = vec![*period];
    candidates.extend(period.months());
    candidates.extend(period.quarters());
    candidates.extend(period.quarter_of());
    candidates.push(period.parent_year());
    candidates.sort_by_key(|p| p.to_string());
    candidates.dedup();
    candidates
        .into_iter()
        .filter(|p| covers(period, p))
        .map(|p| p.to_string())
        .collect()
}

/// The review as proto, with only the items the caller may see.
async fn to_proto(
    db: &DatabaseConnection,
    caller: &Caller,
    review: &quota_review::Model,
) -> GoalsResult<pb::QuotaReview> {
    let mut views = to_protos(db, caller, std::slice::from_ref(review)).await?;
    Ok(views.remove(0))
}

/// Reviews as proto, each with only the items the caller may see: their items and the items'
/// quotas read in one query each, whatever the number of reviews.
async fn to_protos(
    db: &DatabaseConnection,
    caller: &Caller,
    reviews: &[quota_review::Model],
) -> GoalsResult<Vec<pb::QuotaReview>> {
    let ids: Vec<String> = reviews.iter().map(|r| r.id.clone()).collect();
    let mut items = store::reviews::items_of(db, &caller.tenant, ids).await?;
    let quota_ids: Vec<String> = items.values().flatten().map(|i| i.quota_id.clone()).collect();
    let quotas: HashMap<String, quota::Model> = store::quotas::existing_ids(db, &caller.tenant, quota_ids)
        .await?
        .into_iter()
        .map(|q| (q.id.clone(), q))
        .collect();
    let seen = caller.visibility(db).await?;
    Ok(reviews
        .iter()
        .map(|review| {
            let items = items.remove(&review.id).unwrap_or_default();
            let all_decided = items.iter().all(|i| !i.decision.is_empty());
            let visible_items = items
                .iter()
                .filter_map(|item| {
                    let quota = quotas.get(&item.quota_id)?;
                    seen.sees_owner(&Owner::from_parts(&quota.owner_kind, &quota.owner_id))
                        .then(|| convert::review_item(&quota.currency, item))
                })
                .collect();
            let state = if all_decided {
                pb::quota_review::State::Completed
            } else {
                pb::quota_review::State::Open
            };
            pb::QuotaReview {
                name: format!("quotaReviews/{}", review.id),
                period: review.period.clone(),
                state: state as i32,
                items: visible_items,
                create_time: Some(timestamp_to_proto(review.create_time)),
            }
        })
        .collect())
}

fn may_review(caller: &Caller) -> GoalsResult<()> {
    match caller.role {
        Role::Admin | Role::Manager => Ok(()),
        Role::Rep | Role::Service => Err(GoalsError::denied("only admins and managers review quotas")),
    }
}

pub async fn create(
    api: &GoalsApi,
    request: Request<pb::CreateQuotaReviewRequest>,
) -> GoalsResult<pb::CreateQuotaReviewResponse> {
    let caller = principal(&request)?;
    may_review(&caller)?;
    let req = request.into_inner();
    let db = api.db()?;
    let tenant = &caller.tenant;
    let period = if req.period.trim().is_empty() {
        store::calendar::calendar(db, tenant)
            .await?
            .period_containing(lacak_runtime::convert::now(), PeriodKind::Quarter)
    } else {
        convert::parse_period(&req.period, "period")?
    };
    let quotas = store::quotas::in_periods(db, tenant, covered_periods(&period)).await?;
    let now = lacak_runtime::convert::now();
    let id = new_id();
    let review = quota_review::Model {
        tenant: tenant.clone(),
        id: id.clone(),
        period: period.to_string(),
        create_time: now,
    };
    let items = quotas
        .iter()
        .map(|q| review_item::Model {
            tenant: tenant.clone(),
            review_id: id.clone(),
            quota_id: q.id.clone(),
            target_at_review: q.target.clone(),
            decision: String::new(),
            new_target: None,
            reason: String::new(),
            decided_by: String::new(),
            decide_time: None,
        })
        .collect();
    let name = write_once(db, tenant, "CreateQuotaReview", &req.request_id, &req, async |txn| {
        store::reviews::insert(txn, review, items).await?;
        Ok(format!("quotaReviews/{id}"))
    })
    .await?;
    let created = store::reviews::review(db, tenant, &parse_name(&name, "quotaReviews", "name")?).await?;
    Ok(pb::CreateQuotaReviewResponse {
        quota_review: Some(to_proto(db, &caller, &created).await?),
    })
}

pub async fn get(
    api: &GoalsApi,
    request: Request<pb::GetQuotaReviewRequest>,
) -> GoalsResult<pb::GetQuotaReviewResponse> {
    let caller = principal(&request)?;
    let id = parse_name(&request.get_ref().name, "quotaReviews", "name")?;
    let db = api.db()?;
    let review = store::reviews::review(db, &caller.tenant, &id).await?;
    Ok(pb::GetQuotaReviewResponse {
        quota_review: Some(to_proto(db, &caller, &review).await?),
    })
}

pub async fn list(
    api: &GoalsApi,
    request: Request<pb::ListQuotaReviewsRequest>,
) -> GoalsResult<pb::ListQuotaReviewsResponse> {
    let caller = principal(&request)?;
    let req = request.into_inner();
    let mut violations = Violations::new();
    let period = if req.period.is_empty() {
        None
    } else {
        violations
            .take(convert::parse_period(&req.period, "period"))
            .map(|p| p.to_string())
    };
    let page = violations.take(PageRequest::parse(
        req.page_size,
        &req.page_token,
        &[&caller.tenant, "ListQuotaReviews", &req.period],
    ));
    violations.finish()?;
    let page = page.ok_or_else(|| GoalsError::invalid("page_token", "is invalid"))?;
    let db = api.db()?;
    let rows = store::reviews::list(db, &caller.tenant, period.as_deref(), &page).await?;
    let (rows, next_page_token) = page.finish(rows, |r| r.id.clone());
    let quota_reviews = to_protos(db, &caller, &rows).await?;
    Ok(pb::ListQuotaReviewsResponse {
        quota_reviews,
        next_page_token,
    })
}

pub async fn decide(
    api: &GoalsApi,
    request: Request<pb::DecideReviewItemRequest>,
) -> GoalsResult<pb::DecideReviewItemResponse> {
    let caller = principal(&request)?;
    may_review(&caller)?;
    let req = request.into_inner();
    let mut violations = Violations::new();
    let review_id = violations.take(parse_name(&req.name, "quotaReviews", "name"));
    let quota_id = violations.take(parse_name(&req.quota, "quotas", "quota"));
    let decision = convert::decision_from_proto(req.decision);
    if decision.is_none() {
        violations.add("decision", "is required: keep, raise or lower");
    }
    let reason = req.reason.trim();
    if reason.is_empty() {
        violations.add("reason", "is required: say why");
    } else if reason.chars().count() > 2000 {
        violations.add("reason", "must be at most 2000 characters");
    }
    let new_target = match (&decision, &req.new_target) {
        (Some(Decision::Raise | Decision::Lower), Some(_)) => {
            violations.take(measure_from_proto(req.new_target.as_ref(), "new_target"))
        }
        _ => None,
    };
    violations.finish()?;
    let (Some(review_id), Some(quota_id), Some(decision)) = (review_id, quota_id, decision) else {
        return Err(GoalsError::invalid("name", "is invalid"));
    };

    let db = api.db()?;
    let tenant = &caller.tenant;
    let review = store::reviews::review(db, tenant, &review_id).await?;
    let items = store::reviews::items(db, tenant, &review_id).await?;
    let item = items.into_iter().find(|i| i.quota_id == quota_id).ok_or_else(|| {
        GoalsError::not_found("review item", format!("quotas/{quota_id} in quotaReviews/{review_id}"))
    })?;
    let quota: quota::Model = store::quotas::quota(db, tenant, &quota_id).await?;
    let seen = caller.visibility(db).await?;
    if !may_write(&caller, seen, &Owner::from_parts(&quota.owner_kind, &quota.owner_id)) {
        return Err(GoalsError::denied(format!("you may not decide quotas/{quota_id}")));
    }
    if let (Some(new), false) = (&new_target, quota.currency.is_empty())
        && new.currency() != Some(quota.currency.as_str())
    {
        return Err(GoalsError::invalid(
            "new_target.money.currency_code",
            format!("the quota is in {}", quota.currency),
        ));
    }
    if !item.decision.is_empty() {
        if item.decision == decision.as_str() {
            return Ok(pb::DecideReviewItemResponse {
                quota_review: Some(to_proto(db, &caller, &review).await?),
            });
        }
        return Err(GoalsError::precondition(
            "ALREADY_DECIDED",
            format!("quotas/{quota_id} was already decided: {}", item.decision),
        ));
    }
    let current =
        lacak_runtime::error::stored_decimal(&quota.target, "quotas", "target", format!("quotas/{quota_id}"))?;
    let target = check_decision(decision, current, new_target.as_ref().map(|t| t.amount()))
        .map_err(|message| GoalsError::invalid("new_target", message))?;

    let review_name = format!("quotaReviews/{review_id}");
    let txn = db.begin().await?;
    if decision != Decision::Keep {
        let change = ChangeRequest {
            target: Some(target),
            profile_json: None,
            reason,
            source: ChangeSource::Review,
            reference: &review_name,
            actor: &caller.subject,
        };
        record_change(&txn, &quota, change).await?;
    }
    store::reviews::save_item(
        &txn,
        review_item::Model {
            decision: decision.as_str().to_owned(),
            new_target: Some(target.normalize().to_string()),
            reason: reason.to_owned(),
            decided_by: caller.subject.clone(),
            decide_time: Some(lacak_runtime::convert::now()),
            ..item
        },
    )
    .await?;
    txn.commit().await?;
    Ok(pb::DecideReviewItemResponse {
        quota_review: Some(to_proto(db, &caller, &review).await?),
    })
}
