//! A tenant's fiscal calendar: which UTC instants each fiscal period spans.
//!
//! Conventions every service relies on:
//! - A fiscal year is named, as the tenant chooses ([`FiscalYearNaming`]), by the calendar year
//!   in which it *ends* (the default) or *starts*. With `start_month = 4` (April), FY2026 runs from
//!   2025-04-01 up to, not including, 2026-04-01 when named by its end, and from 2026-04-01 up to
//!   2027-04-01 when named by its start; with `start_month = 1`, FY2026 is calendar 2026 either way.
//! - Fiscal month M01 is the first month of the fiscal year; Q1 is M01..=M03, Q4 is M10..=M12.
//! - A period starts at local midnight on its first day in the calendar's time zone and ends
//!   where the next one starts, so consecutive periods tile time with no gap or overlap.
//!   A midnight skipped by a clock change starts at the first instant after the gap; a midnight
//!   that happens twice starts at its first occurrence.

mod naming;
mod period;

pub use naming::FiscalYearNaming;
pub use period::{FISCAL_YEARS, PeriodId, PeriodKind};

use chrono::{DateTime, Datelike, MappedLocalTime, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;

/// Why a calendar or period could not be built or placed in time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// The fiscal year's first month is not 1..=12.
    #[error("fiscal year start month {0} out of range; expected 1..=12")]
    InvalidStartMonth(u32),
    /// The text names no fiscal year naming this build knows.
    #[error("unknown fiscal year naming {0:?}; expected \"ending_year\" or \"starting_year\"")]
    UnknownYearNaming(String),
    /// The time zone is not an IANA name known to the bundled database.
    #[error("unknown time zone {0:?}; expected an IANA name such as \"Asia/Jakarta\"")]
    UnknownTimeZone(String),
    /// The text is not a canonical period id.
    #[error("invalid period {0:?}; expected FY2026, FY2026-Q3 or FY2026-M07 (years 1000..=9999)")]
    UnparsablePeriod(String),
    /// A hand-built period id whose year or index is out of range.
    #[error("invalid period {0}; years are 1000..=9999, months 1..=12, quarters 1..=4, years 1")]
    InvalidPeriod(PeriodId),
    /// A period boundary falls outside the instants chrono can represent.
    #[error("the start of {year}-{month:02} has no representable instant")]
    Unrepresentable {
        /// Calendar year of the boundary.
        year: i32,
        /// Calendar month of the boundary.
        month: u32,
    },
}

/// When a tenant's fiscal year starts, how its years are named, and the time zone its periods are
/// reckoned in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FiscalCalendar {
    /// The first calendar month of the fiscal year, 1..=12; values outside are clamped into it.
    pub start_month: u32,
    /// Where local midnights are taken.
    pub time_zone: Tz,
    /// Whether a fiscal year is named by the calendar year it ends or starts in.
    pub year_naming: FiscalYearNaming,
}

impl Default for FiscalCalendar {
    /// Calendar years in UTC.
    fn default() -> Self {
        FiscalCalendar {
            start_month: 1,
            time_zone: Tz::UTC,
            year_naming: FiscalYearNaming::EndingYear,
        }
    }
}

impl FiscalCalendar {
    /// A calendar whose fiscal year starts in `start_month`, reckoned in the IANA zone `tz_name`,
    /// its years named by the year they end in; [`Self::with_year_naming`] chooses otherwise.
    pub fn new(start_month: u32, tz_name: &str) -> Result<Self, CalendarError> {
        if !(1..=12).contains(&start_month) {
            return Err(CalendarError::InvalidStartMonth(start_month));
        }
        let time_zone = tz_name
            .parse::<Tz>()
            .map_err(|_| CalendarError::UnknownTimeZone(tz_name.to_owned()))?;
        Ok(FiscalCalendar {
            start_month,
            time_zone,
            year_naming: FiscalYearNaming::EndingYear,
        })
    }

    /// The same calendar with its years named by `year_naming`.
    #[must_use]
    pub fn with_year_naming(self, year_naming: FiscalYearNaming) -> Self {
        FiscalCalendar { year_naming, ..self }
    }

    /// The UTC instants a period spans: start inclusive, end exclusive.
    pub fn bounds(&self, period: &PeriodId) -> Result<(DateTime<Utc>, DateTime<Utc>), CalendarError> {
        if !period.is_valid() {
            return Err(CalendarError::InvalidPeriod(*period));
        }
        let months = period.month_numbers();
        let start = self.month_start(period.fiscal_year, months.start() - 1)?;
        let end = self.month_start(period.fiscal_year, *months.end())?;
        Ok((start, end))
    }

    /// The period of `kind` that holds `instant`, read in the calendar's time zone.
    ///
    /// Instants whose fiscal year lies outside [`FISCAL_YEARS`] give an id that is not valid.
    pub fn period_containing(&self, instant: DateTime<Utc>, kind: PeriodKind) -> PeriodId {
        let local = instant.with_timezone(&self.time_zone).date_naive();
        let start = self.start();
        let first_year = if local.month() >= start {
            local.year()
        } else {
            local.year() - 1
        };
        let fiscal_month = (local.month() + 12 - start) % 12 + 1;
        let index = (fiscal_month - 1) / kind.months() + 1;
        PeriodId::unchecked(self.fiscal_year_starting_in(first_year), kind, index)
    }

