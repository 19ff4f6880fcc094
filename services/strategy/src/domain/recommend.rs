//! What to recommend for a team and period, from what monitoring, goals and inventory report.
//! Pure: the handler gathers a [`TeamPicture`], these rules turn it into proposals.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use rust_decimal::prelude::{FromPrimitive, ToPrimitive};

use super::model::{Change, Evidence, Kind, Proposal};

/// A projection this far off target, either way, deserves a quota adjustment.
pub const ADJUST_BEYOND: Decimal = Decimal::from_parts(20, 0, 0, false, 2);
/// Before this share of the period has passed, projections are too young to act on.
pub const MIN_ELAPSED: f64 = 0.2;
/// A learned month share this many points away from the quota's profile deserves a redistribution.
pub const REDISTRIBUTE_BEYOND: Decimal = Decimal::from_parts(5, 0, 0, false, 0);
/// The discount a promotion proposes, in percent.
pub const PROMOTION_PERCENT: Decimal = Decimal::from_parts(10, 0, 0, false, 0);

/// A member's revenue quota and how the period is going for it.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberPicture {
    pub member: String,
    pub quota: Option<QuotaPicture>,
    /// The seasonally weighted run-rate projection to period end (monitoring).
    pub projection: Option<Decimal>,
    pub actual: Decimal,
    /// Monthly shares learned from the member's history, in the period's month order.
    pub learned_profile: Option<Vec<Decimal>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct QuotaPicture {
    pub name: String,
    pub target: Decimal,
    /// The quota's monthly shares; empty for an even spread.
    pub profile: Vec<Decimal>,
    pub months: usize,
}

/// A weak point as monitoring reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct WeakPoint {
    /// "stage_conversion", "time_in_stage", "lead_conversion" or "win_rate".
    pub kind: &'static str,
    pub member: String,
    pub stage: String,
    pub value: Decimal,
    pub baseline: Decimal,
    pub p_value: Option<Decimal>,
    pub revenue_at_stake: Decimal,
    pub explanation: String,
}

impl WeakPoint {
    /// The KPI name verification compares, e.g. "stage_conversion:propose".
    pub fn kpi(&self) -> String {
        if self.stage.is_empty() {
            format!("{}_percent", self.kind)
        } else {
            format!("{}:{}", self.kind, self.stage)
        }
    }
}

/// Where a product stands in inventory's portfolio and how its demand moves.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductPicture {
    pub sku: String,
    pub high_margin: bool,
    pub low_potential: bool,
    pub margin_percent: Option<Decimal>,
    pub trend: Option<TrendPicture>,
    /// Mean monthly gross margin over the last months.
    pub monthly_margin: Decimal,
}

/// A change in a subject's monthly revenue beyond noise.
#[derive(Debug, Clone, PartialEq)]
pub struct TrendPicture {
    pub subject: String,
    pub rising: bool,
    pub emerging: bool,
    pub before: Decimal,
    pub after: Decimal,
    pub since: DateTime<Utc>,
}

/// Everything generation looks at for one team and period.
#[derive(Debug, Clone, PartialEq)]
pub struct TeamPicture {
    pub team: String,
    pub period: String,
    pub period_end: DateTime<Utc>,
    /// The share of the period already passed, 0 to 1.
    pub elapsed: f64,
    pub members: Vec<MemberPicture>,
    pub weak_points: Vec<WeakPoint>,
    /// Owner ("members/x" or "teams/x") → an active action plan.
    pub plans: Vec<(String, String)>,
    /// The team lineage, nearest first, for finding a plan when the member has none.
    pub member_teams: Vec<(String, Vec<String>)>,
    /// Who is assigned team-wide tasks: the team's manager.
    pub manager: Option<String>,
    pub products: Vec<ProductPicture>,
    /// Segment and region trends.
    pub markets: Vec<TrendPicture>,
    /// The first day of next month: when a promotion would start.
    pub next_month: (DateTime<Utc>, DateTime<Utc>),
}

