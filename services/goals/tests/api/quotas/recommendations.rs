//! Strategy recommendations applied to quotas: by the strategy service alone, at most once per
//! quota, and recorded as the change of the person who accepted them.

use lacak_proto::common::Measure;
use lacak_proto::goals::{ChangeSource, GetQuotaRequest, Quota, UpdateQuotaRequest};
use tonic::Code;
use tonic_types::StatusExt as _;

use super::{ana_q3, changes, retarget};
use crate::helpers::{
    Goals, OTHER_TENANT, STRATEGY, TENANT, amount, assert_code, assert_invalid, dec, revenue_quota, usd,
};

/// A recommendation as the strategy service names it.
const RECOMMENDATION: &str = "recommendations/0193f1c2-7a1e-7c3d-9b2a-5f6e7d8c9b0a";
/// The manager who accepts recommendations in these stories.
const ACCEPTED_BY: &str = "lead-of-sales";

/// The change `recommendation` makes to `quota`: its target becomes `target`.
fn apply(quota: &Quota, target: Measure, recommendation: &str) -> UpdateQuotaRequest {
    UpdateQuotaRequest {
        source: ChangeSource::StrategyRecommendation as i32,
        source_reference: recommendation.into(),
        ..retarget(quota, target, "pipeline coverage supports a higher target")
    }
}

async fn target_now(client: &mut Goals, quota: &Quota) -> anyhow::Result<rust_decimal::Decimal> {
    let current = client
        .get_quota(GetQuotaRequest {
            name: quota.name.clone(),
        })
        .await?
        .into_inner()
        .quota
        .expect("the quota");
    Ok(amount(&current.target))
}

#[tokio::test]
async fn the_strategy_service_applies_a_recommendation_as_the_person_who_accepted_it() -> anyhow::Result<()> {
    let (app, mut admin, quota) = ana_q3().await?;
    let mut strategy = app.strategy(TENANT, Some(ACCEPTED_BY));

    let applied = strategy
        .update_quota(apply(&quota, usd("120000"), RECOMMENDATION))
        .await?
        .into_inner();

    assert_eq!(amount(&applied.quota.unwrap().target), dec("120000"));
    let change = applied.change.unwrap();
    assert_eq!(change.source, ChangeSource::StrategyRecommendation as i32);
    assert_eq!(change.source_reference, RECOMMENDATION);
    assert_eq!(change.actor, ACCEPTED_BY, "the person behind the call, not the service");
    assert_eq!(change.reason, "pipeline coverage supports a higher target");
    let history = changes(&mut admin, &quota).await?;
    assert_eq!(history.len(), 2, "{history:?}");
    assert_eq!(history[1], change, "the history shows the change as it was answered");
    assert_eq!(
        (amount(&history[1].old_target), amount(&history[1].new_target)),
        (dec("100000"), dec("120000"))
    );
    Ok(())
}

#[tokio::test]
async fn with_nobody_behind_the_call_the_change_is_the_services_own() -> anyhow::Result<()> {
    let (app, _admin, quota) = ana_q3().await?;
    let mut scheduled = app.strategy(TENANT, None);

    let applied = scheduled
        .update_quota(apply(&quota, usd("120000"), RECOMMENDATION))
        .await?
        .into_inner();

    assert_eq!(applied.change.unwrap().actor, STRATEGY);
    Ok(())
}

#[tokio::test]
async fn applying_a_recommendation_again_changes_nothing_twice() -> anyhow::Result<()> {
    let (app, mut admin, quota) = ana_q3().await?;
    let mut strategy = app.strategy(TENANT, Some(ACCEPTED_BY));
    let first = strategy
        .update_quota(apply(&quota, usd("120000"), RECOMMENDATION))
        .await?
        .into_inner()
        .change
        .unwrap();

    let retry = strategy
        .update_quota(apply(&quota, usd("120000"), RECOMMENDATION))
        .await?
        .into_inner();
    assert_eq!(
        retry.change.as_ref(),
        Some(&first),
        "the retry answers the first change"
    );
    assert_eq!(amount(&retry.quota.unwrap().target), dec("120000"));
    assert_eq!(
        changes(&mut admin, &quota).await?.len(),
        2,
        "one creation, one application"
    );

    // Someone moves the target afterwards; a late retry must not undo that.
    admin
        .update_quota(retarget(&quota, usd("110000"), "territory split"))
        .await?;
    let late = strategy
        .update_quota(apply(&quota, usd("120000"), RECOMMENDATION))
        .await?
        .into_inner();
    assert_eq!(late.change.as_ref(), Some(&first));
    assert_eq!(
        amount(&late.quota.unwrap().target),
        dec("110000"),
        "the quota as it stands"
    );

    let different = strategy
        .update_quota(apply(&quota, usd("130000"), RECOMMENDATION))
        .await;
    let status = assert_code(different, Code::FailedPrecondition);
    let reason = status.get_error_details().error_info().map(|info| info.reason.clone());
    assert_eq!(reason.as_deref(), Some("RECOMMENDATION_ALREADY_APPLIED"));
    assert_eq!(changes(&mut admin, &quota).await?.len(), 3, "nothing applied twice");
    assert_eq!(target_now(&mut admin, &quota).await?, dec("110000"));
    Ok(())
}

