//! What strategy keeps: recommendations, their evidence, the change each would make elsewhere,
//! and the verification of an applied one.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// What a recommendation proposes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Kind {
    AdjustQuota,
    RedistributeTarget,
    CoachStage,
    PromoteProduct,
    RetireProduct,
    Refocus,
}

impl Kind {
    pub const ALL: [Kind; 6] = [
        Kind::AdjustQuota,
        Kind::RedistributeTarget,
        Kind::CoachStage,
        Kind::PromoteProduct,
        Kind::RetireProduct,
        Kind::Refocus,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Kind::AdjustQuota => "adjust_quota",
            Kind::RedistributeTarget => "redistribute_target",
            Kind::CoachStage => "coach_stage",
            Kind::PromoteProduct => "promote_product",
            Kind::RetireProduct => "retire_product",
            Kind::Refocus => "refocus",
        }
    }

    pub fn parse(text: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|kind| kind.as_str() == text)
    }
}

/// Where a recommendation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Proposed,
    Accepted,
    Rejected,
    Applied,
    ApplyFailed,
}

impl State {
    pub const ALL: [State; 5] = [
        State::Proposed,
        State::Accepted,
        State::Rejected,
        State::Applied,
        State::ApplyFailed,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            State::Proposed => "proposed",
            State::Accepted => "accepted",
            State::Rejected => "rejected",
            State::Applied => "applied",
            State::ApplyFailed => "apply_failed",
        }
    }

    pub fn parse(text: &str) -> Option<State> {
        State::ALL.into_iter().find(|state| state.as_str() == text)
    }
}

/// One piece of evidence.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Evidence {
    pub kpi: String,
    pub value: Option<Decimal>,
    pub reference: Option<Decimal>,
    pub p_value: Option<Decimal>,
    pub since: Option<DateTime<Utc>>,
    pub explanation: String,
}

impl Evidence {
    pub fn gap(&self) -> Option<Decimal> {
        Some(self.value? - self.reference?)
    }
}

/// The change a recommendation makes in another service once accepted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Change {
    /// goals UpdateQuota: the target (when `new_target` differs) or the seasonal profile.
    Quota {
        quota: String,
        new_target: Decimal,
        new_profile: Vec<Decimal>,
    },
    /// inventory CreatePromotion.
    Promotion {
        sku: String,
        percent_off: Decimal,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    },
    /// goals CreateTask in an active action plan.
    Task {
        action_plan: String,
        assignee: String,
        title: String,
        due: DateTime<Utc>,
    },
    /// inventory UpdateProduct to RETIRED.
    Retire { product: String },
}

/// A recommendation as first proposed: what generation produces.
#[derive(Debug, Clone, PartialEq)]
pub struct Proposal {
    /// Identifies "the same advice" across runs: a repeated generation refreshes it.
    pub fingerprint: String,
    pub kind: Kind,
    pub subject: String,
    pub evidence: Vec<Evidence>,
    pub expected_impact: Decimal,
    pub change: Option<Change>,
}

/// The verdict of a verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Verdict {
    Effective,
    NoEffect,
    Harmful,
    Inconclusive,
}

/// A computed verification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verification {
    pub kpi: String,
    pub window_months: u32,
    pub treated_before: Option<Decimal>,
    pub treated_after: Option<Decimal>,
    pub control_before: Option<Decimal>,
    pub control_after: Option<Decimal>,
    pub effect: Option<Decimal>,
    pub p_value: Option<Decimal>,
    pub verdict: Verdict,
    pub control_units: Vec<String>,
    pub explanation: String,
    pub compute_time: DateTime<Utc>,
}