impl TeamPicture {
    fn plan_of(&self, owner: &str) -> Option<&str> {
        self.plans
            .iter()
            .find(|(o, _)| o == owner)
            .map(|(_, plan)| plan.as_str())
    }

    /// The member's own active plan, else the nearest team's.
    fn plan_for_member(&self, member: &str) -> Option<&str> {
        if let Some(plan) = self.plan_of(&format!("members/{member}")) {
            return Some(plan);
        }
        let teams = self.member_teams.iter().find(|(m, _)| m == member)?;
        teams.1.iter().find_map(|team| self.plan_of(&format!("teams/{team}")))
    }
}

fn round_money(value: Decimal) -> Decimal {
    value.round_dp(0)
}

fn percent(value: Decimal, of: Decimal) -> Option<Decimal> {
    (!of.is_zero()).then(|| (value / of * Decimal::ONE_HUNDRED).round_dp(2))
}

/// Every proposal the picture supports, largest expected impact first.
pub fn recommend(picture: &TeamPicture) -> Vec<Proposal> {
    let mut out = Vec::new();
    coach(picture, &mut out);
    adjust(picture, &mut out);
    redistribute(picture, &mut out);
    portfolio(picture, &mut out);
    refocus(picture, &mut out);
    out.sort_by(|a, b| {
        b.expected_impact
            .cmp(&a.expected_impact)
            .then_with(|| a.fingerprint.cmp(&b.fingerprint))
    });
    out
}

/// A member weak at a stage, or at converting or winning, is coached on it — a task in their plan.
fn coach(picture: &TeamPicture, out: &mut Vec<Proposal>) {
    for weak in &picture.weak_points {
        if weak.member.is_empty() {
            continue;
        }
        let what = if weak.stage.is_empty() {
            weak.kind.replace('_', " ")
        } else {
            format!("the {} stage", weak.stage)
        };
        let change = picture.plan_for_member(&weak.member).map(|plan| Change::Task {
            action_plan: plan.to_owned(),
            assignee: format!("members/{}", weak.member),
            title: format!(
                "Coaching on {what} ({} vs the team's {})",
                weak.value.round_dp(1).normalize(),
                weak.baseline.round_dp(1).normalize()
            ),
            due: picture.period_end,
        });
        out.push(Proposal {
            fingerprint: format!("coach|{}|{}|{}|{}", picture.period, weak.member, weak.kind, weak.stage),
            kind: Kind::CoachStage,
            subject: format!("members/{}", weak.member),
            evidence: vec![Evidence {
                kpi: weak.kpi(),
                value: Some(weak.value),
                reference: Some(weak.baseline),
                p_value: weak.p_value,
                since: None,
                explanation: weak.explanation.clone(),
            }],
            expected_impact: round_money(weak.revenue_at_stake),
            change,
        });
    }
}

/// A projection far off target moves the target halfway towards it.
fn adjust(picture: &TeamPicture, out: &mut Vec<Proposal>) {
    if picture.elapsed < MIN_ELAPSED || picture.elapsed >= 1.0 {
        return;
    }
    for member in &picture.members {
        let (Some(quota), Some(projection)) = (&member.quota, member.projection) else {
            continue;
        };
        if quota.target <= Decimal::ZERO {
            continue;
        }
        let ratio = projection / quota.target;
        if (ratio - Decimal::ONE).abs() <= ADJUST_BEYOND {
            continue;
        }
        let new_target = round_money(quota.target + (projection - quota.target) / Decimal::TWO);
        let direction = if ratio > Decimal::ONE { "above" } else { "below" };
        out.push(Proposal {
            fingerprint: format!("adjust|{}", quota.name),
            kind: Kind::AdjustQuota,
            subject: format!("members/{}", member.member),
            evidence: vec![Evidence {
                kpi: "revenue_projection".into(),
                value: Some(projection.round_dp(2)),
                reference: Some(quota.target),
                p_value: None,
                since: None,
                explanation: format!(
                    "{} is projected to reach {} of a {} target ({}%, {direction} the ±{}% band) with {} booked; \
                     the target moves halfway to the projection",
                    member.member,
                    projection.round_dp(0),
                    quota.target.normalize(),
                    percent(projection, quota.target).unwrap_or_default().normalize(),
                    (ADJUST_BEYOND * Decimal::ONE_HUNDRED).normalize(),
                    member.actual.round_dp(0),
                ),
            }],
            expected_impact: (new_target - quota.target).abs(),
            change: Some(Change::Quota {
                quota: quota.name.clone(),
                new_target,
                new_profile: Vec::new(),
            }),
        });
    }
}