#[tokio::test]
async fn racing_attempts_at_one_recommendation_apply_it_once() -> anyhow::Result<()> {
    let (app, mut admin, quota) = ana_q3().await?;
    let (mut one, mut other) = (
        app.strategy(TENANT, Some(ACCEPTED_BY)),
        app.strategy(TENANT, Some(ACCEPTED_BY)),
    );

    let (a, b) = tokio::join!(
        one.update_quota(apply(&quota, usd("120000"), RECOMMENDATION)),
        other.update_quota(apply(&quota, usd("120000"), RECOMMENDATION)),
    );

    let (a, b) = (a?.into_inner(), b?.into_inner());
    assert_eq!(a.change, b.change, "both answer the one change");
    assert_eq!(changes(&mut admin, &quota).await?.len(), 2);
    Ok(())
}

#[tokio::test]
async fn one_recommendation_may_adjust_several_quotas_once_each() -> anyhow::Result<()> {
    let (app, mut admin, ana) = ana_q3().await?;
    let budi = revenue_quota(&mut admin, "members/budi", "FY2026-Q3", "80000").await?;
    let mut strategy = app.strategy(TENANT, Some(ACCEPTED_BY));

    strategy.update_quota(apply(&ana, usd("90000"), RECOMMENDATION)).await?;
    strategy
        .update_quota(apply(&budi, usd("90000"), RECOMMENDATION))
        .await?;

    assert_eq!(target_now(&mut admin, &ana).await?, dec("90000"));
    assert_eq!(target_now(&mut admin, &budi).await?, dec("90000"));
    Ok(())
}

#[tokio::test]
async fn a_service_changes_a_quota_only_to_apply_a_named_recommendation() -> anyhow::Result<()> {
    let (app, mut admin, quota) = ana_q3().await?;
    let mut strategy = app.strategy(TENANT, Some(ACCEPTED_BY));

    for source in [ChangeSource::Unspecified, ChangeSource::Manual] {
        let request = UpdateQuotaRequest {
            source: source as i32,
            ..retarget(&quota, usd("120000"), "just because")
        };
        assert_code(strategy.update_quota(request).await, Code::PermissionDenied);
    }
    for unnamed in ["", "rec-42", "recommendations/", "quotaReviews/q1"] {
        let answer = strategy.update_quota(apply(&quota, usd("120000"), unnamed)).await;
        assert_invalid(answer, "source_reference");
    }
    assert_code(
        app.service().update_quota(retarget(&quota, usd("1"), "x")).await,
        Code::PermissionDenied,
    );

    assert_eq!(
        changes(&mut admin, &quota).await?.len(),
        1,
        "nothing refused was recorded"
    );
    Ok(())
}

#[tokio::test]
async fn people_cannot_claim_a_recommendation_as_their_source() -> anyhow::Result<()> {
    let (app, mut admin, quota) = ana_q3().await?;

    for (who, mut person) in [
        ("admin", app.admin()),
        ("manager", app.manager_of("sales")),
        ("rep", app.rep("ana")),
    ] {
        let answer = person.update_quota(apply(&quota, usd("120000"), RECOMMENDATION)).await;
        assert_eq!(
            answer.as_ref().err().map(|s| s.code()),
            Some(Code::PermissionDenied),
            "{who}: {answer:?}"
        );
    }

    assert_eq!(changes(&mut admin, &quota).await?.len(), 1);
    // The recommendation is still unapplied: the service can apply it.
    app.strategy(TENANT, Some(ACCEPTED_BY))
        .update_quota(apply(&quota, usd("120000"), RECOMMENDATION))
        .await?;
    Ok(())
}

#[tokio::test]
async fn another_tenants_strategy_service_cannot_touch_the_quota() -> anyhow::Result<()> {
    let (app, mut admin, quota) = ana_q3().await?;
    let mut elsewhere = app.strategy(OTHER_TENANT, Some("admin-zed"));

    let answer = elsewhere.update_quota(apply(&quota, usd("1"), RECOMMENDATION)).await;

    assert_code(answer, Code::NotFound);
    assert_eq!(changes(&mut admin, &quota).await?.len(), 1);
    assert_eq!(target_now(&mut admin, &quota).await?, dec("100000"));
    Ok(())
}
