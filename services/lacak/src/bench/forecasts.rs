//! `lacak bench forecasts`: the forecasts' accuracy on public monthly sales and demand series with a
//! rolling origin (12 cut points × 12 months), beside statsmodels' Holt-Winters (additive trend,
//! multiplicative season) and seasonal naive on the same cut points in the same run; and the time
//! to forecast every member of a 1,000-member team with three years of history each.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::Context;
use lacak_forecast::{MethodScore, Validation, backtest, forecast_monthly, mase, seasonal_naive_error, wape};

#[derive(clap::Args)]
pub struct ForecastBenchArgs {
    /// Directory of `*.csv` series (columns `month,value`) and `holt_winters.py`.
    #[arg(long, default_value = "tests/data/forecasts")]
    pub data: PathBuf,
    /// The Python that runs the Holt-Winters yardstick (needs statsmodels).
    #[arg(long, default_value = "python3")]
    pub python: String,
    /// Cut points per series.
    #[arg(long, default_value_t = 12)]
    pub origins: usize,
    /// Months forecast from each cut point.
    #[arg(long, default_value_t = 12)]
    pub horizon: usize,
    /// Members of the team forecast at once.
    #[arg(long, default_value_t = 1000)]
    pub members: usize,
    /// Append the results as Markdown to this file.
    #[arg(long)]
    pub markdown: Option<PathBuf>,
}

const LEVEL: f64 = 0.8;

struct Row {
    series: String,
    months: usize,
    lacak: MethodScore,
    naive: Option<MethodScore>,
    holt_winters: Option<(f64, f64)>,
    seconds: f64,
}

pub fn run(args: &ForecastBenchArgs) -> anyhow::Result<()> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&args.data)
        .with_context(|| format!("reading {}", args.data.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
        .collect();
    paths.sort();
    let yardstick = holt_winters(args).unwrap_or_else(|error| {
        eprintln!("Holt-Winters yardstick skipped: {error:#}");
        Vec::new()
    });
    let mut rows = Vec::new();
    for path in &paths {
        let values = read_series(path)?;
        let series = path.file_stem().unwrap_or_default().to_string_lossy().into_owned();
        let started = Instant::now();
        let scores = backtest(&values, args.origins, args.horizon, &[LEVEL], Validation::default())
            .with_context(|| format!("backtesting {series}"))?;
        let seconds = started.elapsed().as_secs_f64();
        let pick = |method| scores.iter().find(|s| s.method == method).cloned();
        let lacak = pick(None).context("no automatic score")?;
        let hw = yardstick
            .iter()
            .find(|(name, _)| *name == series)
            .and_then(|(_, forecasts)| score(&values, args, forecasts));
        println!(
            "{series:14} Lacak WAPE {:6.2}  Holt-Winters {:>6}  seasonal naive {:>6}  80% covered {:5.1}%  ({seconds:.1} s)",
            lacak.wape,
            hw.map(|h| format!("{:.2}", h.0)).unwrap_or_default(),
            pick(Some(lacak_forecast::ForecastMethod::SeasonalNaive))
                .map(|s| format!("{:.2}", s.wape))
                .unwrap_or_default(),
            lacak.coverage.first().map(|c| c.1 * 100.0).unwrap_or(0.0),
        );
        rows.push(Row {
            series,
            months: values.len(),
            naive: pick(Some(lacak_forecast::ForecastMethod::SeasonalNaive)),
            lacak,
            holt_winters: hw,
            seconds,
        });
    }
    let team = team_wide(args.members);
    let table = markdown(args, &rows, team);
    println!("\n{table}");
    if let Some(path) = &args.markdown {
        use std::io::Write;
        let mut file = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
        writeln!(file, "{table}")?;
    }
    Ok(())
}

fn read_series(path: &Path) -> anyhow::Result<Vec<f64>> {
    let text = std::fs::read_to_string(path)?;
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let value = line.split(',').nth(1).context("a value column")?;
            value
                .trim()
                .parse::<f64>()
                .with_context(|| format!("{}: {line}", path.display()))
        })
        .collect()
}

/// Holt-Winters' forecasts per series and cut point, from the Python yardstick.
fn holt_winters(args: &ForecastBenchArgs) -> anyhow::Result<Vec<(String, Vec<Vec<f64>>)>> {
    let output = Command::new(&args.python)
        .arg(args.data.join("holt_winters.py"))
        .arg(&args.data)
        .arg(args.origins.to_string())
        .arg(args.horizon.to_string())
        .output()
        .with_context(|| format!("running {}", args.python))?;
    anyhow::ensure!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
            .lines()
            .last()
            .unwrap_or("failed")
    );
    String::from_utf8(output.stdout)?
        .lines()
        .map(|line| {
            let value: serde_json::Value = serde_json::from_str(line)?;
            let name = value["series"].as_str().context("series")?.to_owned();
            let forecasts = value["holt_winters"]
                .as_array()
                .context("holt_winters")?
                .iter()
                .map(|f| {
                    f.as_array()
                        .map(|a| a.iter().filter_map(|v| v.as_f64()).collect())
                        .unwrap_or_default()
                })
                .collect();
            Ok((name, forecasts))
        })
        .collect()
}

