//! The one place goals' proto types meet its rows and domain types.

use lacak_domain::{FiscalCalendar, FiscalYearNaming, Money, PeriodId, PeriodKind};
use lacak_proto::common as common_pb;
use lacak_proto::goals as pb;
use lacak_runtime::FieldViolation;
use lacak_runtime::convert::{Measure, decimal_to_proto, measure_to_proto, timestamp_to_proto};
use rust_decimal::Decimal;

use crate::domain::names::Owner;
use crate::domain::plan::{PlanState, TaskState};
use crate::domain::quota::{Metric, monthly_targets, profile_from_json, seasonal_profile};
use crate::domain::review::Decision;
use crate::store::entities::{fiscal_calendar, member, quota, quota_change, review_item, task, team};

pub fn team(model: &team::Model) -> pb::Team {
    pb::Team {
        name: format!("teams/{}", model.id),
        display_name: model.display_name.clone(),
        parent: model
            .parent_id
            .as_ref()
            .map(|p| format!("teams/{p}"))
            .unwrap_or_default(),
        manager: model
            .manager_id
            .as_ref()
            .map(|m| format!("members/{m}"))
            .unwrap_or_default(),
        create_time: Some(timestamp_to_proto(model.create_time)),
        update_time: Some(timestamp_to_proto(model.update_time)),
    }
}

pub fn member(model: &member::Model) -> pb::Member {
    pb::Member {
        name: format!("members/{}", model.id),
        display_name: model.display_name.clone(),
        email: model.email.clone(),
        team: model.team_id.as_ref().map(|t| format!("teams/{t}")).unwrap_or_default(),
        active: model.active,
        create_time: Some(timestamp_to_proto(model.create_time)),
        update_time: Some(timestamp_to_proto(model.update_time)),
    }
}

/// The stored calendar, its naming already read (unreadable naming is the store's error to raise).
pub fn fiscal_calendar(model: &fiscal_calendar::Model, year_naming: FiscalYearNaming) -> pb::FiscalCalendar {
    pb::FiscalCalendar {
        name: "fiscalCalendar".to_owned(),
        start_month: model.start_month,
        time_zone: model.time_zone.clone(),
        update_time: Some(timestamp_to_proto(model.update_time)),
        year_naming: year_naming_to_proto(year_naming) as i32,
    }
}

/// Unspecified reads as ending year: the only naming before tenants could choose. `None` for a
/// number this build does not know.
pub fn year_naming_from_proto(naming: i32) -> Option<FiscalYearNaming> {
    match pb::FiscalYearNaming::try_from(naming).ok()? {
        pb::FiscalYearNaming::Unspecified | pb::FiscalYearNaming::EndingYear => Some(FiscalYearNaming::EndingYear),
        pb::FiscalYearNaming::StartingYear => Some(FiscalYearNaming::StartingYear),
    }
}

fn year_naming_to_proto(naming: FiscalYearNaming) -> pb::FiscalYearNaming {
    match naming {
        FiscalYearNaming::EndingYear => pb::FiscalYearNaming::EndingYear,
        FiscalYearNaming::StartingYear => pb::FiscalYearNaming::StartingYear,
    }
}

pub fn period_kind_from_proto(kind: i32) -> Option<PeriodKind> {
    match common_pb::PeriodKind::try_from(kind).ok()? {
        common_pb::PeriodKind::Month => Some(PeriodKind::Month),
        common_pb::PeriodKind::Quarter => Some(PeriodKind::Quarter),
        common_pb::PeriodKind::Year => Some(PeriodKind::Year),
        common_pb::PeriodKind::Unspecified => None,
    }
}

fn period_kind_to_proto(kind: PeriodKind) -> common_pb::PeriodKind {
    match kind {
        PeriodKind::Month => common_pb::PeriodKind::Month,
        PeriodKind::Quarter => common_pb::PeriodKind::Quarter,
        PeriodKind::Year => common_pb::PeriodKind::Year,
    }
}

pub fn period(calendar: &FiscalCalendar, id: &PeriodId) -> Result<common_pb::Period, lacak_domain::CalendarError> {
    let (start, end) = calendar.bounds(id)?;
    Ok(common_pb::Period {
        id: id.to_string(),
        kind: period_kind_to_proto(id.kind) as i32,
        start_time: Some(timestamp_to_proto(start)),
        end_time: Some(timestamp_to_proto(end)),
    })
}

pub fn parse_period(text: &str, field: &str) -> Result<PeriodId, FieldViolation> {
    text.trim()
        .parse::<PeriodId>()
        .map_err(|e| FieldViolation::new(field, e.to_string()))
}

