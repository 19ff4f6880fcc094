//! A quota's history: nothing about a target changes silently.

use std::time::Duration;

use lacak_proto::goals::{
    ChangeSource, GetQuotaRequest, GetQuotaTargetAsOfRequest, Quota, UpdateQuotaRequest, UpdateQuotaResponse,
};
use tonic::{Code, Response, Status};

use super::{ana_q3, changes, retarget};
use crate::helpers::{
    ADMIN, Goals, amount, assert_code, assert_invalid, dec, instant, mask, money, timestamp, usd, weights,
};

async fn update(client: &mut Goals, request: UpdateQuotaRequest) -> Result<Response<UpdateQuotaResponse>, Status> {
    client.update_quota(request).await
}

#[tokio::test]
async fn creating_a_quota_records_its_first_change() -> anyhow::Result<()> {
    let (_app, mut admin, quota) = ana_q3().await?;

    let history = changes(&mut admin, &quota).await?;

    assert_eq!(history.len(), 1, "{history:?}");
    let first = &history[0];
    assert!(
        first.name.starts_with(&format!("{}/changes/", quota.name)),
        "{}",
        first.name
    );
    assert_eq!(first.old_target, None, "nothing was in force before");
    assert_eq!(amount(&first.new_target), dec("100000"));
    assert_eq!(first.source, ChangeSource::Manual as i32);
    assert_eq!(first.reason, "annual planning");
    assert_eq!(first.actor, ADMIN);
    assert!(first.change_time.is_some());
    Ok(())
}

#[tokio::test]
async fn raising_a_target_records_old_and_new_and_resplits_the_months() -> anyhow::Result<()> {
    let (_app, mut admin, quota) = ana_q3().await?;

    let updated = update(&mut admin, retarget(&quota, usd("120000"), "bigger territory"))
        .await?
        .into_inner();

    let after = updated.quota.unwrap();
    assert_eq!(amount(&after.target), dec("120000"));
    assert_ne!(after.etag, quota.etag, "the etag changes with every update");
    let change = updated.change.unwrap();
    assert_eq!(
        (amount(&change.old_target), amount(&change.new_target)),
        (dec("100000"), dec("120000"))
    );
    assert_eq!(
        (change.reason.as_str(), change.actor.as_str()),
        ("bigger territory", ADMIN)
    );
    assert_eq!(change.source, ChangeSource::Manual as i32);

    let history = changes(&mut admin, &quota).await?;
    let targets: Vec<_> = history.iter().map(|c| amount(&c.new_target)).collect();
    assert_eq!(targets, [dec("100000"), dec("120000")], "oldest first");
    assert_eq!(history[1], change);
    let months: Vec<_> = after.monthly_targets.iter().map(|m| amount(&m.target)).collect();
    assert_eq!(
        months,
        [dec("40000"), dec("40000"), dec("40000")],
        "the new target is split evenly again"
    );
    Ok(())
}

#[tokio::test]
async fn changing_the_seasonal_profile_is_recorded_too() -> anyhow::Result<()> {
    let (_app, mut admin, quota) = ana_q3().await?;
    let request = UpdateQuotaRequest {
        quota: Some(Quota {
            name: quota.name.clone(),
            seasonal_profile: weights(&["20", "30", "50"]),
            ..Default::default()
        }),
        update_mask: mask(&["seasonal_profile"]),
        reason: "year-end push".into(),
        ..Default::default()
    };

    let updated = update(&mut admin, request).await?.into_inner();

    let months: Vec<_> = updated
        .quota
        .unwrap()
        .monthly_targets
        .iter()
        .map(|m| amount(&m.target))
        .collect();
    assert_eq!(months, [dec("20000"), dec("30000"), dec("50000")]);
    let change = updated.change.unwrap();
    let new_profile: Vec<_> = change.new_seasonal_profile.iter().map(|w| dec(&w.value)).collect();
    assert_eq!(new_profile, [dec("20"), dec("30"), dec("50")]);
    assert_eq!(changes(&mut admin, &quota).await?.len(), 2);
    Ok(())
}

