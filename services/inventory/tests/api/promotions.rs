//! Promotions: what a valid one is, what it applies to, and when it runs.

use lacak_proto::inventory::{
    CreatePromotionRequest, GetPromotionRequest, ListPromotionsRequest, Promotion, Stacking, UpdatePromotionRequest,
    promotion,
};
use tonic::Code;

use crate::helpers::{
    Inventory, add_promotion, assert_all_ok, assert_code, assert_invalid, check_invalid, create_category, create_goods,
    instant, mask, money, num, on_category, on_product, percent_off, spawn_app, ts,
};

const JAN: &str = "2026-01-01T00:00:00Z";
const FEB: &str = "2026-02-01T00:00:00Z";
const MAR: &str = "2026-03-01T00:00:00Z";

fn valid() -> Promotion {
    percent_off("10", promotion::Scope::AllProducts(true), Stacking::Stackable, JAN, FEB)
}

async fn create(
    client: &mut Inventory,
    promotion: Promotion,
) -> Result<tonic::Response<lacak_proto::inventory::CreatePromotionResponse>, tonic::Status> {
    client
        .create_promotion(CreatePromotionRequest {
            promotion: Some(promotion),
            request_id: String::new(),
        })
        .await
}

async fn names(client: &mut Inventory, request: ListPromotionsRequest) -> anyhow::Result<Vec<String>> {
    let listed = client.list_promotions(request).await?.into_inner();
    Ok(listed.promotions.into_iter().map(|p| p.display_name).collect())
}

#[tokio::test]
async fn a_promotion_needs_a_name_a_discount_a_scope_a_window_and_a_stacking_rule() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    let cases: Vec<(&str, Promotion, &str)> = vec![
        (
            "no name",
            Promotion {
                display_name: String::new(),
                ..valid()
            },
            "promotion.display_name",
        ),
        (
            "no discount",
            Promotion {
                discount: None,
                ..valid()
            },
            "promotion*",
        ),
        (
            "0% off",
            Promotion {
                discount: Some(promotion::Discount::PercentOff(num("0").unwrap())),
                ..valid()
            },
            "promotion.percent_off",
        ),
        (
            "100.01% off",
            Promotion {
                discount: Some(promotion::Discount::PercentOff(num("100.01").unwrap())),
                ..valid()
            },
            "promotion.percent_off",
        ),
        (
            "nothing off",
            Promotion {
                discount: Some(promotion::Discount::AmountOff(money("USD", "0"))),
                ..valid()
            },
            "promotion.amount_off*",
        ),
        ("no scope", Promotion { scope: None, ..valid() }, "promotion*"),
        (
            "no start",
            Promotion {
                start_time: None,
                ..valid()
            },
            "promotion*",
        ),
        (
            "no end",
            Promotion {
                end_time: None,
                ..valid()
            },
            "promotion*",
        ),
        (
            "ends as it starts",
            Promotion {
                end_time: ts(JAN),
                ..valid()
            },
            "promotion.end_time",
        ),
        (
            "ends before it starts",
            Promotion {
                start_time: ts(FEB),
                end_time: ts(JAN),
                ..valid()
            },
            "promotion.end_time",
        ),
        (
            "no stacking rule",
            Promotion {
                stacking: Stacking::Unspecified as i32,
                ..valid()
            },
            "promotion.stacking",
        ),
    ];

    let mut outcomes = Vec::new();
    for (case, promotion, field) in cases {
        outcomes.push((
            case.to_owned(),
            check_invalid(create(&mut admin, promotion).await, field),
        ));
    }
    assert_all_ok(outcomes);

    let everything_off = Promotion {
        discount: Some(promotion::Discount::PercentOff(num("100").unwrap())),
        ..valid()
    };
    let created = add_promotion(&mut admin, everything_off).await?;
    assert!(created.name.starts_with("promotions/"), "{}", created.name);
    Ok(())
}

#[tokio::test]
async fn a_promotion_on_a_missing_product_or_category_is_not_found() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();

    let on_nothing = Promotion {
        scope: Some(on_product("NOPE")),
        ..valid()
    };
    assert_code(create(&mut admin, on_nothing).await, Code::NotFound);
    let on_nowhere = Promotion {
        scope: Some(on_category("nowhere")),
        ..valid()
    };
    assert_code(create(&mut admin, on_nowhere).await, Code::NotFound);
    Ok(())
}

