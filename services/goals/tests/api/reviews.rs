//! Quota reviews: a period's quotas re-evaluated one by one, each decision on the record.

use lacak_proto::common::Measure;
use lacak_proto::goals::quota_review::State as ReviewState;
use lacak_proto::goals::{
    ChangeSource, CreateQuotaReviewRequest, DecideReviewItemRequest, Decision, GetQuotaRequest, GetQuotaReviewRequest,
    ListQuotaChangesRequest, Metric, QuotaChange, QuotaReview,
};
use tonic::Code;

use crate::helpers::{
    ADMIN, Goals, TestApp, amount, assert_code, assert_invalid, create_quota, dec, quantity, quota, revenue_quota,
    seed_org, spawn_app, usd,
};

/// The quotas of the story: three due in a review of FY2026-Q3, three not.
struct Quotas {
    ana_q3: String,
    budi_m08: String,
    citra_fy: String,
    ana_q4: String,
}

async fn org_with_quotas() -> anyhow::Result<(TestApp, Goals, Quotas)> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    seed_org(&mut admin).await?;
    let quotas = Quotas {
        ana_q3: revenue_quota(&mut admin, "members/ana", "FY2026-Q3", "100000")
            .await?
            .name,
        budi_m08: create_quota(
            &mut admin,
            quota("members/budi", Metric::DealsWon, "FY2026-M08", quantity("5")),
        )
        .await?
        .name,
        citra_fy: revenue_quota(&mut admin, "members/citra", "FY2026", "400000")
            .await?
            .name,
        ana_q4: revenue_quota(&mut admin, "members/ana", "FY2026-Q4", "90000")
            .await?
            .name,
    };
    revenue_quota(&mut admin, "members/ana", "FY2026-Q2", "80000").await?;
    revenue_quota(&mut admin, "members/ana", "FY2025", "300000").await?;
    revenue_quota(&mut admin, "members/budi", "FY2026-M04", "1000").await?;
    Ok((app, admin, quotas))
}

async fn open_review(client: &mut Goals, period: &str) -> anyhow::Result<QuotaReview> {
    let request = CreateQuotaReviewRequest {
        period: period.into(),
        request_id: String::new(),
    };
    Ok(client
        .create_quota_review(request)
        .await?
        .into_inner()
        .quota_review
        .unwrap())
}

fn decide(
    review: &QuotaReview,
    quota: &str,
    decision: Decision,
    new_target: Option<Measure>,
    reason: &str,
) -> DecideReviewItemRequest {
    DecideReviewItemRequest {
        name: review.name.clone(),
        quota: quota.into(),
        decision: decision as i32,
        new_target,
        reason: reason.into(),
    }
}

async fn history(client: &mut Goals, quota: &str) -> anyhow::Result<Vec<QuotaChange>> {
    let request = ListQuotaChangesRequest {
        parent: quota.into(),
        ..Default::default()
    };
    Ok(client.list_quota_changes(request).await?.into_inner().changes)
}

#[tokio::test]
async fn a_review_lists_the_quarters_quotas_its_months_and_its_years() -> anyhow::Result<()> {
    let (_app, mut admin, q) = org_with_quotas().await?;

    let review = open_review(&mut admin, "FY2026-Q3").await?;

    assert!(review.name.starts_with("quotaReviews/"), "{}", review.name);
    assert_eq!(review.period, "FY2026-Q3");
    assert_eq!(review.state, ReviewState::Open as i32);
    let mut listed: Vec<_> = review.items.iter().map(|i| i.quota.clone()).collect();
    listed.sort();
    let mut due = vec![q.ana_q3.clone(), q.budi_m08, q.citra_fy];
    due.sort();
    assert_eq!(listed, due, "Q2, Q4, FY2025 and a Q2 month are not due");
    let ana = review.items.iter().find(|i| i.quota == q.ana_q3).unwrap();
    assert_eq!(amount(&ana.target_at_review), dec("100000"));
    assert!(review.items.iter().all(|i| i.decision == Decision::Unspecified as i32));
    Ok(())
}

