//! The forecast earns its keep: on monthly sales with a known seasonal pattern, growth and noise, it
//! predicts a held-out year better than repeating last year does.

use lacak_forecast::{forecast_monthly, seasonal_naive, wape};

/// Share of an average month that each calendar month sells: a slow first quarter and a year-end rush.
const SEASON: [f64; 12] = [0.80, 0.75, 0.90, 0.95, 1.00, 1.05, 0.95, 0.90, 1.00, 1.10, 1.25, 1.35];

/// Five years of monthly sales: 1% growth a month, multiplicative season, and log-normal noise with
/// a 6% spread, from a fixed seed.
fn monthly_sales(seed: u64) -> Vec<f64> {
    let mut rng = fastrand::Rng::with_seed(seed);
    (0..60)
        .map(|t| {
            // Box–Muller: a standard normal draw from two uniform ones.
            let normal = (-2.0 * (1.0 - rng.f64()).ln()).sqrt() * (std::f64::consts::TAU * rng.f64()).cos();
            let level = 10_000.0 * 1.01_f64.powi(t);
            level * SEASON[t as usize % 12] * (0.06 * normal).exp()
        })
        .collect()
}

#[test]
fn the_forecast_beats_seasonal_naive_on_a_held_out_year() {
    let (mut model_total, mut naive_total, mut covered_total) = (0.0, 0.0, 0);
    let seeds = 1..=8_u64;
    for seed in seeds.clone() {
        let sales = monthly_sales(seed);
        let (history, held_out) = sales.split_at(48);

        let forecast = forecast_monthly(history, 12, &[0.8]).unwrap();
        let baseline = seasonal_naive(history, 12).unwrap();
        let model_wape = wape(held_out, &forecast.point).unwrap();
        let naive_wape = wape(held_out, &baseline).unwrap();
        let interval = forecast.interval(0.8).unwrap();
        let covered = held_out
            .iter()
            .enumerate()
            .filter(|&(h, actual)| interval.lower[h] <= *actual && *actual <= interval.upper[h])
            .count();
        println!(
            "seed {seed}: model WAPE {model_wape:.2}% vs seasonal-naive {naive_wape:.2}% \
             ({}; 80% interval covered {covered}/12)",
            forecast.method.name()
        );
        assert!(model_wape < naive_wape, "seed {seed}: {model_wape} ≥ {naive_wape}");
        model_total += model_wape;
        naive_total += naive_wape;
        covered_total += covered;
    }
    let runs = seeds.count() as f64;
    println!(
        "mean: model WAPE {:.2}% vs seasonal-naive {:.2}%; 80% intervals covered {covered_total}/{}",
        model_total / runs,
        naive_total / runs,
        12.0 * runs
    );
    // The calibrated intervals cover about what they say: at least 60% over 96 months (an 80%
    // interval covering fewer than 58 of 96 would happen by chance well under 1% of the time).
    assert!(covered_total >= 58, "{covered_total}/96");
}