/// A quota spread over its months unlike the member's history is re-spread as history shows.
fn redistribute(picture: &TeamPicture, out: &mut Vec<Proposal>) {
    for member in &picture.members {
        let (Some(quota), Some(learned)) = (&member.quota, &member.learned_profile) else {
            continue;
        };
        if quota.months < 2 || learned.len() != quota.months {
            continue;
        }
        let current: Vec<Decimal> = if quota.profile.len() == quota.months {
            quota.profile.clone()
        } else {
            vec![Decimal::ONE_HUNDRED / Decimal::from(quota.months as u64); quota.months]
        };
        let shifts: Vec<Decimal> = learned.iter().zip(&current).map(|(l, c)| (l - c).abs()).collect();
        let largest = shifts.iter().copied().max().unwrap_or_default();
        if largest < REDISTRIBUTE_BEYOND {
            continue;
        }
        // The target moved between months: half the summed absolute shifts, as a share.
        let moved: Decimal = shifts.iter().copied().sum::<Decimal>() / Decimal::TWO;
        out.push(Proposal {
            fingerprint: format!("redistribute|{}", quota.name),
            kind: Kind::RedistributeTarget,
            subject: format!("members/{}", member.member),
            evidence: vec![Evidence {
                kpi: "seasonal_profile".into(),
                value: Some(largest.round_dp(2)),
                reference: Some(REDISTRIBUTE_BEYOND),
                p_value: None,
                since: None,
                explanation: format!(
                    "{}'s past years put {} of this period's sales in its months; the quota plans {}",
                    member.member,
                    shares(learned),
                    shares(&current),
                ),
            }],
            expected_impact: round_money(quota.target * moved / Decimal::ONE_HUNDRED),
            change: Some(Change::Quota {
                quota: quota.name.clone(),
                new_target: quota.target,
                new_profile: learned.clone(),
            }),
        });
    }
}

fn shares(profile: &[Decimal]) -> String {
    let parts: Vec<String> = profile
        .iter()
        .map(|p| format!("{}%", p.round_dp(1).normalize()))
        .collect();
    parts.join(" / ")
}

/// Falling demand for a high-margin product is worth a promotion; a low-margin, low-potential
/// product whose demand falls is worth retiring.
fn portfolio(picture: &TeamPicture, out: &mut Vec<Proposal>) {
    let (start, end) = picture.next_month;
    for product in &picture.products {
        let Some(trend) = &product.trend else { continue };
        if trend.rising || trend.emerging {
            continue;
        }
        let drop = (trend.before - trend.after).max(Decimal::ZERO);
        let evidence = Evidence {
            kpi: "monthly_revenue".into(),
            value: Some(trend.after.round_dp(2)),
            reference: Some(trend.before.round_dp(2)),
            p_value: None,
            since: Some(trend.since),
            explanation: format!(
                "monthly revenue of {} fell from {} to {} (margin {}%)",
                product.sku,
                trend.before.round_dp(0),
                trend.after.round_dp(0),
                product.margin_percent.unwrap_or_default().round_dp(1).normalize(),
            ),
        };
        if product.high_margin {
            out.push(Proposal {
                fingerprint: format!("promote|{}|{}", picture.period, product.sku),
                kind: Kind::PromoteProduct,
                subject: format!("products/{}", product.sku),
                evidence: vec![evidence],
                expected_impact: round_money(drop),
                change: Some(Change::Promotion {
                    sku: product.sku.clone(),
                    percent_off: PROMOTION_PERCENT,
                    start,
                    end,
                }),
            });
        } else if product.low_potential {
            out.push(Proposal {
                fingerprint: format!("retire|{}", product.sku),
                kind: Kind::RetireProduct,
                subject: format!("products/{}", product.sku),
                evidence: vec![evidence],
                // What retiring protects: the margin it loses each month, over a quarter.
                expected_impact: round_money((-product.monthly_margin).max(Decimal::ZERO) * Decimal::from(3)),
                change: Some(Change::Retire {
                    product: format!("products/{}", product.sku),
                }),
            });
        }
    }
}

