//! Lacak's domain rules as plain functions and types: no gRPC, no database.

#![warn(missing_docs)]

pub mod calendar;
pub mod distribution;
pub mod history;
pub mod kpi;
pub mod money;
pub mod principal;

pub use calendar::{CalendarError, FiscalCalendar, FiscalYearNaming, PeriodId, PeriodKind};
pub use distribution::{DistributionError, SeasonalProfile, distribute};
pub use history::{AllocationGap, TargetChange, allocation_gap, target_as_of};
pub use money::{Money, MoneyError, validate_currency_code};
pub use principal::{Principal, Role};
