//! Fiscal year naming: a tenant names its fiscal years by the calendar year they end or start in.

use lacak_proto::common::{Period, PeriodKind};
use lacak_proto::goals::{
    FiscalCalendar, FiscalYearNaming, GetFiscalCalendarRequest, GetPeriodRequest, ListPeriodsRequest,
    UpdateFiscalCalendarRequest,
};
use tonic::Code;

use crate::helpers::{
    Goals, assert_code, assert_invalid, assert_names_field, instant, mask, revenue_quota, seed_org, spawn_app, ts,
};

const ENDING: FiscalYearNaming = FiscalYearNaming::EndingYear;
const STARTING: FiscalYearNaming = FiscalYearNaming::StartingYear;

fn named(start_month: i32, time_zone: &str, year_naming: i32, paths: &[&str]) -> UpdateFiscalCalendarRequest {
    UpdateFiscalCalendarRequest {
        fiscal_calendar: Some(FiscalCalendar {
            start_month,
            time_zone: time_zone.into(),
            year_naming,
            ..Default::default()
        }),
        update_mask: if paths.is_empty() { None } else { mask(paths) },
    }
}

async fn naming_of(caller: &mut Goals) -> anyhow::Result<i32> {
    let calendar = caller
        .get_fiscal_calendar(GetFiscalCalendarRequest {})
        .await?
        .into_inner();
    Ok(calendar.fiscal_calendar.unwrap_or_default().year_naming)
}

async fn period_at(caller: &mut Goals, kind: PeriodKind, time: &str) -> anyhow::Result<Period> {
    let request = GetPeriodRequest {
        id: String::new(),
        kind: kind as i32,
        time: Some(ts(time)),
    };
    Ok(caller
        .get_period(request)
        .await?
        .into_inner()
        .period
        .unwrap_or_default())
}

fn rfc3339(timestamp: &Option<prost_types::Timestamp>) -> String {
    instant(timestamp).to_rfc3339()
}

#[tokio::test]
async fn years_are_named_by_their_end_until_an_admin_names_them_by_their_start() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    assert_eq!(
        naming_of(&mut admin).await?,
        ENDING as i32,
        "the naming before any choice"
    );

    let updated = admin
        .update_fiscal_calendar(named(4, "Asia/Jakarta", STARTING as i32, &[]))
        .await?
        .into_inner()
        .fiscal_calendar
        .unwrap_or_default();
    assert_eq!(updated.year_naming, STARTING as i32);
    assert_eq!(naming_of(&mut app.rep("anyone")).await?, STARTING as i32);
    // Another tenant keeps its own calendar.
    assert_eq!(naming_of(&mut app.other_tenant_admin()).await?, ENDING as i32);

    // Named by its start, FY2026 runs from 1 April 2026 to 1 April 2027, midnights in Jakarta (UTC+7).
    let year = admin
        .list_periods(ListPeriodsRequest {
            fiscal_year: 2026,
            kind: PeriodKind::Year as i32,
        })
        .await?
        .into_inner()
        .periods;
    assert_eq!(year.len(), 1);
    assert_eq!(
        (rfc3339(&year[0].start_time), rfc3339(&year[0].end_time)),
        ("2026-03-31T17:00:00+00:00".into(), "2027-03-31T17:00:00+00:00".into())
    );
    // Local midnight of 1 April 2026 is 17:00 UTC on 31 March: the first month of FY2026; a second
    // before it, still 31 March in Jakarta, is the last month of FY2025.
    let first = period_at(&mut admin, PeriodKind::Month, "2026-03-31T17:00:00Z").await?;
    assert_eq!(first.id, "FY2026-M01");
    let before = period_at(&mut admin, PeriodKind::Month, "2026-03-31T16:59:59Z").await?;
    assert_eq!(before.id, "FY2025-M12");
    // January 2027 is the tenth month of the year that started in April 2026.
    let january = period_at(&mut admin, PeriodKind::Quarter, "2027-01-15T00:00:00Z").await?;
    assert_eq!(january.id, "FY2026-Q4");
    Ok(())
}

#[tokio::test]
async fn an_update_changes_the_naming_only_when_it_says_so() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    admin
        .update_fiscal_calendar(named(4, "UTC", STARTING as i32, &[]))
        .await?;

    // A client that predates the field sends no naming and no mask: the naming stays.
    let unaware = named(7, "UTC", FiscalYearNaming::Unspecified as i32, &[]);
    admin.update_fiscal_calendar(unaware).await?;
    assert_eq!(naming_of(&mut admin).await?, STARTING as i32);
    // A mask without year_naming ignores the value sent.
    let other_field = named(7, "UTC", ENDING as i32, &["time_zone"]);
    admin.update_fiscal_calendar(other_field).await?;
    assert_eq!(naming_of(&mut admin).await?, STARTING as i32);
    // Named in the mask, unspecified means the year it ends in.
    let back = named(0, "", FiscalYearNaming::Unspecified as i32, &["year_naming"]);
    let answered = admin
        .update_fiscal_calendar(back)
        .await?
        .into_inner()
        .fiscal_calendar
        .unwrap_or_default();
    assert_eq!(
        (answered.start_month, answered.year_naming),
        (7, ENDING as i32),
        "start month kept, naming reset"
    );
    Ok(())
}

#[tokio::test]
async fn an_unknown_naming_is_refused_naming_the_field() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();

    assert_invalid(
        admin.update_fiscal_calendar(named(4, "UTC", 3, &[])).await,
        "fiscal_calendar.year_naming",
    );
    assert_invalid(
        admin
            .update_fiscal_calendar(named(4, "UTC", -1, &["year_naming"]))
            .await,
        "fiscal_calendar.year_naming",
    );
    // Every bad field is reported at once.
    let both = assert_invalid(
        admin.update_fiscal_calendar(named(13, "UTC", 3, &[])).await,
        "fiscal_calendar.year_naming",
    );
    assert_names_field(&both, "fiscal_calendar.start_month");

    assert_eq!(naming_of(&mut admin).await?, ENDING as i32, "nothing changed");
    Ok(())
}

#[tokio::test]
async fn only_an_admin_chooses_the_naming_and_not_once_quotas_exist() -> anyhow::Result<()> {
    let app = spawn_app().await;
    for (who, mut caller) in [
        ("manager", app.manager_of("sales")),
        ("rep", app.rep("ana")),
        ("service", app.service()),
    ] {
        assert_eq!(naming_of(&mut caller).await?, ENDING as i32, "{who} reads the naming");
        let choose = named(1, "UTC", STARTING as i32, &["year_naming"]);
        assert_code(caller.update_fiscal_calendar(choose).await, Code::PermissionDenied);
    }

    let mut admin = app.admin();
    seed_org(&mut admin).await?;
    revenue_quota(&mut admin, "members/ana", "FY2026-Q3", "100000").await?;
    // Refused even where no period would move (a January start names years alike either way):
    // like start_month, the naming freezes with the calendar once a quota is set on it.
    let choose = named(4, "UTC", STARTING as i32, &["year_naming"]);
    assert_code(admin.update_fiscal_calendar(choose).await, Code::FailedPrecondition);
    assert_eq!(naming_of(&mut admin).await?, ENDING as i32);
    Ok(())
}
