//! The category tree: children, moves, deletes, and paging through a catalogue.

use lacak_proto::inventory::{
    Category, DeleteCategoryRequest, GetCategoryRequest, ListCategoriesRequest, ListProductsRequest,
    UpdateCategoryRequest,
};
use tonic::Code;

use crate::helpers::{Inventory, assert_code, create_category, create_goods, mask, spawn_app};

fn move_under(id: &str, parent: &str) -> UpdateCategoryRequest {
    UpdateCategoryRequest {
        category: Some(Category {
            name: format!("categories/{id}"),
            parent: format!("categories/{parent}"),
            ..Default::default()
        }),
        update_mask: mask(&["parent"]),
    }
}

async fn skus_under(client: &mut Inventory, category: &str) -> anyhow::Result<Vec<String>> {
    let request = ListProductsRequest {
        category: format!("categories/{category}"),
        ..Default::default()
    };
    let listed = client.list_products(request).await?.into_inner();
    Ok(listed.products.into_iter().map(|p| p.sku).collect())
}

#[tokio::test]
async fn a_category_lists_its_children_and_moves_with_its_products() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    create_category(&mut admin, "hardware", None).await?;
    create_category(&mut admin, "laptops", Some("hardware")).await?;
    create_category(&mut admin, "gaming", Some("laptops")).await?;
    create_category(&mut admin, "consoles", Some("hardware")).await?;
    create_goods(&mut admin, "GAM-1", Some("gaming")).await?;

    let children = admin
        .list_categories(ListCategoriesRequest {
            parent: "categories/hardware".into(),
            ..Default::default()
        })
        .await?
        .into_inner()
        .categories;
    let ids: Vec<_> = children.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        ids,
        ["categories/consoles", "categories/laptops"],
        "direct children, by id"
    );

    let moved = admin
        .update_category(move_under("gaming", "consoles"))
        .await?
        .into_inner();
    assert_eq!(moved.category.expect("the category").parent, "categories/consoles");
    assert_eq!(skus_under(&mut admin, "laptops").await?, Vec::<String>::new());
    assert_eq!(skus_under(&mut admin, "consoles").await?, ["GAM-1"]);
    Ok(())
}

#[tokio::test]
async fn a_category_cannot_move_under_itself_or_its_descendants() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    create_category(&mut admin, "hardware", None).await?;
    create_category(&mut admin, "laptops", Some("hardware")).await?;
    create_category(&mut admin, "gaming", Some("laptops")).await?;

    for (id, parent) in [("hardware", "hardware"), ("hardware", "gaming"), ("laptops", "gaming")] {
        let answer = admin.update_category(move_under(id, parent)).await;
        assert!(
            matches!(&answer, Err(s) if matches!(s.code(), Code::InvalidArgument | Code::FailedPrecondition)),
            "moving {id} under {parent} would make a cycle: {answer:?}"
        );
    }
    let hardware = admin
        .get_category(GetCategoryRequest {
            name: "categories/hardware".into(),
        })
        .await?
        .into_inner()
        .category
        .expect("the category");
    assert_eq!(hardware.parent, "", "still at the top");
    Ok(())
}

#[tokio::test]
async fn only_an_empty_category_can_be_deleted() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    create_category(&mut admin, "hardware", None).await?;
    create_category(&mut admin, "laptops", Some("hardware")).await?;
    create_category(&mut admin, "phones", None).await?;
    create_goods(&mut admin, "PH-1", Some("phones")).await?;
    create_category(&mut admin, "empty", None).await?;
    let delete = |id: &str| DeleteCategoryRequest {
        name: format!("categories/{id}"),
    };

    assert_code(
        admin.delete_category(delete("hardware")).await,
        Code::FailedPrecondition,
    );
    assert_code(admin.delete_category(delete("phones")).await, Code::FailedPrecondition);
    admin.delete_category(delete("empty")).await?;

    let gone = admin
        .get_category(GetCategoryRequest {
            name: "categories/empty".into(),
        })
        .await;
    assert_code(gone, Code::NotFound);
    Ok(())
}

#[tokio::test]
async fn products_page_through_in_sku_order() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    for sku in ["G", "C", "A", "F", "B", "E", "D"] {
        create_goods(&mut admin, sku, None).await?;
    }

    let mut pages = Vec::new();
    let mut token = String::new();
    loop {
        let page = admin
            .list_products(ListProductsRequest {
                page_size: 3,
                page_token: token.clone(),
                ..Default::default()
            })
            .await?
            .into_inner();
        pages.push(page.products.into_iter().map(|p| p.sku).collect::<Vec<_>>());
        token = page.next_page_token;
        if token.is_empty() || pages.len() > 5 {
            break;
        }
    }

    assert_eq!(pages, [vec!["A", "B", "C"], vec!["D", "E", "F"], vec!["G"]]);
    Ok(())
}
