//! Quotas: targets per owner, metric and period, split into months, with their full history.

mod creating;
mod history;
mod listing;
mod recommendations;
mod rollup;

use lacak_proto::common::Measure;
use lacak_proto::goals::{CreateQuotaRequest, ListQuotaChangesRequest, Quota, QuotaChange, UpdateQuotaRequest};

use crate::helpers::{Goals, TestApp, mask, revenue_quota, seed_org, spawn_app};

/// A create request with the usual reason.
fn create(quota: Quota) -> CreateQuotaRequest {
    CreateQuotaRequest {
        quota: Some(quota),
        reason: "annual planning".into(),
        request_id: String::new(),
    }
}

/// A fresh service holding the seeded organisation, and its admin.
async fn seeded() -> anyhow::Result<(TestApp, Goals)> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    seed_org(&mut admin).await?;
    Ok((app, admin))
}

/// The seeded organisation with a revenue quota of 100000 USD for members/ana in FY2026-Q3.
async fn ana_q3() -> anyhow::Result<(TestApp, Goals, Quota)> {
    let (app, mut admin) = seeded().await?;
    let quota = revenue_quota(&mut admin, "members/ana", "FY2026-Q3", "100000").await?;
    Ok((app, admin, quota))
}

/// A manual update of `quota`'s target to `target`.
fn retarget(quota: &Quota, target: Measure, reason: &str) -> UpdateQuotaRequest {
    UpdateQuotaRequest {
        quota: Some(Quota {
            name: quota.name.clone(),
            target: Some(target),
            ..Default::default()
        }),
        update_mask: mask(&["target"]),
        reason: reason.into(),
        ..Default::default()
    }
}

/// A quota's recorded changes, oldest first, as `client` may read them.
async fn changes(client: &mut Goals, quota: &Quota) -> anyhow::Result<Vec<QuotaChange>> {
    let page = client
        .list_quota_changes(ListQuotaChangesRequest {
            parent: quota.name.clone(),
            ..Default::default()
        })
        .await?
        .into_inner();
    Ok(page.changes)
}