#[tokio::test]
async fn promotions_list_by_product_through_categories_and_by_running_time() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    create_category(&mut admin, "laptops", None).await?;
    create_category(&mut admin, "gaming", Some("laptops")).await?;
    create_category(&mut admin, "phones", None).await?;
    create_goods(&mut admin, "W-1", Some("gaming")).await?;
    create_goods(&mut admin, "W-2", Some("phones")).await?;
    let named = |name: &str, p: Promotion| Promotion {
        display_name: name.into(),
        ..p
    };
    let stack = Stacking::Stackable;
    // Created in order of start, so "oldest first" reads the same by creation or by start.
    add_promotion(
        &mut admin,
        named("w1-jan", percent_off("5", on_product("W-1"), stack, JAN, FEB)),
    )
    .await?;
    add_promotion(
        &mut admin,
        named(
            "all-q1",
            percent_off("5", promotion::Scope::AllProducts(true), stack, JAN, MAR),
        ),
    )
    .await?;
    add_promotion(
        &mut admin,
        named("w2-jan", percent_off("5", on_product("W-2"), stack, JAN, FEB)),
    )
    .await?;
    add_promotion(
        &mut admin,
        named("phones-jan", percent_off("5", on_category("phones"), stack, JAN, FEB)),
    )
    .await?;
    add_promotion(
        &mut admin,
        named("laptops-feb", percent_off("5", on_category("laptops"), stack, FEB, MAR)),
    )
    .await?;

    let for_w1 = ListPromotionsRequest {
        product: "products/W-1".into(),
        ..Default::default()
    };
    assert_eq!(
        names(&mut admin, for_w1).await?,
        ["w1-jan", "all-q1", "laptops-feb"],
        "sub-category counts; oldest first"
    );

    let mid_jan = ListPromotionsRequest {
        active_at: ts("2026-01-15T00:00:00Z"),
        ..Default::default()
    };
    assert_eq!(
        names(&mut admin, mid_jan).await?,
        ["w1-jan", "all-q1", "w2-jan", "phones-jan"]
    );

    let feb_first = ListPromotionsRequest {
        active_at: ts(FEB),
        ..Default::default()
    };
    assert_eq!(
        names(&mut admin, feb_first).await?,
        ["all-q1", "laptops-feb"],
        "starts inclusive, ends exclusive"
    );

    let w1_mid_jan = ListPromotionsRequest {
        active_at: ts("2026-01-15T00:00:00Z"),
        product: "products/W-1".into(),
        ..Default::default()
    };
    assert_eq!(names(&mut admin, w1_mid_jan).await?, ["w1-jan", "all-q1"]);
    Ok(())
}

#[tokio::test]
async fn a_promotion_can_be_ended_early_but_not_before_it_starts() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    let created = add_promotion(
        &mut admin,
        percent_off("10", promotion::Scope::AllProducts(true), Stacking::Exclusive, JAN, MAR),
    )
    .await?;
    let window = |end: &str| UpdatePromotionRequest {
        promotion: Some(Promotion {
            name: created.name.clone(),
            end_time: ts(end),
            ..Default::default()
        }),
        update_mask: mask(&["end_time"]),
    };

    let ended = admin
        .update_promotion(window(FEB))
        .await?
        .into_inner()
        .promotion
        .expect("the promotion");
    assert_eq!(instant(&ended.end_time), instant(&ts(FEB)));
    assert_eq!(instant(&ended.start_time), instant(&ts(JAN)), "the start is untouched");
    assert_eq!(ended.stacking, Stacking::Exclusive as i32);
    let read = admin
        .get_promotion(GetPromotionRequest {
            name: created.name.clone(),
        })
        .await?
        .into_inner();
    assert_eq!(read.promotion, Some(ended));
    let running_mid_feb = ListPromotionsRequest {
        active_at: ts("2026-02-15T00:00:00Z"),
        ..Default::default()
    };
    assert!(
        names(&mut admin, running_mid_feb).await?.is_empty(),
        "it no longer runs after its new end"
    );

    assert_invalid(
        admin.update_promotion(window("2025-12-01T00:00:00Z")).await,
        "promotion.end_time",
    );
    Ok(())
}
