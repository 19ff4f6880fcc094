//! Every call of the API as a value, so an access matrix can make them one by one.

use lacak_proto::inventory::{
    BatchGetValuationsRequest, Category, CreateCategoryRequest, CreateCostBreakdownRequest,
    CreateMarketEstimateRequest, CreatePriceRequest, CreateProductRequest, CreatePromotionRequest, GetCategoryRequest,
    GetCostAsOfRequest, GetInventorySettingsRequest, GetPortfolioAssessmentRequest, GetPriceAsOfRequest,
    GetProductRequest, GetPromotionRequest, GetStockLevelRequest, InventorySettings, ListCategoriesRequest,
    ListCostBreakdownsRequest, ListMarketEstimatesRequest, ListPricesRequest, ListProductsRequest,
    ListPromotionsRequest, ListStockLevelsRequest, ListStockMovementsRequest, MarketEstimate, MovementKind, Price,
    Product, RecordStockMovementRequest, Stacking, UpdateInventorySettingsRequest, UpdateProductRequest, ValuationLine,
    promotion,
};
use tonic::Status;

use crate::helpers::{
    Inventory, add_cost, add_estimate, add_price, add_promotion, create_category, create_goods, goods, mask, money,
    movement, num, percent_off, record, sourcing_cost, ts,
};
use crate::profitability::in_usd;

pub const NOW_ISH: &str = "2026-03-15T00:00:00Z";

/// One call of the API, made against the story `seed` sets up.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Call {
    GetProduct,
    ListProducts,
    GetCategory,
    ListCategories,
    GetPriceAsOf,
    ListPrices,
    GetPromotion,
    ListPromotions,
    GetStockLevel,
    ListStockLevels,
    ListStockMovements,
    ListEstimates,
    GetSettings,
    GetCostAsOf,
    ListCostBreakdowns,
    GetProfitability,
    GetPortfolio,
    BatchGetValuations,
    CreateCategory,
    CreateProduct,
    UpdateProduct,
    CreateCost,
    CreatePrice,
    CreatePromotion,
    CreateEstimate,
    Receive,
    Sell,
    WriteOff,
    Count,
    UpdateSettings,
}
pub use Call::*;

pub const CATALOGUE_READS: [Call; 10] = [
    GetProduct,
    ListProducts,
    GetCategory,
    ListCategories,
    GetPriceAsOf,
    ListPrices,
    GetPromotion,
    ListPromotions,
    GetStockLevel,
    ListStockLevels,
];
pub const COST_READS: [Call; 5] = [
    GetCostAsOf,
    ListCostBreakdowns,
    GetProfitability,
    GetPortfolio,
    BatchGetValuations,
];
pub const OTHER_READS: [Call; 3] = [ListStockMovements, ListEstimates, GetSettings];
pub const WRITES: [Call; 10] = [
    CreateCategory,
    CreateProduct,
    UpdateProduct,
    CreateCost,
    CreatePrice,
    CreatePromotion,
    CreateEstimate,
    Receive,
    WriteOff,
    Count,
];

/// W-1 in hardware, priced, costed, in stock, estimated, on promotion.
pub async fn seed(admin: &mut Inventory) -> anyhow::Result<String> {
    create_category(admin, "hardware", None).await?;
    create_goods(admin, "W-1", Some("hardware")).await?;
    add_price(admin, "W-1", money("USD", "100"), "2026-01-01T00:00:00Z").await?;
    add_cost(admin, "W-1", sourcing_cost("USD", "60", "2026-01-01T00:00:00Z")).await?;
    add_estimate(admin, "W-1", ("", ""), ("1000", "100"), "2026-01-01T00:00:00Z").await?;
    record(admin, "W-1", movement("jakarta-dc", MovementKind::Received, "1000"), "").await?;
    let sale = percent_off(
        "5",
        promotion::Scope::AllProducts(true),
        Stacking::Stackable,
        "2026-01-01T00:00:00Z",
        "2027-01-01T00:00:00Z",
    );
    Ok(add_promotion(admin, sale).await?.name)
}

