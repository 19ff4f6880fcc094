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
