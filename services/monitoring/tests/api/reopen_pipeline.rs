//! The tenant's sales pipeline as a setting, and reopening a closed deal: who may, what is refused
//! (naming the field), what is recorded, and that a retry changes nothing twice.

use lacak_domain::Role;
use lacak_proto::monitoring as pb;
use tonic::Code;

use crate::helpers::*;

fn stage(name: &str, probability: &str) -> pb::PipelineStage {
    pb::PipelineStage {
        stage: name.into(),
        win_probability_percent: num(probability),
    }
}

fn pipeline_of(response: pb::SalesPipeline) -> Vec<(String, rust_decimal::Decimal)> {
    response
        .stages
        .into_iter()
        .map(|s| (s.stage, value(&s.win_probability_percent)))
        .collect()
}

#[tokio::test]
async fn the_sales_pipeline_is_a_setting_admins_change_and_every_caller_reads() {
    let suite = spawn_suite().await;
    org(&suite).await;
    let default = suite
        .rep("ana")
        .get_sales_pipeline(pb::GetSalesPipelineRequest {})
        .await
        .unwrap()
        .into_inner()
        .sales_pipeline
        .unwrap();
    assert!(default.update_time.is_none(), "the default was never set");
    assert_eq!(
        pipeline_of(default),
        [
            ("qualify".to_string(), dec("20")),
            ("propose".to_string(), dec("50")),
            ("negotiate".to_string(), dec("80")),
        ]
    );
    let ask = |stages: Vec<pb::PipelineStage>| pb::UpdateSalesPipelineRequest {
        sales_pipeline: Some(pb::SalesPipeline {
            stages,
            ..Default::default()
        }),
    };
    let denied = suite
        .manager(&["sales"])
        .update_sales_pipeline(ask(vec![stage("discover", "10")]))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);
    let refused = suite
        .admin()
        .update_sales_pipeline(ask(vec![
            stage("Discover", "10"),
            stage("discover", "20"),
            stage("won", "100"),
            stage("", "120"),
        ]))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert_eq!(
        violated_fields(&refused),
        [
            "sales_pipeline.stages[1].stage",
            "sales_pipeline.stages[2].stage",
            "sales_pipeline.stages[3].stage",
            "sales_pipeline.stages[3].win_probability_percent",
        ]
    );
    let empty = suite.admin().update_sales_pipeline(ask(Vec::new())).await.unwrap_err();
    assert_eq!(violated_fields(&empty), ["sales_pipeline.stages"]);
    let stored = suite
        .admin()
        .update_sales_pipeline(ask(vec![stage(" Discover ", "10"), stage("demo", "35.5")]))
        .await
        .unwrap()
        .into_inner()
        .sales_pipeline
        .unwrap();
    assert!(stored.update_time.is_some());
    assert_eq!(
        pipeline_of(stored),
        [("discover".to_string(), dec("10")), ("demo".to_string(), dec("35.5"))]
    );
    // Another tenant still has the default.
    let other = suite.monitoring(&suite.token(OTHER_TENANT, "admin-x", Role::Admin, &[]));
    let theirs = other
        .clone()
        .get_sales_pipeline(pb::GetSalesPipelineRequest {})
        .await
        .unwrap()
        .into_inner()
        .sales_pipeline
        .unwrap();
    assert_eq!(theirs.stages.len(), 3);
}

#[tokio::test]
async fn a_closed_deal_reopens_once_with_its_reason_and_only_for_those_who_may() {
    let suite = spawn_suite().await;
    org(&suite).await;
    ingest(
        &suite,
        vec![
            deal_event("d-1", "ana", "5000", "propose", "2026-01-10T00:00:00Z"),
            closure_event("d-1", false, "2026-02-01T00:00:00Z"),
            deal_event("d-2", "ana", "1000", "qualify", "2026-01-10T00:00:00Z"),
        ],
    )
    .await;
    // The events name the deals "deals/d-1" and "deals/d-2".
    let name = |id: &str| format!("deals/{id}");
    let reopen = |deal: String, reason: &str, time: &str, request_id: &str| pb::ReopenDealRequest {
        name: deal,
        stage: String::new(),
        reason: reason.into(),
        time: ts(time),
        request_id: request_id.into(),
    };

    let bad = suite
        .admin()
        .reopen_deal(reopen("d-1".into(), " ", "2026-03-01T00:00:00Z", ""))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&bad), ["name", "reason"]);
    let open = suite
        .admin()
        .reopen_deal(reopen(name("d-2"), "why not", "2026-03-01T00:00:00Z", ""))
        .await
        .unwrap_err();
    assert_eq!(open.code(), Code::FailedPrecondition, "an open deal does not reopen");
    let early = suite
        .admin()
        .reopen_deal(reopen(name("d-1"), "budget back", "2026-01-20T00:00:00Z", ""))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&early), ["time"], "not before it closed");
    let stranger = suite
        .rep("budi")
        .reopen_deal(reopen(name("d-1"), "budget back", "2026-03-01T00:00:00Z", ""))
        .await
        .unwrap_err();
    assert_eq!(stranger.code(), Code::NotFound, "budi does not see ana's deal");
    let other_tenant = suite
        .monitoring(&suite.token(OTHER_TENANT, "admin-x", Role::Admin, &[]))
        .reopen_deal(reopen(name("d-1"), "budget back", "2026-03-01T00:00:00Z", ""))
        .await
        .unwrap_err();
    assert_eq!(other_tenant.code(), Code::NotFound);

    let request = reopen(name("d-1"), "budget back", "2026-03-01T00:00:00Z", "reopen-d-1");
    let reopened = suite
        .rep("ana")
        .reopen_deal(request.clone())
        .await
        .unwrap()
        .into_inner()
        .deal
        .unwrap();
    assert_eq!(reopened.outcome, pb::Outcome::Unspecified as i32);
    assert!(reopened.close_time.is_none());
    assert_eq!(reopened.stage, "propose", "back in the stage it closed in");
    let last = reopened.stage_history.last().unwrap();
    assert_eq!(
        (
            last.from_stage.as_str(),
            last.to_stage.as_str(),
            last.reason.as_str(),
            last.reopened_from
        ),
        ("propose", "propose", "budget back", pb::Outcome::Lost as i32)
    );
    let again = suite
        .rep("ana")
        .reopen_deal(request)
        .await
        .unwrap()
        .into_inner()
        .deal
        .unwrap();
    assert_eq!(
        again.stage_history.len(),
        reopened.stage_history.len(),
        "a retry changes nothing"
    );
    // Its earlier loss counts nowhere: February shows no lost deal; it is open in March's pipeline.
    let february = kpis(&suite, "members/ana", "FY2026-M02").await;
    assert_eq!(value(&february.lost_deal_count), dec("0"));
    let march = kpis(&suite, "members/ana", "FY2026-M03").await;
    // 5,000 reopened into propose plus 1,000 in qualify.
    assert_eq!(amount(&march.open_pipeline), dec("6000"));
    assert_eq!(value(&march.open_deal_count), dec("2"));
}
