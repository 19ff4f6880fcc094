//! The catalogue: categories, products and their life cycle.

use lacak_proto::inventory::{
    CreateCategoryRequest, CreateProductRequest, DeleteProductRequest, GetProductRequest, ListProductsRequest, Product,
    ProductKind, UpdateProductRequest, product,
};
use tonic::Code;

use crate::helpers::{
    Inventory, add_cost, add_estimate, add_price, amount, assert_all_ok, assert_code, check_invalid, create_category,
    create_goods, create_product, goods, mask, movement, record, sourcing_cost, spawn_app, usd,
};

async fn create(
    client: &mut Inventory,
    sku: &str,
    product: Product,
) -> Result<tonic::Response<lacak_proto::inventory::CreateProductResponse>, tonic::Status> {
    client
        .create_product(CreateProductRequest {
            product: Some(product),
            sku: sku.to_owned(),
            request_id: String::new(),
        })
        .await
}

async fn skus(client: &mut Inventory, request: ListProductsRequest) -> anyhow::Result<Vec<String>> {
    let listed = client.list_products(request).await?.into_inner();
    Ok(listed.products.into_iter().map(|p| p.sku).collect())
}

#[tokio::test]
async fn a_new_product_is_active_sold_each_and_named_by_its_sku() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    create_category(&mut admin, "laptops", None).await?;

    let created = create_product(
        &mut admin,
        "LAP-14.v2_b",
        Product {
            category: "categories/laptops".into(),
            tags: vec!["b2b".into()],
            ..goods("Laptop 14\"")
        },
    )
    .await?;

    assert_eq!(created.name, "products/LAP-14.v2_b");
    assert_eq!(created.sku, "LAP-14.v2_b");
    assert_eq!(created.unit_of_measure, "each", "the default unit");
    assert_eq!(created.state, product::State::Active as i32, "the default state");
    assert_eq!(created.kind, ProductKind::Product as i32);
    assert_eq!(created.category, "categories/laptops");
    assert!(created.create_time.is_some());
    let read = admin
        .get_product(GetProductRequest {
            name: created.name.clone(),
        })
        .await?
        .into_inner()
        .product;
    assert_eq!(read.as_ref(), Some(&created), "what was created is what is read");
    Ok(())
}

#[tokio::test]
async fn a_product_needs_a_valid_sku_a_name_and_a_kind() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    let mut outcomes = Vec::new();
    let too_long = "A".repeat(65);
    for bad in ["", "has space", "slash/y", "ümlaut", too_long.as_str()] {
        let answer = create(&mut admin, bad, goods("Widget")).await;
        outcomes.push((format!("sku {bad:?}"), check_invalid(answer, "sku")));
    }
    let answer = create(&mut admin, "W-1", goods("")).await;
    outcomes.push(("no display name".into(), check_invalid(answer, "product.display_name")));
    let answer = create(
        &mut admin,
        "W-2",
        Product {
            kind: ProductKind::Unspecified as i32,
            ..goods("Widget")
        },
    )
    .await;
    outcomes.push(("no kind".into(), check_invalid(answer, "product.kind")));
    assert_all_ok(outcomes);

    let longest = "A".repeat(64);
    create_product(&mut admin, &longest, goods("Sixty-four")).await?;
    Ok(())
}

#[tokio::test]
async fn a_sku_is_unique_and_a_category_must_exist() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    create_goods(&mut admin, "W-1", None).await?;

    assert_code(create(&mut admin, "W-1", goods("Again")).await, Code::AlreadyExists);
    let in_nowhere = Product {
        category: "categories/nowhere".into(),
        ..goods("Lost")
    };
    assert_code(create(&mut admin, "W-2", in_nowhere).await, Code::NotFound);
    Ok(())
}

#[tokio::test]
async fn a_category_id_is_lowercase_letters_digits_and_dashes() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    let too_long = "a".repeat(64);
    for bad in ["Upper", "under_score", "sp ace", too_long.as_str()] {
        let answer = admin
            .create_category(CreateCategoryRequest {
                category: Some(lacak_proto::inventory::Category {
                    display_name: "Bad".into(),
                    ..Default::default()
                }),
                category_id: bad.into(),
                request_id: String::new(),
            })
            .await;
        assert_code(answer, Code::InvalidArgument);
    }
    let ok = create_category(&mut admin, &"a".repeat(63), None).await?;
    assert_eq!(ok.name, format!("categories/{}", "a".repeat(63)));
    Ok(())
}

