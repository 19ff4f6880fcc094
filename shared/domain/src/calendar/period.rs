//! Fiscal period identifiers (`FY2026`, `FY2026-Q3`, `FY2026-M07`) and their arithmetic, free of dates.

use std::fmt;
use std::ops::RangeInclusive;
use std::str::FromStr;

use super::CalendarError;

/// The fiscal years a period id may name: four digits, so ids sort and print uniformly.
pub const FISCAL_YEARS: RangeInclusive<i32> = 1000..=9999;

/// The length of a fiscal period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PeriodKind {
    /// One fiscal month, index 1..=12.
    Month,
    /// Three fiscal months, index 1..=4.
    Quarter,
    /// The whole fiscal year, index 1.
    Year,
}

impl PeriodKind {
    /// How many fiscal months one period of this kind spans.
    pub const fn months(self) -> u32 {
        match self {
            PeriodKind::Month => 1,
            PeriodKind::Quarter => 3,
            PeriodKind::Year => 12,
        }
    }

    /// How many periods of this kind make a fiscal year: the largest valid index.
    pub const fn per_year(self) -> u32 {
        12 / self.months()
    }
}

/// One fiscal period of a tenant's calendar, e.g. `FY2026-Q3`.
///
/// The fields are public for pattern matching; ids built by hand may be invalid, so the
/// methods below treat an invalid id as covering nothing and having no neighbours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PeriodId {
    /// The calendar year in which the fiscal year ends.
    pub fiscal_year: i32,
    /// Month, quarter or year.
    pub kind: PeriodKind,
    /// 1-based position within the fiscal year: month 1..=12, quarter 1..=4, year 1.
    pub index: u32,
}

impl PeriodId {
    /// A period id, checked against [`FISCAL_YEARS`] and the index range of `kind`.
    pub fn new(fiscal_year: i32, kind: PeriodKind, index: u32) -> Result<Self, CalendarError> {
        let id = PeriodId::unchecked(fiscal_year, kind, index);
        if id.is_valid() {
            Ok(id)
        } else {
            Err(CalendarError::InvalidPeriod(id))
        }
    }

    /// For ids whose range the caller has already established, or tests that want invalid ones.
    pub(crate) const fn unchecked(fiscal_year: i32, kind: PeriodKind, index: u32) -> Self {
        PeriodId {
            fiscal_year,
            kind,
            index,
        }
    }

    /// Whether the year and index are in range.
    pub fn is_valid(&self) -> bool {
        FISCAL_YEARS.contains(&self.fiscal_year) && (1..=self.kind.per_year()).contains(&self.index)
    }

    /// The fiscal months covered, as 1-based numbers within the fiscal year; empty when invalid.
    pub(crate) fn month_numbers(&self) -> RangeInclusive<u32> {
        // A span of zero makes `first..=first - 1`, the empty range an invalid id covers.
        let span = if self.is_valid() { self.kind.months() } else { 0 };
        let first = self.index.saturating_sub(1) * span + 1;
        first..=first + span - 1
    }

    /// The fiscal months this period covers, in order; a month gives itself.
    pub fn months(&self) -> Vec<PeriodId> {
        let year = self.fiscal_year;
        self.month_numbers()
            .map(|m| PeriodId::unchecked(year, PeriodKind::Month, m))
            .collect()
    }

    /// The fiscal quarters this period covers in full, in order; a month covers none.
    pub fn quarters(&self) -> Vec<PeriodId> {
        let year = self.fiscal_year;
        self.month_numbers()
            .filter(|m| self.kind != PeriodKind::Month && m % 3 == 1)
            .map(|m| PeriodId::unchecked(year, PeriodKind::Quarter, m.div_ceil(3)))
            .collect()
    }

    /// The fiscal year this period belongs to.
    pub fn parent_year(&self) -> PeriodId {
        PeriodId::unchecked(self.fiscal_year, PeriodKind::Year, 1)
    }

    /// The quarter holding this period: a month's quarter, or a quarter itself; `None` for a year.
    pub fn quarter_of(&self) -> Option<PeriodId> {
        if !self.is_valid() || self.kind == PeriodKind::Year {
            return None;
        }
        let index = self.month_numbers().start().div_ceil(3);
        Some(PeriodId::unchecked(self.fiscal_year, PeriodKind::Quarter, index))
    }

