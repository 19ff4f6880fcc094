//! Team rollups: does a team's quota match what its members carry?

use lacak_proto::goals::{GetTeamRollupRequest, Metric, TeamRollup};
use tonic::Code;

use crate::helpers::{
    Goals, amount, assert_code, create_member, create_quota, currency, dec, money, quantity, quota, revenue_quota,
    seed_org, spawn_app,
};

fn rollup_of(team: &str, metric: Metric, period: &str) -> GetTeamRollupRequest {
    GetTeamRollupRequest {
        team: team.into(),
        metric: metric as i32,
        period: period.into(),
        ..Default::default()
    }
}

async fn rollup(client: &mut Goals, request: GetTeamRollupRequest) -> anyhow::Result<TeamRollup> {
    Ok(client
        .get_team_rollup(request)
        .await?
        .into_inner()
        .rollup
        .expect("a rollup"))
}

fn member_quota_names(rollup: &TeamRollup) -> Vec<String> {
    let mut names: Vec<_> = rollup.member_quotas.iter().map(|q| q.name.clone()).collect();
    names.sort();
    names
}

#[tokio::test]
async fn a_team_rollup_sums_the_members_of_the_team_and_its_sub_teams() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    seed_org(&mut admin).await?;
    let team_quota = revenue_quota(&mut admin, "teams/sales", "FY2026-Q3", "100000").await?;
    let citra = revenue_quota(&mut admin, "members/citra", "FY2026-Q3", "30000").await?;
    let ana = revenue_quota(&mut admin, "members/ana", "FY2026-Q3", "50000").await?;
    // Not part of it: another team's member, another period, another metric.
    revenue_quota(&mut admin, "members/budi", "FY2026-Q3", "99999").await?;
    revenue_quota(&mut admin, "members/ana", "FY2026-Q4", "77777").await?;
    create_quota(
        &mut admin,
        quota("members/ana", Metric::DealsWon, "FY2026-Q3", quantity("9")),
    )
    .await?;

    let rollup = rollup(&mut admin, rollup_of("teams/sales", Metric::Revenue, "FY2026-Q3")).await?;

    assert_eq!(rollup.team, "teams/sales");
    assert_eq!(
        rollup.team_quota.as_ref().map(|q| q.name.clone()),
        Some(team_quota.name)
    );
    let mut expected = vec![citra.name, ana.name];
    expected.sort();
    assert_eq!(member_quota_names(&rollup), expected);
    assert_eq!(amount(&rollup.members_total), dec("80000"));
    assert_eq!(currency(&rollup.members_total), "USD");
    assert_eq!(amount(&rollup.gap), dec("20000"), "positive: 20000 still to allocate");
    Ok(())
}

#[tokio::test]
async fn an_over_allocated_team_has_a_negative_gap() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    seed_org(&mut admin).await?;
    create_member(&mut admin, "dewi", "emea").await?;
    create_quota(
        &mut admin,
        quota("teams/emea", Metric::DealsWon, "FY2026-Q3", quantity("10")),
    )
    .await?;
    create_quota(
        &mut admin,
        quota("members/ana", Metric::DealsWon, "FY2026-Q3", quantity("7")),
    )
    .await?;
    create_quota(
        &mut admin,
        quota("members/dewi", Metric::DealsWon, "FY2026-Q3", quantity("6")),
    )
    .await?;

    let rollup = rollup(&mut admin, rollup_of("teams/emea", Metric::DealsWon, "FY2026-Q3")).await?;

    assert_eq!(amount(&rollup.members_total), dec("13"));
    assert_eq!(amount(&rollup.gap), dec("-3"));
    Ok(())
}

#[tokio::test]
async fn a_team_without_its_own_quota_still_totals_its_members() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    seed_org(&mut admin).await?;
    revenue_quota(&mut admin, "members/ana", "FY2026-Q3", "1000.50").await?;
    revenue_quota(&mut admin, "members/citra", "FY2026-Q3", "2000.25").await?;

    let request = GetTeamRollupRequest {
        currency_code: "USD".into(),
        ..rollup_of("teams/sales", Metric::Revenue, "FY2026-Q3")
    };
    let rollup = rollup(&mut admin, request).await?;

    assert_eq!(rollup.team_quota, None);
    assert_eq!(amount(&rollup.members_total), dec("3000.75"));
    Ok(())
}

#[tokio::test]
async fn members_in_another_currency_cannot_be_summed() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    seed_org(&mut admin).await?;
    revenue_quota(&mut admin, "teams/sales", "FY2026-Q3", "100000").await?;
    revenue_quota(&mut admin, "members/citra", "FY2026-Q3", "30000").await?;
    create_quota(
        &mut admin,
        quota("members/ana", Metric::Revenue, "FY2026-Q3", money("EUR", "40000")),
    )
    .await?;

    let answer = admin
        .get_team_rollup(rollup_of("teams/sales", Metric::Revenue, "FY2026-Q3"))
        .await;

    assert_code(answer, Code::FailedPrecondition);
    Ok(())
}
