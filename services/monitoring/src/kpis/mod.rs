//! KPIs of an owner, period and scope, composed from the rollups (sales), the pipeline ledger and
//! the period's deals, leads and customers, with every formula taken from `lacak_domain::kpi`
//! (docs/KPIS.md): `facts` reads, `figures` narrows to a set of members, `compose` answers.

mod cache;
mod compose;
mod facts;
mod figures;

use std::collections::HashMap;

use lacak_domain::Money;
use lacak_domain::kpi::KpiError;
use lacak_proto::common as cpb;
use rust_decimal::Decimal;

use crate::error::{MonitoringError, MonitoringResult};

pub use cache::ReadCache;
pub use compose::compose;
pub use facts::{PeriodFacts, Reading, gather, rollup_filter};
pub use figures::Figures;

/// A scope narrowed to one dimension.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum Scope {
    #[default]
    All,
    Product(String),
    Category(String),
    Region(String),
    Segment(String),
}

impl Scope {
    /// Reads a wire scope; more than one field set is refused (KPIs narrow by one dimension).
    pub fn from_proto(scope: Option<&cpb::Scope>, field: &str) -> MonitoringResult<Scope> {
        let Some(scope) = scope else { return Ok(Scope::All) };
        let set: Vec<Scope> = [
            (!scope.product.is_empty()).then(|| Scope::Product(scope.product.clone())),
            (!scope.product_category.is_empty())
                .then(|| Scope::Category(scope.product_category.trim_start_matches("categories/").to_owned())),
            (!scope.region.is_empty()).then(|| Scope::Region(scope.region.to_lowercase())),
            (!scope.segment.is_empty()).then(|| Scope::Segment(scope.segment.to_lowercase())),
        ]
        .into_iter()
        .flatten()
        .collect();
        match set.len() {
            0 => Ok(Scope::All),
            1 => Ok(set.into_iter().next().unwrap_or_default()),
            _ => Err(MonitoringError::invalid(
                field,
                "narrow by one of product, product_category, region or segment at a time",
            )),
        }
    }

    pub fn to_proto(&self) -> cpb::Scope {
        let mut scope = cpb::Scope::default();
        match self {
            Scope::All => {}
            Scope::Product(sku) => scope.product = sku.clone(),
            Scope::Category(id) => scope.product_category = format!("categories/{id}"),
            Scope::Region(region) => scope.region = region.clone(),
            Scope::Segment(segment) => scope.segment = segment.clone(),
        }
        scope
    }

    /// Whether a customer with this region and segment is in scope; product scopes keep all.
    pub(crate) fn keeps_customer(&self, region: &str, segment: &str) -> bool {
        match self {
            Scope::Region(r) => r == region,
            Scope::Segment(s) => s == segment,
            _ => true,
        }
    }

    pub(crate) fn narrows_customers(&self) -> bool {
        matches!(self, Scope::Region(_) | Scope::Segment(_))
    }
}

pub(crate) fn kpi_error(error: KpiError) -> MonitoringError {
    match error {
        KpiError::CurrencyMismatch { left, right } => MonitoringError::precondition(
            "CURRENCY_MISMATCH",
            format!("amounts in {left} and {right} are never summed; ask for one currency"),
        ),
        other => MonitoringError::precondition("KPI_UNDEFINED", other.to_string()),
    }
}

/// An amount in `currency`.
pub(crate) fn money(currency: &str, amount: Decimal) -> Money {
    Money {
        currency: currency.to_owned(),
        amount,
    }
}

/// The weight of a forecast category in the weighted pipeline, in percent.
pub fn forecast_weight(category: &str) -> Decimal {
    match category {
        "closed" => Decimal::ONE_HUNDRED,
        "commit" => Decimal::from(90),
        "best_case" => Decimal::from(50),
        "pipeline" => Decimal::from(10),
        _ => Decimal::ZERO,
    }
}

/// Stages in order of where deals enter them on average, then by name: how stages outside the
/// tenant's sales pipeline are placed after it.
pub fn stage_order(histories: &[Vec<String>]) -> Vec<String> {
    let mut positions: HashMap<&str, (usize, usize)> = HashMap::new();
    for history in histories {
        for (i, stage) in history.iter().enumerate() {
            let entry = positions.entry(stage.as_str()).or_insert((0, 0));
            entry.0 += i;
            entry.1 += 1;
        }
    }
    let mut stages: Vec<(&str, f64)> = positions
        .into_iter()
        .map(|(stage, (sum, count))| (stage, sum as f64 / count as f64))
        .collect();
    stages.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(b.0)));
    stages.into_iter().map(|(stage, _)| stage.to_owned()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_are_ordered_by_where_deals_enter_them() {
        let histories = vec![
            vec!["qualify".to_string(), "propose".into(), "negotiate".into()],
            vec!["qualify".to_string(), "negotiate".into()],
            vec!["qualify".to_string()],
        ];
        assert_eq!(stage_order(&histories), ["qualify", "propose", "negotiate"]);
    }

    #[test]
    fn forecast_categories_weigh_the_pipeline() {
        assert_eq!(forecast_weight("commit"), Decimal::from(90));
        assert_eq!(forecast_weight("omitted"), Decimal::ZERO);
    }

    #[test]
    fn a_scope_narrows_by_one_dimension_at_a_time() {
        let both = cpb::Scope {
            region: "EMEA".into(),
            segment: "smb".into(),
            ..Default::default()
        };
        assert!(Scope::from_proto(Some(&both), "scope").is_err());
        let region = cpb::Scope {
            region: "EMEA".into(),
            ..Default::default()
        };
        assert_eq!(
            Scope::from_proto(Some(&region), "scope").unwrap(),
            Scope::Region("emea".into())
        );
    }
}
