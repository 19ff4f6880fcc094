//! The monitoring tables as sea-orm entities. Every table is keyed by tenant first.

macro_rules! no_relations {
    () => {
        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}
        impl ActiveModelBehavior for ActiveModel {}
    };
}

pub mod customer {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "customers")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub display_name: String,
        pub segment: String,
        pub region: String,
        pub acquire_time: Option<DateTimeUtc>,
        /// The member credited with winning the customer, or empty.
        pub acquired_by: String,
        pub churn_time: Option<DateTimeUtc>,
        pub external_id: Option<String>,
        pub create_time: DateTimeUtc,
        pub update_time: DateTimeUtc,
        /// The member who owns the account, or empty (column added by m0003).
        pub owner: String,
    }
    no_relations!();
}

pub mod lead {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "leads")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub source: String,
        pub owner: String,
        pub customer: String,
        /// "new", "working", "converted" or "disqualified".
        pub status: String,
        pub deal: String,
        pub create_time: DateTimeUtc,
        pub convert_time: Option<DateTimeUtc>,
        pub external_id: Option<String>,
        pub update_time: DateTimeUtc,
    }
    no_relations!();
}

pub mod deal {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "deals")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub owner: String,
        pub customer: String,
        pub currency: String,
        /// A decimal as text.
        pub amount: String,
        pub expected_close_time: Option<DateTimeUtc>,
        pub stage: String,
        /// "pipeline", "best_case", "commit", "closed" or "omitted".
        pub forecast_category: String,
        /// "", "won" or "lost".
        pub outcome: String,
        pub outcome_reason: String,
        pub close_time: Option<DateTimeUtc>,
        /// JSON `[{"member": …, "percent": "60"}]`; empty array for all to the owner.
        pub credit: String,
        pub lead: String,
        pub external_id: Option<String>,
        pub create_time: DateTimeUtc,
        pub update_time: DateTimeUtc,
        /// The customer's region and segment where the deal's pipeline was last booked.
        pub region: String,
        pub segment: String,
        /// The instant of the deal's latest change in the pipeline ledger.
        pub pipeline_time: Option<DateTimeUtc>,
    }
    no_relations!();
}

pub mod deal_credit {
    use sea_orm::entity::prelude::*;

    /// Who holds credit in a deal: the shares given, or the owner's 100.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "deal_credits")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub deal_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub member: String,
        /// A decimal percentage as text.
        pub percent: String,
    }
    no_relations!();
}

pub mod pipeline_stage {
    use sea_orm::entity::prelude::*;

    /// One stage of a tenant's sales pipeline.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "pipeline_stages")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub position: i32,
        pub stage: String,
        /// A decimal percentage as text.
        pub probability: String,
        pub update_time: DateTimeUtc,
    }
    no_relations!();
}

pub mod deal_stage {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "deal_stages")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub deal_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub seq: i32,
        pub from_stage: String,
        pub to_stage: String,
        pub time: DateTimeUtc,
        /// Why, for a reopening.
        pub reason: String,
        /// "won" or "lost" for a reopening, else empty.
        pub reopened_from: String,
    }
    no_relations!();
}

pub mod sale {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "sales")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub external_id: String,
        pub customer: String,
        /// The customer's region and segment when the sale was booked: where it was rolled up.
        pub region: String,
        pub segment: String,
        pub owner: String,
        /// JSON shares, empty array for all to the owner.
        pub credit: String,
        /// ",ana,budi," — the credited members, for filtering by member.
        pub members: String,
        /// JSON lines (`store::sales::StoredLine`).
        pub lines: String,
        pub currency: String,
        /// The sale's revenue after discounts, in ten-thousandths.
        pub revenue_units: i64,
        pub book_time: DateTimeUtc,
        pub deal: String,
        pub awaiting_cost: bool,
        pub create_time: DateTimeUtc,
        /// While awaiting a cost: when inventory is next asked (none: at the next pass).
        pub next_cost_attempt: Option<DateTimeUtc>,
        /// While awaiting a cost: how often inventory answered without one.
        pub cost_attempts: i32,
    }
    no_relations!();
}