pub fn metric_from_proto(value: i32, field: &str) -> Result<Metric, FieldViolation> {
    let metric = match pb::Metric::try_from(value) {
        Ok(pb::Metric::Revenue) => Metric::Revenue,
        Ok(pb::Metric::UnitsSold) => Metric::UnitsSold,
        Ok(pb::Metric::GrossMargin) => Metric::GrossMargin,
        Ok(pb::Metric::DealsWon) => Metric::DealsWon,
        Ok(pb::Metric::NewCustomers) => Metric::NewCustomers,
        Ok(pb::Metric::LeadsGenerated) => Metric::LeadsGenerated,
        Ok(pb::Metric::CustomerRetentionRate) => Metric::CustomerRetentionRate,
        Ok(pb::Metric::LeadConversionRate) => Metric::LeadConversionRate,
        Ok(pb::Metric::Unspecified) => return Err(FieldViolation::new(field, "is required")),
        Err(_) => return Err(FieldViolation::new(field, format!("{value} is not a known metric"))),
    };
    Ok(metric)
}

pub fn metric_to_proto(metric: Metric) -> pb::Metric {
    match metric {
        Metric::Revenue => pb::Metric::Revenue,
        Metric::UnitsSold => pb::Metric::UnitsSold,
        Metric::GrossMargin => pb::Metric::GrossMargin,
        Metric::DealsWon => pb::Metric::DealsWon,
        Metric::NewCustomers => pb::Metric::NewCustomers,
        Metric::LeadsGenerated => pb::Metric::LeadsGenerated,
        Metric::CustomerRetentionRate => pb::Metric::CustomerRetentionRate,
        Metric::LeadConversionRate => pb::Metric::LeadConversionRate,
    }
}

/// A stored amount with the quota's currency ("" for non-money metrics).
pub fn stored_measure(currency: &str, amount: &str) -> Measure {
    let amount: Decimal = amount.parse().unwrap_or_default();
    if currency.is_empty() {
        Measure::Quantity(amount)
    } else {
        Measure::Money(Money {
            currency: currency.to_owned(),
            amount,
        })
    }
}

pub fn quota_target(model: &quota::Model) -> Measure {
    stored_measure(&model.currency, &model.target)
}

pub fn scope(model: &quota::Model) -> common_pb::Scope {
    common_pb::Scope {
        product: model.scope_product.clone(),
        product_category: model.scope_category.clone(),
        region: model.scope_region.clone(),
        segment: model.scope_segment.clone(),
    }
}

/// The monthly targets of a target under a stored profile.
pub fn monthly(model: &quota::Model, target: &Measure, profile_json: &str) -> Vec<pb::MonthlyTarget> {
    let (Ok(period), Some(metric)) = (model.period.parse::<PeriodId>(), Metric::parse(&model.metric)) else {
        return Vec::new();
    };
    let Ok(profile) = seasonal_profile(metric, &period, profile_from_json(profile_json), "seasonal_profile") else {
        return Vec::new();
    };
    period
        .months()
        .iter()
        .zip(monthly_targets(metric, target.amount(), &profile))
        .map(|(month, amount)| pb::MonthlyTarget {
            period: month.to_string(),
            target: Some(measure_to_proto(&target.with_amount(amount))),
        })
        .collect()
}

pub fn quota(model: &quota::Model) -> pb::Quota {
    let target = quota_target(model);
    let metric = Metric::parse(&model.metric).map(metric_to_proto).unwrap_or_default();
    pb::Quota {
        name: format!("quotas/{}", model.id),
        owner: Owner::from_parts(&model.owner_kind, &model.owner_id).name(),
        metric: metric as i32,
        period: model.period.clone(),
        target: Some(measure_to_proto(&target)),
        scope: Some(scope(model)),
        seasonal_profile: profile_from_json(&model.seasonal_profile)
            .into_iter()
            .map(decimal_to_proto)
            .collect(),
        monthly_targets: monthly(model, &target, &model.seasonal_profile),
        create_time: Some(timestamp_to_proto(model.create_time)),
        update_time: Some(timestamp_to_proto(model.update_time)),
        etag: etag(model),
    }
}

pub fn etag(model: &quota::Model) -> String {
    format!("r{}", model.revision)
}

