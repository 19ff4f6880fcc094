//! Recommendations: generated on demand (and on the schedule), read, decided, applied through
//! the owning service, and followed up.

use lacak_domain::Role;
use lacak_proto::strategy as pb;
use lacak_runtime::auth::CallContext;
use lacak_runtime::idempotency;
use lacak_runtime::page::PageRequest;
use lacak_runtime::{FieldViolation, Violations};
use tonic::Request;

use super::convert::{self, state_from};
use super::{StrategyApi, caller, check_currency, parse_period, parse_team};
use crate::apply;
use crate::domain::model::State;
use crate::error::{StrategyError, StrategyResult};
use crate::follow_up::follow_up;
use crate::generate::{Ask, generate as run};
use crate::store::{self, Stored};

const GENERATE: &str = "GenerateRecommendations";

pub async fn generate(
    api: &StrategyApi,
    request: Request<pb::GenerateRecommendationsRequest>,
) -> StrategyResult<pb::GenerateRecommendationsResponse> {
    let ctx = caller(&request)?;
    let body = request.into_inner();
    let mut v = Violations::new();
    let team = v.take(parse_team(&body.team, "team"));
    let period = parse_period(&mut v, &body.period);
    check_currency(&mut v, &body.currency_code);
    v.take(idempotency::validate_request_id(&body.request_id, "request_id"));
    v.finish()?;
    let (Some(team), Some(period)) = (team, period) else {
        return Err(StrategyError::invalid("team", "is invalid"));
    };
    let org = api.org_for(&ctx).await?;
    api.check_team(&org, &ctx.principal, &team)?;
    let db = api.db()?;
    let tenant = ctx.principal.tenant.clone();
    let (fingerprint, prior) =
        idempotency::replay::<crate::error::Strategy, _>(db, &tenant, GENERATE, &body.request_id, &body).await?;
    if let Some(ids) = prior {
        let mut recommendations = Vec::new();
        for id in ids.split(',').filter(|id| !id.is_empty()) {
            if let Some(rec) = store::get(db, &tenant, id).await? {
                recommendations.push(convert::recommendation(&rec));
            }
        }
        return Ok(pb::GenerateRecommendationsResponse { recommendations });
    }
    let now = api.settings.clock.now();
    let calendar = api.deps.calendar(&ctx).await?;
    let ask = Ask {
        team: &team,
        period,
        currency: &body.currency_code,
        now,
    };
    let filed = run(db, &api.deps, &ctx, &calendar, &org, &ask).await?;
    let ids: Vec<&str> = filed.iter().map(|r| r.row.id.as_str()).collect();
    // A concurrent twin may have remembered the id first; both answers are the same advice.
    if let Err(error) =
        idempotency::remember(db, &tenant, GENERATE, &body.request_id, fingerprint, &ids.join(",")).await
    {
        tracing::debug!(%error, "a concurrent generation remembered the request id first");
    }
    store::subscribe(db, &tenant, &team, &body.currency_code, &ctx.principal.subject, now).await?;
    Ok(pb::GenerateRecommendationsResponse {
        recommendations: filed.iter().map(convert::recommendation).collect(),
    })
}

fn parse_recommendation(name: &str, field: &str) -> Result<String, FieldViolation> {
    if name.is_empty() {
        return Err(FieldViolation::new(field, "is required: \"recommendations/{id}\""));
    }
    lacak_runtime::names::parse_name(name, "recommendations", field)
}

/// The recommendation, if the caller may steer its team. Unknown and foreign recommendations both
/// read as PERMISSION_DENIED for managers, so existence does not leak; admins get NOT_FOUND.
async fn visible(api: &StrategyApi, ctx: &CallContext, id: &str) -> StrategyResult<Stored> {
    super::require_steerer(&ctx.principal)?;
    let found = store::get(api.db()?, &ctx.principal.tenant, id).await?;
    let sees = |rec: &Stored| match ctx.principal.role {
        Role::Admin | Role::Service => true,
        Role::Manager => ctx
            .principal
            .teams
            .iter()
            .any(|team| rec.row.team_path.contains(&format!("/{team}/"))),
        Role::Rep => false,
    };
    match found {
        Some(rec) if sees(&rec) => Ok(rec),
        None if matches!(ctx.principal.role, Role::Admin | Role::Service) => Err(StrategyError::not_found(
            "recommendation",
            format!("recommendations/{id}"),
        )),
        _ => Err(StrategyError::denied(format!(
            "recommendations/{id} is not about a team you lead"
        ))),
    }
}

