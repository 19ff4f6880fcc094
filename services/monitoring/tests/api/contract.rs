//! Every RPC refuses bad input with INVALID_ARGUMENT naming the field, and checks who is asking.

use futures::StreamExt;
use lacak_domain::Role;
use lacak_proto::monitoring as pb;
use tonic::Code;

use crate::helpers::*;

/// The fields a refused call names; a call that succeeds fails the test.
fn fields<T>(result: Result<tonic::Response<T>, tonic::Status>) -> Vec<String> {
    match result {
        Ok(_) => panic!("a bad request was accepted"),
        Err(status) => violated_fields(&status),
    }
}

#[tokio::test]
async fn every_rpc_names_the_field_it_refuses() {
    let suite = spawn_suite().await;
    org(&suite).await;
    let mut admin = suite.admin();

    let customer = pb::Customer {
        display_name: String::new(),
        ..Default::default()
    };
    assert_eq!(
        fields(
            admin
                .create_customer(pb::CreateCustomerRequest {
                    customer: Some(customer),
                    customer_id: "Not An Id".into(),
                    request_id: String::new(),
                })
                .await
        ),
        ["customer.display_name", "customer_id"]
    );
    assert_eq!(
        fields(
            admin
                .get_customer(pb::GetCustomerRequest { name: "cust/x".into() })
                .await
        ),
        ["name"]
    );
    assert_eq!(
        fields(
            admin
                .list_customers(pb::ListCustomersRequest {
                    page_size: -1,
                    ..Default::default()
                })
                .await
        ),
        ["page_size"]
    );
    assert_eq!(
        fields(
            admin
                .update_customer(pb::UpdateCustomerRequest {
                    customer: Some(pb::Customer {
                        name: "customers/x".into(),
                        ..Default::default()
                    }),
                    update_mask: None,
                })
                .await
        ),
        ["update_mask"]
    );
    assert_eq!(
        fields(admin.get_lead(pb::GetLeadRequest { name: String::new() }).await),
        ["name"]
    );
    assert_eq!(
        fields(
            admin
                .list_leads(pb::ListLeadsRequest {
                    owner: "ana".into(),
                    ..Default::default()
                })
                .await
        ),
        ["owner"]
    );
    assert_eq!(
        fields(
            admin
                .update_lead(pb::UpdateLeadRequest {
                    lead: Some(pb::Lead {
                        name: "leads/x".into(),
                        ..Default::default()
                    }),
                    update_mask: mask(&["bogus"]),
                })
                .await
        ),
        ["update_mask"]
    );
    assert_eq!(
        fields(admin.get_deal(pb::GetDealRequest { name: "deals/".into() }).await),
        ["name"]
    );
    assert_eq!(
        fields(
            admin
                .list_deals(pb::ListDealsRequest {
                    page_token: "not-a-token".into(),
                    ..Default::default()
                })
                .await
        ),
        ["page_token"]
    );
    assert_eq!(
        fields(
            admin
                .update_deal(pb::UpdateDealRequest {
                    deal: Some(pb::Deal {
                        name: "deals/x".into(),
                        ..Default::default()
                    }),
                    update_mask: None,
                })
                .await
        ),
        ["update_mask"]
    );
    assert_eq!(
        fields(
            admin
                .move_deal_stage(pb::MoveDealStageRequest {
                    name: "deals/x".into(),
                    stage: " ".into(),
                    ..Default::default()
                })
                .await
        ),
        ["stage"]
    );
    assert_eq!(
        fields(admin.get_sale(pb::GetSaleRequest { name: "x".into() }).await),
        ["name"]
    );
    assert_eq!(
        fields(
            admin
                .list_sales(pb::ListSalesRequest {
                    member: "bob".into(),
                    ..Default::default()
                })
                .await
        ),
        ["member"]
    );
    assert_eq!(
        fields(
            admin
                .get_tracking_report(pb::GetTrackingReportRequest {
                    team: "sales".into(),
                    period: "Q3".into(),
                    ..Default::default()
                })
                .await
        ),
        ["team", "period", "currency_code"]
    );
    assert_eq!(
        fields(
            admin
                .export_tracking_report(pb::ExportTrackingReportRequest {
                    team: "teams/sales".into(),
                    period: "FY2026".into(),
                    currency_code: "rupiah".into(),
                    format: pb::ExportFormat::Csv as i32,
                })
                .await
        ),
        ["currency_code"]
    );
    assert_eq!(
        fields(
            admin
                .watch_kpis(pb::WatchKpisRequest {
                    owner: "ana".into(),
                    period: "FY2026".into(),
                    scope: None,
                    currency_code: "IDR".into(),
                })
                .await
        ),
        ["owner"]
    );
    // A dry run checks members as a real batch would.
    assert_eq!(
        fields(
            admin
                .ingest_events(pb::IngestEventsRequest {
                    events: vec![sale_event(
                        "x",
                        sale("x", "nobody", "LAP-1", "1", "1", "2026-01-01T00:00:00Z")
                    )],
                    validate_only: true,
                })
                .await
        ),
        ["events[0].sale.owner"]
    );
    // A stream ends with the refused batch's error, naming its event.
    let mut acks = admin
        .stream_ingest_events(futures::stream::iter([pb::StreamIngestEventsRequest {
            batch_id: "b".into(),
            events: vec![sale_event(
                "y",
                sale("y", "ana", "LAP-1", "0", "1", "2026-01-01T00:00:00Z"),
            )],
            validate_only: false,
        }]))
        .await
        .unwrap()
        .into_inner();
    let refused = acks.next().await.expect("an answer").unwrap_err();
    assert_eq!(violated_fields(&refused), ["events[0].sale.lines[0].quantity"]);
}

