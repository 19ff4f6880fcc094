//! The tenant's sales pipeline: read by anyone of the tenant, replaced by admins.

use lacak_domain::Role;
use lacak_proto::monitoring as pb;
use lacak_runtime::convert::{decimal_from_proto, decimal_to_proto, now, timestamp_to_proto};
use lacak_runtime::error::Violations;
use rust_decimal::Decimal;
use tonic::Request;

use super::{MonitoringApi, caller};
use crate::domain::sales_pipeline::{MAX_STAGES, PipelineStage, SalesPipeline, stage_name};
use crate::error::{MonitoringError, MonitoringResult};
use crate::store;

fn to_proto(pipeline: &SalesPipeline) -> pb::SalesPipeline {
    pb::SalesPipeline {
        name: "salesPipeline".to_owned(),
        stages: pipeline
            .stages
            .iter()
            .map(|s| pb::PipelineStage {
                stage: s.stage.clone(),
                win_probability_percent: Some(decimal_to_proto(s.probability)),
            })
            .collect(),
        update_time: pipeline.update_time.map(timestamp_to_proto),
    }
}

/// Checks a pipeline as sent: 1 to 30 distinct named stages, each with a probability of 0 to 100.
fn stages(v: &mut Violations, pipeline: Option<&pb::SalesPipeline>) -> Vec<PipelineStage> {
    let Some(pipeline) = pipeline else {
        v.add("sales_pipeline", "is required");
        return Vec::new();
    };
    if pipeline.stages.is_empty() || pipeline.stages.len() > MAX_STAGES {
        v.add(
            "sales_pipeline.stages",
            format!("must hold 1 to {MAX_STAGES} stages, in order"),
        );
    }
    let mut out: Vec<PipelineStage> = Vec::new();
    for (i, stage) in pipeline.stages.iter().enumerate() {
        let at = format!("sales_pipeline.stages[{i}]");
        let name = stage_name(&stage.stage);
        if name.is_empty() || name.chars().count() > 200 {
            v.add(format!("{at}.stage"), "is required: 1-200 characters");
        } else if matches!(name.as_str(), "won" | "lost") {
            v.add(format!("{at}.stage"), "won and lost are outcomes, not open stages");
        } else if out.iter().any(|s| s.stage == name) {
            v.add(format!("{at}.stage"), format!("{name:?} is listed twice"));
        }
        let field = format!("{at}.win_probability_percent");
        let probability = match &stage.win_probability_percent {
            Some(p) => v.take(decimal_from_proto(p, &field)),
            None => {
                v.add(&field, "is required");
                None
            }
        };
        if let Some(p) = probability
            && !(Decimal::ZERO..=Decimal::ONE_HUNDRED).contains(&p)
        {
            v.add(&field, "must be 0 to 100");
        }
        out.push(PipelineStage {
            stage: name,
            probability: probability.unwrap_or_default(),
        });
    }
    out
}

pub async fn get(
    api: &MonitoringApi,
    request: Request<pb::GetSalesPipelineRequest>,
) -> MonitoringResult<pb::GetSalesPipelineResponse> {
    let ctx = caller(&request)?;
    let pipeline = store::pipeline::sales_pipeline(api.db()?, &ctx.principal.tenant).await?;
    Ok(pb::GetSalesPipelineResponse {
        sales_pipeline: Some(to_proto(&pipeline)),
    })
}

pub async fn update(
    api: &MonitoringApi,
    request: Request<pb::UpdateSalesPipelineRequest>,
) -> MonitoringResult<pb::UpdateSalesPipelineResponse> {
    let ctx = caller(&request)?;
    if ctx.principal.role != Role::Admin {
        return Err(MonitoringError::denied("only admins change the sales pipeline"));
    }
    let mut v = Violations::new();
    let stages = stages(&mut v, request.get_ref().sales_pipeline.as_ref());
    v.finish()?;
    let db = api.db()?;
    let tenant = ctx.principal.tenant.as_str();
    let txn = sea_orm::TransactionTrait::begin(db).await?;
    store::pipeline::set_sales_pipeline(&txn, tenant, &stages, now()).await?;
    txn.commit().await?;
    // Stage cohorts and the weighted pipeline follow the stages: every figure of the tenant.
    api.feed.announce(tenant, std::collections::HashSet::new());
    let pipeline = store::pipeline::sales_pipeline(db, tenant).await?;
    Ok(pb::UpdateSalesPipelineResponse {
        sales_pipeline: Some(to_proto(&pipeline)),
    })
}