pub fn change_source_to_proto(source: &str) -> pb::ChangeSource {
    match source {
        "manual" => pb::ChangeSource::Manual,
        "review" => pb::ChangeSource::Review,
        "strategy_recommendation" => pb::ChangeSource::StrategyRecommendation,
        _ => pb::ChangeSource::Unspecified,
    }
}

pub fn change(currency: &str, model: &quota_change::Model) -> pb::QuotaChange {
    pb::QuotaChange {
        name: format!("quotas/{}/changes/{}", model.quota_id, model.seq),
        old_target: model
            .old_target
            .as_deref()
            .map(|old| measure_to_proto(&stored_measure(currency, old))),
        new_target: Some(measure_to_proto(&stored_measure(currency, &model.new_target))),
        old_seasonal_profile: profile_from_json(&model.old_profile)
            .into_iter()
            .map(decimal_to_proto)
            .collect(),
        new_seasonal_profile: profile_from_json(&model.new_profile)
            .into_iter()
            .map(decimal_to_proto)
            .collect(),
        reason: model.reason.clone(),
        source: change_source_to_proto(&model.source) as i32,
        source_reference: model.source_reference.clone(),
        actor: model.actor.clone(),
        change_time: Some(timestamp_to_proto(model.change_time)),
    }
}

pub fn plan_state_from_proto(value: i32) -> Option<PlanState> {
    match pb::action_plan::State::try_from(value).ok()? {
        pb::action_plan::State::Draft => Some(PlanState::Draft),
        pb::action_plan::State::Active => Some(PlanState::Active),
        pb::action_plan::State::Completed => Some(PlanState::Completed),
        pb::action_plan::State::Abandoned => Some(PlanState::Abandoned),
        pb::action_plan::State::Unspecified => None,
    }
}

pub fn plan_state_to_proto(state: PlanState) -> pb::action_plan::State {
    match state {
        PlanState::Draft => pb::action_plan::State::Draft,
        PlanState::Active => pb::action_plan::State::Active,
        PlanState::Completed => pb::action_plan::State::Completed,
        PlanState::Abandoned => pb::action_plan::State::Abandoned,
    }
}

pub fn task_state_from_proto(value: i32) -> Option<TaskState> {
    match pb::task::State::try_from(value).ok()? {
        pb::task::State::Todo => Some(TaskState::Todo),
        pb::task::State::InProgress => Some(TaskState::InProgress),
        pb::task::State::Done => Some(TaskState::Done),
        pb::task::State::Cancelled => Some(TaskState::Cancelled),
        pb::task::State::Unspecified => None,
    }
}

pub fn task(model: &task::Model) -> pb::Task {
    let state = match TaskState::parse(&model.state) {
        Some(TaskState::Todo) => pb::task::State::Todo,
        Some(TaskState::InProgress) => pb::task::State::InProgress,
        Some(TaskState::Done) => pb::task::State::Done,
        Some(TaskState::Cancelled) => pb::task::State::Cancelled,
        None => pb::task::State::Unspecified,
    };
    pb::Task {
        name: format!("actionPlans/{}/tasks/{}", model.plan_id, model.id),
        title: model.title.clone(),
        assignee: format!("members/{}", model.assignee_id),
        due_time: model.due_time.map(timestamp_to_proto),
        state: state as i32,
        create_time: Some(timestamp_to_proto(model.create_time)),
        update_time: Some(timestamp_to_proto(model.update_time)),
    }
}

pub fn decision_from_proto(value: i32) -> Option<Decision> {
    match pb::Decision::try_from(value).ok()? {
        pb::Decision::Keep => Some(Decision::Keep),
        pb::Decision::Raise => Some(Decision::Raise),
        pb::Decision::Lower => Some(Decision::Lower),
        pb::Decision::Unspecified => None,
    }
}

pub fn review_item(currency: &str, model: &review_item::Model) -> pb::ReviewItem {
    let decision = match Decision::parse(&model.decision) {
        Some(Decision::Keep) => pb::Decision::Keep,
        Some(Decision::Raise) => pb::Decision::Raise,
        Some(Decision::Lower) => pb::Decision::Lower,
        None => pb::Decision::Unspecified,
    };
    pb::ReviewItem {
        quota: format!("quotas/{}", model.quota_id),
        target_at_review: Some(measure_to_proto(&stored_measure(currency, &model.target_at_review))),
        decision: decision as i32,
        new_target: model
            .new_target
            .as_deref()
            .map(|t| measure_to_proto(&stored_measure(currency, t))),
        reason: model.reason.clone(),
        decided_by: model.decided_by.clone(),
        decide_time: model.decide_time.map(timestamp_to_proto),
    }
}
