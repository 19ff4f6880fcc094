//! The demo's cast: the team tree, the reps and how good they are, the catalogue, the seasons.

/// (id, display name, parent)
pub(super) const TEAMS: [(&str, &str, &str); 5] = [
    ("sales", "Global Sales", ""),
    ("emea", "EMEA", "sales"),
    ("apac", "APAC", "sales"),
    ("apac-sea", "South-East Asia", "apac"),
    ("americas", "Americas", "sales"),
];

/// A rep and how good they are.
pub(super) struct Rep {
    pub(super) id: &'static str,
    pub(super) name: &'static str,
    pub(super) team: &'static str,
    pub(super) region: &'static str,
    /// Share of leads that become deals.
    pub(super) conversion: f64,
    /// Share of negotiated deals won.
    pub(super) win: f64,
    /// How large their deals are, relative to the team.
    pub(super) size: f64,
    pub(super) leads_per_month: f64,
}

pub(super) const REPS: [Rep; 12] = [
    rep("ana", "Ana Putri", "emea", "emea", 0.42, 0.62, 1.2, 22.0),
    rep("budi", "Budi Santoso", "emea", "emea", 0.35, 0.55, 1.0, 20.0),
    rep("chloe", "Chloé Martin", "emea", "emea", 0.30, 0.45, 0.9, 18.0),
    rep("dewi", "Dewi Lestari", "apac", "apac", 0.38, 0.58, 1.1, 21.0),
    rep("eko", "Eko Prasetyo", "apac", "apac", 0.33, 0.50, 1.0, 19.0),
    rep("farah", "Farah Aziz", "apac-sea", "apac", 0.40, 0.60, 0.8, 24.0),
    rep("gilang", "Gilang Ramadhan", "apac-sea", "apac", 0.12, 0.48, 0.9, 24.0),
    rep("hana", "Hana Wijaya", "apac-sea", "apac", 0.36, 0.52, 0.9, 22.0),
    rep("ivan", "Ivan Petrov", "americas", "americas", 0.37, 0.57, 1.3, 20.0),
    rep("julia", "Julia Costa", "americas", "americas", 0.31, 0.64, 1.1, 18.0),
    rep("kevin", "Kevin Osei", "americas", "americas", 0.34, 0.40, 1.0, 21.0),
    rep("lina", "Lina Haddad", "americas", "americas", 0.39, 0.55, 0.95, 19.0),
];

#[allow(clippy::too_many_arguments)]
const fn rep(
    id: &'static str,
    name: &'static str,
    team: &'static str,
    region: &'static str,
    conversion: f64,
    win: f64,
    size: f64,
    leads_per_month: f64,
) -> Rep {
    Rep {
        id,
        name,
        team,
        region,
        conversion,
        win,
        size,
        leads_per_month,
    }
}

/// (category id, display name)
pub(super) const CATEGORIES: [(&str, &str); 3] = [
    ("laptops", "Laptops"),
    ("accessories", "Accessories"),
    ("services", "Services"),
];

/// A product: SKU, name, category, unit cost and list price in IDR.
pub(super) struct Product {
    pub(super) sku: &'static str,
    pub(super) name: &'static str,
    pub(super) category: &'static str,
    pub(super) cost: i64,
    pub(super) price: i64,
    pub(super) service: bool,
}

pub(super) const PRODUCTS: [Product; 8] = [
    product("LAP-PRO-14", "Laptop Pro 14", "laptops", 9_500_000, 14_000_000, false),
    product("LAP-AIR-13", "Laptop Air 13", "laptops", 7_000_000, 9_000_000, false),
    product("TAB-10", "Tablet 10", "laptops", 3_500_000, 4_200_000, false),
    product("MON-27", "Monitor 27\"", "accessories", 2_000_000, 3_200_000, false),
    product("DOCK-USB", "USB-C Dock", "accessories", 600_000, 1_500_000, false),
    product("KB-MX", "Keyboard MX", "accessories", 300_000, 900_000, false),
    product("SVC-SETUP", "On-site Setup", "services", 200_000, 1_200_000, true),
    product("SVC-CARE", "Care Plan (1 year)", "services", 500_000, 2_400_000, true),
];

const fn product(
    sku: &'static str,
    name: &'static str,
    category: &'static str,
    cost: i64,
    price: i64,
    service: bool,
) -> Product {
    Product {
        sku,
        name,
        category,
        cost,
        price,
        service,
    }
}

/// Demand by calendar month: a quiet start of the year, a strong fourth quarter.
pub(super) const SEASON: [f64; 12] = [0.80, 0.85, 1.00, 0.90, 0.95, 1.05, 0.90, 0.85, 1.00, 1.10, 1.25, 1.40];

pub(super) const SEGMENTS: [&str; 3] = ["enterprise", "mid-market", "smb"];
pub(super) const REGIONS: [&str; 3] = ["emea", "apac", "americas"];
pub(super) const CUSTOMERS_PER_REGION: usize = 120;
