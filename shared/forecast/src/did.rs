//! Whether an adjustment worked: difference in differences between the units it touched and comparable
//! units it did not.

use lacak_domain::kpi::{SIGNIFICANCE, welch_test};
use statrs::distribution::{ContinuousCDF, StudentsT};

/// The fewest comparable, unadjusted units a verdict rests on. With fewer, what "normal" change
/// looks like is guessed from too few examples to call anything an effect or its absence.
pub const MIN_CONTROL_UNITS: usize = 5;

/// What the follow-up concluded about an adjustment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The KPI improved against the controls, beyond chance: `effect > 0` with `p < 0.05`.
    Effective,
    /// The KPI worsened against the controls, beyond chance: `effect < 0` with `p < 0.05`.
    Harmful,
    /// Enough data, and no difference beyond chance (`p ≥ 0.05`).
    NoEffect,
    /// Too little data to tell: fewer than [`MIN_CONTROL_UNITS`] control units, or the changes do
    /// not vary at all so no test can be run.
    Inconclusive,
}

/// The numbers behind a [`Verdict`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DidResult {
    /// `(mean treated after − mean treated before) − (mean control after − mean control before)`,
    /// in the KPI's unit; positive when the treated units gained more (or lost less).
    pub effect: f64,
    /// Mean change of the treated units, `mean(after − before)`.
    pub treated_change: f64,
    /// Mean change of the control units.
    pub control_change: f64,
    /// Two-sided p-value of the effect; `None` when no test could be run.
    pub p_value: Option<f64>,
    /// How many treated units were compared.
    pub treated_units: usize,
    /// How many control units were compared.
    pub control_units: usize,
    /// What the numbers say.
    pub verdict: Verdict,
}

/// Difference in differences of a KPI between treated units (members or products the adjustment
/// touched) and control units (comparable ones it did not), each measured over a window before and
/// a window after the adjustment. The slices hold one value per unit, in the same unit order before
/// and after (e.g. each member's mean monthly revenue over the window).
///
/// ```text
/// Δᵢ = afterᵢ − beforeᵢ                    per unit
/// effect = mean(Δ treated) − mean(Δ control)
///        = (mean ta − mean tb) − (mean ca − mean cb)
/// ```
///
/// The p-value compares the per-unit changes, so what every unit would have done anyway (the season,
/// the market) cancels out and only the spread of the changes counts as noise:
/// - two or more treated units: Welch's t-test of `Δ treated` against `Δ control`;
/// - a single treated unit: the Crawford–Howell test of one case against a small control sample,
///   `t = (Δ − mean(Δ control)) / (s · √((n + 1) / n))` with `s` the controls' sample standard
///   deviation, `n` their count, and `n − 1` degrees of freedom.
///
/// `None` when a group has no unit, when before and after differ in length, or when a value is not
/// finite.
pub fn difference_in_differences(
    treated_before: &[f64],
    treated_after: &[f64],
    control_before: &[f64],
    control_after: &[f64],
) -> Option<DidResult> {
    let treated = changes(treated_before, treated_after)?;
    let control = changes(control_before, control_after)?;
    let (treated_change, control_change) = (mean(&treated), mean(&control));
    let effect = treated_change - control_change;
    let p_value = if treated.len() == 1 {
        single_case_p_value(treated[0], &control)
    } else {
        welch_test(&treated, &control).map(|test| test.p_value)
    };
    let verdict = match p_value {
        _ if control.len() < MIN_CONTROL_UNITS => Verdict::Inconclusive,
        None => Verdict::Inconclusive,
        Some(p) if p < SIGNIFICANCE && effect > 0.0 => Verdict::Effective,
        Some(p) if p < SIGNIFICANCE && effect < 0.0 => Verdict::Harmful,
        Some(_) => Verdict::NoEffect,
    };
    Some(DidResult {
        effect,
        treated_change,
        control_change,
        p_value,
        treated_units: treated.len(),
        control_units: control.len(),
        verdict,
    })
}

/// Per-unit changes, or `None` when the windows do not pair up.
fn changes(before: &[f64], after: &[f64]) -> Option<Vec<f64>> {
    let valid = !before.is_empty() && before.len() == after.len() && before.iter().chain(after).all(|v| v.is_finite());
    valid.then(|| before.iter().zip(after).map(|(b, a)| a - b).collect())
}

