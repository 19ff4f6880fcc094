//! Who may call at all, and who may read or write what.

use std::time::Duration;

use lacak_domain::{Principal, Role};
use lacak_proto::goals::{GetFiscalCalendarRequest, GetQuotaRequest, ListQuotasRequest, Quota, UpdateQuotaRequest};
use tonic::Code;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

use crate::helpers::{Goals, TENANT, assert_code, mask, revenue_quota, seed_org, spawn_app, usd};

/// `{"alg":"none"}` with valid-looking admin claims and no signature.
const ALG_NONE: &str = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJpc3MiOiJsYWNhayIsImF1ZCI6ImxhY2FrIiwic3ViIjoieCIsImV4cCI6OTk5OTk5OTk5OSwiaWF0IjoxLCJ0ZW5hbnQiOiJhIiwicm9sZSI6ImFkbWluIn0.";

#[tokio::test]
async fn a_call_without_a_token_is_unauthenticated() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let answer = app.anonymous().get_fiscal_calendar(GetFiscalCalendarRequest {}).await;
    assert_code(answer, Code::Unauthenticated);
    Ok(())
}

#[tokio::test]
async fn garbage_forged_and_unsigned_tokens_are_unauthenticated() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let (_, forger) = lacak_runtime::auth::hs256_keys(
        b"not-the-secret-the-server-trusts-0123456789",
        "lacak",
        "lacak",
        Duration::from_secs(30),
    );
    let admin = Principal {
        tenant: TENANT.into(),
        subject: "mallory".into(),
        role: Role::Admin,
        teams: vec![],
    };
    let forged = forger.issue(&admin, Duration::from_secs(300), None)?;

    for (story, token) in [
        ("garbage", "not-a-jwt"),
        ("signed with another secret", forged.as_str()),
        ("alg none", ALG_NONE),
    ] {
        let answer = app.client(token).get_fiscal_calendar(GetFiscalCalendarRequest {}).await;
        assert_eq!(
            answer.as_ref().err().map(|s| s.code()),
            Some(Code::Unauthenticated),
            "{story}: {answer:?}"
        );
        assert_code(answer, Code::Unauthenticated);
    }
    Ok(())
}

#[tokio::test]
async fn health_answers_without_a_token() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut health = HealthClient::new(app.channel.clone());

    let liveness = health.check(HealthCheckRequest { service: String::new() }).await?;
    assert_eq!(liveness.into_inner().status, ServingStatus::Serving as i32);

    let readiness = health
        .check(HealthCheckRequest {
            service: "lacak.goals.v1.GoalsService".into(),
        })
        .await?;
    assert_eq!(readiness.into_inner().status, ServingStatus::Serving as i32);
    Ok(())
}

/// What a caller should get back.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    Allowed,
    /// PERMISSION_DENIED.
    Denied,
    /// PERMISSION_DENIED or NOT_FOUND: a read of something the caller may not see.
    Hidden,
    /// NOT_FOUND, exactly like a missing quota.
    NotFound,
}

fn outcome(result: Result<(), tonic::Status>) -> Result<(), (Code, String)> {
    result.map_err(|s| (s.code(), s.message().to_owned()))
}

fn meets(expect: Expect, got: &Result<(), (Code, String)>) -> bool {
    matches!(
        (expect, got),
        (Expect::Allowed, Ok(()))
            | (Expect::Denied, Err((Code::PermissionDenied, _)))
            | (Expect::Hidden, Err((Code::PermissionDenied | Code::NotFound, _)))
            | (Expect::NotFound, Err((Code::NotFound, _)))
    )
}

async fn read(client: &mut Goals, quota: &Quota) -> Result<(), tonic::Status> {
    client
        .get_quota(GetQuotaRequest {
            name: quota.name.clone(),
        })
        .await
        .map(|_| ())
}

