//! The fiscal calendar, and the periods it cuts in the tenant's time zone.

use lacak_proto::common::{Period, PeriodKind};
use lacak_proto::goals::{
    FiscalCalendar, GetFiscalCalendarRequest, GetPeriodRequest, ListPeriodsRequest, UpdateFiscalCalendarRequest,
};
use tonic::Code;

use crate::helpers::{Goals, assert_code, assert_invalid, instant, revenue_quota, seed_org, spawn_app, ts};

fn calendar(start_month: i32, time_zone: &str) -> UpdateFiscalCalendarRequest {
    UpdateFiscalCalendarRequest {
        fiscal_calendar: Some(FiscalCalendar {
            start_month,
            time_zone: time_zone.into(),
            ..Default::default()
        }),
        update_mask: None,
    }
}

async fn april_in_jakarta(admin: &mut Goals) -> anyhow::Result<()> {
    admin.update_fiscal_calendar(calendar(4, "Asia/Jakarta")).await?;
    Ok(())
}

/// The bounds of a period as RFC 3339 in UTC, for readable comparisons.
fn bounds(period: &Period) -> (String, String) {
    (
        instant(&period.start_time).to_rfc3339(),
        instant(&period.end_time).to_rfc3339(),
    )
}

fn utc(local: &str) -> String {
    instant(&Some(ts(local))).to_rfc3339()
}

#[tokio::test]
async fn the_default_calendar_starts_in_january_in_utc() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();

    let calendar = admin
        .get_fiscal_calendar(GetFiscalCalendarRequest {})
        .await?
        .into_inner()
        .fiscal_calendar
        .unwrap();
    assert_eq!((calendar.start_month, calendar.time_zone.as_str()), (1, "UTC"));

    let year = admin
        .get_period(GetPeriodRequest {
            id: "FY2026".into(),
            ..Default::default()
        })
        .await?
        .into_inner()
        .period
        .unwrap();
    assert_eq!(
        bounds(&year),
        (utc("2026-01-01T00:00:00Z"), utc("2027-01-01T00:00:00Z"))
    );
    Ok(())
}

#[tokio::test]
async fn an_admin_moves_the_fiscal_year_to_april_in_jakarta() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();

    let updated = admin
        .update_fiscal_calendar(calendar(4, "Asia/Jakarta"))
        .await?
        .into_inner()
        .fiscal_calendar
        .unwrap();
    assert_eq!((updated.start_month, updated.time_zone.as_str()), (4, "Asia/Jakarta"));

    let read = app
        .rep("anyone")
        .get_fiscal_calendar(GetFiscalCalendarRequest {})
        .await?
        .into_inner()
        .fiscal_calendar
        .unwrap();
    assert_eq!((read.start_month, read.time_zone.as_str()), (4, "Asia/Jakarta"));
    Ok(())
}

#[tokio::test]
async fn impossible_months_and_unknown_zones_are_refused() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();

    assert_invalid(
        admin.update_fiscal_calendar(calendar(0, "UTC")).await,
        "fiscal_calendar.start_month",
    );
    assert_invalid(
        admin.update_fiscal_calendar(calendar(13, "UTC")).await,
        "fiscal_calendar.start_month",
    );
    assert_invalid(
        admin.update_fiscal_calendar(calendar(4, "Mars/Olympus_Mons")).await,
        "fiscal_calendar.time_zone",
    );
    // A megabyte of zone name is echoed cut short, so the client reads INVALID_ARGUMENT (a whole
    // megabyte in grpc-message is more than a client reads: it would see another error).
    let huge = format!("Asia/{}", "x".repeat(1 << 20));
    let status = assert_invalid(
        admin.update_fiscal_calendar(calendar(4, &huge)).await,
        "fiscal_calendar.time_zone",
    );
    assert!(status.message().len() <= 1024, "{} bytes", status.message().len());
    assert!(status.message().contains("bytes cut"), "{}", status.message());

    let unchanged = admin
        .get_fiscal_calendar(GetFiscalCalendarRequest {})
        .await?
        .into_inner()
        .fiscal_calendar
        .unwrap();
    assert_eq!((unchanged.start_month, unchanged.time_zone.as_str()), (1, "UTC"));
    Ok(())
}

#[tokio::test]
async fn everyone_reads_the_calendar_but_only_an_admin_changes_it() -> anyhow::Result<()> {
    let app = spawn_app().await;
    for (who, mut caller) in [
        ("manager", app.manager_of("sales")),
        ("rep", app.rep("ana")),
        ("service", app.service()),
    ] {
        let read = caller.get_fiscal_calendar(GetFiscalCalendarRequest {}).await;
        assert!(read.is_ok(), "{who} reads the calendar: {read:?}");
        let periods = caller
            .list_periods(ListPeriodsRequest {
                fiscal_year: 2026,
                ..Default::default()
            })
            .await;
        assert!(periods.is_ok(), "{who} lists periods: {periods:?}");
        assert_code(
            caller.update_fiscal_calendar(calendar(4, "Asia/Jakarta")).await,
            Code::PermissionDenied,
        );
    }
    Ok(())
}

