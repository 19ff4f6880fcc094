//! Creating quotas: what a target may be, and how it is split over the months of its period.

use lacak_domain::Role;
use lacak_proto::goals::{CreateQuotaRequest, GetQuotaRequest, ListQuotasRequest, Metric, Quota};

use super::{create, seeded};
use rust_decimal::Decimal;
use tonic::Code;

use crate::helpers::{
    TENANT, amount, assert_code, assert_invalid, check_invalid, create_quota, currency, dec, money, quantity, quota,
    revenue_quota, seed_org, spawn_app, usd, weights,
};

fn monthly(quota: &Quota) -> Vec<(String, Decimal)> {
    quota
        .monthly_targets
        .iter()
        .map(|m| (m.period.clone(), amount(&m.target)))
        .collect()
}

fn months(periods_and_amounts: &[(&str, &str)]) -> Vec<(String, Decimal)> {
    periods_and_amounts
        .iter()
        .map(|(p, a)| ((*p).to_owned(), dec(a)))
        .collect()
}

#[tokio::test]
async fn a_revenue_quota_splits_evenly_over_its_quarter_to_the_cent() -> anyhow::Result<()> {
    let (_app, mut admin) = seeded().await?;

    let created = revenue_quota(&mut admin, "members/ana", "FY2026-Q3", "100000").await?;

    assert!(created.name.starts_with("quotas/"), "{}", created.name);
    assert_eq!(
        monthly(&created),
        months(&[
            ("FY2026-M07", "33333.34"),
            ("FY2026-M08", "33333.33"),
            ("FY2026-M09", "33333.33")
        ])
    );
    let sum: Decimal = created.monthly_targets.iter().map(|m| amount(&m.target)).sum();
    assert_eq!(sum, amount(&created.target), "the months add up exactly to the target");
    assert!(created.monthly_targets.iter().all(|m| currency(&m.target) == "USD"));

    let read = admin
        .get_quota(GetQuotaRequest {
            name: created.name.clone(),
        })
        .await?
        .into_inner()
        .quota
        .unwrap();
    assert_eq!(read, created);
    Ok(())
}

#[tokio::test]
async fn a_seasonal_profile_shapes_the_months() -> anyhow::Result<()> {
    let (_app, mut admin) = seeded().await?;
    let mut shaped = quota("members/ana", Metric::Revenue, "FY2026-Q3", usd("100000"));
    shaped.seasonal_profile = weights(&["50", "30", "20"]);

    let created = create_quota(&mut admin, shaped).await?;

    assert_eq!(
        monthly(&created),
        months(&[
            ("FY2026-M07", "50000"),
            ("FY2026-M08", "30000"),
            ("FY2026-M09", "20000")
        ])
    );
    Ok(())
}

#[tokio::test]
async fn a_year_has_twelve_monthly_targets_and_a_month_has_one() -> anyhow::Result<()> {
    let (_app, mut admin) = seeded().await?;

    let yearly = create_quota(
        &mut admin,
        quota("members/ana", Metric::UnitsSold, "FY2026", quantity("1200")),
    )
    .await?;
    let ids: Vec<_> = yearly.monthly_targets.iter().map(|m| m.period.as_str()).collect();
    assert_eq!(ids.len(), 12);
    assert_eq!((ids[0], ids[11]), ("FY2026-M01", "FY2026-M12"));
    assert!(
        yearly.monthly_targets.iter().all(|m| amount(&m.target) == dec("100")),
        "{:?}",
        monthly(&yearly)
    );

    let one_month = create_quota(
        &mut admin,
        quota("members/ana", Metric::DealsWon, "FY2026-M08", quantity("7")),
    )
    .await?;
    assert_eq!(monthly(&one_month), months(&[("FY2026-M08", "7")]));
    Ok(())
}