/// WAPE pooled over the cut points and mean MASE, scored as Lacak's own are.
fn score(values: &[f64], args: &ForecastBenchArgs, forecasts: &[Vec<f64>]) -> Option<(f64, f64)> {
    let first = values.len().checked_sub(args.horizon + args.origins - 1)?;
    let (mut actual, mut point, mut scaled) = (Vec::new(), Vec::new(), Vec::new());
    for (k, forecast) in forecasts.iter().enumerate() {
        let cut = first + k;
        let known = &values[cut..cut + args.horizon];
        scaled.push(mase(known, forecast, seasonal_naive_error(&values[..cut]))?);
        actual.extend_from_slice(known);
        point.extend_from_slice(forecast);
    }
    Some((wape(&actual, &point)?, scaled.iter().sum::<f64>() / scaled.len() as f64))
}

/// Seconds to forecast `members` three-year histories at once, on every core: what a team-wide
/// ForecastSeries or ProposeQuotas spends fitting.
fn team_wide(members: usize) -> (usize, f64) {
    const SEASON: [f64; 12] = [0.8, 0.75, 0.9, 0.95, 1.0, 1.05, 0.95, 0.9, 1.0, 1.1, 1.25, 1.35];
    let mut rng = fastrand::Rng::with_seed(7);
    let histories: Vec<Vec<f64>> = (0..members)
        .map(|_| {
            let (level, growth) = (rng.f64() * 9000.0 + 1000.0, rng.f64() * 0.02 - 0.005);
            (0..36)
                .map(|t| level * (1.0 + growth).powi(t) * SEASON[t as usize % 12] * (0.9 + 0.2 * rng.f64()))
                .collect()
        })
        .collect();
    let workers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let started = Instant::now();
    let chunk = members.div_ceil(workers).max(1);
    std::thread::scope(|scope| {
        for part in histories.chunks(chunk) {
            scope.spawn(move || {
                for history in part {
                    let _ = forecast_monthly(history, 15, &[LEVEL]);
                }
            });
        }
    });
    (workers, started.elapsed().as_secs_f64())
}

fn markdown(args: &ForecastBenchArgs, rows: &[Row], team: (usize, f64)) -> String {
    let date = chrono::Utc::now().format("%Y-%m-%d");
    let mut out = format!(
        "### Forecasts ({date}, `lacak bench forecasts`, {} cut points × {} months)\n\n\
         | series | months | Lacak WAPE % | Holt-Winters WAPE % | seasonal naive WAPE % | Lacak MASE | Holt-Winters MASE | Lacak 80% coverage % | seconds |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
        args.origins, args.horizon
    );
    let cell = |v: Option<f64>| v.map(|v| format!("{v:.2}")).unwrap_or_else(|| "–".into());
    let (mut sums, mut hw_sum, mut hw_count) = ([0.0; 3], 0.0, 0);
    for row in rows {
        out += &format!(
            "| {} | {} | {:.2} | {} | {} | {} | {} | {:.1} | {:.1} |\n",
            row.series,
            row.months,
            row.lacak.wape,
            cell(row.holt_winters.map(|h| h.0)),
            cell(row.naive.as_ref().map(|n| n.wape)),
            cell(row.lacak.mase),
            cell(row.holt_winters.map(|h| h.1)),
            row.lacak.coverage.first().map(|c| c.1 * 100.0).unwrap_or(0.0),
            row.seconds,
        );
        sums[0] += row.lacak.wape;
        sums[1] += row.naive.as_ref().map(|n| n.wape).unwrap_or(0.0);
        sums[2] += row.lacak.coverage.first().map(|c| c.1 * 100.0).unwrap_or(0.0);
        if let Some((w, _)) = row.holt_winters {
            hw_sum += w;
            hw_count += 1;
        }
    }
    let n = rows.len().max(1) as f64;
    out += &format!(
        "| **mean** | | **{:.2}** | **{}** | **{:.2}** | | | **{:.1}** | |\n",
        sums[0] / n,
        if hw_count == rows.len() {
            format!("{:.2}", hw_sum / n)
        } else {
            "–".into()
        },
        sums[1] / n,
        sums[2] / n
    );
    out += &format!(
        "\nEvery member of a {}-member team, 36 months each, 15 months ahead: {:.2} s on {} threads.\n",
        args.members, team.1, team.0
    );
    out
}
