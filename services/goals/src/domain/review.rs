//! Quota review rules: which quotas a review covers, and what a decision may set.

use lacak_domain::PeriodId;
use rust_decimal::Decimal;

/// A review's decision for one quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Keep,
    Raise,
    Lower,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Keep => "keep",
            Decision::Raise => "raise",
            Decision::Lower => "lower",
        }
    }

    pub fn parse(text: &str) -> Option<Decision> {
        [Decision::Keep, Decision::Raise, Decision::Lower]
            .into_iter()
            .find(|d| d.as_str() == text)
    }
}

/// A review of a period covers the quotas of that period, of the periods within it, and of the
/// periods containing it: reviewing FY2026-Q3 covers its months, the quarter and FY2026.
pub fn covers(review: &PeriodId, quota: &PeriodId) -> bool {
    review == quota || review.contains(quota) || quota.contains(review)
}

/// Why a decision's new target is unacceptable, if it is.
pub fn check_decision(
    decision: Decision,
    current: Decimal,
    new_target: Option<Decimal>,
) -> Result<Decimal, &'static str> {
    match decision {
        Decision::Keep => Ok(current),
        Decision::Raise => match new_target {
            Some(new) if new > current => Ok(new),
            Some(_) => Err("a raise must be above the current target"),
            None => Err("is required to raise a target"),
        },
        Decision::Lower => match new_target {
            Some(new) if new < current && new >= Decimal::ZERO => Ok(new),
            Some(_) => Err("a lowered target must be below the current one and not negative"),
            None => Err("is required to lower a target"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> PeriodId {
        s.parse().unwrap()
    }

    #[test]
    fn a_quarter_review_covers_its_months_itself_and_its_year() {
        let review = p("FY2026-Q3");
        assert!(covers(&review, &p("FY2026-Q3")));
        assert!(covers(&review, &p("FY2026-M08")));
        assert!(covers(&review, &p("FY2026")));
        assert!(!covers(&review, &p("FY2026-Q2")));
        assert!(!covers(&review, &p("FY2026-M01")));
        assert!(!covers(&review, &p("FY2027")));
    }

    #[test]
    fn decisions_must_move_the_target_their_way() {
        let ten = Decimal::TEN;
        assert_eq!(check_decision(Decision::Keep, ten, None), Ok(ten));
        assert_eq!(
            check_decision(Decision::Raise, ten, Some(Decimal::ONE_HUNDRED)),
            Ok(Decimal::ONE_HUNDRED)
        );
        assert!(check_decision(Decision::Raise, ten, Some(Decimal::ONE)).is_err());
        assert!(check_decision(Decision::Lower, ten, Some(Decimal::ONE_HUNDRED)).is_err());
        assert!(check_decision(Decision::Lower, ten, None).is_err());
    }
}