#[tokio::test]
async fn a_review_completes_once_every_item_is_decided() -> anyhow::Result<()> {
    let (_app, mut admin, q) = org_with_quotas().await?;
    let review = open_review(&mut admin, "FY2026-Q3").await?;

    let mut after = review.clone();
    for (i, quota) in [&q.ana_q3, &q.budi_m08, &q.citra_fy].into_iter().enumerate() {
        assert_eq!(
            after.state,
            ReviewState::Open as i32,
            "still open before decision {}",
            i + 1
        );
        after = admin
            .decide_review_item(decide(&review, quota, Decision::Keep, None, "on track"))
            .await?
            .into_inner()
            .quota_review
            .unwrap();
    }

    assert_eq!(after.state, ReviewState::Completed as i32);
    let read = admin
        .get_quota_review(GetQuotaReviewRequest {
            name: review.name.clone(),
        })
        .await?
        .into_inner()
        .quota_review
        .unwrap();
    assert_eq!(read.state, ReviewState::Completed as i32);
    for item in &read.items {
        assert_eq!(
            (item.decision, item.decided_by.as_str()),
            (Decision::Keep as i32, ADMIN),
            "{item:?}"
        );
        assert_eq!(item.reason, "on track");
    }
    Ok(())
}

#[tokio::test]
async fn raising_a_target_in_a_review_records_a_review_change() -> anyhow::Result<()> {
    let (_app, mut admin, q) = org_with_quotas().await?;
    let review = open_review(&mut admin, "FY2026-Q3").await?;

    let decided = admin
        .decide_review_item(decide(
            &review,
            &q.ana_q3,
            Decision::Raise,
            Some(usd("120000")),
            "pipeline is strong",
        ))
        .await?
        .into_inner()
        .quota_review
        .unwrap();

    let item = decided.items.iter().find(|i| i.quota == q.ana_q3).unwrap();
    assert_eq!(item.decision, Decision::Raise as i32);
    assert_eq!(amount(&item.new_target), dec("120000"));
    let quota = admin
        .get_quota(GetQuotaRequest { name: q.ana_q3.clone() })
        .await?
        .into_inner()
        .quota
        .unwrap();
    assert_eq!(amount(&quota.target), dec("120000"));
    let changes = history(&mut admin, &q.ana_q3).await?;
    let last = changes.last().unwrap();
    assert_eq!(changes.len(), 2);
    assert_eq!(last.source, ChangeSource::Review as i32);
    assert_eq!(last.source_reference, review.name);
    assert_eq!(
        (amount(&last.old_target), amount(&last.new_target)),
        (dec("100000"), dec("120000"))
    );
    assert_eq!(last.reason, "pipeline is strong");
    Ok(())
}

#[tokio::test]
async fn a_decision_must_point_the_right_way_and_say_why() -> anyhow::Result<()> {
    let (_app, mut admin, q) = org_with_quotas().await?;
    let review = open_review(&mut admin, "FY2026-Q3").await?;

    let cases = [
        (
            "raise to less",
            decide(&review, &q.ana_q3, Decision::Raise, Some(usd("90000")), "oops"),
            "new_target",
        ),
        (
            "raise to the same",
            decide(&review, &q.ana_q3, Decision::Raise, Some(usd("100000")), "oops"),
            "new_target",
        ),
        (
            "raise to nothing",
            decide(&review, &q.ana_q3, Decision::Raise, None, "oops"),
            "new_target",
        ),
        (
            "lower to more",
            decide(&review, &q.ana_q3, Decision::Lower, Some(usd("110000")), "oops"),
            "new_target",
        ),
        (
            "no reason",
            decide(&review, &q.ana_q3, Decision::Lower, Some(usd("90000")), ""),
            "reason",
        ),
    ];
    for (story, request, field) in cases {
        let answer = admin.decide_review_item(request).await;
        assert!(answer.is_err(), "{story}: accepted {answer:?}");
        assert_invalid(answer, field);
    }
    assert_eq!(
        history(&mut admin, &q.ana_q3).await?.len(),
        1,
        "nothing refused was applied"
    );
    Ok(())
}

