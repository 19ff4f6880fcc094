//! The inventory tables as sea-orm entities. Every table is keyed by tenant first.

macro_rules! no_relations {
    () => {
        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}
        impl ActiveModelBehavior for ActiveModel {}
    };
}

pub mod category {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "categories")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub display_name: String,
        pub parent_id: Option<String>,
        pub create_time: DateTimeUtc,
    }
    no_relations!();
}

pub mod product {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "products")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub sku: String,
        pub display_name: String,
        /// "product" or "service".
        pub kind: String,
        pub category_id: Option<String>,
        pub unit_of_measure: String,
        /// "active" or "retired".
        pub state: String,
        /// JSON arrays of strings.
        pub tags: String,
        pub regions: String,
        pub segments: String,
        pub create_time: DateTimeUtc,
        pub update_time: DateTimeUtc,
    }
    no_relations!();
}

pub mod settings {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "inventory_settings")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant: String,
        pub reps_see_costs: bool,
        pub margin_threshold_percent: String,
        pub allow_backorders: bool,
        pub update_time: DateTimeUtc,
    }
    no_relations!();
}

pub mod cost_breakdown {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "cost_breakdowns")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub sku: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub currency: String,
        pub sourcing: String,
        pub materials: String,
        pub labour: String,
        pub shipping: String,
        pub other: String,
        pub unit_cost: String,
        pub tax_rate_percent: String,
        pub fee_rate_percent: String,
        pub effective_time: DateTimeUtc,
        pub recorded_by: String,
        pub create_time: DateTimeUtc,
    }
    no_relations!();
}

pub mod price {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "prices")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub sku: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub currency: String,
        pub list_price: String,
        pub effective_time: DateTimeUtc,
        pub create_time: DateTimeUtc,
    }
    no_relations!();
}

pub mod promotion {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "promotions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub display_name: String,
        /// The percentage off, or "" for a fixed amount.
        pub percent_off: String,
        pub amount_currency: String,
        /// The fixed amount off, or "" for a percentage.
        pub amount_off: String,
        /// "product", "category" or "all".
        pub scope_kind: String,
        /// The SKU or category id; "" for all.
        pub scope_ref: String,
        pub start_time: DateTimeUtc,
        pub end_time: DateTimeUtc,
        /// "exclusive" or "stackable".
        pub stacking: String,
        pub create_time: DateTimeUtc,
    }
    no_relations!();
}

pub mod market_estimate {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "market_estimates")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub sku: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub region: String,
        pub segment: String,
        pub addressable_demand: String,
        pub expected_volume: String,
        pub source: String,
        pub estimate_time: DateTimeUtc,
        pub create_time: DateTimeUtc,
    }
    no_relations!();
}

pub mod stock_level {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "stock_levels")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub sku: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub location: String,
        pub quantity: String,
        pub update_time: DateTimeUtc,
    }
    no_relations!();
}

pub mod stock_movement {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "stock_movements")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub sku: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub location: String,
        pub kind: String,
        pub quantity: String,
        pub level_after: String,
        pub reference: String,
        pub time: DateTimeUtc,
        pub recorded_by: String,
    }
    no_relations!();
}