    /// The following period of the same kind, crossing into the next fiscal year when needed.
    pub fn next(&self) -> Option<PeriodId> {
        self.shifted(1)
    }

    /// The preceding period of the same kind, crossing into the previous fiscal year when needed.
    pub fn previous(&self) -> Option<PeriodId> {
        self.shifted(-1)
    }

    /// `None` when `self` is invalid or the result leaves [`FISCAL_YEARS`].
    fn shifted(&self, by: i32) -> Option<PeriodId> {
        if !self.is_valid() {
            return None;
        }
        // Both are tiny once valid: years are four digits, indexes at most 12.
        let per_year = self.kind.per_year() as i32;
        let ordinal = self.fiscal_year * per_year + (self.index as i32 - 1) + by;
        let index = ordinal.rem_euclid(per_year) as u32 + 1;
        let id = PeriodId::unchecked(ordinal.div_euclid(per_year), self.kind, index);
        id.is_valid().then_some(id)
    }

    /// Whether every month of `other` lies within this period; a period contains itself.
    pub fn contains(&self, other: &PeriodId) -> bool {
        let (outer, inner) = (self.month_numbers(), other.month_numbers());
        self.fiscal_year == other.fiscal_year
            && !inner.is_empty()
            && outer.start() <= inner.start()
            && inner.end() <= outer.end()
    }
}

impl fmt::Display for PeriodId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            PeriodKind::Year => write!(f, "FY{:04}", self.fiscal_year),
            PeriodKind::Quarter => write!(f, "FY{:04}-Q{}", self.fiscal_year, self.index),
            PeriodKind::Month => write!(f, "FY{:04}-M{:02}", self.fiscal_year, self.index),
        }
    }
}

impl FromStr for PeriodId {
    type Err = CalendarError;

    /// Accepts exactly the forms [`Display`](fmt::Display) writes; no lowercase or spaces.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse(s).ok_or_else(|| CalendarError::UnparsablePeriod(s.to_owned()))
    }
}

fn parse(s: &str) -> Option<PeriodId> {
    let (year, rest) = s.strip_prefix("FY")?.split_at_checked(4)?;
    let fiscal_year = i32::try_from(digits(year)?).ok()?;
    let (kind, index) = if rest.is_empty() {
        (PeriodKind::Year, 1)
    } else if let Some(q) = rest.strip_prefix("-Q").filter(|q| q.len() == 1) {
        (PeriodKind::Quarter, digits(q)?)
    } else if let Some(m) = rest.strip_prefix("-M").filter(|m| m.len() == 2) {
        (PeriodKind::Month, digits(m)?)
    } else {
        return None;
    };
    PeriodId::new(fiscal_year, kind, index).ok()
}

