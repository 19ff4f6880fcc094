//! The schedule: every `refresh_every`, each team that asked for recommendations gets them
//! regenerated for the current quarter; applied recommendations whose window has passed are
//! verified; forecasts whose period has closed are scored. Runs as the service itself.

use std::collections::HashSet;
use std::time::Duration;

use lacak_domain::PeriodKind;
use lacak_runtime::db::ReadyDb;
use lacak_runtime::server::Draining;
use sea_orm::DatabaseConnection;

use crate::Settings;
use crate::deps::{Dependencies, service_context};
use crate::error::StrategyResult;
use crate::follow_up::follow_up;
use crate::forecasts::score_closed;
use crate::generate::{Ask, generate};
use crate::store;

/// How often the schedule looks for work; each kind of work still runs only when due.
const TICK: Duration = Duration::from_secs(60);
/// Verifications computed per tick.
const VERIFY_BATCH: u64 = 100;

/// Runs until the server drains.
pub async fn run(db: ReadyDb, deps: Dependencies, settings: Settings, mut draining: Draining) {
    let mut tick = tokio::time::interval(TICK.min(settings.refresh_every));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = draining.started() => return,
        }
        let Ok(conn) = db.get::<crate::error::Strategy>() else {
            continue;
        };
        if let Err(error) = once(conn, &deps, &settings).await {
            tracing::warn!(%error, "the strategy schedule stopped short; it tries again next time");
        }
    }
}

async fn once(db: &DatabaseConnection, deps: &Dependencies, settings: &Settings) -> StrategyResult<()> {
    let now = settings.clock.now();
    let refresh = chrono::Duration::from_std(settings.refresh_every).unwrap_or(chrono::Duration::days(1));
    let mut tenants: HashSet<String> = HashSet::new();
    let due = now - refresh;
    for schedule in store::due_schedules(db, due).await? {
        // Every replica runs this loop; the claim lets exactly one of them run each generation.
        if !store::claim(db, &schedule, due, now).await? {
            continue;
        }
        tenants.insert(schedule.tenant.clone());
        let ctx = service_context(&schedule.tenant);
        let outcome = async {
            let calendar = deps.calendar(&ctx).await?;
            let org = deps.org(&ctx).await?;
            let period = calendar.period_containing(now, PeriodKind::Quarter);
            let ask = Ask {
                team: &schedule.team,
                period,
                currency: &schedule.currency,
                now,
            };
            generate(db, deps, &ctx, &calendar, &org, &ask).await
        }
        .await;
        if let Err(error) = outcome {
            tracing::warn!(tenant = %schedule.tenant, team = %schedule.team, %error, "scheduled generation failed");
            store::release(db, &schedule, now).await?;
        }
    }
    for rec in store::unverified(db, VERIFY_BATCH).await? {
        let ctx = service_context(&rec.row.tenant);
        tenants.insert(rec.row.tenant.clone());
        let outcome = async {
            let calendar = deps.calendar(&ctx).await?;
            let org = deps.org(&ctx).await?;
            follow_up(db, deps, &ctx, &calendar, &org, &rec, settings.verification_months, now).await
        }
        .await;
        if let Err(error) = outcome {
            tracing::warn!(recommendation = %rec.name(), %error, "verification failed");
        }
    }
    for forecast in store::unscored(db, None).await? {
        tenants.insert(forecast.tenant);
    }
    for tenant in tenants {
        let ctx = service_context(&tenant);
        let calendar = deps.calendar(&ctx).await?;
        score_closed(db, deps, &ctx, &calendar, now).await?;
    }
    Ok(())
}
