//! Strategy's records as proto messages.

use lacak_proto::strategy as pb;
use lacak_runtime::convert::timestamp_to_proto;

use crate::conv::{to_decimal, to_money};
use crate::domain::model::{Change, Evidence, Kind, State, Verdict, Verification};
use crate::follow_up::FollowUp;
use crate::store::Stored;

pub fn kind(kind: Kind) -> pb::RecommendationKind {
    match kind {
        Kind::AdjustQuota => pb::RecommendationKind::AdjustQuota,
        Kind::RedistributeTarget => pb::RecommendationKind::RedistributeTarget,
        Kind::CoachStage => pb::RecommendationKind::CoachStage,
        Kind::PromoteProduct => pb::RecommendationKind::PromoteProduct,
        Kind::RetireProduct => pb::RecommendationKind::RetireProduct,
        Kind::Refocus => pb::RecommendationKind::Refocus,
    }
}

pub fn state(state: State) -> pb::RecommendationState {
    match state {
        State::Proposed => pb::RecommendationState::Proposed,
        State::Accepted => pb::RecommendationState::Accepted,
        State::Rejected => pb::RecommendationState::Rejected,
        State::Applied => pb::RecommendationState::Applied,
        State::ApplyFailed => pb::RecommendationState::ApplyFailed,
    }
}

pub fn state_from(value: pb::RecommendationState) -> Option<State> {
    match value {
        pb::RecommendationState::Unspecified => None,
        pb::RecommendationState::Proposed => Some(State::Proposed),
        pb::RecommendationState::Accepted => Some(State::Accepted),
        pb::RecommendationState::Rejected => Some(State::Rejected),
        pb::RecommendationState::Applied => Some(State::Applied),
        pb::RecommendationState::ApplyFailed => Some(State::ApplyFailed),
    }
}

pub fn evidence(e: &Evidence) -> pb::Evidence {
    pb::Evidence {
        kpi: e.kpi.clone(),
        value: e.value.and_then(to_decimal),
        reference: e.reference.and_then(to_decimal),
        gap: e.gap().and_then(to_decimal),
        p_value: e.p_value.and_then(to_decimal),
        since: e.since.map(timestamp_to_proto),
        explanation: e.explanation.clone(),
    }
}

pub fn recommendation(rec: &Stored) -> pb::Recommendation {
    let change = rec.change.as_ref().map(|change| match change {
        Change::Quota {
            quota,
            new_target,
            new_profile,
        } => pb::recommendation::Change::QuotaAdjustment(pb::QuotaAdjustment {
            quota: quota.clone(),
            new_target: to_decimal(*new_target),
            new_seasonal_profile: new_profile.iter().filter_map(|p| to_decimal(*p)).collect(),
        }),
        Change::Promotion {
            sku,
            percent_off,
            start,
            end,
        } => pb::recommendation::Change::Promotion(pb::ProductPromotion {
            sku: sku.clone(),
            discount_percent: to_decimal(*percent_off),
            start_time: Some(timestamp_to_proto(*start)),
            end_time: Some(timestamp_to_proto(*end)),
        }),
        Change::Task {
            action_plan,
            assignee,
            title,
            due,
        } => pb::recommendation::Change::PlanTask(pb::PlanTask {
            action_plan: action_plan.clone(),
            assignee: assignee.clone(),
            title: title.clone(),
            due_time: Some(timestamp_to_proto(*due)),
        }),
        Change::Retire { product } => pb::recommendation::Change::Retirement(pb::ProductRetirement {
            product: product.clone(),
        }),
    });
    pb::Recommendation {
        name: rec.name(),
        kind: kind(rec.kind) as i32,
        subject: rec.row.subject.clone(),
        period: rec.row.period.clone(),
        evidence: rec.evidence.iter().map(evidence).collect(),
        expected_impact: to_money(&rec.row.currency, rec.expected_impact),
        change,
        state: state(rec.state) as i32,
        applied_reference: rec.row.applied_reference.clone(),
        apply_error: rec.row.apply_error.clone(),
        decided_by: rec.row.decided_by.clone(),
        create_time: Some(timestamp_to_proto(rec.row.create_time)),
        update_time: Some(timestamp_to_proto(rec.row.update_time)),
        team: rec.row.team.clone(),
        apply_time: rec.row.apply_time.map(timestamp_to_proto),
    }
}

fn verdict(v: Verdict) -> pb::Verdict {
    match v {
        Verdict::Effective => pb::Verdict::Effective,
        Verdict::NoEffect => pb::Verdict::NoEffect,
        Verdict::Harmful => pb::Verdict::Harmful,
        Verdict::Inconclusive => pb::Verdict::Inconclusive,
    }
}

pub fn verification(name: String, follow_up: &FollowUp) -> pb::Verification {
    match follow_up {
        FollowUp::Pending { kpi, due, months } => pb::Verification {
            name,
            kpi: kpi.clone(),
            due_time: Some(timestamp_to_proto(*due)),
            window_months: *months as i32,
            explanation: "the window after the change has not passed yet".into(),
            ..Default::default()
        },
        FollowUp::Done { due, verification: v } => done(name, *due, v),
    }
}

fn done(name: String, due: chrono::DateTime<chrono::Utc>, v: &Verification) -> pb::Verification {
    pb::Verification {
        name,
        kpi: v.kpi.clone(),
        due_time: Some(timestamp_to_proto(due)),
        treated_before: v.treated_before.and_then(to_decimal),
        treated_after: v.treated_after.and_then(to_decimal),
        control_before: v.control_before.and_then(to_decimal),
        control_after: v.control_after.and_then(to_decimal),
        effect: v.effect.and_then(to_decimal),
        p_value: v.p_value.and_then(to_decimal),
        verdict: verdict(v.verdict) as i32,
        compute_time: Some(timestamp_to_proto(v.compute_time)),
        window_months: v.window_months as i32,
        control_units: v.control_units.clone(),
        explanation: v.explanation.clone(),
    }
}