#[tokio::test]
async fn a_rate_is_not_split_but_holds_every_month() -> anyhow::Result<()> {
    let (_app, mut admin) = seeded().await?;

    let retention = create_quota(
        &mut admin,
        quota(
            "members/ana",
            Metric::CustomerRetentionRate,
            "FY2026-Q3",
            quantity("85"),
        ),
    )
    .await?;
    assert_eq!(
        monthly(&retention),
        months(&[("FY2026-M07", "85"), ("FY2026-M08", "85"), ("FY2026-M09", "85")])
    );
    let read = admin
        .get_quota(GetQuotaRequest {
            name: retention.name.clone(),
        })
        .await?
        .into_inner()
        .quota
        .unwrap();
    assert_eq!(read.monthly_targets.len(), 3, "{read:?}");
    Ok(())
}

#[tokio::test]
async fn a_rate_is_a_percentage_without_a_seasonal_profile() -> anyhow::Result<()> {
    let (_app, mut admin) = seeded().await?;

    let mut seasonal_rate = quota("members/ana", Metric::LeadConversionRate, "FY2026-Q3", quantity("20"));
    seasonal_rate.seasonal_profile = weights(&["50", "30", "20"]);
    assert_invalid(
        admin.create_quota(create(seasonal_rate)).await,
        "quota.seasonal_profile",
    );

    let above_100 = quota(
        "members/ana",
        Metric::CustomerRetentionRate,
        "FY2026-Q3",
        quantity("101"),
    );
    assert_invalid(admin.create_quota(create(above_100)).await, "quota.target");
    let below_0 = quota("members/ana", Metric::LeadConversionRate, "FY2026-Q3", quantity("-1"));
    assert_invalid(admin.create_quota(create(below_0)).await, "quota.target");
    Ok(())
}