#[tokio::test]
async fn writes_and_reads_are_bounded_by_role_and_tenant() {
    let suite = spawn_suite().await;
    org(&suite).await;
    product(&suite, "LAP-1", "1").await;
    let deal = |owner: &str| pb::CreateDealRequest {
        deal: Some(pb::Deal {
            owner: format!("members/{owner}"),
            amount: idr("100"),
            stage: "qualify".into(),
            ..Default::default()
        }),
        request_id: String::new(),
    };
    let mut ana = suite.rep("ana");
    let code = |status: tonic::Status| status.code();

    // Reps record for themselves only, and do not change customers or ingest batches.
    assert!(ana.create_deal(deal("ana")).await.is_ok());
    assert_eq!(
        code(ana.create_deal(deal("budi")).await.unwrap_err()),
        Code::PermissionDenied
    );
    let for_budi = pb::RecordSaleRequest {
        sale: Some(sale("s-b", "budi", "LAP-1", "1", "10", "2026-02-01T00:00:00Z")),
    };
    assert_eq!(
        code(ana.record_sale(for_budi).await.unwrap_err()),
        Code::PermissionDenied
    );
    let customer = pb::CreateCustomerRequest {
        customer: Some(pb::Customer {
            display_name: "Toko".into(),
            ..Default::default()
        }),
        ..Default::default()
    };
    assert_eq!(
        code(ana.create_customer(customer).await.unwrap_err()),
        Code::PermissionDenied
    );
    let batch = futures::stream::iter([pb::StreamIngestEventsRequest::default()]);
    assert_eq!(
        code(ana.stream_ingest_events(batch).await.unwrap_err()),
        Code::PermissionDenied
    );
    let watch = pb::WatchKpisRequest {
        owner: "members/budi".into(),
        period: "FY2026".into(),
        scope: None,
        currency_code: "IDR".into(),
    };
    assert_eq!(code(ana.watch_kpis(watch).await.unwrap_err()), Code::PermissionDenied);

    // Managers record for the members of their teams' subtrees, nobody else.
    let mut manager = suite.manager(&["emea"]);
    let budis = manager
        .create_deal(deal("budi"))
        .await
        .unwrap()
        .into_inner()
        .deal
        .unwrap();
    assert_eq!(
        code(manager.create_deal(deal("citra")).await.unwrap_err()),
        Code::PermissionDenied
    );

    // Another member's deal, or another tenant's, reads as missing.
    let get = |name: &str| pb::GetDealRequest { name: name.to_owned() };
    assert_eq!(code(ana.get_deal(get(&budis.name)).await.unwrap_err()), Code::NotFound);
    let mut stranger = suite.monitoring(&suite.token(OTHER_TENANT, "admin", Role::Admin, &[]));
    assert_eq!(
        code(stranger.get_deal(get(&budis.name)).await.unwrap_err()),
        Code::NotFound
    );
    assert!(suite.admin().get_deal(get(&budis.name)).await.is_ok());
    let leads = stranger
        .list_leads(pb::ListLeadsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(leads.leads.is_empty());
}