/// A segment or region whose demand rises is worth a refocus — a task for the team's manager.
fn refocus(picture: &TeamPicture, out: &mut Vec<Proposal>) {
    let plan = picture.plan_of(&format!("teams/{}", picture.team));
    for market in &picture.markets {
        if !(market.rising || market.emerging) {
            continue;
        }
        let gain = (market.after - market.before).max(Decimal::ZERO);
        let change = match (plan, &picture.manager) {
            (Some(plan), Some(manager)) => Some(Change::Task {
                action_plan: plan.to_owned(),
                assignee: format!("members/{manager}"),
                title: format!("Refocus prospecting on {}", market.subject),
                due: picture.period_end,
            }),
            _ => None,
        };
        out.push(Proposal {
            fingerprint: format!("refocus|{}|{}|{}", picture.team, picture.period, market.subject),
            kind: Kind::Refocus,
            subject: market.subject.clone(),
            evidence: vec![Evidence {
                kpi: "monthly_revenue".into(),
                value: Some(market.after.round_dp(2)),
                reference: Some(market.before.round_dp(2)),
                p_value: None,
                since: Some(market.since),
                explanation: format!(
                    "demand in {} {} from {} to {} a month",
                    market.subject,
                    if market.emerging { "emerged, growing" } else { "rose" },
                    market.before.round_dp(0),
                    market.after.round_dp(0)
                ),
            }],
            expected_impact: round_money(gain * Decimal::from(3)),
            change,
        });
    }
}

/// `value` as a decimal, 0 when it is not finite.
pub fn decimal(value: f64) -> Decimal {
    Decimal::from_f64(value).unwrap_or_default()
}

