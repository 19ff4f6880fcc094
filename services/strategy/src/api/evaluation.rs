//! EvaluateActionPlan.

use lacak_proto::strategy as pb;
use lacak_runtime::Violations;
use lacak_runtime::convert::timestamp_to_proto;
use rust_decimal::Decimal;
use tonic::Request;

use super::convert::evidence;
use super::{StrategyApi, caller, check_currency};
use crate::conv::to_decimal;
use crate::domain::evaluate::Status;
use crate::error::{StrategyError, StrategyResult};
use crate::evaluation::evaluate as run;

pub async fn evaluate(
    api: &StrategyApi,
    request: Request<pb::EvaluateActionPlanRequest>,
) -> StrategyResult<pb::EvaluateActionPlanResponse> {
    let ctx = caller(&request)?;
    let body = request.into_inner();
    let mut v = Violations::new();
    if body.action_plan.is_empty() {
        v.add("action_plan", "is required: \"actionPlans/{id}\"");
    } else {
        v.take(lacak_runtime::names::parse_name(
            &body.action_plan,
            "actionPlans",
            "action_plan",
        ));
    }
    check_currency(&mut v, &body.currency_code);
    v.finish()?;
    let org = api.org_for(&ctx).await?;
    let plan = api.deps.action_plan(&ctx, &body.action_plan).await?;
    if !org.may_steer_owner(&ctx.principal, &plan.owner) {
        return Err(StrategyError::denied(format!(
            "{} belongs to {}, outside the teams you lead",
            body.action_plan, plan.owner
        )));
    }
    let calendar = api.deps.calendar(&ctx).await?;
    let now = api.settings.clock.now();
    let evaluation = run(
        &api.deps,
        &ctx,
        &calendar,
        &plan,
        &body.currency_code,
        (now, api.settings.forecast_history_months),
    )
    .await?;
    let (status, projection) = match &evaluation.outlook {
        Some(outlook) => (
            match outlook.status {
                Status::OnTrack => pb::PlanStatus::OnTrack,
                Status::AtRisk => pb::PlanStatus::AtRisk,
                Status::OffTrack => pb::PlanStatus::OffTrack,
            },
            Some(pb::Projection {
                point: to_decimal(outlook.point),
                lower: to_decimal(outlook.lower),
                upper: to_decimal(outlook.upper),
                level_percent: if evaluation.forecast {
                    to_decimal(Decimal::from(80))
                } else {
                    None
                },
            }),
        ),
        None => {
            return Err(StrategyError::precondition(
                "PLAN_NOT_MEASURABLE",
                format!(
                    "{} has no quota with a positive target that monitoring measures in {}",
                    body.action_plan, body.currency_code
                ),
            ));
        }
    };
    Ok(pb::EvaluateActionPlanResponse {
        evaluation: Some(pb::PlanEvaluation {
            action_plan: plan.name,
            status: status as i32,
            projected_attainment_percent: projection,
            evidence: evaluation.evidence.iter().map(evidence).collect(),
            evaluate_time: Some(timestamp_to_proto(now)),
        }),
    })
}