#[tokio::test]
async fn the_calendar_is_frozen_once_a_quota_exists() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    seed_org(&mut admin).await?;
    revenue_quota(&mut admin, "members/ana", "FY2026-Q3", "100000").await?;

    let moved = admin.update_fiscal_calendar(calendar(4, "Asia/Jakarta")).await;

    assert_code(moved, Code::FailedPrecondition);
    Ok(())
}

#[tokio::test]
async fn a_fiscal_year_has_itself_four_quarters_and_twelve_months() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    april_in_jakarta(&mut admin).await?;

    let periods = admin
        .list_periods(ListPeriodsRequest {
            fiscal_year: 2026,
            ..Default::default()
        })
        .await?
        .into_inner()
        .periods;

    assert_eq!(periods.len(), 17, "{periods:?}");
    let of_kind = |kind: PeriodKind| periods.iter().filter(|p| p.kind == kind as i32).collect::<Vec<_>>();
    let (years, quarters, months) = (
        of_kind(PeriodKind::Year),
        of_kind(PeriodKind::Quarter),
        of_kind(PeriodKind::Month),
    );
    assert_eq!((years.len(), quarters.len(), months.len()), (1, 4, 12));

    // FY2026 ends in 2026: it runs from April 2025 to April 2026, at midnight in Jakarta (UTC+7).
    assert_eq!(years[0].id, "FY2026");
    assert_eq!(
        bounds(years[0]),
        (utc("2025-04-01T00:00:00+07:00"), utc("2026-04-01T00:00:00+07:00"))
    );
    let q3 = quarters.iter().find(|p| p.id == "FY2026-Q3").expect("FY2026-Q3 listed");
    assert_eq!(
        bounds(q3),
        (utc("2025-10-01T00:00:00+07:00"), utc("2026-01-01T00:00:00+07:00"))
    );
    assert_eq!(months[0].id, "FY2026-M01");
    assert_eq!(
        bounds(months[0]),
        (utc("2025-04-01T00:00:00+07:00"), utc("2025-05-01T00:00:00+07:00"))
    );
    assert_eq!(months[11].id, "FY2026-M12");
    assert_eq!(
        bounds(months[11]),
        (utc("2026-03-01T00:00:00+07:00"), utc("2026-04-01T00:00:00+07:00"))
    );
    for pair in months.windows(2) {
        assert_eq!(
            pair[0].end_time, pair[1].start_time,
            "months {} and {} touch",
            pair[0].id, pair[1].id
        );
    }

    let only_months = admin
        .list_periods(ListPeriodsRequest {
            fiscal_year: 2026,
            kind: PeriodKind::Month as i32,
        })
        .await?
        .into_inner()
        .periods;
    assert_eq!(only_months.len(), 12);
    Ok(())
}

#[tokio::test]
async fn a_period_is_found_by_its_id_or_by_an_instant_inside_it() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    april_in_jakarta(&mut admin).await?;

    let by_id = admin
        .get_period(GetPeriodRequest {
            id: "FY2026-Q3".into(),
            ..Default::default()
        })
        .await?
        .into_inner()
        .period
        .unwrap();
    assert_eq!(by_id.kind, PeriodKind::Quarter as i32);
    assert_eq!(
        bounds(&by_id),
        (utc("2025-10-01T00:00:00+07:00"), utc("2026-01-01T00:00:00+07:00"))
    );

    let by_time = admin
        .get_period(GetPeriodRequest {
            id: String::new(),
            kind: PeriodKind::Quarter as i32,
            time: Some(ts("2025-11-15T12:00:00Z")),
        })
        .await?
        .into_inner()
        .period
        .unwrap();
    assert_eq!(by_time, by_id);

    // 2025-09-30T18:00Z is already 1 October in Jakarta: the first minutes of Q3.
    let just_inside = admin
        .get_period(GetPeriodRequest {
            id: String::new(),
            kind: PeriodKind::Month as i32,
            time: Some(ts("2025-09-30T18:00:00Z")),
        })
        .await?
        .into_inner()
        .period
        .unwrap();
    assert_eq!(just_inside.id, "FY2026-M07");
    Ok(())
}

#[tokio::test]
async fn a_malformed_period_id_is_refused() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    for bad in ["FY2026-Q5", "FY2026-M13", "2026-Q3", "FY2026Q3"] {
        let answer = admin
            .get_period(GetPeriodRequest {
                id: bad.into(),
                ..Default::default()
            })
            .await;
        assert_invalid(answer, "id");
    }
    Ok(())
}
