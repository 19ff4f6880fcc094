//! Account owners: set on create, update and ingestion by those who may write for them, and
//! credited with the customer's acquisition when it happens (never moved afterwards).

use lacak_proto::monitoring::{self as pb, ingest_event::Event};
use tonic::Code;

use crate::helpers::*;

/// A customer with `owner` ("" for none) and, when given, the instant it was acquired.
fn account(owner: &str, acquired: Option<&str>) -> pb::Customer {
    pb::Customer {
        display_name: "Account".into(),
        owner: owner.into(),
        acquire_time: acquired.and_then(ts),
        ..Default::default()
    }
}

async fn create(client: &mut Monitoring, id: &str, customer: pb::Customer) -> Result<pb::Customer, tonic::Status> {
    client
        .create_customer(pb::CreateCustomerRequest {
            customer: Some(customer),
            customer_id: id.into(),
            request_id: String::new(),
        })
        .await
        .map(|r| r.into_inner().customer.expect("the customer"))
}

async fn set_owner(client: &mut Monitoring, id: &str, owner: &str) -> Result<pb::Customer, tonic::Status> {
    client
        .update_customer(pb::UpdateCustomerRequest {
            customer: Some(pb::Customer {
                name: format!("customers/{id}"),
                owner: owner.into(),
                ..Default::default()
            }),
            update_mask: mask(&["owner"]),
        })
        .await
        .map(|r| r.into_inner().customer.expect("the customer"))
}

/// A customer event from the CRM, owned by `owner` ("" for none).
fn owned_event(id: &str, owner: &str, version: u32) -> pb::IngestEvent {
    event(
        &format!("customer-{id}-v{version}"),
        Event::Customer(pb::Customer {
            name: format!("customers/{id}"),
            display_name: id.to_uppercase(),
            owner: owner.into(),
            external_id: format!("crm-{id}"),
            ..Default::default()
        }),
    )
}

fn sale_to(customer: &str, mut sale: pb::Sale) -> pb::IngestEvent {
    sale.customer = format!("customers/{customer}");
    sale_event(&sale.external_id.clone(), sale)
}

async fn new_customers(suite: &Suite, owner: &str) -> i64 {
    kpis(suite, owner, "FY2026-Q1").await.new_customers
}

