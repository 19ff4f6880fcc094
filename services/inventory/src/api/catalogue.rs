//! The catalogue: a category tree and the products and services in it. Every role reads it.

use lacak_proto::inventory as pb;
use lacak_runtime::Violations;
use lacak_runtime::page::PageRequest;
use sea_orm::{DatabaseConnection, TransactionTrait};
use tonic::Request;

use super::{
    InventoryApi, convert, mask_paths, principal, require_writer, require_writer_or_applier, required_text, write_once,
};
use crate::domain::names::{new_id, parse_name, product_sku, validate_id, validate_label, validate_sku};
use crate::error::{InventoryError, InventoryResult};
use crate::store::entities::{category, product};
use crate::store::{self, catalogue::ProductFilter, strings_to_json};

fn category_ref(violations: &mut Violations, name: &str, field: &str) -> Option<String> {
    if name.is_empty() {
        None
    } else {
        violations.take(parse_name(name, "categories", field))
    }
}

fn labels(violations: &mut Violations, values: &[String], field: &str) -> Vec<String> {
    let mut labels: Vec<String> = values
        .iter()
        .enumerate()
        .filter_map(|(i, v)| violations.take(validate_label(v, &format!("{field}[{i}]"))))
        .collect();
    labels.sort();
    labels.dedup();
    labels
}

pub async fn create_category(
    api: &InventoryApi,
    request: Request<pb::CreateCategoryRequest>,
) -> InventoryResult<pb::CreateCategoryResponse> {
    let caller = principal(&request)?;
    require_writer(&caller)?;
    let req = request.into_inner();
    let input = req.category.clone().unwrap_or_default();
    let mut violations = Violations::new();
    let display_name = required_text(&mut violations, &input.display_name, "category.display_name", 200);
    let parent = category_ref(&mut violations, &input.parent, "category.parent");
    let id = if req.category_id.is_empty() {
        new_id()
    } else {
        violations.take(validate_id(&req.category_id, "category_id"));
        req.category_id.clone()
    };
    violations.finish()?;
    let db = api.db()?;
    let tenant = &caller.tenant;
    if let Some(parent) = &parent {
        store::catalogue::category(db, tenant, parent).await?;
    }
    let model = category::Model {
        tenant: tenant.clone(),
        id,
        display_name,
        parent_id: parent,
        create_time: lacak_runtime::convert::now(),
    };
    let name = write_once(db, tenant, "CreateCategory", &req.request_id, &req, async |txn| {
        let name = format!("categories/{}", model.id);
        store::catalogue::insert_category(txn, model).await?;
        Ok(name)
    })
    .await?;
    let created = store::catalogue::category(db, tenant, &parse_name(&name, "categories", "name")?).await?;
    Ok(pb::CreateCategoryResponse {
        category: Some(convert::category(&created)),
    })
}

pub async fn get_category(
    api: &InventoryApi,
    request: Request<pb::GetCategoryRequest>,
) -> InventoryResult<pb::GetCategoryResponse> {
    let caller = principal(&request)?;
    let id = parse_name(&request.get_ref().name, "categories", "name")?;
    let model = store::catalogue::category(api.db()?, &caller.tenant, &id).await?;
    Ok(pb::GetCategoryResponse {
        category: Some(convert::category(&model)),
    })
}

pub async fn list_categories(
    api: &InventoryApi,
    request: Request<pb::ListCategoriesRequest>,
) -> InventoryResult<pb::ListCategoriesResponse> {
    let caller = principal(&request)?;
    let req = request.into_inner();
    let mut violations = Violations::new();
    let parent = category_ref(&mut violations, &req.parent, "parent");
    let page = violations.take(PageRequest::parse(
        req.page_size,
        &req.page_token,
        &[&caller.tenant, "ListCategories", &req.parent],
    ));
    violations.finish()?;
    let page = page.ok_or_else(|| InventoryError::invalid("page_token", "is invalid"))?;
    let rows = store::catalogue::list_categories(api.db()?, &caller.tenant, parent.as_deref(), &page).await?;
    let (rows, next_page_token) = page.finish(rows, |c| c.id.clone());
    Ok(pb::ListCategoriesResponse {
        categories: rows.iter().map(convert::category).collect(),
        next_page_token,
    })
}

pub async fn update_category(
    api: &InventoryApi,
    request: Request<pb::UpdateCategoryRequest>,
) -> InventoryResult<pb::UpdateCategoryResponse> {
    let caller = principal(&request)?;
    require_writer(&caller)?;
    let req = request.into_inner();
    let input = req.category.unwrap_or_default();
    let id = parse_name(&input.name, "categories", "category.name")?;
    let paths = mask_paths(req.update_mask.as_ref(), &["display_name", "parent"])?;
    let db = api.db()?;
    let mut model = store::catalogue::category(db, &caller.tenant, &id).await?;
    let mut violations = Violations::new();
    for path in &paths {
        match path.as_str() {
            "display_name" => {
                model.display_name = required_text(&mut violations, &input.display_name, "category.display_name", 200)
            }
            "parent" => model.parent_id = category_ref(&mut violations, &input.parent, "category.parent"),
            _ => {}
        }
    }
    violations.finish()?;
    if let Some(parent) = &model.parent_id {
        store::catalogue::category(db, &caller.tenant, parent).await?;
        let tree = store::catalogue::category_tree(db, &caller.tenant).await?;
        if store::catalogue::subtree(&tree, &id).contains(parent) {
            return Err(InventoryError::invalid(
                "category.parent",
                "would make the category its own ancestor",
            ));
        }
    }
    let saved = store::catalogue::save_category(db, model).await?;
    Ok(pb::UpdateCategoryResponse {
        category: Some(convert::category(&saved)),
    })
}

