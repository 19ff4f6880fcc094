//! Who sees whose numbers: a rep their own, a manager their teams', an admin all; tenants apart.

use lacak_domain::Role;
use lacak_proto::monitoring as pb;
use tonic::Code;

use crate::helpers::*;

fn ask(owner: &str) -> pb::GetKpisRequest {
    pb::GetKpisRequest {
        owner: owner.into(),
        period: "FY2026-Q1".into(),
        scope: None,
        currency_code: "IDR".into(),
        as_of: None,
    }
}

#[tokio::test]
async fn reps_managers_and_other_tenants_see_only_what_is_theirs() {
    let suite = spawn_suite().await;
    org(&suite).await;
    product(&suite, "LAP-1", "1").await;
    ingest(
        &suite,
        vec![
            sale_event("a", sale("a", "ana", "LAP-1", "1", "100", "2026-02-01T00:00:00Z")),
            sale_event("b", sale("b", "budi", "LAP-1", "1", "200", "2026-02-01T00:00:00Z")),
            sale_event("c", sale("c", "citra", "LAP-1", "1", "300", "2026-02-01T00:00:00Z")),
        ],
    )
    .await;
    let mut ana = suite.rep("ana");
    assert!(ana.get_kpis(ask("members/ana")).await.is_ok());
    assert_eq!(
        ana.get_kpis(ask("members/budi")).await.unwrap_err().code(),
        Code::PermissionDenied
    );
    assert_eq!(
        ana.get_kpis(ask("teams/emea")).await.unwrap_err().code(),
        Code::PermissionDenied
    );
    let own: Vec<String> = ana
        .list_sales(pb::ListSalesRequest::default())
        .await
        .unwrap()
        .into_inner()
        .sales
        .into_iter()
        .map(|s| s.external_id)
        .collect();
    assert_eq!(own, ["a"]);

    let mut manager = suite.manager(&["emea"]);
    let emea = manager
        .get_kpis(ask("teams/uk"))
        .await
        .unwrap()
        .into_inner()
        .kpis
        .unwrap();
    assert_eq!(amount(&emea.revenue), dec("200"));
    assert_eq!(
        manager.get_kpis(ask("members/citra")).await.unwrap_err().code(),
        Code::PermissionDenied
    );
    assert_eq!(
        manager.get_kpis(ask("teams/sales")).await.unwrap_err().code(),
        Code::PermissionDenied
    );
    let report = manager
        .get_tracking_report(pb::GetTrackingReportRequest {
            team: "teams/apac".into(),
            period: "FY2026-Q1".into(),
            currency_code: "IDR".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(report.code(), Code::PermissionDenied);

    let mut stranger = suite.monitoring(&suite.token(OTHER_TENANT, "admin", Role::Admin, &[]));
    let theirs = stranger
        .list_sales(pb::ListSalesRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(theirs.sales.is_empty(), "another tenant sees none of these sales");
    assert_eq!(
        stranger.get_kpis(ask("members/ana")).await.unwrap_err().code(),
        Code::NotFound
    );

    let mut nobody =
        lacak_proto::monitoring::monitoring_service_client::MonitoringServiceClient::new(suite.fresh_channel().await);
    assert_eq!(
        nobody.get_kpis(ask("members/ana")).await.unwrap_err().code(),
        Code::Unauthenticated
    );
}

/// A deal's credit follows the same reach as its owner when it is changed, as when it is created:
/// no crediting a member outside the caller's reach, nor one goals does not know.
#[tokio::test]
async fn a_deal_credit_is_rewritten_only_within_reach_and_to_members_that_exist() {
    let suite = spawn_suite().await;
    org(&suite).await;
    let mut ana = suite.rep("ana");
    let deal = ana
        .create_deal(pb::CreateDealRequest {
            deal: Some(pb::Deal {
                owner: "members/ana".into(),
                amount: Some(money("IDR", "1000")),
                stage: "qualify".into(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .deal
        .unwrap();
    let recredit = |credit: &[(&str, &str)]| pb::UpdateDealRequest {
        deal: Some(pb::Deal {
            name: deal.name.clone(),
            credit: split(credit),
            ..Default::default()
        }),
        update_mask: Some(prost_types::FieldMask {
            paths: vec!["credit".into()],
        }),
    };
    // citra is in apac, outside a rep's reach; nobody is not a member at all.
    let outside = ana
        .update_deal(recredit(&[("ana", "50"), ("citra", "50")]))
        .await
        .unwrap_err();
    assert_eq!(outside.code(), Code::PermissionDenied, "{}", outside.message());
    // A rep learns nothing of members outside their reach, whether they exist or not.
    let unknown = ana
        .update_deal(recredit(&[("ana", "50"), ("nobody", "50")]))
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::PermissionDenied, "{}", unknown.message());
    // The manager of emea may not credit apac either; an admin may.
    let mut manager = suite.manager(&["emea"]);
    let status = manager
        .update_deal(recredit(&[("budi", "50"), ("citra", "50")]))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied, "{}", status.message());
    let kept = suite
        .admin()
        .get_deal(pb::GetDealRequest {
            name: deal.name.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .deal
        .unwrap();
    assert!(kept.credit.is_empty(), "nothing refused was written: {:?}", kept.credit);
    let mut admin = suite.admin();
    let unknown = admin
        .update_deal(recredit(&[("ana", "50"), ("nobody", "50")]))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&unknown), ["deal.credit[1].member"]);
    let split_deal = admin
        .update_deal(recredit(&[("ana", "50"), ("citra", "50")]))
        .await
        .unwrap()
        .into_inner()
        .deal
        .unwrap();
    assert_eq!(split_deal.credit.len(), 2);
}
