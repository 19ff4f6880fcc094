//! Sales series by product category: each category sums its products and its sub-categories'
//! products, month by month, and agrees with GetKpis scoped to the same category.

use lacak_proto::common::Scope;
use lacak_proto::inventory::{Category, CreateCategoryRequest, CreateProductRequest, Product, ProductKind};
use lacak_proto::monitoring as pb;
use rust_decimal::Decimal;
use tonic::Code;

use crate::helpers::*;

/// The catalogue: hardware ⊃ laptops; phones on its own; CABLE in no category.
/// LAP-1 (laptops) costs 600, DOCK-1 (hardware itself) 100, PH-1 (phones) 200, CABLE 1.
async fn catalogue(suite: &Suite) {
    let mut inventory = suite.inventory(&suite.admin_token());
    for (id, parent) in [("hardware", ""), ("laptops", "categories/hardware"), ("phones", "")] {
        inventory
            .create_category(CreateCategoryRequest {
                category: Some(Category {
                    display_name: id.to_uppercase(),
                    parent: parent.into(),
                    ..Default::default()
                }),
                category_id: id.into(),
                request_id: String::new(),
            })
            .await
            .expect("a category");
    }
    for (sku, category, cost) in [
        ("LAP-1", "laptops", "600"),
        ("DOCK-1", "hardware", "100"),
        ("PH-1", "phones", "200"),
        ("CABLE", "", "1"),
    ] {
        inventory
            .create_product(CreateProductRequest {
                product: Some(Product {
                    display_name: sku.into(),
                    kind: ProductKind::Product as i32,
                    category: if category.is_empty() {
                        String::new()
                    } else {
                        format!("categories/{category}")
                    },
                    unit_of_measure: "unit".into(),
                    ..Default::default()
                }),
                sku: sku.into(),
                request_id: String::new(),
            })
            .await
            .expect("a product");
        add_cost(suite, sku, cost, "2020-01-01T00:00:00Z").await;
    }
}

/// January: ana 2 × LAP-1 at 1000 = 2000; budi 3 × PH-1 at 300 = 900.
/// February: ana 1 × PH-1 = 300 and 2 × DOCK-1 at 250 = 500; citra 1 × LAP-1 = 1000; ana 5 × CABLE
/// at 10 = 50; budi one sale of 1 × LAP-1 at 1000 less 10% = 900 and 1 × PH-1 = 300.
async fn sales(suite: &Suite) {
    let mut two_lines = sale("s6", "budi", "LAP-1", "1", "1000", "2026-02-25T00:00:00Z");
    two_lines.lines[0].discount_percent = num("10");
    two_lines.lines.push(pb::SaleLine {
        sku: "PH-1".into(),
        quantity: num("1"),
        unit_price: idr("300"),
        ..Default::default()
    });
    ingest(
        suite,
        vec![
            sale_event("s1", sale("s1", "ana", "LAP-1", "2", "1000", "2026-01-10T00:00:00Z")),
            sale_event("s2", sale("s2", "budi", "PH-1", "3", "300", "2026-01-20T00:00:00Z")),
            sale_event("s3", sale("s3", "ana", "PH-1", "1", "300", "2026-02-03T00:00:00Z")),
            sale_event("s4", sale("s4", "citra", "LAP-1", "1", "1000", "2026-02-15T00:00:00Z")),
            sale_event("s5", sale("s5", "ana", "CABLE", "5", "10", "2026-02-20T00:00:00Z")),
            sale_event("s6", two_lines),
            sale_event("s7", sale("s7", "ana", "DOCK-1", "2", "250", "2026-02-05T00:00:00Z")),
        ],
    )
    .await;
}

fn ask(owner: &str) -> pb::GetSalesSeriesRequest {
    pb::GetSalesSeriesRequest {
        owner: owner.into(),
        dimension: pb::SeriesDimension::Category as i32,
        start_period: "FY2026-M01".into(),
        end_period: "FY2026-M03".into(),
        currency_code: "IDR".into(),
    }
}

/// Each series' subject with its monthly revenue.
fn revenue_by_subject(series: &[pb::SalesSeries]) -> Vec<(String, Vec<Decimal>)> {
    series
        .iter()
        .map(|s| (s.subject.clone(), s.points.iter().map(|p| amount(&p.revenue)).collect()))
        .collect()
}

fn subject(name: &str, months: [&str; 3]) -> (String, Vec<Decimal>) {
    (name.to_owned(), months.iter().map(|m| dec(m)).collect())
}

#[tokio::test]
async fn category_series_sum_their_products_and_agree_with_scoped_kpis() {
    let suite = spawn_suite().await;
    org(&suite).await;
    catalogue(&suite).await;
    sales(&suite).await;
    let series = suite
        .admin()
        .get_sales_series(ask("teams/sales"))
        .await
        .unwrap()
        .into_inner()
        .series;
    assert_eq!(
        revenue_by_subject(&series),
        [
            // laptops' 2000 | 1000 + 900, plus DOCK-1's 500 in February: 1900 + 500 = 2400.
            subject("categories/hardware", ["2000", "2400", "0"]),
            // s1 | s4 + s6's first line.
            subject("categories/laptops", ["2000", "1900", "0"]),
            // s2 | s3 + s6's second line = 300 + 300. CABLE's 50 is in no series.
            subject("categories/phones", ["900", "600", "0"]),
        ]
    );
    let laptops = &series[1].points[1];
    // February's laptops: 1 + 1 units; margin 1900 − 2 × 600 = 700.
    assert_eq!(value(&laptops.units_sold), dec("2"));
    assert_eq!(amount(&laptops.gross_margin), dec("700"));

    // GetKpis with the same category scope reads the same months.
    for (category, month, expected) in [
        ("hardware", "FY2026-M01", "2000"),
        ("hardware", "FY2026-M02", "2400"),
        ("laptops", "FY2026-M02", "1900"),
        ("phones", "FY2026-M01", "900"),
        ("phones", "FY2026-M02", "600"),
    ] {
        let scope = Scope {
            product_category: format!("categories/{category}"),
            ..Default::default()
        };
        let kpis = kpis_scoped(&suite, "teams/sales", month, Some(scope)).await;
        assert_eq!(amount(&kpis.revenue), dec(expected), "{category} in {month}");
    }
}

#[tokio::test]
async fn a_rep_sees_their_own_category_series_only() {
    let suite = spawn_suite().await;
    org(&suite).await;
    catalogue(&suite).await;
    sales(&suite).await;
    let mut ana = suite.rep("ana");
    let own = ana
        .get_sales_series(ask("members/ana"))
        .await
        .unwrap()
        .into_inner()
        .series;
    assert_eq!(
        revenue_by_subject(&own),
        [
            // s1 | s7's DOCK-1.
            subject("categories/hardware", ["2000", "500", "0"]),
            subject("categories/laptops", ["2000", "0", "0"]),
            // s3.
            subject("categories/phones", ["0", "300", "0"]),
        ]
    );
    for owner in ["teams/emea", ""] {
        let status = ana.get_sales_series(ask(owner)).await.unwrap_err();
        assert_eq!(status.code(), Code::PermissionDenied, "{owner:?}");
    }
}