pub async fn delete_category(
    api: &InventoryApi,
    request: Request<pb::DeleteCategoryRequest>,
) -> InventoryResult<pb::DeleteCategoryResponse> {
    let caller = principal(&request)?;
    require_writer(&caller)?;
    let id = parse_name(&request.get_ref().name, "categories", "name")?;
    let db = api.db()?;
    store::catalogue::category(db, &caller.tenant, &id).await?;
    let txn = db.begin().await?;
    store::catalogue::delete_category(&txn, &caller.tenant, &id).await?;
    txn.commit().await?;
    Ok(pb::DeleteCategoryResponse {})
}

/// The catalogue fields shared by create and update, checked.
struct ProductFields {
    display_name: String,
    kind: Option<&'static str>,
    category: Option<String>,
    unit_of_measure: String,
    state: Option<&'static str>,
    tags: Vec<String>,
    regions: Vec<String>,
    segments: Vec<String>,
}

fn product_fields(violations: &mut Violations, input: &pb::Product) -> ProductFields {
    let kind = convert::product_kind_from_proto(input.kind);
    let state = match input.state {
        0 => None,
        other => {
            let state = convert::product_state_from_proto(other);
            if state.is_none() {
                violations.add("product.state", format!("{other} is not a product state"));
            }
            state
        }
    };
    let unit = input.unit_of_measure.trim();
    if unit.chars().count() > 30 {
        violations.add("product.unit_of_measure", "must be at most 30 characters");
    }
    ProductFields {
        display_name: required_text(violations, &input.display_name, "product.display_name", 200),
        kind,
        category: category_ref(violations, &input.category, "product.category"),
        unit_of_measure: if unit.is_empty() {
            "each".to_owned()
        } else {
            unit.to_owned()
        },
        state,
        tags: labels(violations, &input.tags, "product.tags"),
        regions: labels(violations, &input.regions, "product.regions"),
        segments: labels(violations, &input.segments, "product.segments"),
    }
}

async fn require_category(db: &DatabaseConnection, tenant: &str, category: &Option<String>) -> InventoryResult<()> {
    if let Some(category) = category {
        store::catalogue::category(db, tenant, category).await?;
    }
    Ok(())
}

pub async fn create_product(
    api: &InventoryApi,
    request: Request<pb::CreateProductRequest>,
) -> InventoryResult<pb::CreateProductResponse> {
    let caller = principal(&request)?;
    require_writer(&caller)?;
    let req = request.into_inner();
    let input = req.product.clone().unwrap_or_default();
    let mut violations = Violations::new();
    violations.take(validate_sku(&req.sku, "sku"));
    let fields = product_fields(&mut violations, &input);
    if fields.kind.is_none() {
        violations.add(
            "product.kind",
            "is required: PRODUCT_KIND_PRODUCT or PRODUCT_KIND_SERVICE",
        );
    }
    violations.finish()?;
    let db = api.db()?;
    let tenant = &caller.tenant;
    require_category(db, tenant, &fields.category).await?;
    let now = lacak_runtime::convert::now();
    let model = product::Model {
        tenant: tenant.clone(),
        sku: req.sku.clone(),
        display_name: fields.display_name,
        kind: fields.kind.unwrap_or("product").to_owned(),
        category_id: fields.category,
        unit_of_measure: fields.unit_of_measure,
        state: fields.state.unwrap_or("active").to_owned(),
        tags: strings_to_json(&fields.tags),
        regions: strings_to_json(&fields.regions),
        segments: strings_to_json(&fields.segments),
        create_time: now,
        update_time: now,
    };
    let name = write_once(db, tenant, "CreateProduct", &req.request_id, &req, async |txn| {
        let name = format!("products/{}", model.sku);
        store::catalogue::insert_product(txn, model).await?;
        Ok(name)
    })
    .await?;
    let created = store::catalogue::product(db, tenant, &product_sku(&name, "name")?).await?;
    Ok(pb::CreateProductResponse {
        product: Some(convert::product(&created)),
    })
}

pub async fn get_product(
    api: &InventoryApi,
    request: Request<pb::GetProductRequest>,
) -> InventoryResult<pb::GetProductResponse> {
    let caller = principal(&request)?;
    let sku = product_sku(&request.get_ref().name, "name")?;
    let model = store::catalogue::product(api.db()?, &caller.tenant, &sku).await?;
    Ok(pb::GetProductResponse {
        product: Some(convert::product(&model)),
    })
}