/// Only ASCII digits: `u32::from_str` alone would also take a leading `+`.
fn digits(s: &str) -> Option<u32> {
    s.bytes().all(|b| b.is_ascii_digit()).then(|| s.parse().ok())?
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use PeriodKind::{Month, Quarter, Year};
    use proptest::prelude::*;

    fn id(s: &str) -> PeriodId {
        s.parse().unwrap()
    }

    pub(crate) fn raw(fiscal_year: i32, kind: PeriodKind, index: u32) -> PeriodId {
        PeriodId::unchecked(fiscal_year, kind, index)
    }

    #[test]
    fn canonical_forms_parse_and_print() {
        assert_eq!(id("FY2026"), raw(2026, Year, 1));
        assert_eq!(id("FY2026-Q3"), raw(2026, Quarter, 3));
        assert_eq!(id("FY2026-M07"), raw(2026, Month, 7));
        for s in ["FY1000", "FY9999-Q4", "FY2026-M12", "FY2026-M01"] {
            assert_eq!(id(s).to_string(), s);
        }
    }

    #[test]
    fn anything_but_the_canonical_forms_is_rejected() {
        let bad = "FY fy2026 FY26 FY02026 FY0999 FY+202 FY2026- FY2026-Q0 FY2026-Q5 FY2026-Q03 \
                   FY2026-M7 FY2026-M00 FY2026-M13 FY2026-M+7 FY2026-m07 FY2026-H1 FY2026-Q1-M01 FY２０２６";
        for s in bad.split(' ').chain(["", " FY2026", "FY2026 "]) {
            assert_eq!(
                s.parse::<PeriodId>(),
                Err(CalendarError::UnparsablePeriod(s.into())),
                "{s:?}"
            );
        }
        let message = "FY26".parse::<PeriodId>().unwrap_err().to_string();
        assert!(message.contains("FY2026, FY2026-Q3 or FY2026-M07"), "{message}");
    }

    #[test]
    fn periods_break_down_into_months_and_quarters() {
        let months: Vec<String> = id("FY2026-Q3").months().iter().map(|m| m.to_string()).collect();
        assert_eq!(months, ["FY2026-M07", "FY2026-M08", "FY2026-M09"]);
        assert_eq!(id("FY2026").months().len(), 12);
        assert_eq!(id("FY2026-M05").months(), vec![id("FY2026-M05")]);
        assert_eq!(
            id("FY2026").quarters(),
            ["Q1", "Q2", "Q3", "Q4"].map(|q| id(&format!("FY2026-{q}")))
        );
        assert_eq!(id("FY2026-Q2").quarters(), vec![id("FY2026-Q2")]);
        assert!(id("FY2026-M05").quarters().is_empty());
        assert_eq!(id("FY2026-M05").quarter_of(), Some(id("FY2026-Q2")));
        assert_eq!(id("FY2026-M12").quarter_of(), Some(id("FY2026-Q4")));
        assert_eq!(id("FY2026-Q4").quarter_of(), Some(id("FY2026-Q4")));
        assert_eq!(id("FY2026").quarter_of(), None);
        assert_eq!(id("FY2026-M05").parent_year(), id("FY2026"));
    }

    #[test]
    fn neighbours_cross_fiscal_years() {
        assert_eq!(id("FY2026-M12").next(), Some(id("FY2027-M01")));
        assert_eq!(id("FY2026-M01").previous(), Some(id("FY2025-M12")));
        assert_eq!(id("FY2026-Q4").next(), Some(id("FY2027-Q1")));
        assert_eq!(id("FY2026-Q2").previous(), Some(id("FY2026-Q1")));
        assert_eq!(id("FY2026").next(), Some(id("FY2027")));
        assert_eq!(id("FY9999-M12").next(), None);
        assert_eq!(id("FY1000").previous(), None);
        let invalid = raw(2026, Quarter, 9);
        assert_eq!(invalid.next(), None);
        assert!(invalid.months().is_empty());
    }

    #[test]
    fn containment_follows_months() {
        assert!(id("FY2026").contains(&id("FY2026-Q3")));
        assert!(id("FY2026-Q3").contains(&id("FY2026-M09")));
        assert!(id("FY2026-Q3").contains(&id("FY2026-Q3")));
        assert!(!id("FY2026-Q3").contains(&id("FY2026-M10")));
        assert!(!id("FY2026-M09").contains(&id("FY2026-Q3")));
        assert!(!id("FY2027").contains(&id("FY2026-M01")));
        assert!(!id("FY2026").contains(&raw(2026, Month, 13)));
    }

    pub(crate) fn any_period() -> impl Strategy<Value = PeriodId> {
        let kind = prop_oneof![Just(Month), Just(Quarter), Just(Year)];
        (FISCAL_YEARS, kind, 0..12_u32).prop_map(|(y, kind, i)| raw(y, kind, i % kind.per_year() + 1))
    }

    proptest! {
        #[test]
        fn display_then_parse_is_identity(p in any_period()) {
            prop_assert_eq!(p.to_string().parse::<PeriodId>(), Ok(p));
        }

        #[test]
        fn next_undoes_previous(p in any_period()) {
            if let Some(before) = p.previous() {
                prop_assert_eq!(before.next(), Some(p));
            } else {
                prop_assert_eq!(p.fiscal_year, *FISCAL_YEARS.start());
            }
        }

        #[test]
        fn a_period_contains_exactly_its_months(p in any_period(), m in 1..=12_u32) {
            let month = raw(p.fiscal_year, Month, m);
            prop_assert_eq!(p.contains(&month), p.months().contains(&month));
            prop_assert!(p.parent_year().contains(&p));
        }
    }
}