#[tokio::test]
async fn the_target_must_fit_the_metric() -> anyhow::Result<()> {
    let (_app, mut admin) = seeded().await?;
    let cases = [
        (
            "revenue as a count",
            quota("members/ana", Metric::Revenue, "FY2026-Q3", quantity("100")),
            "quota.target",
        ),
        (
            "margin as a count",
            quota("members/ana", Metric::GrossMargin, "FY2026-Q3", quantity("100")),
            "quota.target",
        ),
        (
            "deals as money",
            quota("members/ana", Metric::DealsWon, "FY2026-Q3", usd("100")),
            "quota.target",
        ),
        (
            "negative deals",
            quota("members/ana", Metric::DealsWon, "FY2026-Q3", quantity("-3")),
            "quota.target",
        ),
        (
            "no target",
            Quota {
                target: None,
                ..quota("members/ana", Metric::Revenue, "FY2026-Q3", usd("1"))
            },
            "quota.target",
        ),
        (
            "lower-case currency",
            quota("members/ana", Metric::Revenue, "FY2026-Q3", money("usd", "100")),
            "quota.target.money.currency_code",
        ),
        (
            "made-up currency",
            quota("members/ana", Metric::Revenue, "FY2026-Q3", money("XYZW", "100")),
            "quota.target.money.currency_code",
        ),
        (
            "no metric",
            quota("members/ana", Metric::Unspecified, "FY2026-Q3", usd("100")),
            "quota.metric",
        ),
    ];
    let mut wrong = Vec::new();
    for (story, bad, field) in cases {
        if let Err(mismatch) = check_invalid(admin.create_quota(create(bad)).await, field) {
            wrong.push(format!("{story}: {mismatch}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "targets that do not fit their metric:\n{}",
        wrong.join("\n")
    );
    Ok(())
}

#[tokio::test]
async fn a_seasonal_profile_needs_a_weight_per_month_summing_to_100() -> anyhow::Result<()> {
    let (_app, mut admin) = seeded().await?;
    for profile in [
        &["50", "50"][..],
        &["50", "30", "30"],
        &["40", "40", "10", "10"],
        &["120", "-10", "-10"],
    ] {
        let mut shaped = quota("members/ana", Metric::Revenue, "FY2026-Q3", usd("100000"));
        shaped.seasonal_profile = weights(profile);
        let answer = admin.create_quota(create(shaped)).await;
        assert!(answer.is_err(), "profile {profile:?} accepted: {answer:?}");
        assert_invalid(answer, "quota.seasonal_profile");
    }
    let mut exact = quota("members/ana", Metric::Revenue, "FY2026-Q3", usd("100000"));
    exact.seasonal_profile = weights(&["33.5", "33.25", "33.25"]);
    create_quota(&mut admin, exact).await?;
    Ok(())
}

#[tokio::test]
async fn a_quota_needs_an_existing_owner_and_a_real_period() -> anyhow::Result<()> {
    let (_app, mut admin) = seeded().await?;

    let ghost = admin
        .create_quota(create(quota("members/ghost", Metric::Revenue, "FY2026-Q3", usd("1"))))
        .await;
    let status = assert_code(ghost, Code::NotFound);
    assert!(
        status.message().contains("ghost"),
        "the answer names the missing owner: {}",
        status.message()
    );

    for bad_owner in ["ghost", "customers/ana", ""] {
        let answer = admin
            .create_quota(create(quota(bad_owner, Metric::Revenue, "FY2026-Q3", usd("1"))))
            .await;
        assert_invalid(answer, "quota.owner");
    }
    for bad_period in ["FY2026-Q9", "Q3", "", "FY2026-M00"] {
        let answer = admin
            .create_quota(create(quota("members/ana", Metric::Revenue, bad_period, usd("1"))))
            .await;
        assert_invalid(answer, "quota.period");
    }
    Ok(())
}

#[tokio::test]
async fn a_retried_quota_create_answers_the_first_quota() -> anyhow::Result<()> {
    let (_app, mut admin) = seeded().await?;
    let request = CreateQuotaRequest {
        request_id: "req-quota-1".into(),
        ..create(quota("members/ana", Metric::Revenue, "FY2026-Q3", usd("100000")))
    };

    let first = admin.create_quota(request.clone()).await?.into_inner().quota.unwrap();
    let retry = admin.create_quota(request.clone()).await?.into_inner().quota.unwrap();
    assert_eq!(retry.name, first.name);
    let all = admin
        .list_quotas(ListQuotasRequest::default())
        .await?
        .into_inner()
        .quotas;
    assert_eq!(all.len(), 1, "the retry created nothing: {all:?}");

    let different = CreateQuotaRequest {
        quota: Some(quota("members/ana", Metric::Revenue, "FY2026-Q3", usd("999"))),
        ..request
    };
    assert_invalid(admin.create_quota(different).await, "request_id");
    Ok(())
}

#[tokio::test]
async fn managers_set_quotas_only_within_their_teams_and_reps_not_at_all() -> anyhow::Result<()> {
    let app = spawn_app().await;
    seed_org(&mut app.admin()).await?;

    let mut manager = app.manager_of("sales");
    create_quota(
        &mut manager,
        quota("members/ana", Metric::Revenue, "FY2026-Q3", usd("100")),
    )
    .await?;
    create_quota(
        &mut manager,
        quota("teams/emea", Metric::Revenue, "FY2026-Q3", usd("500")),
    )
    .await?;
    let elsewhere = manager
        .create_quota(create(quota("members/budi", Metric::Revenue, "FY2026-Q3", usd("100"))))
        .await;
    assert_code(elsewhere, Code::PermissionDenied);

    let own = app
        .rep("ana")
        .create_quota(create(quota("members/ana", Metric::Revenue, "FY2026-Q4", usd("1"))))
        .await;
    assert_code(own, Code::PermissionDenied);
    let service = app
        .service()
        .create_quota(create(quota("members/ana", Metric::Revenue, "FY2026-Q4", usd("1"))))
        .await;
    assert_code(service, Code::PermissionDenied);

    // A manager does not set their own quota, even when their member record sits outside the team
    // they lead (citra is in sales and leads emea); the manager of sales above her does.
    let mut citra = app.client(&app.token(TENANT, "citra", Role::Manager, &["emea"]));
    create_quota(
        &mut citra,
        quota("members/ana", Metric::Revenue, "FY2026-Q4", usd("100")),
    )
    .await?;
    let own = citra
        .create_quota(create(quota(
            "members/citra",
            Metric::Revenue,
            "FY2026-Q4",
            usd("1000000"),
        )))
        .await;
    assert_code(own, Code::PermissionDenied);
    create_quota(
        &mut manager,
        quota("members/citra", Metric::Revenue, "FY2026-Q4", usd("1000")),
    )
    .await?;
    Ok(())
}