    /// The calendar `(year, month)` of a fiscal month; `None` for quarters, years and invalid ids.
    pub fn calendar_month(&self, period: &PeriodId) -> Option<(i32, u32)> {
        (period.kind == PeriodKind::Month && period.is_valid())
            .then(|| self.calendar_month_at(period.fiscal_year, period.index - 1))
    }

    fn start(&self) -> u32 {
        self.start_month.clamp(1, 12)
    }

    /// The name of the fiscal year that starts in `calendar_year`.
    fn fiscal_year_starting_in(&self, calendar_year: i32) -> i32 {
        calendar_year + self.year_naming.years_after_start(self.start())
    }

    /// The calendar month `offset` months into `fiscal_year`; an offset of 12 is the next year's start.
    fn calendar_month_at(&self, fiscal_year: i32, offset: u32) -> (i32, u32) {
        let first_year = fiscal_year - self.year_naming.years_after_start(self.start());
        let months = self.start() - 1 + offset;
        (first_year + (months / 12) as i32, months % 12 + 1)
    }

    fn month_start(&self, fiscal_year: i32, offset: u32) -> Result<DateTime<Utc>, CalendarError> {
        let (year, month) = self.calendar_month_at(fiscal_year, offset);
        let midnight = NaiveDate::from_ymd_opt(year, month, 1)
            .map(|day| day.and_time(NaiveTime::MIN))
            .ok_or(CalendarError::Unrepresentable { year, month })?;
        first_instant_at(self.time_zone, midnight)
    }
}

/// The earliest instant at which clocks in `tz` read `local`, or first read past it if a gap skipped it.
fn first_instant_at(tz: Tz, local: NaiveDateTime) -> Result<DateTime<Utc>, CalendarError> {
    match tz.from_local_datetime(&local) {
        MappedLocalTime::Single(t) => Ok(t.with_timezone(&Utc)),
        MappedLocalTime::Ambiguous(a, b) => Ok(a.min(b).with_timezone(&Utc)),
        MappedLocalTime::None => end_of_gap(tz, local),
    }
}