/// Crawford and Howell's (1998) test of whether one case differs from a control sample.
fn single_case_p_value(case: f64, controls: &[f64]) -> Option<f64> {
    if controls.len() < 2 {
        return None;
    }
    let n = controls.len() as f64;
    let centre = mean(controls);
    let deviation = (controls.iter().map(|c| (c - centre).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    let scale = deviation * ((n + 1.0) / n).sqrt();
    if !(scale > 0.0 && scale.is_finite()) {
        return None;
    }
    let t = (case - centre) / scale;
    let distribution = StudentsT::new(0.0, 1.0, n - 1.0).ok()?;
    t.is_finite().then(|| (2.0 * distribution.sf(t.abs())).min(1.0))
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn assert_close(actual: f64, expected: f64, tolerance: f64) {
        assert!(
            (actual - expected).abs() <= tolerance,
            "{actual} is not within {tolerance} of {expected}"
        );
    }

    const CONTROL_BEFORE: [f64; 5] = [10.0, 11.0, 12.0, 13.0, 14.0];
    const CONTROL_AFTER: [f64; 5] = [11.0, 11.0, 13.0, 14.0, 15.0];

    #[test]
    fn an_effect_by_hand() {
        // Treated changes 5, 6, 6 (mean 17/3); control changes 1, 0, 1, 1, 1 (mean 0.8); effect
        // 17/3 − 0.8 = 4.866667. Reference: scipy 1.17.1, ttest_ind([5, 6, 6], [1, 0, 1, 1, 1],
        // equal_var=False) gives statistic 12.5193967, pvalue 0.000517020.
        let result = difference_in_differences(
            &[10.0, 12.0, 14.0],
            &[15.0, 18.0, 20.0],
            &CONTROL_BEFORE,
            &CONTROL_AFTER,
        )
        .unwrap();
        assert_close(result.effect, 17.0 / 3.0 - 0.8, 1e-12);
        assert_close(result.treated_change, 17.0 / 3.0, 1e-12);
        assert_close(result.control_change, 0.8, 1e-12);
        assert_close(result.p_value.unwrap(), 0.000_517_020, 1e-9);
        assert_eq!((result.treated_units, result.control_units), (3, 5));
        assert_eq!(result.verdict, Verdict::Effective);
    }

    #[test]
    fn one_treated_member_against_their_peers() {
        // One member's change of 5 against peers' changes 1, 0, 1, 1, 1, 2 (mean 1, s = √0.4):
        // t = 4 / (√0.4 · √(7/6)) = 5.855400 on 5 degrees of freedom. Reference: scipy 1.17.1,
        // 2 · t.sf(5.8554004, 5) = 0.002058524.
        let peers_before = [10.0, 10.0, 10.0, 10.0, 10.0, 10.0];
        let peers_after = [11.0, 10.0, 11.0, 11.0, 11.0, 12.0];
        let result = difference_in_differences(&[20.0], &[25.0], &peers_before, &peers_after).unwrap();
        assert_close(result.effect, 4.0, 1e-12);
        assert_close(result.p_value.unwrap(), 0.002_058_524, 1e-9);
        assert_eq!(result.verdict, Verdict::Effective);
        // The same member losing as much is harmful.
        let worse = difference_in_differences(&[20.0], &[17.0], &peers_before, &peers_after).unwrap();
        assert_close(worse.effect, -4.0, 1e-12);
        assert_eq!(worse.verdict, Verdict::Harmful);
    }

    #[test]
    fn a_change_the_controls_also_saw_is_no_effect() {
        // Everyone gained about one: the treated gain is what would have happened anyway.
        let result = difference_in_differences(&[20.0, 30.0], &[21.0, 31.5], &CONTROL_BEFORE, &CONTROL_AFTER).unwrap();
        assert_close(result.effect, 1.25 - 0.8, 1e-12);
        assert!(result.p_value.unwrap() >= SIGNIFICANCE);
        assert_eq!(result.verdict, Verdict::NoEffect);
    }

    #[test]
    fn too_few_controls_are_inconclusive_whatever_the_numbers() {
        let result =
            difference_in_differences(&[10.0, 12.0], &[30.0, 33.0], &CONTROL_BEFORE[..4], &CONTROL_AFTER[..4]).unwrap();
        assert!(result.effect > 15.0);
        assert_eq!(result.verdict, Verdict::Inconclusive);
        // Changes without any spread leave nothing to test against.
        let flat = difference_in_differences(&[1.0, 2.0], &[2.0, 3.0], &[1.0; 5], &[2.0; 5]).unwrap();
        assert_eq!((flat.p_value, flat.verdict), (None, Verdict::Inconclusive));
        let lone = difference_in_differences(&[1.0], &[9.0], &[1.0; 6], &[2.0; 6]).unwrap();
        assert_eq!((lone.p_value, lone.verdict), (None, Verdict::Inconclusive));
    }

    #[test]
    fn unpaired_or_missing_data_gives_no_result() {
        assert_eq!(
            difference_in_differences(&[], &[], &CONTROL_BEFORE, &CONTROL_AFTER),
            None
        );
        assert_eq!(difference_in_differences(&[1.0], &[2.0], &[], &[]), None);
        assert_eq!(
            difference_in_differences(&[1.0, 2.0], &[2.0], &CONTROL_BEFORE, &CONTROL_AFTER),
            None
        );
        assert_eq!(
            difference_in_differences(&[f64::NAN], &[2.0], &CONTROL_BEFORE, &CONTROL_AFTER),
            None
        );
    }

    fn units() -> impl Strategy<Value = (Vec<f64>, Vec<f64>)> {
        proptest::collection::vec((0.0..1e4_f64, 0.0..1e4_f64), 2..12).prop_map(|pairs| pairs.into_iter().unzip())
    }

    proptest! {
        #[test]
        fn a_shock_shared_by_everyone_changes_nothing((tb, ta) in units(), (cb, ca) in units(), shock in -1e3..1e3_f64) {
            let plain = difference_in_differences(&tb, &ta, &cb, &ca).unwrap();
            let shift = |values: &[f64]| values.iter().map(|v| v + shock).collect::<Vec<_>>();
            let shocked = difference_in_differences(&tb, &shift(&ta), &cb, &shift(&ca)).unwrap();
            prop_assert!((plain.effect - shocked.effect).abs() < 1e-6);
            prop_assert_eq!(plain.verdict, shocked.verdict);
        }

        #[test]
        fn swapping_the_groups_negates_the_effect((tb, ta) in units(), (cb, ca) in units()) {
            let forward = difference_in_differences(&tb, &ta, &cb, &ca).unwrap();
            let backward = difference_in_differences(&cb, &ca, &tb, &ta).unwrap();
            prop_assert!((forward.effect + backward.effect).abs() < 1e-6);
            prop_assert_eq!(forward.p_value, backward.p_value);
            if let Some(p) = forward.p_value {
                prop_assert!((0.0..=1.0).contains(&p));
            }
        }
    }
}