#[tokio::test]
async fn an_update_needs_a_reason_and_a_mask_it_understands() -> anyhow::Result<()> {
    let (_app, mut admin, quota) = ana_q3().await?;

    assert_invalid(update(&mut admin, retarget(&quota, usd("1"), "")).await, "reason");
    for bad_mask in [&[][..], &["owner"], &["bogus"]] {
        let request = UpdateQuotaRequest {
            update_mask: mask(bad_mask),
            ..retarget(&quota, usd("1"), "why not")
        };
        assert_invalid(update(&mut admin, request).await, "update_mask");
    }
    let no_mask = UpdateQuotaRequest {
        update_mask: None,
        ..retarget(&quota, usd("1"), "why not")
    };
    assert_invalid(update(&mut admin, no_mask).await, "update_mask");

    assert_eq!(
        changes(&mut admin, &quota).await?.len(),
        1,
        "nothing refused was recorded"
    );
    Ok(())
}

#[tokio::test]
async fn a_money_quota_keeps_its_currency() -> anyhow::Result<()> {
    let (_app, mut admin, quota) = ana_q3().await?;

    let in_euros = update(&mut admin, retarget(&quota, money("EUR", "100000"), "switch to euros")).await;

    assert_invalid(in_euros, "quota.target.money.currency_code");
    Ok(())
}

#[tokio::test]
async fn an_update_from_a_stale_etag_is_aborted() -> anyhow::Result<()> {
    let (_app, mut admin, quota) = ana_q3().await?;
    let stale_etag = quota.etag.clone();
    assert!(!stale_etag.is_empty(), "a created quota has an etag");
    update(&mut admin, retarget(&quota, usd("110000"), "first edit")).await?;

    let mut late = retarget(&quota, usd("90000"), "second edit from an old screen");
    late.quota.as_mut().unwrap().etag = stale_etag;
    assert_code(update(&mut admin, late).await, Code::Aborted);

    let fresh = admin
        .get_quota(GetQuotaRequest {
            name: quota.name.clone(),
        })
        .await?
        .into_inner()
        .quota
        .unwrap();
    let mut current = retarget(&quota, usd("90000"), "second edit, reloaded");
    current.quota.as_mut().unwrap().etag = fresh.etag;
    update(&mut admin, current).await?;
    Ok(())
}

#[tokio::test]
async fn the_target_in_force_at_any_instant_can_be_asked_for() -> anyhow::Result<()> {
    let (_app, mut admin, quota) = ana_q3().await?;
    // Far enough apart to tell the two changes apart even at a one-second resolution.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    update(&mut admin, retarget(&quota, usd("150000"), "new product line")).await?;
    let history = changes(&mut admin, &quota).await?;
    let (created, raised) = (instant(&history[0].change_time), instant(&history[1].change_time));
    let mut as_of = async |at: chrono::DateTime<chrono::Utc>| {
        admin
            .get_quota_target_as_of(GetQuotaTargetAsOfRequest {
                name: quota.name.clone(),
                as_of_time: Some(timestamp(at)),
            })
            .await
    };

    let before = as_of(created - chrono::Duration::minutes(1)).await;
    assert_code(before, Code::NotFound);

    let between = as_of(created + (raised - created) / 2).await?.into_inner();
    assert_eq!(amount(&between.target), dec("100000"));
    assert_eq!(between.monthly_targets.len(), 3);
    assert_eq!(
        between.change.as_ref().map(|c| c.name.clone()),
        Some(history[0].name.clone())
    );

    let after = as_of(raised + chrono::Duration::seconds(1)).await?.into_inner();
    assert_eq!(amount(&after.target), dec("150000"));
    assert_eq!(after.change.map(|c| c.name), Some(history[1].name.clone()));
    Ok(())
}

#[tokio::test]
async fn reviews_decide_elsewhere() -> anyhow::Result<()> {
    let (_app, mut admin, quota) = ana_q3().await?;
    let from_a_review = UpdateQuotaRequest {
        source: ChangeSource::Review as i32,
        source_reference: "quotaReviews/x".into(),
        ..retarget(&quota, usd("130000"), "reviewed")
    };

    assert_invalid(update(&mut admin, from_a_review).await, "source");
    assert_eq!(changes(&mut admin, &quota).await?.len(), 1);
    Ok(())
}

#[tokio::test]
async fn a_retried_update_changes_the_target_only_once() -> anyhow::Result<()> {
    let (_app, mut admin, quota) = ana_q3().await?;
    let request = UpdateQuotaRequest {
        request_id: "req-update-1".into(),
        ..retarget(&quota, usd("125000"), "retry me")
    };

    let first = update(&mut admin, request.clone()).await?.into_inner();
    let retry = update(&mut admin, request).await?.into_inner();

    assert_eq!(retry.change.map(|c| c.name), first.change.map(|c| c.name));
    assert_eq!(changes(&mut admin, &quota).await?.len(), 2, "one creation, one update");
    Ok(())
}