/// The instant a clock change jumped over `local`: the first second whose local reading is past it.
fn end_of_gap(tz: Tz, local: NaiveDateTime) -> Result<DateTime<Utc>, CalendarError> {
    let unrepresentable = CalendarError::Unrepresentable {
        year: local.year(),
        month: local.month(),
    };
    let target = local.and_utc().timestamp();
    let reads_past = |t: i64| {
        DateTime::from_timestamp(t, 0).map(|u| {
            let offset = tz.offset_from_utc_datetime(&u.naive_utc()).fix().local_minus_utc();
            t + i64::from(offset) >= target
        })
    };
    // UTC offsets stay under a day, so the answer lies strictly after `lo` and at or before `hi`;
    // a binary search over seconds finds it without assuming the gap's length.
    let (mut lo, mut hi) = (target - 86_400, target + 86_400);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if reads_past(mid).ok_or_else(|| unrepresentable.clone())? {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    DateTime::from_timestamp(hi, 0).ok_or(unrepresentable)
}

#[cfg(test)]
mod tests {
    use super::period::tests::{any_period, raw};
    use super::*;
    use PeriodKind::{Month, Quarter, Year};
    use proptest::prelude::*;

    pub(super) fn id(s: &str) -> PeriodId {
        s.parse().unwrap()
    }

    pub(super) fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    pub(super) fn calendar(start_month: u32, tz: &str) -> FiscalCalendar {
        FiscalCalendar::new(start_month, tz).unwrap()
    }

    #[test]
    fn calendars_check_their_inputs() {
        for month in [0, 13] {
            let err = CalendarError::InvalidStartMonth(month);
            assert_eq!(FiscalCalendar::new(month, "UTC"), Err(err));
        }
        assert_eq!(
            FiscalCalendar::new(1, "Mars/Olympus"),
            Err(CalendarError::UnknownTimeZone("Mars/Olympus".into()))
        );
        assert_eq!(FiscalCalendar::default(), calendar(1, "UTC"));
        let invalid = raw(2026, Month, 13);
        let err = CalendarError::InvalidPeriod(invalid);
        assert_eq!(calendar(1, "UTC").bounds(&invalid), Err(err));
    }

    #[test]
    fn a_fiscal_year_is_named_by_the_year_it_ends() {
        let april = calendar(4, "UTC");
        assert_eq!(
            april.bounds(&id("FY2026")),
            Ok((utc("2025-04-01T00:00:00Z"), utc("2026-04-01T00:00:00Z")))
        );
        assert_eq!(april.calendar_month(&id("FY2026-M01")), Some((2025, 4)));
        assert_eq!(april.calendar_month(&id("FY2026-M09")), Some((2025, 12)));
        assert_eq!(april.calendar_month(&id("FY2026-M10")), Some((2026, 1)));
        assert_eq!(april.calendar_month(&id("FY2026-Q1")), None);
        assert_eq!(
            april.bounds(&id("FY2026-Q4")),
            Ok((utc("2026-01-01T00:00:00Z"), utc("2026-04-01T00:00:00Z")))
        );
        let january = FiscalCalendar::default();
        assert_eq!(january.calendar_month(&id("FY2026-M01")), Some((2026, 1)));
        assert_eq!(
            january.bounds(&id("FY2026-M12")),
            Ok((utc("2026-12-01T00:00:00Z"), utc("2027-01-01T00:00:00Z")))
        );
    }

    #[test]
    fn periods_start_at_local_midnight() {
        let jakarta = calendar(1, "Asia/Jakarta");
        assert_eq!(
            jakarta.bounds(&id("FY2026-M01")),
            Ok((utc("2025-12-31T17:00:00Z"), utc("2026-01-31T17:00:00Z")))
        );
        // New York is on EST in January and EDT in April.
        let new_york = calendar(4, "America/New_York");
        assert_eq!(
            new_york.bounds(&id("FY2026-Q4")),
            Ok((utc("2026-01-01T05:00:00Z"), utc("2026-04-01T04:00:00Z")))
        );
    }

    #[test]
    fn skipped_and_repeated_midnights_resolve_to_the_earliest_instant() {
        // Asunción skipped 2023-10-01 00:00..01:00 when moving from -04 to -03.
        let asuncion = calendar(1, "America/Asuncion");
        let (start, _) = asuncion.bounds(&id("FY2023-M10")).unwrap();
        assert_eq!(start, utc("2023-10-01T04:00:00Z"));
        // Havana repeats 2026-11-01 00:00..01:00 when moving from -04 to -05.
        let havana = calendar(1, "America/Havana");
        let (start, _) = havana.bounds(&id("FY2026-M11")).unwrap();
        assert_eq!(start, utc("2026-11-01T04:00:00Z"));
    }

    #[test]
    fn instants_fall_in_the_period_of_their_local_date() {
        let jakarta = calendar(4, "Asia/Jakarta");
        // 17:00 UTC on 31 March is already 1 April in Jakarta: the first day of FY2026.
        let instant = utc("2025-03-31T17:00:00Z");
        assert_eq!(jakarta.period_containing(instant, Month), id("FY2026-M01"));
        assert_eq!(jakarta.period_containing(instant, Quarter), id("FY2026-Q1"));
        assert_eq!(jakarta.period_containing(instant, Year), id("FY2026"));
        let before = utc("2025-03-31T16:59:59Z");
        assert_eq!(jakarta.period_containing(before, Month), id("FY2025-M12"));
    }

    const ZONES: [&str; 4] = ["UTC", "America/New_York", "Asia/Jakarta", "Pacific/Auckland"];

    /// Any start month and zone, under either naming: every property below holds for both.
    pub(super) fn any_calendar() -> impl Strategy<Value = FiscalCalendar> {
        let naming = prop_oneof![Just(FiscalYearNaming::EndingYear), Just(FiscalYearNaming::StartingYear)];
        (1..=12_u32, proptest::sample::select(&ZONES[..]), naming)
            .prop_map(|(m, tz, naming)| calendar(m, tz).with_year_naming(naming))
    }

    fn any_kind() -> impl Strategy<Value = PeriodKind> {
        prop_oneof![Just(Month), Just(Quarter), Just(Year)]
    }

    proptest! {
        #[test]
        fn the_period_containing_an_instant_spans_it(
            cal in any_calendar(),
            kind in any_kind(),
            // 1900-01-01 to 2100-01-01.
            secs in -2_208_988_800_i64..4_102_444_800,
        ) {
            let instant = DateTime::from_timestamp(secs, 0).unwrap();
            let period = cal.period_containing(instant, kind);
            let (start, end) = cal.bounds(&period).unwrap();
            prop_assert!(start <= instant && instant < end, "{period}: {start} <= {instant} < {end}");
        }

        #[test]
        fn months_tile_their_year(cal in any_calendar(), fiscal_year in 1900..2100_i32) {
            let year = PeriodId::new(fiscal_year, Year, 1).unwrap();
            let months = year.months();
            prop_assert_eq!(months.len(), 12);
            let (year_start, year_end) = cal.bounds(&year).unwrap();
            let mut expected_start = year_start;
            for pair in months.windows(2) {
                prop_assert_eq!(pair[0].next(), Some(pair[1]));
            }
            for month in &months {
                let (start, end) = cal.bounds(month).unwrap();
                prop_assert_eq!(start, expected_start);
                prop_assert!(start < end);
                prop_assert_eq!(cal.period_containing(start, Month), *month);
                expected_start = end;
            }
            prop_assert_eq!(expected_start, year_end);
        }

        #[test]
        fn neighbouring_periods_share_a_boundary(cal in any_calendar(), period in any_period()) {
            if let Some(next) = period.next() {
                prop_assert_eq!(cal.bounds(&period).unwrap().1, cal.bounds(&next).unwrap().0);
                prop_assert_eq!(next.previous(), Some(period));
            }
        }
    }
}
