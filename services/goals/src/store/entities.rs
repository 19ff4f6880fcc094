//! The goals tables as sea-orm entities. Every table is keyed by tenant first.

macro_rules! no_relations {
    () => {
        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}
        impl ActiveModelBehavior for ActiveModel {}
    };
}

pub mod team {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "teams")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub display_name: String,
        pub parent_id: Option<String>,
        pub manager_id: Option<String>,
        pub create_time: DateTimeUtc,
        pub update_time: DateTimeUtc,
    }
    no_relations!();
}

pub mod member {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "members")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub display_name: String,
        pub email: String,
        pub team_id: Option<String>,
        pub active: bool,
        pub create_time: DateTimeUtc,
        pub update_time: DateTimeUtc,
    }
    no_relations!();
}

pub mod fiscal_calendar {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "fiscal_calendars")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant: String,
        pub start_month: i32,
        pub time_zone: String,
        /// `lacak_domain::FiscalYearNaming` as text: "ending_year" or "starting_year".
        pub year_naming: String,
        pub update_time: DateTimeUtc,
    }
    no_relations!();
}

pub mod quota {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "quotas")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        /// "member" or "team".
        pub owner_kind: String,
        pub owner_id: String,
        pub metric: String,
        pub period: String,
        /// Empty for metrics that are not money.
        pub currency: String,
        /// An exact decimal, as text.
        pub target: String,
        pub scope_product: String,
        pub scope_category: String,
        pub scope_region: String,
        pub scope_segment: String,
        /// JSON array of decimal strings (percentages per month).
        pub seasonal_profile: String,
        /// Bumped by every change; the etag.
        pub revision: i32,
        pub create_time: DateTimeUtc,
        pub update_time: DateTimeUtc,
    }
    no_relations!();
}

pub mod quota_change {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "quota_changes")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub quota_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub seq: i32,
        pub old_target: Option<String>,
        pub new_target: String,
        pub old_profile: String,
        pub new_profile: String,
        pub reason: String,
        pub source: String,
        pub source_reference: String,
        pub actor: String,
        pub change_time: DateTimeUtc,
    }
    no_relations!();
}

pub mod action_plan {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "action_plans")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub title: String,
        pub description: String,
        pub owner_kind: String,
        pub owner_id: String,
        pub state: String,
        /// JSON array of quota ids.
        pub quota_ids: String,
        /// JSON array of strategies.
        pub strategies: String,
        /// JSON array of milestones.
        pub milestones: String,
        /// JSON array of state changes with their times.
        pub state_history: String,
        pub create_time: DateTimeUtc,
        pub update_time: DateTimeUtc,
    }
    no_relations!();
}

pub mod task {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "tasks")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub plan_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub title: String,
        pub assignee_id: String,
        pub due_time: Option<DateTimeUtc>,
        pub state: String,
        pub create_time: DateTimeUtc,
        pub update_time: DateTimeUtc,
    }
    no_relations!();
}

pub mod quota_review {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "quota_reviews")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub period: String,
        pub create_time: DateTimeUtc,
    }
    no_relations!();
}

pub mod review_item {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "review_items")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub review_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub quota_id: String,
        pub target_at_review: String,
        /// "" while undecided, else keep / raise / lower.
        pub decision: String,
        pub new_target: Option<String>,
        pub reason: String,
        pub decided_by: String,
        pub decide_time: Option<DateTimeUtc>,
    }
    no_relations!();
}