pub async fn get(
    api: &StrategyApi,
    request: Request<pb::GetRecommendationRequest>,
) -> StrategyResult<pb::GetRecommendationResponse> {
    let ctx = caller(&request)?;
    let id = parse_recommendation(&request.get_ref().name, "name")?;
    let rec = visible(api, &ctx, &id).await?;
    Ok(pb::GetRecommendationResponse {
        recommendation: Some(convert::recommendation(&rec)),
    })
}

pub async fn list(
    api: &StrategyApi,
    request: Request<pb::ListRecommendationsRequest>,
) -> StrategyResult<pb::ListRecommendationsResponse> {
    let ctx = caller(&request)?;
    super::require_steerer(&ctx.principal)?;
    let body = request.into_inner();
    let mut v = Violations::new();
    let state = match pb::RecommendationState::try_from(body.state) {
        Ok(state) => state_from(state),
        Err(_) => {
            v.add("state", "is not a known recommendation state");
            None
        }
    };
    if !body.subject.is_empty() && !body.subject.contains('/') {
        v.add(
            "subject",
            "must be a resource name such as \"members/ana\", \"products/LAP-14\" or \"segments/smb\"",
        );
    }
    let page = v.take(PageRequest::parse(
        body.page_size,
        &body.page_token,
        &[
            &ctx.principal.tenant,
            "recommendations",
            &body.state.to_string(),
            &body.subject,
        ],
    ));
    v.finish()?;
    let Some(page) = page else {
        return Err(StrategyError::invalid("page_token", "is invalid"));
    };
    let teams = match ctx.principal.role {
        Role::Manager => Some(ctx.principal.teams.clone()),
        _ => None,
    };
    let rows = store::list(
        api.db()?,
        &ctx.principal.tenant,
        state,
        &body.subject,
        teams.as_deref(),
        page.after.as_deref(),
        page.fetch_limit(),
    )
    .await?;
    let (rows, next_page_token) = page.finish(rows, |r| r.row.id.clone());
    Ok(pb::ListRecommendationsResponse {
        recommendations: rows.iter().map(convert::recommendation).collect(),
        next_page_token,
    })
}

fn reason_violation(reason: &str) -> Option<FieldViolation> {
    (reason.chars().count() > 1000).then(|| FieldViolation::new("reason", "must be at most 1000 characters"))
}

pub async fn accept(
    api: &StrategyApi,
    request: Request<pb::AcceptRecommendationRequest>,
) -> StrategyResult<pb::AcceptRecommendationResponse> {
    let ctx = caller(&request)?;
    let body = request.into_inner();
    let mut v = Violations::new();
    let id = v.take(parse_recommendation(&body.name, "name"));
    if let Some(violation) = reason_violation(&body.reason) {
        v.push(violation);
    }
    v.finish()?;
    let id = id.unwrap_or_default();
    let rec = visible(api, &ctx, &id).await?;
    let db = api.db()?;
    let tenant = &ctx.principal.tenant;
    let who = ctx
        .on_behalf_of
        .clone()
        .unwrap_or_else(|| ctx.principal.subject.clone());
    match rec.state {
        State::Applied => {
            return Ok(pb::AcceptRecommendationResponse {
                recommendation: Some(convert::recommendation(&rec)),
            });
        }
        State::Rejected => {
            return Err(StrategyError::precondition(
                "RECOMMENDATION_REJECTED",
                format!(
                    "{} was rejected by {}; generate again for fresh advice",
                    rec.name(),
                    rec.row.decided_by
                ),
            ));
        }
        // Proposed, a failed apply to retry, or an apply cut short (a crash): applying is
        // idempotent downstream, so going again is safe.
        State::Proposed | State::ApplyFailed | State::Accepted => {
            let now = api.settings.clock.now();
            let moved = store::transition(
                db,
                tenant,
                &id,
                &[State::Proposed, State::ApplyFailed, State::Accepted],
                State::Accepted,
                &who,
                &body.reason,
                now,
            )
            .await?;
            if !moved {
                return Err(StrategyError::Aborted(format!(
                    "{} was decided meanwhile; read it again",
                    rec.name()
                )));
            }
        }
    }
    let outcome = apply::apply(&api.deps, &ctx, &rec, &body.reason).await;
    if let Err(error) = &outcome {
        tracing::warn!(recommendation = %rec.name(), %error, "applying a recommendation failed");
    }
    store::record_apply(db, tenant, &id, outcome, api.settings.clock.now()).await?;
    let rec = store::get(db, tenant, &id)
        .await?
        .ok_or_else(|| StrategyError::not_found("recommendation", format!("recommendations/{id}")))?;
    Ok(pb::AcceptRecommendationResponse {
        recommendation: Some(convert::recommendation(&rec)),
    })
}

