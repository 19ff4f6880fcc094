//! Listing quotas: filters, order and pages.

use lacak_proto::goals::{ListQuotasRequest, Metric, Quota};

use super::seeded;
use crate::helpers::{Goals, assert_invalid, create_quota, quantity, quota, revenue_quota};

async fn names(client: &mut Goals, request: ListQuotasRequest) -> anyhow::Result<Vec<String>> {
    let quotas = client.list_quotas(request).await?.into_inner().quotas;
    Ok(quotas.into_iter().map(|q| q.name).collect())
}

#[tokio::test]
async fn quotas_are_listed_by_owner_period_and_metric() -> anyhow::Result<()> {
    let (_app, mut admin) = seeded().await?;
    let ana_q3 = revenue_quota(&mut admin, "members/ana", "FY2026-Q3", "100").await?;
    let ana_q4 = revenue_quota(&mut admin, "members/ana", "FY2026-Q4", "100").await?;
    let ana_deals = create_quota(
        &mut admin,
        quota("members/ana", Metric::DealsWon, "FY2026-Q3", quantity("5")),
    )
    .await?;
    let budi_q3 = revenue_quota(&mut admin, "members/budi", "FY2026-Q3", "100").await?;
    let list = |owner: &str, period: &str, metric: Metric| ListQuotasRequest {
        owner: owner.into(),
        period: period.into(),
        metric: metric as i32,
        ..Default::default()
    };
    let sorted = |mut v: Vec<&Quota>| {
        v.sort_by(|a, b| a.name.cmp(&b.name));
        v.into_iter().map(|q| q.name.clone()).collect::<Vec<_>>()
    };

    assert_eq!(
        names(&mut admin, list("members/ana", "", Metric::Unspecified)).await?,
        sorted(vec![&ana_q3, &ana_q4, &ana_deals])
    );
    assert_eq!(
        names(&mut admin, list("", "FY2026-Q3", Metric::Unspecified)).await?,
        sorted(vec![&ana_q3, &ana_deals, &budi_q3])
    );
    assert_eq!(
        names(&mut admin, list("", "FY2026-Q3", Metric::Revenue)).await?,
        sorted(vec![&ana_q3, &budi_q3])
    );
    assert_eq!(
        names(&mut admin, list("members/ana", "FY2026-Q3", Metric::DealsWon)).await?,
        sorted(vec![&ana_deals])
    );
    Ok(())
}

#[tokio::test]
async fn quota_lists_page_by_name_and_guard_their_tokens() -> anyhow::Result<()> {
    let (_app, mut admin) = seeded().await?;
    let mut created = Vec::new();
    for period in ["FY2026-M01", "FY2026-M02", "FY2026-M03", "FY2026-M04", "FY2026-M05"] {
        created.push(revenue_quota(&mut admin, "members/ana", period, "10").await?.name);
    }
    created.sort();

    let (mut seen, mut token, mut pages) = (Vec::new(), String::new(), 0);
    loop {
        let page = admin
            .list_quotas(ListQuotasRequest {
                owner: "members/ana".into(),
                page_size: 2,
                page_token: token.clone(),
                ..Default::default()
            })
            .await?
            .into_inner();
        pages += 1;
        seen.extend(page.quotas.into_iter().map(|q| q.name));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
        let other_filter = admin
            .list_quotas(ListQuotasRequest {
                owner: "members/budi".into(),
                page_size: 2,
                page_token: token.clone(),
                ..Default::default()
            })
            .await;
        assert_invalid(other_filter, "page_token");
    }
    assert_eq!((seen, pages), (created, 3));
    assert_invalid(
        admin
            .list_quotas(ListQuotasRequest {
                page_size: -5,
                ..Default::default()
            })
            .await,
        "page_size",
    );
    Ok(())
}

/// A team's subtree in one list: sales holds emea (with ana) and citra; apac and budi are outside.
#[tokio::test]
async fn a_teams_subtree_of_quotas_comes_in_one_list() -> anyhow::Result<()> {
    let (app, mut admin) = seeded().await?;
    let sales = revenue_quota(&mut admin, "teams/sales", "FY2026-Q3", "300").await?;
    let emea = revenue_quota(&mut admin, "teams/emea", "FY2026-Q3", "200").await?;
    let ana = revenue_quota(&mut admin, "members/ana", "FY2026-Q3", "100").await?;
    let citra = revenue_quota(&mut admin, "members/citra", "FY2026-Q4", "50").await?;
    revenue_quota(&mut admin, "teams/apac", "FY2026-Q3", "70").await?;
    revenue_quota(&mut admin, "members/budi", "FY2026-Q3", "60").await?;
    let subtree = |owner: &str| ListQuotasRequest {
        owner: owner.into(),
        include_subtree: true,
        ..Default::default()
    };
    let mut expected = vec![sales.name, emea.name.clone(), ana.name.clone(), citra.name];
    expected.sort();
    assert_eq!(names(&mut admin, subtree("teams/sales")).await?, expected);
    let mut below_emea = vec![emea.name.clone(), ana.name.clone()];
    below_emea.sort();
    assert_eq!(names(&mut admin, subtree("teams/emea")).await?, below_emea);
    // Filters still apply; so does what the caller may see.
    assert_eq!(
        names(
            &mut admin,
            ListQuotasRequest {
                period: "FY2026-Q4".into(),
                ..subtree("teams/sales")
            }
        )
        .await?
        .len(),
        1
    );
    let mut emea_manager = app.manager_of("emea");
    assert_eq!(names(&mut emea_manager, subtree("teams/sales")).await?, below_emea);
    assert_invalid(admin.list_quotas(subtree("members/ana")).await, "include_subtree");
    assert_invalid(admin.list_quotas(subtree("")).await, "include_subtree");
    Ok(())
}
