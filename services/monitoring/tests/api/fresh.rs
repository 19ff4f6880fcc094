//! A KPI question asked again is answered from what the last read took from the database until
//! the tenant changes: every kind of write must be seen by the very next read.

use lacak_proto::monitoring::{self as pb, ingest_event::Event};

use crate::helpers::*;

fn customer(owner: &str, acquired: &str) -> pb::Customer {
    pb::Customer {
        display_name: "Account".into(),
        owner: owner.into(),
        acquire_time: ts(acquired),
        ..Default::default()
    }
}

#[tokio::test]
async fn the_read_after_any_write_sees_it() {
    let suite = spawn_suite().await;
    org(&suite).await;
    let mut admin = suite.admin();
    let new_customers = async |suite: &Suite| kpis(suite, "members/budi", "FY2026-Q1").await.new_customers;

    // Asked twice, so the second answer is the one kept.
    assert_eq!(new_customers(&suite).await, 0);
    assert_eq!(new_customers(&suite).await, 0);
    admin
        .create_customer(pb::CreateCustomerRequest {
            customer: Some(customer("members/budi", "2026-01-15T00:00:00Z")),
            customer_id: "first".into(),
            request_id: String::new(),
        })
        .await
        .unwrap();
    assert_eq!(new_customers(&suite).await, 1, "a customer created");

    // A batch of customers alone.
    ingest(
        &suite,
        vec![event(
            "customer-second",
            Event::Customer(pb::Customer {
                external_id: "crm-second".into(),
                ..customer("members/budi", "2026-02-01T00:00:00Z")
            }),
        )],
    )
    .await;
    assert_eq!(new_customers(&suite).await, 2, "a customer ingested");

    admin
        .update_customer(pb::UpdateCustomerRequest {
            customer: Some(pb::Customer {
                name: "customers/first".into(),
                acquire_time: ts("2025-12-01T00:00:00Z"),
                ..Default::default()
            }),
            update_mask: mask(&["acquire_time"]),
        })
        .await
        .unwrap();
    assert_eq!(new_customers(&suite).await, 1, "a customer acquired earlier after all");

    // The stages of the sales pipeline shape every stage cohort.
    let stages = async |suite: &Suite| kpis(suite, "members/budi", "FY2026-Q1").await.stage_cohorts.len();
    assert_eq!(stages(&suite).await, 3, "the default pipeline");
    admin
        .update_sales_pipeline(pb::UpdateSalesPipelineRequest {
            sales_pipeline: Some(pb::SalesPipeline {
                stages: ["discover", "demo"]
                    .map(|stage| pb::PipelineStage {
                        stage: stage.into(),
                        win_probability_percent: num("40"),
                    })
                    .into(),
                ..Default::default()
            }),
        })
        .await
        .unwrap();
    assert_eq!(stages(&suite).await, 2, "the pipeline changed");
}