#[tokio::test]
async fn listing_by_category_includes_its_sub_categories() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    create_category(&mut admin, "hardware", None).await?;
    create_category(&mut admin, "laptops", Some("hardware")).await?;
    create_category(&mut admin, "gaming", Some("laptops")).await?;
    create_category(&mut admin, "services", None).await?;
    create_goods(&mut admin, "HW-1", Some("hardware")).await?;
    create_goods(&mut admin, "LAP-1", Some("laptops")).await?;
    create_goods(&mut admin, "GAM-1", Some("gaming")).await?;
    create_goods(&mut admin, "SVC-1", Some("services")).await?;
    create_goods(&mut admin, "LOOSE-1", None).await?;

    let under = |category: &str| ListProductsRequest {
        category: format!("categories/{category}"),
        ..Default::default()
    };
    assert_eq!(skus(&mut admin, under("hardware")).await?, ["GAM-1", "HW-1", "LAP-1"]);
    assert_eq!(skus(&mut admin, under("laptops")).await?, ["GAM-1", "LAP-1"]);
    assert_eq!(skus(&mut admin, under("gaming")).await?, ["GAM-1"]);
    assert_eq!(
        skus(&mut admin, ListProductsRequest::default()).await?,
        ["GAM-1", "HW-1", "LAP-1", "LOOSE-1", "SVC-1"],
        "everything, by SKU"
    );
    Ok(())
}

#[tokio::test]
async fn listing_filters_by_state_and_tag() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    for (sku, tags) in [
        ("A-1", vec!["b2b"]),
        ("B-1", vec!["b2c"]),
        ("C-1", vec!["b2b", "promo"]),
    ] {
        let product = Product {
            tags: tags.into_iter().map(String::from).collect(),
            ..goods(sku)
        };
        create_product(&mut admin, sku, product).await?;
    }
    retire(&mut admin, "C-1").await?;

    let active = ListProductsRequest {
        state: product::State::Active as i32,
        ..Default::default()
    };
    assert_eq!(skus(&mut admin, active).await?, ["A-1", "B-1"]);
    let retired = ListProductsRequest {
        state: product::State::Retired as i32,
        ..Default::default()
    };
    assert_eq!(skus(&mut admin, retired).await?, ["C-1"]);
    let b2b = ListProductsRequest {
        tag: "b2b".into(),
        ..Default::default()
    };
    assert_eq!(skus(&mut admin, b2b).await?, ["A-1", "C-1"]);
    Ok(())
}

async fn retire(client: &mut Inventory, sku: &str) -> anyhow::Result<Product> {
    let updated = client
        .update_product(UpdateProductRequest {
            product: Some(Product {
                name: format!("products/{sku}"),
                state: product::State::Retired as i32,
                ..Default::default()
            }),
            update_mask: mask(&["state"]),
        })
        .await?
        .into_inner();
    Ok(updated.product.expect("the updated product"))
}

#[tokio::test]
async fn an_update_changes_only_the_masked_fields() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    let before = create_goods(&mut admin, "W-1", None).await?;

    let after = admin
        .update_product(UpdateProductRequest {
            product: Some(Product {
                name: before.name.clone(),
                display_name: "Widget Pro".into(),
                unit_of_measure: "kg".into(),
                tags: vec!["ignored".into()],
                ..Default::default()
            }),
            update_mask: mask(&["display_name", "unit_of_measure"]),
        })
        .await?
        .into_inner()
        .product
        .expect("the updated product");

    assert_eq!(after.display_name, "Widget Pro");
    assert_eq!(after.unit_of_measure, "kg");
    assert!(after.tags.is_empty(), "tags were not in the mask: {:?}", after.tags);
    assert_eq!(after.kind, before.kind);
    assert_eq!(after.state, product::State::Active as i32);

    let retired = retire(&mut admin, "W-1").await?;
    assert_eq!(retired.state, product::State::Retired as i32);
    assert_eq!(retired.display_name, "Widget Pro");
    Ok(())
}

#[tokio::test]
async fn a_product_without_history_can_be_deleted() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    create_goods(&mut admin, "W-1", None).await?;

    admin
        .delete_product(DeleteProductRequest {
            name: "products/W-1".into(),
        })
        .await?;

    let gone = admin
        .get_product(GetProductRequest {
            name: "products/W-1".into(),
        })
        .await;
    assert_code(gone, Code::NotFound);
    Ok(())
}

#[tokio::test]
async fn a_product_with_costs_prices_stock_or_estimates_is_retired_not_deleted() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    for sku in ["COSTED", "PRICED", "STOCKED", "ESTIMATED"] {
        create_goods(&mut admin, sku, None).await?;
    }
    add_cost(&mut admin, "COSTED", sourcing_cost("USD", "5", "2026-01-01T00:00:00Z")).await?;
    let price = add_price(&mut admin, "PRICED", usd("9").unwrap(), "2026-01-01T00:00:00Z").await?;
    assert_eq!(amount(&price.list_price), crate::helpers::dec("9"));
    let received = movement("jakarta-dc", lacak_proto::inventory::MovementKind::Received, "3");
    record(&mut admin, "STOCKED", received, "").await?;
    add_estimate(&mut admin, "ESTIMATED", ("", ""), ("100", "10"), "2026-01-01T00:00:00Z").await?;

    for sku in ["COSTED", "PRICED", "STOCKED", "ESTIMATED"] {
        let answer = admin
            .delete_product(DeleteProductRequest {
                name: format!("products/{sku}"),
            })
            .await;
        assert_code(answer, Code::FailedPrecondition);
        let still = admin
            .get_product(GetProductRequest {
                name: format!("products/{sku}"),
            })
            .await;
        assert!(still.is_ok(), "{sku} is still there: {still:?}");
    }
    Ok(())
}