#[tokio::test]
async fn keeping_a_target_ignores_any_new_target() -> anyhow::Result<()> {
    let (_app, mut admin, q) = org_with_quotas().await?;
    let review = open_review(&mut admin, "FY2026-Q3").await?;

    admin
        .decide_review_item(decide(&review, &q.ana_q3, Decision::Keep, Some(usd("1")), "fine as is"))
        .await?;

    let quota = admin
        .get_quota(GetQuotaRequest { name: q.ana_q3.clone() })
        .await?
        .into_inner()
        .quota
        .unwrap();
    assert_eq!(amount(&quota.target), dec("100000"));
    assert_eq!(
        history(&mut admin, &q.ana_q3).await?.len(),
        1,
        "keeping records no change"
    );
    Ok(())
}

#[tokio::test]
async fn deciding_again_the_same_way_is_a_no_op_but_changing_ones_mind_is_refused() -> anyhow::Result<()> {
    let (_app, mut admin, q) = org_with_quotas().await?;
    let review = open_review(&mut admin, "FY2026-Q3").await?;
    let lower = decide(
        &review,
        &q.citra_fy,
        Decision::Lower,
        Some(usd("350000")),
        "market cooled",
    );

    let first = admin
        .decide_review_item(lower.clone())
        .await?
        .into_inner()
        .quota_review
        .unwrap();
    let again = admin
        .decide_review_item(lower)
        .await?
        .into_inner()
        .quota_review
        .unwrap();

    assert_eq!(again.items, first.items, "the repeat answers the same review");
    assert_eq!(
        history(&mut admin, &q.citra_fy).await?.len(),
        2,
        "lowered once, not twice"
    );
    let quota = admin
        .get_quota(GetQuotaRequest {
            name: q.citra_fy.clone(),
        })
        .await?
        .into_inner()
        .quota
        .unwrap();
    assert_eq!(amount(&quota.target), dec("350000"));

    let keep_instead = admin
        .decide_review_item(decide(&review, &q.citra_fy, Decision::Keep, None, "changed my mind"))
        .await;
    assert_code(keep_instead, Code::FailedPrecondition);
    Ok(())
}

#[tokio::test]
async fn a_quota_outside_the_review_is_not_found_in_it() -> anyhow::Result<()> {
    let (_app, mut admin, q) = org_with_quotas().await?;
    let review = open_review(&mut admin, "FY2026-Q3").await?;

    let answer = admin
        .decide_review_item(decide(&review, &q.ana_q4, Decision::Keep, None, "not due"))
        .await;

    assert_code(answer, Code::NotFound);
    Ok(())
}

#[tokio::test]
async fn managers_decide_only_their_teams_quotas_and_reps_not_at_all() -> anyhow::Result<()> {
    let (app, mut admin, q) = org_with_quotas().await?;
    let review = open_review(&mut admin, "FY2026-Q3").await?;
    let mut manager = app.manager_of("sales");

    manager
        .decide_review_item(decide(&review, &q.ana_q3, Decision::Keep, None, "on track"))
        .await?;
    let budis = manager
        .decide_review_item(decide(&review, &q.budi_m08, Decision::Keep, None, "not mine"))
        .await;
    assert_code(budis, Code::PermissionDenied);

    let rep = app
        .rep("citra")
        .decide_review_item(decide(&review, &q.citra_fy, Decision::Lower, Some(usd("1")), "please"))
        .await;
    assert_code(rep, Code::PermissionDenied);
    Ok(())
}
