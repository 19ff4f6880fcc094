//! Quotas: targets per owner, metric and period, split into months, with their full history.

mod creating;
mod history;
mod listing;
mod rollup;

use lacak_proto::goals::{CreateQuotaRequest, Quota};

use crate::helpers::{Goals, TestApp, seed_org, spawn_app};

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
