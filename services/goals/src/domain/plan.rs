//! Action plan rules: the lifecycle of a plan and the timeline that reads it in time order.

use chrono::{DateTime, Utc};

/// The lifecycle of a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanState {
    Draft,
    Active,
    Completed,
    Abandoned,
}

impl PlanState {
    pub fn as_str(self) -> &'static str {
        match self {
            PlanState::Draft => "draft",
            PlanState::Active => "active",
            PlanState::Completed => "completed",
            PlanState::Abandoned => "abandoned",
        }
    }

    pub fn parse(text: &str) -> Option<PlanState> {
        [
            PlanState::Draft,
            PlanState::Active,
            PlanState::Completed,
            PlanState::Abandoned,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }

    /// Drafts start or are dropped; active plans complete or are dropped; the rest is final.
    pub fn may_become(self, next: PlanState) -> bool {
        self == next
            || matches!(
                (self, next),
                (PlanState::Draft, PlanState::Active)
                    | (PlanState::Draft, PlanState::Abandoned)
                    | (PlanState::Active, PlanState::Completed)
                    | (PlanState::Active, PlanState::Abandoned)
            )
    }
}

/// The progress of a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskState {
    Todo,
    InProgress,
    Done,
    Cancelled,
}

impl TaskState {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskState::Todo => "todo",
            TaskState::InProgress => "in_progress",
            TaskState::Done => "done",
            TaskState::Cancelled => "cancelled",
        }
    }

    pub fn parse(text: &str) -> Option<TaskState> {
        [
            TaskState::Todo,
            TaskState::InProgress,
            TaskState::Done,
            TaskState::Cancelled,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// One dated line of a plan's timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelineEntry {
    pub time: DateTime<Utc>,
    pub description: String,
}

/// Milestones due, tasks due and state changes, merged in time order (stable for equal times).
pub fn timeline(
    state_changes: &[(DateTime<Utc>, PlanState)],
    milestones: &[(DateTime<Utc>, String)],
    tasks: &[(Option<DateTime<Utc>>, String)],
) -> Vec<TimelineEntry> {
    let mut entries: Vec<TimelineEntry> = state_changes
        .iter()
        .map(|(time, state)| TimelineEntry {
            time: *time,
            description: format!("state: {}", state.as_str()),
        })
        .chain(milestones.iter().map(|(time, title)| TimelineEntry {
            time: *time,
            description: format!("milestone due: {title}"),
        }))
        .chain(tasks.iter().filter_map(|(due, title)| {
            due.map(|time| TimelineEntry {
                time,
                description: format!("task due: {title}"),
            })
        }))
        .collect();
    entries.sort_by_key(|e| e.time);
    entries
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn plans_move_forward_only() {
        assert!(PlanState::Draft.may_become(PlanState::Active));
        assert!(PlanState::Active.may_become(PlanState::Completed));
        assert!(!PlanState::Completed.may_become(PlanState::Active));
        assert!(!PlanState::Abandoned.may_become(PlanState::Draft));
        assert!(!PlanState::Draft.may_become(PlanState::Completed));
    }

    #[test]
    fn the_timeline_is_in_time_order() {
        let t = |d| Utc.with_ymd_and_hms(2026, 7, d, 0, 0, 0).unwrap();
        let entries = timeline(
            &[(t(1), PlanState::Draft), (t(3), PlanState::Active)],
            &[(t(20), "half way".into())],
            &[(Some(t(10)), "call".into()), (None, "undated".into())],
        );
        let order: Vec<_> = entries.iter().map(|e| e.description.as_str()).collect();
        assert_eq!(
            order,
            [
                "state: draft",
                "state: active",
                "task due: call",
                "milestone due: half way"
            ]
        );
    }
}