#[tokio::test]
async fn new_customers_credit_the_owner_at_acquisition_and_keep_it() {
    let suite = spawn_suite().await;
    org(&suite).await;
    product(&suite, "LAP-1", "600").await;
    let mut admin = suite.admin();

    // "owned": acquired on create while budi owns it.
    let owned = create(
        &mut admin,
        "owned",
        account("members/budi", Some("2026-01-15T00:00:00Z")),
    )
    .await
    .unwrap();
    assert_eq!(owned.owner, "members/budi");
    // "given": acquired on create without an owner: nobody is credited, and ana's later sale
    // (not an acquisition: it comes after the given time) does not change that.
    create(&mut admin, "given", account("", Some("2026-01-20T00:00:00Z")))
        .await
        .unwrap();
    let mut split_sale = sale("s-free", "budi", "LAP-1", "1", "1000", "2026-02-12T00:00:00Z");
    split_sale.credit = split(&[("ana", "70"), ("budi", "30")]);
    ingest(
        &suite,
        vec![
            // "sold": owned by budi from the CRM, acquired by ana's first sale: budi is credited.
            owned_event("sold", "members/budi", 1),
            sale_to(
                "sold",
                sale("s-sold", "ana", "LAP-1", "1", "1000", "2026-02-10T00:00:00Z"),
            ),
            // "free": no owner; the first sale's largest share (ana's 70%) wins it.
            owned_event("free", "", 1),
            sale_to("free", split_sale),
            sale_to(
                "given",
                sale("s-given", "ana", "LAP-1", "1", "1000", "2026-03-01T00:00:00Z"),
            ),
        ],
    )
    .await;
    // ana: free = 1. budi: owned + sold = 2. The whole organisation: 1 + 2, "given" credits nobody.
    assert_eq!(new_customers(&suite, "members/ana").await, 1);
    assert_eq!(new_customers(&suite, "members/budi").await, 2);
    assert_eq!(new_customers(&suite, "teams/sales").await, 3);

    // Both of budi's accounts pass to ana, by UpdateCustomer and by the CRM: the acquisitions
    // already credited stay budi's.
    let moved = set_owner(&mut admin, "owned", "members/ana").await.unwrap();
    assert_eq!(moved.owner, "members/ana");
    ingest(&suite, vec![owned_event("sold", "members/ana", 2)]).await;
    let sold = admin
        .get_customer(pb::GetCustomerRequest {
            name: "customers/sold".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .customer
        .unwrap();
    assert_eq!(sold.owner, "members/ana");
    assert_eq!(new_customers(&suite, "members/ana").await, 1);
    assert_eq!(new_customers(&suite, "members/budi").await, 2);

    // "late": budi's until it passes to ana, before anyone buys; budi's sale then acquires it for
    // its owner at that moment, ana. ana: 1 + late = 2; budi still 2; the organisation 4.
    create(&mut admin, "late", account("members/budi", None)).await.unwrap();
    set_owner(&mut admin, "late", "members/ana").await.unwrap();
    ingest(
        &suite,
        vec![sale_to(
            "late",
            sale("s-late", "budi", "LAP-1", "1", "1000", "2026-03-05T00:00:00Z"),
        )],
    )
    .await;
    assert_eq!(new_customers(&suite, "members/ana").await, 2);
    assert_eq!(new_customers(&suite, "members/budi").await, 2);
    assert_eq!(new_customers(&suite, "teams/sales").await, 4);
}

#[tokio::test]
async fn only_those_who_may_write_for_a_member_give_them_an_account() {
    let suite = spawn_suite().await;
    org(&suite).await;
    let mut admin = suite.admin();
    create(&mut admin, "apac-account", account("members/citra", None))
        .await
        .unwrap();

    // A rep changes no customer, owner or not.
    let mut rep = suite.rep("ana");
    let status = create(&mut rep, "mine", account("members/ana", None))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    let status = set_owner(&mut rep, "apac-account", "members/ana").await.unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);

    // emea's manager: budi is in uk, under emea; citra is in apac.
    let mut manager = suite.manager(&["emea"]);
    let created = create(&mut manager, "uk-account", account("members/budi", None))
        .await
        .unwrap();
    assert_eq!(created.owner, "members/budi");
    let status = create(&mut manager, "far", account("members/citra", None))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    let status = set_owner(&mut manager, "uk-account", "members/citra")
        .await
        .unwrap_err();
    assert_eq!(
        status.code(),
        Code::PermissionDenied,
        "giving an account outside the teams"
    );
    let status = set_owner(&mut manager, "apac-account", "members/ana")
        .await
        .unwrap_err();
    assert_eq!(
        status.code(),
        Code::PermissionDenied,
        "taking an account from outside the teams"
    );
    let moved = set_owner(&mut manager, "uk-account", "members/ana").await.unwrap();
    assert_eq!(moved.owner, "members/ana");
    let cleared = set_owner(&mut manager, "uk-account", "").await.unwrap();
    assert_eq!(cleared.owner, "", "an empty owner under the mask clears it");
}

#[tokio::test]
async fn owners_that_are_not_members_are_refused_naming_the_field() {
    let suite = spawn_suite().await;
    org(&suite).await;
    let mut admin = suite.admin();
    for owner in ["members/ghost", "teams/emea", "ana"] {
        let status = create(&mut admin, "acct", account(owner, None)).await.unwrap_err();
        assert_eq!(violated_fields(&status), ["customer.owner"], "{owner}");
    }
    create(&mut admin, "acct", account("", None)).await.unwrap();
    let status = set_owner(&mut admin, "acct", "members/ghost").await.unwrap_err();
    assert_eq!(violated_fields(&status), ["customer.owner"]);
    let status = admin
        .ingest_events(pb::IngestEventsRequest {
            events: vec![owned_event("crm-acct", "members/ghost", 1)],
            validate_only: false,
        })
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&status), ["events[0].customer.owner"]);
}