async fn write(client: &mut Goals, quota: &Quota, amount: &str) -> Result<(), tonic::Status> {
    client
        .update_quota(UpdateQuotaRequest {
            quota: Some(Quota {
                name: quota.name.clone(),
                target: Some(usd(amount)),
                ..Default::default()
            }),
            update_mask: mask(&["target"]),
            reason: "access check".into(),
            ..Default::default()
        })
        .await
        .map(|_| ())
}

#[tokio::test]
async fn quota_access_matrix() -> anyhow::Result<()> {
    use Expect::*;
    let app = spawn_app().await;
    let mut admin = app.admin();
    seed_org(&mut admin).await?;
    // ana is in emea (under sales); budi is in apac.
    let ana_quota = revenue_quota(&mut admin, "members/ana", "FY2026-Q3", "1000").await?;
    let budi_quota = revenue_quota(&mut admin, "members/budi", "FY2026-Q3", "2000").await?;

    // (who, client, quota, read, write)
    let cases: Vec<(&str, Goals, &Quota, Expect, Expect)> = vec![
        ("admin", app.admin(), &ana_quota, Allowed, Allowed),
        (
            "manager of sales on ana (sub-team)",
            app.manager_of("sales"),
            &ana_quota,
            Allowed,
            Allowed,
        ),
        (
            "manager of sales on budi (apac)",
            app.manager_of("sales"),
            &budi_quota,
            Hidden,
            Denied,
        ),
        ("rep ana on her own", app.rep("ana"), &ana_quota, Allowed, Denied),
        ("rep ana on budi's", app.rep("ana"), &budi_quota, Hidden, Denied),
        (
            "admin of another tenant",
            app.other_tenant_admin(),
            &ana_quota,
            NotFound,
            NotFound,
        ),
        ("service", app.service(), &ana_quota, Allowed, Denied),
    ];

    let mut wrong = Vec::new();
    for (i, (who, mut client, quota, expect_read, expect_write)) in cases.into_iter().enumerate() {
        let got_read = outcome(read(&mut client, quota).await);
        if !meets(expect_read, &got_read) {
            wrong.push(format!(
                "{who} reading {}: expected {expect_read:?}, got {got_read:?}",
                quota.name
            ));
        }
        let amount = format!("{}", 5000 + i);
        let got_write = outcome(write(&mut client, quota, &amount).await);
        if !meets(expect_write, &got_write) {
            wrong.push(format!(
                "{who} writing {}: expected {expect_write:?}, got {got_write:?}",
                quota.name
            ));
        }
    }
    assert!(wrong.is_empty(), "access matrix mismatches:\n{}", wrong.join("\n"));
    Ok(())
}

#[tokio::test]
async fn a_rep_lists_only_their_own_quotas() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    seed_org(&mut admin).await?;
    let ana_quota = revenue_quota(&mut admin, "members/ana", "FY2026-Q3", "1000").await?;
    revenue_quota(&mut admin, "members/budi", "FY2026-Q3", "2000").await?;
    revenue_quota(&mut admin, "teams/emea", "FY2026-Q3", "9000").await?;

    let listed = app
        .rep("ana")
        .list_quotas(ListQuotasRequest::default())
        .await?
        .into_inner();

    let names: Vec<_> = listed.quotas.iter().map(|q| q.name.as_str()).collect();
    assert_eq!(names, [ana_quota.name.as_str()]);
    Ok(())
}

#[tokio::test]
async fn another_tenant_sees_nothing_of_this_one() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    seed_org(&mut admin).await?;
    revenue_quota(&mut admin, "members/ana", "FY2026-Q3", "1000").await?;

    let mut stranger = app.other_tenant_admin();
    let quotas = stranger.list_quotas(ListQuotasRequest::default()).await?.into_inner();
    assert!(quotas.quotas.is_empty(), "another tenant listed {:?}", quotas.quotas);
    let teams = stranger
        .list_teams(lacak_proto::goals::ListTeamsRequest::default())
        .await?
        .into_inner();
    assert!(teams.teams.is_empty(), "another tenant listed {:?}", teams.teams);
    Ok(())
}
