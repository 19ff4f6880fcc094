//! How good a forecast was, once the actuals are in: WAPE and MASE for the size of its errors, bias for
//! their direction.

/// Weighted absolute percentage error: `Σ |aᵢ − fᵢ| / Σ |aᵢ| × 100`.
///
/// 0 is a perfect forecast; 100 is as far off in total as the actuals are large (forecasting 0
/// everywhere scores 100). Unlike the mean of per-month percentage errors, a month with tiny sales
/// cannot dominate, and a month with none is no division by zero.
///
/// `None` when the slices are empty or of different lengths, when a value is not finite, or when
/// every actual is 0 (nothing to weigh the errors against).
pub fn wape(actual: &[f64], forecast: &[f64]) -> Option<f64> {
    let pairs = paired(actual, forecast)?;
    let scale: f64 = actual.iter().map(|a| a.abs()).sum();
    if scale <= 0.0 {
        return None;
    }
    let error: f64 = pairs.map(|(a, f)| (a - f).abs()).sum();
    finite(error / scale * 100.0)
}

/// Forecast bias: `Σ (fᵢ − aᵢ) / Σ aᵢ × 100`.
///
/// Positive when the forecast ran over the actuals in total (optimistic), negative when under;
/// over- and under-forecasts in different months cancel out, which is the point: it shows the lean
/// that WAPE hides.
///
/// `None` when the slices are empty or of different lengths, when a value is not finite, or when
/// the actuals sum to 0. With a negative sum of actuals (net returns) the sign flips meaning; the
/// ratio is still given as defined.
pub fn bias(actual: &[f64], forecast: &[f64]) -> Option<f64> {
    let pairs = paired(actual, forecast)?;
    let total: f64 = actual.iter().sum();
    if total == 0.0 {
        return None;
    }
    let excess: f64 = pairs.map(|(a, f)| f - a).sum();
    finite(excess / total * 100.0)
}

/// Mean absolute scaled error: `mean |aᵢ − fᵢ| / naive_error`, where `naive_error` is the mean
/// absolute error of the seasonal-naive forecast within the history the forecast was made from.
/// Below 1, the forecast missed by less than last-year-repeated did in-sample.
///
/// `None` as for WAPE, or when `naive_error` is not positive.
pub fn mase(actual: &[f64], forecast: &[f64], naive_error: f64) -> Option<f64> {
    let pairs = paired(actual, forecast)?;
    if naive_error.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
        return None;
    }
    let error: f64 = pairs.map(|(a, f)| (a - f).abs()).sum();
    finite(error / actual.len() as f64 / naive_error)
}

fn paired<'a>(actual: &'a [f64], forecast: &'a [f64]) -> Option<impl Iterator<Item = (f64, f64)> + 'a> {
    let valid =
        !actual.is_empty() && actual.len() == forecast.len() && actual.iter().chain(forecast).all(|v| v.is_finite());
    valid.then(|| actual.iter().copied().zip(forecast.iter().copied()))
}

/// Sums of huge values can still overflow to infinity; that is no score.
fn finite(value: f64) -> Option<f64> {
    value.is_finite().then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn assert_close(actual: f64, expected: f64) {
        assert!((actual - expected).abs() < 1e-9, "{actual} is not {expected}");
    }

    #[test]
    fn wape_and_bias_by_hand() {
        // Errors −10, +20, 0 against actuals summing to 600: WAPE = 30 / 600 = 5%; the forecast ran
        // 10 under in total, so bias = −10 / 600 = −1.6667%.
        let (actual, forecast) = ([100.0, 200.0, 300.0], [110.0, 180.0, 300.0]);
        assert_close(wape(&actual, &forecast).unwrap(), 5.0);
        assert_close(bias(&actual, &forecast).unwrap(), -10.0 / 6.0);
        // A month with no sales adds its whole forecast to the error and nothing to the weight.
        assert_close(wape(&[0.0, 50.0], &[10.0, 40.0]).unwrap(), 40.0);
        assert_close(bias(&[0.0, 50.0], &[10.0, 40.0]).unwrap(), 0.0);
        // Mean absolute error (10 + 20 + 0) / 3 = 10 against a naive error of 4: 2.5.
        assert_close(mase(&actual, &forecast, 4.0).unwrap(), 2.5);
        assert_eq!(mase(&actual, &forecast, 0.0), None);
        assert_eq!(mase(&actual, &forecast, f64::NAN), None);
    }

    #[test]
    fn perfect_and_empty_forecasts() {
        let actual = [3.0, 4.0, 5.0];
        assert_eq!(wape(&actual, &actual), Some(0.0));
        assert_eq!(bias(&actual, &actual), Some(0.0));
        assert_eq!(wape(&actual, &[0.0; 3]), Some(100.0));
        assert_eq!(bias(&actual, &[0.0; 3]), Some(-100.0));
    }

    #[test]
    fn undefined_scores_are_none() {
        assert_eq!(wape(&[], &[]), None);
        assert_eq!(wape(&[1.0, 2.0], &[1.0]), None);
        assert_eq!(wape(&[0.0, 0.0], &[1.0, 2.0]), None);
        assert_eq!(wape(&[1.0, f64::NAN], &[1.0, 2.0]), None);
        assert_eq!(bias(&[1.0], &[f64::INFINITY]), None);
        assert_eq!(bias(&[5.0, -5.0], &[1.0, 2.0]), None);
        assert_eq!(bias(&[], &[]), None);
    }

    fn paired_series() -> impl Strategy<Value = (Vec<f64>, Vec<f64>)> {
        proptest::collection::vec((0.0..1e6_f64, 0.0..1e6_f64), 1..40).prop_map(|pairs| pairs.into_iter().unzip())
    }

    proptest! {
        #[test]
        fn wape_is_never_negative((actual, forecast) in paired_series()) {
            if let Some(score) = wape(&actual, &forecast) {
                prop_assert!(score >= 0.0, "{score}");
            }
        }

        #[test]
        fn bias_never_exceeds_wape_for_sales((actual, forecast) in paired_series()) {
            // |Σ(f − a)| ≤ Σ|f − a|, and for non-negative actuals Σ|a| = Σa.
            if let (Some(w), Some(b)) = (wape(&actual, &forecast), bias(&actual, &forecast)) {
                prop_assert!(b.abs() <= w * (1.0 + 1e-12) + 1e-9, "bias {b}, wape {w}");
            }
        }

        #[test]
        fn a_uniform_overforecast_is_its_own_bias(actual in proptest::collection::vec(1.0..1e6_f64, 1..40), lift in 0.0..1.0_f64) {
            let forecast: Vec<f64> = actual.iter().map(|a| a * (1.0 + lift)).collect();
            let expected = lift * 100.0;
            prop_assert!((bias(&actual, &forecast).unwrap() - expected).abs() < 1e-6);
            prop_assert!((wape(&actual, &forecast).unwrap() - expected).abs() < 1e-6);
        }
    }
}
