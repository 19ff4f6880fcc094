//! The tenant's sales pipeline: its open stages in order, each with a win probability. It orders
//! the funnel (won follows the last stage) and weighs the stage-weighted pipeline.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

/// The most stages a pipeline may have.
pub const MAX_STAGES: usize = 30;

/// One open stage and the chance a deal in it is won, in percent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipelineStage {
    pub stage: String,
    pub probability: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SalesPipeline {
    pub stages: Vec<PipelineStage>,
    /// When the tenant last set it; `None` for the default.
    pub update_time: Option<DateTime<Utc>>,
}

impl Default for SalesPipeline {
    /// qualify (20%), propose (50%), negotiate (80%): the stages Lacak's demo, clients and docs use.
    fn default() -> Self {
        let stage = |stage: &str, probability: i64| PipelineStage {
            stage: stage.to_owned(),
            probability: Decimal::from(probability),
        };
        SalesPipeline {
            stages: vec![stage("qualify", 20), stage("propose", 50), stage("negotiate", 80)],
            update_time: None,
        }
    }
}

impl SalesPipeline {
    /// Where a stage stands in the funnel; `None` outside the pipeline.
    pub fn position(&self, stage: &str) -> Option<usize> {
        self.stages.iter().position(|s| s.stage == stage)
    }

    /// A stage's win probability; `None` outside the pipeline (it then weighs 0).
    pub fn probability(&self, stage: &str) -> Option<Decimal> {
        self.stages.iter().find(|s| s.stage == stage).map(|s| s.probability)
    }

    /// The stage after position `k`: the next one, or "won" after the last.
    pub fn next_stage(&self, k: usize) -> String {
        self.stages
            .get(k + 1)
            .map_or_else(|| "won".to_owned(), |s| s.stage.clone())
    }
}

/// A stage name as stored and compared: trimmed and lower-case.
pub fn stage_name(text: &str) -> String {
    text.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_pipeline_orders_the_usual_stages_and_ends_in_won() {
        let pipeline = SalesPipeline::default();
        assert_eq!(pipeline.position("propose"), Some(1));
        assert_eq!(pipeline.position("lost"), None);
        assert_eq!(pipeline.probability("negotiate"), Some(Decimal::from(80)));
        assert_eq!(pipeline.next_stage(0), "propose");
        assert_eq!(pipeline.next_stage(2), "won");
        assert_eq!(stage_name("  Propose "), "propose");
    }
}