/// `value` as a float.
pub fn float(value: Decimal) -> f64 {
    value.to_f64().unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn dec(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    fn picture() -> TeamPicture {
        let at = |m| Utc.with_ymd_and_hms(2026, m, 1, 0, 0, 0).unwrap();
        TeamPicture {
            team: "sales".into(),
            period: "FY2026-Q3".into(),
            period_end: at(10),
            elapsed: 0.5,
            members: vec![],
            weak_points: vec![],
            plans: vec![("teams/sales".into(), "actionPlans/p1".into())],
            member_teams: vec![("ana".into(), vec!["emea".into(), "sales".into()])],
            manager: Some("boss".into()),
            products: vec![],
            markets: vec![],
            next_month: (at(9), at(10)),
        }
    }

    fn member(projection: &str, target: &str) -> MemberPicture {
        MemberPicture {
            member: "ana".into(),
            quota: Some(QuotaPicture {
                name: "quotas/q1".into(),
                target: dec(target),
                profile: vec![],
                months: 3,
            }),
            projection: Some(dec(projection)),
            actual: dec("100"),
            learned_profile: None,
        }
    }

    #[test]
    fn a_weak_stage_is_coached_in_the_nearest_plan() {
        let mut p = picture();
        p.weak_points.push(WeakPoint {
            kind: "stage_conversion",
            member: "ana".into(),
            stage: "propose".into(),
            value: dec("20"),
            baseline: dec("50"),
            p_value: Some(dec("0.01")),
            revenue_at_stake: dec("1234.4"),
            explanation: "weak".into(),
        });
        let out = recommend(&p);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].kind, Kind::CoachStage);
        assert_eq!(out[0].expected_impact, dec("1234"));
        assert_eq!(out[0].evidence[0].kpi, "stage_conversion:propose");
        match &out[0].change {
            Some(Change::Task {
                action_plan, assignee, ..
            }) => {
                assert_eq!(action_plan, "actionPlans/p1", "emea has no plan; sales does");
                assert_eq!(assignee, "members/ana");
            }
            other => panic!("expected a task, got {other:?}"),
        }
    }

    #[test]
    fn only_projections_outside_the_band_adjust_and_only_mid_period() {
        let mut p = picture();
        p.members = vec![member("1100", "1000")];
        assert!(recommend(&p).is_empty(), "10% off is inside the band");
        p.members = vec![member("600", "1000")];
        let out = recommend(&p);
        assert_eq!(out.len(), 1);
        assert_eq!(
            out[0].change,
            Some(Change::Quota {
                quota: "quotas/q1".into(),
                new_target: dec("800"),
                new_profile: vec![]
            })
        );
        assert_eq!(out[0].expected_impact, dec("200"));
        p.elapsed = 0.1;
        assert!(recommend(&p).is_empty(), "too early to judge");
    }

    #[test]
    fn a_profile_unlike_history_is_redistributed_keeping_the_target() {
        let mut p = picture();
        let mut m = member("1000", "900");
        m.learned_profile = Some(vec![dec("20"), dec("30"), dec("50")]);
        p.members = vec![m];
        let out = recommend(&p);
        let r = out.iter().find(|r| r.kind == Kind::RedistributeTarget).unwrap();
        assert_eq!(
            r.change,
            Some(Change::Quota {
                quota: "quotas/q1".into(),
                new_target: dec("900"),
                new_profile: vec![dec("20"), dec("30"), dec("50")]
            })
        );
        // Even spread 33.33…: 13.33 + 3.33 + 16.67 = 33.33 points moved, half of it one way: 16.67% of 900.
        assert_eq!(r.expected_impact, dec("150"));
    }

    #[test]
    fn falling_products_are_promoted_or_retired_by_margin_and_rising_markets_refocus() {
        let mut p = picture();
        let falling = |subject: &str| TrendPicture {
            subject: subject.into(),
            rising: false,
            emerging: false,
            before: dec("1000"),
            after: dec("400"),
            since: p.next_month.0,
        };
        p.products = vec![
            ProductPicture {
                sku: "GOOD".into(),
                high_margin: true,
                low_potential: false,
                margin_percent: Some(dec("40")),
                trend: Some(falling("products/GOOD")),
                monthly_margin: dec("160"),
            },
            ProductPicture {
                sku: "BAD".into(),
                high_margin: false,
                low_potential: true,
                margin_percent: Some(dec("-5")),
                trend: Some(falling("products/BAD")),
                monthly_margin: dec("-20"),
            },
            ProductPicture {
                sku: "STEADY".into(),
                high_margin: true,
                low_potential: false,
                margin_percent: Some(dec("40")),
                trend: None,
                monthly_margin: dec("100"),
            },
        ];
        let mut rising = falling("segments/smb");
        rising.rising = true;
        rising.before = dec("400");
        rising.after = dec("1000");
        p.markets = vec![rising];
        let out = recommend(&p);
        let kinds: Vec<Kind> = out.iter().map(|r| r.kind).collect();
        assert_eq!(kinds, [Kind::Refocus, Kind::PromoteProduct, Kind::RetireProduct]);
        assert_eq!(out[0].expected_impact, dec("1800"));
        assert_eq!(out[2].expected_impact, dec("60"));
        assert!(matches!(&out[0].change, Some(Change::Task { assignee, .. }) if assignee == "members/boss"));
    }
}
