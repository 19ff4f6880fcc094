//! Which calendar year gives a fiscal year its name: both conventions are common, so a tenant chooses.

use std::fmt;
use std::str::FromStr;

use super::CalendarError;

/// Whether a fiscal year is named by the calendar year in which it ends or in which it starts.
///
/// With a January start the two coincide: the fiscal year is the calendar year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum FiscalYearNaming {
    /// Named by the year it ends in: with an April start, FY2026 is 2025-04-01 up to 2026-04-01.
    #[default]
    EndingYear,
    /// Named by the year it starts in: with an April start, FY2026 is 2026-04-01 up to 2027-04-01.
    StartingYear,
}

impl FiscalYearNaming {
    /// The stable text of the naming, as stored: `ending_year` or `starting_year`.
    pub const fn as_str(self) -> &'static str {
        match self {
            FiscalYearNaming::EndingYear => "ending_year",
            FiscalYearNaming::StartingYear => "starting_year",
        }
    }

    /// How far a fiscal year's name runs ahead of the calendar year in which it starts.
    pub(super) const fn years_after_start(self, start_month: u32) -> i32 {
        match self {
            // A year starting in January also ends in that calendar year.
            FiscalYearNaming::EndingYear if start_month != 1 => 1,
            FiscalYearNaming::EndingYear | FiscalYearNaming::StartingYear => 0,
        }
    }
}

impl fmt::Display for FiscalYearNaming {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for FiscalYearNaming {
    type Err = CalendarError;

    /// Reads what [`FiscalYearNaming::as_str`] writes, and nothing else.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        [FiscalYearNaming::EndingYear, FiscalYearNaming::StartingYear]
            .into_iter()
            .find(|naming| naming.as_str() == text)
            .ok_or_else(|| CalendarError::UnknownYearNaming(text.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{any_calendar, calendar, id, utc};
    use super::*;
    use crate::calendar::{FiscalCalendar, PeriodId, PeriodKind};
    use PeriodKind::{Month, Quarter, Year};
    use proptest::prelude::*;

    fn starting(start_month: u32, tz: &str) -> FiscalCalendar {
        calendar(start_month, tz).with_year_naming(FiscalYearNaming::StartingYear)
    }

    #[test]
    fn namings_read_back_what_they_write() {
        for naming in [FiscalYearNaming::EndingYear, FiscalYearNaming::StartingYear] {
            assert_eq!(naming.as_str().parse(), Ok(naming));
        }
        assert_eq!(
            "ending".parse::<FiscalYearNaming>(),
            Err(CalendarError::UnknownYearNaming("ending".into()))
        );
        assert_eq!(FiscalCalendar::default().year_naming, FiscalYearNaming::EndingYear);
        assert_eq!(calendar(4, "UTC").year_naming, FiscalYearNaming::EndingYear);
    }

    #[test]
    fn a_fiscal_year_named_by_its_start_begins_in_that_year() {
        let april = starting(4, "UTC");
        // FY2026 starts on 1 April 2026 and ends where FY2027 starts, 1 April 2027.
        assert_eq!(
            april.bounds(&id("FY2026")),
            Ok((utc("2026-04-01T00:00:00Z"), utc("2027-04-01T00:00:00Z")))
        );
        // M01 is April 2026; M09 is April + 8 = December 2026; M10 is January 2027.
        assert_eq!(april.calendar_month(&id("FY2026-M01")), Some((2026, 4)));
        assert_eq!(april.calendar_month(&id("FY2026-M09")), Some((2026, 12)));
        assert_eq!(april.calendar_month(&id("FY2026-M10")), Some((2027, 1)));
        assert_eq!(april.calendar_month(&id("FY2026-M12")), Some((2027, 3)));
        // Q4 is M10..=M12: January up to April 2027.
        assert_eq!(
            april.bounds(&id("FY2026-Q4")),
            Ok((utc("2027-01-01T00:00:00Z"), utc("2027-04-01T00:00:00Z")))
        );
        // The same months are FY2027 when named by the year they end in.
        let ending = calendar(4, "UTC");
        assert_eq!(ending.bounds(&id("FY2027")), april.bounds(&id("FY2026")));
    }

    #[test]
    fn with_a_january_start_both_namings_are_the_calendar_year() {
        for naming in [FiscalYearNaming::EndingYear, FiscalYearNaming::StartingYear] {
            let january = calendar(1, "UTC").with_year_naming(naming);
            assert_eq!(
                january.bounds(&id("FY2026")),
                Ok((utc("2026-01-01T00:00:00Z"), utc("2027-01-01T00:00:00Z")))
            );
            assert_eq!(january.calendar_month(&id("FY2026-M12")), Some((2026, 12)));
            let instant = utc("2026-07-15T12:00:00Z");
            assert_eq!(january.period_containing(instant, Quarter), id("FY2026-Q3"));
        }
    }

    #[test]
    fn an_instant_falls_in_the_year_its_local_date_starts_or_continues() {
        let jakarta = starting(4, "Asia/Jakarta");
        // 17:00 UTC on 31 March 2026 is midnight of 1 April in Jakarta (UTC+7): FY2026 begins.
        let first = utc("2026-03-31T17:00:00Z");
        assert_eq!(jakarta.period_containing(first, Month), id("FY2026-M01"));
        assert_eq!(jakarta.period_containing(first, Quarter), id("FY2026-Q1"));
        assert_eq!(jakarta.period_containing(first, Year), id("FY2026"));
        // A second earlier it is still 31 March in Jakarta: the last month of FY2025.
        let before = utc("2026-03-31T16:59:59Z");
        assert_eq!(jakarta.period_containing(before, Month), id("FY2025-M12"));
        assert_eq!(jakarta.period_containing(before, Year), id("FY2025"));
        // In January 2027 the year that began in April 2026 is still running: FY2026, its tenth month.
        let january = utc("2027-01-10T00:00:00Z");
        assert_eq!(jakarta.period_containing(january, Month), id("FY2026-M10"));
        assert_eq!(
            jakarta.bounds(&id("FY2026")),
            Ok((utc("2026-03-31T17:00:00Z"), utc("2027-03-31T17:00:00Z")))
        );
    }

    proptest! {
        #[test]
        fn consecutive_years_tile_time_under_either_naming(cal in any_calendar(), fiscal_year in 1900..2100_i32) {
            let this = PeriodId::new(fiscal_year, Year, 1).unwrap();
            let next = this.next().unwrap();
            let (start, end) = cal.bounds(&this).unwrap();
            let (next_start, _) = cal.bounds(&next).unwrap();
            prop_assert_eq!(end, next_start);
            prop_assert_eq!(cal.period_containing(start, Year), this);
            prop_assert_eq!(cal.period_containing(end, Year), next);
            // The last month of one year and the first of the next touch too.
            let last_month = PeriodId::new(fiscal_year, Month, 12).unwrap();
            prop_assert_eq!(cal.bounds(&last_month).unwrap().1, next_start);
        }

        #[test]
        fn naming_by_start_shifts_names_by_one_year_unless_the_year_starts_in_january(
            start_month in 1..=12_u32,
            fiscal_year in 1900..2100_i32,
        ) {
            let by_end = calendar(start_month, "UTC");
            let by_start = by_end.with_year_naming(FiscalYearNaming::StartingYear);
            let shift = if start_month == 1 { 0 } else { 1 };
            let named_by_start = PeriodId::new(fiscal_year, Year, 1).unwrap();
            let named_by_end = PeriodId::new(fiscal_year + shift, Year, 1).unwrap();
            prop_assert_eq!(by_start.bounds(&named_by_start), by_end.bounds(&named_by_end));
        }
    }
}