/// Makes `call`; `n` keeps created ids unique.
pub async fn make(client: &mut Inventory, call: Call, promotion: &str, n: usize) -> Result<(), Status> {
    let w1 = || "products/W-1".to_owned();
    let moved = |kind| RecordStockMovementRequest {
        parent: w1(),
        stock_movement: Some(movement("jakarta-dc", kind, "1")),
        request_id: format!("access-{n}"),
    };
    match call {
        GetProduct => client.get_product(GetProductRequest { name: w1() }).await.map(drop),
        ListProducts => client.list_products(ListProductsRequest::default()).await.map(drop),
        GetCategory => client
            .get_category(GetCategoryRequest {
                name: "categories/hardware".into(),
            })
            .await
            .map(drop),
        ListCategories => client.list_categories(ListCategoriesRequest::default()).await.map(drop),
        GetPriceAsOf => client
            .get_price_as_of(GetPriceAsOfRequest {
                product: w1(),
                currency_code: "USD".into(),
                time: ts(NOW_ISH),
            })
            .await
            .map(drop),
        ListPrices => client
            .list_prices(ListPricesRequest {
                parent: w1(),
                ..Default::default()
            })
            .await
            .map(drop),
        GetPromotion => client
            .get_promotion(GetPromotionRequest { name: promotion.into() })
            .await
            .map(drop),
        ListPromotions => client.list_promotions(ListPromotionsRequest::default()).await.map(drop),
        GetStockLevel => client
            .get_stock_level(GetStockLevelRequest {
                product: w1(),
                location: "jakarta-dc".into(),
            })
            .await
            .map(drop),
        ListStockLevels => client
            .list_stock_levels(ListStockLevelsRequest::default())
            .await
            .map(drop),
        ListStockMovements => client
            .list_stock_movements(ListStockMovementsRequest {
                parent: w1(),
                ..Default::default()
            })
            .await
            .map(drop),
        ListEstimates => client
            .list_market_estimates(ListMarketEstimatesRequest {
                parent: w1(),
                ..Default::default()
            })
            .await
            .map(drop),
        GetSettings => client
            .get_inventory_settings(GetInventorySettingsRequest {})
            .await
            .map(drop),
        GetCostAsOf => client
            .get_cost_as_of(GetCostAsOfRequest {
                product: w1(),
                time: ts(NOW_ISH),
            })
            .await
            .map(drop),
        ListCostBreakdowns => client
            .list_cost_breakdowns(ListCostBreakdownsRequest {
                parent: w1(),
                ..Default::default()
            })
            .await
            .map(drop),
        GetProfitability => client.get_profitability(in_usd("W-1", NOW_ISH)).await.map(drop),
        GetPortfolio => client
            .get_portfolio_assessment(GetPortfolioAssessmentRequest {
                currency_code: "USD".into(),
                time: ts(NOW_ISH),
            })
            .await
            .map(drop),
        BatchGetValuations => client
            .batch_get_valuations(BatchGetValuationsRequest {
                lines: vec![ValuationLine {
                    sku: "W-1".into(),
                    time: ts(NOW_ISH),
                    currency_code: "USD".into(),
                }],
            })
            .await
            .map(drop),
        CreateCategory => client
            .create_category(CreateCategoryRequest {
                category: Some(Category {
                    display_name: "New".into(),
                    ..Default::default()
                }),
                category_id: format!("new-{n}"),
                request_id: String::new(),
            })
            .await
            .map(drop),
        CreateProduct => client
            .create_product(CreateProductRequest {
                product: Some(goods("New")),
                sku: format!("NEW-{n}"),
                request_id: String::new(),
            })
            .await
            .map(drop),
        UpdateProduct => client
            .update_product(UpdateProductRequest {
                product: Some(Product {
                    name: w1(),
                    display_name: format!("Renamed {n}"),
                    ..Default::default()
                }),
                update_mask: mask(&["display_name"]),
            })
            .await
            .map(drop),
        CreateCost => client
            .create_cost_breakdown(CreateCostBreakdownRequest {
                parent: w1(),
                cost_breakdown: Some(sourcing_cost("USD", "61", "2026-02-01T00:00:00Z")),
                request_id: String::new(),
            })
            .await
            .map(drop),
        CreatePrice => client
            .create_price(CreatePriceRequest {
                parent: w1(),
                price: Some(Price {
                    list_price: Some(money("USD", "101")),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .map(drop),
        CreatePromotion => client
            .create_promotion(CreatePromotionRequest {
                promotion: Some(percent_off(
                    "1",
                    promotion::Scope::Product(w1()),
                    Stacking::Exclusive,
                    "2026-01-01T00:00:00Z",
                    "2026-02-01T00:00:00Z",
                )),
                request_id: String::new(),
            })
            .await
            .map(drop),
        CreateEstimate => client
            .create_market_estimate(CreateMarketEstimateRequest {
                parent: w1(),
                market_estimate: Some(MarketEstimate {
                    addressable_demand: num("10"),
                    expected_volume: num("1"),
                    source: "gut feeling".into(),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .map(drop),
        Receive => client
            .record_stock_movement(moved(MovementKind::Received))
            .await
            .map(drop),
        Sell => client.record_stock_movement(moved(MovementKind::Sold)).await.map(drop),
        WriteOff => client
            .record_stock_movement(moved(MovementKind::WrittenOff))
            .await
            .map(drop),
        Count => client
            .record_stock_movement(RecordStockMovementRequest {
                stock_movement: Some(movement("jakarta-dc", MovementKind::Counted, "900")),
                ..moved(MovementKind::Counted)
            })
            .await
            .map(drop),
        UpdateSettings => client
            .update_inventory_settings(UpdateInventorySettingsRequest {
                settings: Some(InventorySettings {
                    allow_backorders: false,
                    ..Default::default()
                }),
                update_mask: mask(&["allow_backorders"]),
            })
            .await
            .map(drop),
    }
}
