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
        include_counts: false,
        skip_leading_empty_months: false,
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

/// Counts per month, worked out by hand for EMEA (ana in emea, budi in uk below it; citra in apac):
/// - leads: ana on 5 and 20 January, budi on 10 February; citra's on 11 February is outside.
/// - deals: d1 (ana's, credit ana 60% / budi 40%) won 14 February; d2 (budi's) won 2 March; d3
///   (ana's) lost 30 January, which counts nowhere.
/// - customers: c1 acquired by ana 15 January, c2 by budi 10 March; citra's c3 is outside.
///
/// Nobody sold anything: members with only counts still have a series.
#[tokio::test]
async fn count_series_give_deals_won_leads_and_new_customers_per_month() {
    let suite = spawn_suite().await;
    org(&suite).await;
    let mut split_deal = deal_event("d1", "ana", "1000", "qualify", "2026-01-10T00:00:00Z");
    if let Some(pb::ingest_event::Event::Deal(deal)) = split_deal.event.as_mut() {
        deal.credit = split(&[("ana", "60"), ("budi", "40")]);
    }
    ingest(
        &suite,
        vec![
            lead_event("l1", "ana", "2026-01-05T00:00:00Z", None),
            lead_event("l2", "ana", "2026-01-20T00:00:00Z", None),
            lead_event("l3", "budi", "2026-02-10T00:00:00Z", None),
            lead_event("l4", "citra", "2026-02-11T00:00:00Z", None),
            split_deal,
            closure_event("d1", true, "2026-02-14T00:00:00Z"),
            deal_event("d2", "budi", "500", "qualify", "2026-02-01T00:00:00Z"),
            closure_event("d2", true, "2026-03-02T00:00:00Z"),
            deal_event("d3", "ana", "700", "qualify", "2026-01-02T00:00:00Z"),
            closure_event("d3", false, "2026-01-30T00:00:00Z"),
        ],
    )
    .await;
    let mut admin = suite.admin();
    for (id, owner, acquired) in [
        ("c1", "ana", "2026-01-15T00:00:00Z"),
        ("c2", "budi", "2026-03-10T00:00:00Z"),
        ("c3", "citra", "2026-02-01T00:00:00Z"),
    ] {
        admin
            .create_customer(pb::CreateCustomerRequest {
                customer: Some(pb::Customer {
                    display_name: id.to_uppercase(),
                    owner: format!("members/{owner}"),
                    acquire_time: ts(acquired),
                    ..Default::default()
                }),
                customer_id: id.into(),
                request_id: String::new(),
            })
            .await
            .expect("a customer");
    }
    /// Deals won, leads generated and new customers of one month.
    type Counts = (Decimal, i64, i64);
    let counts = |series: &pb::SalesSeries| -> Vec<Counts> {
        series
            .points
            .iter()
            .map(|p| {
                (
                    value(&p.deals_won),
                    p.leads_generated.expect("leads asked for"),
                    p.new_customers.expect("customers asked for"),
                )
            })
            .collect()
    };
    let ask_counts = |dimension: pb::SeriesDimension| pb::GetSalesSeriesRequest {
        dimension: dimension as i32,
        include_counts: true,
        ..ask("teams/emea")
    };
    let total = admin
        .get_sales_series(ask_counts(pb::SeriesDimension::Total))
        .await
        .unwrap()
        .into_inner()
        .series;
    assert_eq!(total.len(), 1);
    assert_eq!(total[0].subject, "teams/emea");
    // January: 2 leads, c1. February: d1 (0.6 + 0.4), l3. March: d2, c2.
    assert_eq!(
        counts(&total[0]),
        [(dec("0"), 2, 1), (dec("1"), 1, 0), (dec("1"), 0, 1)]
    );
    let members = admin
        .get_sales_series(ask_counts(pb::SeriesDimension::Member))
        .await
        .unwrap()
        .into_inner()
        .series;
    let by_member: Vec<(&str, Vec<Counts>)> = members.iter().map(|s| (s.subject.as_str(), counts(s))).collect();
    assert_eq!(
        by_member,
        [
            (
                "members/ana",
                vec![(dec("0"), 2, 1), (dec("0.6"), 0, 0), (dec("0"), 0, 0)]
            ),
            (
                "members/budi",
                vec![(dec("0"), 0, 0), (dec("0.4"), 1, 0), (dec("1"), 0, 1)]
            ),
        ]
    );
    // From each member's first month with anything: budi's January was empty.
    let trimmed = admin
        .get_sales_series(pb::GetSalesSeriesRequest {
            skip_leading_empty_months: true,
            ..ask_counts(pb::SeriesDimension::Member)
        })
        .await
        .unwrap()
        .into_inner()
        .series;
    let firsts: Vec<(&str, usize, &str)> = trimmed
        .iter()
        .map(|s| (s.subject.as_str(), s.points.len(), s.points[0].period.as_str()))
        .collect();
    assert_eq!(
        firsts,
        [("members/ana", 3, "FY2026-M01"), ("members/budi", 2, "FY2026-M02")]
    );

    // The KPIs of each month count the same.
    for (month, point) in ["FY2026-M01", "FY2026-M02", "FY2026-M03"].iter().zip(&total[0].points) {
        let kpis = kpis(&suite, "teams/emea", month).await;
        assert_eq!(value(&kpis.won_deal_count), value(&point.deals_won), "{month}");
        assert_eq!(Some(kpis.leads_created), point.leads_generated, "{month}");
        assert_eq!(Some(kpis.new_customers), point.new_customers, "{month}");
    }

    // Without asking, no counts; per product there are none to give.
    let unasked = admin
        .get_sales_series(pb::GetSalesSeriesRequest {
            dimension: pb::SeriesDimension::Total as i32,
            ..ask("teams/emea")
        })
        .await
        .unwrap()
        .into_inner();
    let first = &unasked.series[0].points[0];
    assert_eq!(
        (first.deals_won.is_none(), first.leads_generated, first.new_customers),
        (true, None, None)
    );
    let refused = admin
        .get_sales_series(ask_counts(pb::SeriesDimension::Product))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert_eq!(violated_fields(&refused), ["include_counts"]);
}