pub async fn reject(
    api: &StrategyApi,
    request: Request<pb::RejectRecommendationRequest>,
) -> StrategyResult<pb::RejectRecommendationResponse> {
    let ctx = caller(&request)?;
    let body = request.into_inner();
    let mut v = Violations::new();
    let id = v.take(parse_recommendation(&body.name, "name"));
    if body.reason.trim().is_empty() {
        v.add(
            "reason",
            "is required: say why, so the next generation can be judged against it",
        );
    } else if let Some(violation) = reason_violation(&body.reason) {
        v.push(violation);
    }
    v.finish()?;
    let id = id.unwrap_or_default();
    let rec = visible(api, &ctx, &id).await?;
    match rec.state {
        State::Rejected => {}
        State::Applied | State::Accepted => {
            return Err(StrategyError::precondition(
                "RECOMMENDATION_APPLIED",
                format!(
                    "{} is already applied; change it back through its owning service",
                    rec.name()
                ),
            ));
        }
        State::Proposed | State::ApplyFailed => {
            let who = ctx
                .on_behalf_of
                .clone()
                .unwrap_or_else(|| ctx.principal.subject.clone());
            let moved = store::transition(
                api.db()?,
                &ctx.principal.tenant,
                &id,
                &[State::Proposed, State::ApplyFailed],
                State::Rejected,
                &who,
                &body.reason,
                api.settings.clock.now(),
            )
            .await?;
            if !moved {
                return Err(StrategyError::Aborted(format!(
                    "{} was decided meanwhile; read it again",
                    rec.name()
                )));
            }
        }
    }
    let rec = store::get(api.db()?, &ctx.principal.tenant, &id)
        .await?
        .ok_or_else(|| StrategyError::not_found("recommendation", format!("recommendations/{id}")))?;
    Ok(pb::RejectRecommendationResponse {
        recommendation: Some(convert::recommendation(&rec)),
    })
}

pub async fn verification(
    api: &StrategyApi,
    request: Request<pb::GetVerificationRequest>,
) -> StrategyResult<pb::GetVerificationResponse> {
    let ctx = caller(&request)?;
    let name = request.into_inner().name;
    let id = match name.strip_suffix("/verification") {
        Some(parent) => parse_recommendation(parent, "name")?,
        None => {
            return Err(StrategyError::invalid(
                "name",
                "must look like \"recommendations/{id}/verification\"",
            ));
        }
    };
    let rec = visible(api, &ctx, &id).await?;
    if rec.state != State::Applied {
        return Err(StrategyError::precondition(
            "RECOMMENDATION_NOT_APPLIED",
            format!(
                "{} is not applied; only applied recommendations are followed up",
                rec.name()
            ),
        ));
    }
    let org = api.deps.org(&ctx).await?;
    let calendar = api.deps.calendar(&ctx).await?;
    let now = api.settings.clock.now();
    let follow = follow_up(
        api.db()?,
        &api.deps,
        &ctx,
        &calendar,
        &org,
        &rec,
        api.settings.verification_months,
        now,
    )
    .await?
    .ok_or_else(|| StrategyError::precondition("RECOMMENDATION_NOT_APPLIED", "no apply time is recorded"))?;
    Ok(pb::GetVerificationResponse {
        verification: Some(convert::verification(format!("{}/verification", rec.name()), &follow)),
    })
}