pub async fn list_products(
    api: &InventoryApi,
    request: Request<pb::ListProductsRequest>,
) -> InventoryResult<pb::ListProductsResponse> {
    let caller = principal(&request)?;
    let req = request.into_inner();
    let mut violations = Violations::new();
    let category = category_ref(&mut violations, &req.category, "category");
    let mut filter = ProductFilter::default();
    if req.state != 0 {
        filter.state = convert::product_state_from_proto(req.state);
        if filter.state.is_none() {
            violations.add("state", format!("{} is not a product state", req.state));
        }
    }
    if !req.tag.is_empty() {
        filter.tag = violations.take(validate_label(&req.tag, "tag"));
    }
    let state = req.state.to_string();
    let page = violations.take(PageRequest::parse(
        req.page_size,
        &req.page_token,
        &[&caller.tenant, "ListProducts", &req.category, &state, &req.tag],
    ));
    violations.finish()?;
    let page = page.ok_or_else(|| InventoryError::invalid("page_token", "is invalid"))?;
    let db = api.db()?;
    if let Some(category) = category {
        store::catalogue::category(db, &caller.tenant, &category).await?;
        let tree = store::catalogue::category_tree(db, &caller.tenant).await?;
        filter.categories = Some(store::catalogue::subtree(&tree, &category).into_iter().collect());
    }
    let rows = store::catalogue::list_products(db, &caller.tenant, &filter, &page).await?;
    let (rows, next_page_token) = page.finish(rows, |p| p.sku.clone());
    Ok(pb::ListProductsResponse {
        products: rows.iter().map(convert::product).collect(),
        next_page_token,
    })
}

pub async fn update_product(
    api: &InventoryApi,
    request: Request<pb::UpdateProductRequest>,
) -> InventoryResult<pb::UpdateProductResponse> {
    let caller = principal(&request)?;
    require_writer_or_applier(&request, &caller)?;
    let req = request.into_inner();
    let input = req.product.unwrap_or_default();
    let sku = product_sku(&input.name, "product.name")?;
    let retiring_only = req.update_mask.as_ref().is_some_and(|mask| mask.paths == ["state"])
        && input.state == pb::product::State::Retired as i32;
    if caller.role == lacak_domain::Role::Service && !retiring_only {
        return Err(InventoryError::denied(
            "a service may only retire a product (update_mask \"state\", state RETIRED)",
        ));
    }
    let paths = mask_paths(
        req.update_mask.as_ref(),
        &[
            "display_name",
            "kind",
            "category",
            "unit_of_measure",
            "state",
            "tags",
            "regions",
            "segments",
        ],
    )?;
    let db = api.db()?;
    let mut model = store::catalogue::product(db, &caller.tenant, &sku).await?;
    let mut violations = Violations::new();
    let fields = product_fields(&mut violations, &input);
    for path in &paths {
        match path.as_str() {
            "display_name" => model.display_name = fields.display_name.clone(),
            "kind" => match fields.kind {
                Some(kind) => model.kind = kind.to_owned(),
                None => violations.add("product.kind", "is required with the `kind` mask path"),
            },
            "category" => model.category_id = fields.category.clone(),
            "unit_of_measure" => model.unit_of_measure = fields.unit_of_measure.clone(),
            "state" => match fields.state {
                Some(state) => model.state = state.to_owned(),
                None => violations.add("product.state", "is required with the `state` mask path"),
            },
            "tags" => model.tags = strings_to_json(&fields.tags),
            "regions" => model.regions = strings_to_json(&fields.regions),
            "segments" => model.segments = strings_to_json(&fields.segments),
            _ => {}
        }
    }
    // Only the fields being changed must be valid; a blank display name elsewhere is not this update's fault.
    let relevant = Violations::from_iter(violations.iter().filter(|v| {
        paths
            .iter()
            .any(|p| v.field == format!("product.{p}") || v.field.starts_with(&format!("product.{p}[")))
    }));
    relevant.finish()?;
    require_category(db, &caller.tenant, &model.category_id).await?;
    model.update_time = lacak_runtime::convert::now();
    let saved = store::catalogue::save_product(db, model).await?;
    Ok(pb::UpdateProductResponse {
        product: Some(convert::product(&saved)),
    })
}

pub async fn delete_product(
    api: &InventoryApi,
    request: Request<pb::DeleteProductRequest>,
) -> InventoryResult<pb::DeleteProductResponse> {
    let caller = principal(&request)?;
    require_writer(&caller)?;
    let sku = product_sku(&request.get_ref().name, "name")?;
    let db = api.db()?;
    store::catalogue::product(db, &caller.tenant, &sku).await?;
    let txn = db.begin().await?;
    store::catalogue::delete_product(&txn, &caller.tenant, &sku).await?;
    txn.commit().await?;
    Ok(pb::DeleteProductResponse {})
}
