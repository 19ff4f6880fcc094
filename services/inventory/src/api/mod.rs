//! The gRPC face of the inventory service: thin handlers, one file per resource.

mod catalogue;
mod convert;
mod costs;
mod estimates;
mod profitability;
mod promotions;
mod settings;
mod stock;
mod valuations;

use lacak_domain::{Principal, Role};
use lacak_proto::inventory as pb;
use lacak_proto::inventory::inventory_service_server::InventoryService;
use lacak_runtime::db::ReadyDb;
use lacak_runtime::idempotency::write_once;
use lacak_runtime::validate::{mask_paths, required_text};
use sea_orm::DatabaseConnection;
use tonic::Request;

use crate::error::{InventoryError, InventoryResult};
use crate::store;

/// The handlers' shared state: the database, once connected and migrated.
#[derive(Clone, Default)]
pub struct InventoryApi {
    db: ReadyDb,
}

impl InventoryApi {
    pub fn new(db: ReadyDb) -> Self {
        Self { db }
    }

    fn db(&self) -> InventoryResult<&DatabaseConnection> {
        self.db.get()
    }
}

fn principal<T>(request: &Request<T>) -> InventoryResult<Principal> {
    lacak_runtime::auth::principal(request)
}

/// Admins and managers change the catalogue, costs, prices, promotions, estimates and stock.
fn require_writer(caller: &Principal) -> InventoryResult<()> {
    match caller.role {
        Role::Admin | Role::Manager => Ok(()),
        Role::Rep | Role::Service => Err(InventoryError::denied("only admins and managers change the inventory")),
    }
}

/// Admins and managers; or a service applying a recommendation for the person who accepted it
/// (its token's `act`): strategy creates promotions and retires products that way, after checking
/// that person may steer. A service on its own account, or doing anything else, changes nothing.
fn require_writer_or_applier<T>(request: &Request<T>, caller: &Principal) -> InventoryResult<()> {
    let acting_for_someone = request
        .extensions()
        .get::<lacak_runtime::CallContext>()
        .is_some_and(|context| context.on_behalf_of.is_some());
    match caller.role {
        Role::Service if acting_for_someone => Ok(()),
        Role::Service => Err(InventoryError::denied(
            "a service changes the inventory only to apply a recommendation for the person who accepted it",
        )),
        _ => require_writer(caller),
    }
}

/// Costs and margins: everyone but reps, and reps too when the tenant allows it.
async fn require_cost_reader(db: &DatabaseConnection, caller: &Principal) -> InventoryResult<()> {
    if caller.role != Role::Rep || store::settings::settings(db, &caller.tenant).await?.reps_see_costs {
        Ok(())
    } else {
        Err(InventoryError::denied(
            "reps do not see costs or margins in this tenant",
        ))
    }
}

lacak_runtime::delegate_rpcs! {
    InventoryService, InventoryApi {
        create_category: pb::CreateCategoryRequest => pb::CreateCategoryResponse = catalogue::create_category;
        get_category: pb::GetCategoryRequest => pb::GetCategoryResponse = catalogue::get_category;
        list_categories: pb::ListCategoriesRequest => pb::ListCategoriesResponse = catalogue::list_categories;
        update_category: pb::UpdateCategoryRequest => pb::UpdateCategoryResponse = catalogue::update_category;
        delete_category: pb::DeleteCategoryRequest => pb::DeleteCategoryResponse = catalogue::delete_category;
        create_product: pb::CreateProductRequest => pb::CreateProductResponse = catalogue::create_product;
        get_product: pb::GetProductRequest => pb::GetProductResponse = catalogue::get_product;
        list_products: pb::ListProductsRequest => pb::ListProductsResponse = catalogue::list_products;
        update_product: pb::UpdateProductRequest => pb::UpdateProductResponse = catalogue::update_product;
        delete_product: pb::DeleteProductRequest => pb::DeleteProductResponse = catalogue::delete_product;
        get_inventory_settings: pb::GetInventorySettingsRequest => pb::GetInventorySettingsResponse = settings::get;
        update_inventory_settings: pb::UpdateInventorySettingsRequest => pb::UpdateInventorySettingsResponse = settings::update;
        create_cost_breakdown: pb::CreateCostBreakdownRequest => pb::CreateCostBreakdownResponse = costs::create_cost;
        list_cost_breakdowns: pb::ListCostBreakdownsRequest => pb::ListCostBreakdownsResponse = costs::list_costs;
        get_cost_as_of: pb::GetCostAsOfRequest => pb::GetCostAsOfResponse = costs::cost_as_of;
        create_price: pb::CreatePriceRequest => pb::CreatePriceResponse = costs::create_price;
        list_prices: pb::ListPricesRequest => pb::ListPricesResponse = costs::list_prices;
        get_price_as_of: pb::GetPriceAsOfRequest => pb::GetPriceAsOfResponse = costs::price_as_of;
        create_promotion: pb::CreatePromotionRequest => pb::CreatePromotionResponse = promotions::create;
        get_promotion: pb::GetPromotionRequest => pb::GetPromotionResponse = promotions::get;
        list_promotions: pb::ListPromotionsRequest => pb::ListPromotionsResponse = promotions::list;
        update_promotion: pb::UpdatePromotionRequest => pb::UpdatePromotionResponse = promotions::update;
        delete_promotion: pb::DeletePromotionRequest => pb::DeletePromotionResponse = promotions::delete;
        get_profitability: pb::GetProfitabilityRequest => pb::GetProfitabilityResponse = profitability::get;
        create_market_estimate: pb::CreateMarketEstimateRequest => pb::CreateMarketEstimateResponse = estimates::create;
        list_market_estimates: pb::ListMarketEstimatesRequest => pb::ListMarketEstimatesResponse = estimates::list;
        get_portfolio_assessment: pb::GetPortfolioAssessmentRequest => pb::GetPortfolioAssessmentResponse = profitability::portfolio;
        record_stock_movement: pb::RecordStockMovementRequest => pb::RecordStockMovementResponse = stock::record;
        list_stock_movements: pb::ListStockMovementsRequest => pb::ListStockMovementsResponse = stock::list_movements;
        get_stock_level: pb::GetStockLevelRequest => pb::GetStockLevelResponse = stock::get_level;
        list_stock_levels: pb::ListStockLevelsRequest => pb::ListStockLevelsResponse = stock::list_levels;
        batch_get_valuations: pb::BatchGetValuationsRequest => pb::BatchGetValuationsResponse = valuations::batch_valuations;
    }
}
