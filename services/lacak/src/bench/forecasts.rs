//! `lacak bench forecasts`: the forecasts' accuracy on public monthly sales and demand series with a
//! rolling origin (12 cut points × 12 months), beside statsmodels' Holt-Winters (additive trend,
//! multiplicative season) and seasonal naive on the same cut points in the same run; and the time
//! to forecast every member of a 1,000-member team with three years of history each.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::Context;
use chrono::Datelike;
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

/// The accuracy bench, then the team-wide calls through a suite of this process.
pub async fn run(args: &ForecastBenchArgs) -> anyhow::Result<()> {
    let table = tokio::task::block_in_place(|| accuracy(args))?;
    let calls = if args.members > 0 {
        Some(team_calls(args.members).await?)
    } else {
        None
    };
    let mut out = table;
    if let Some(calls) = calls {
        out += &calls;
    }
    println!("\n{out}");
    if let Some(path) = &args.markdown {
        use std::io::Write;
        let mut file = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
        writeln!(file, "{out}")?;
    }
    Ok(())
}

fn accuracy(args: &ForecastBenchArgs) -> anyhow::Result<String> {
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
    Ok(markdown(args, &rows, team))
}

/// Months of history each member of the team-wide calls has.
const TEAM_MONTHS: u32 = 36;
/// Timed runs of each team-wide call.
const TEAM_RUNS: usize = 7;

/// A suite on SQLite in this process with one team of `members`, each with a sale a month for the
/// [`TEAM_MONTHS`] closed months before now; then ForecastSeries for every member at once and
/// ProposeQuotas for next quarter, each timed over gRPC [`TEAM_RUNS`] times.
async fn team_calls(members: usize) -> anyhow::Result<String> {
    use lacak_proto::goals as gpb;
    use lacak_proto::monitoring::{self as mpb, ingest_event::Event};
    use lacak_proto::strategy as pb;

    use crate::report::status_error;

    let dir = tempfile::tempdir()?;
    let backend = super::suite::Backend::Sqlite(dir.path().to_path_buf());
    let mut suite = super::suite::Suite::start(&backend).await?;
    let result = async {
        let goals = &mut suite.clients.goals;
        goals
            .create_team(gpb::CreateTeamRequest {
                team: Some(gpb::Team {
                    display_name: "Field sales".into(),
                    ..Default::default()
                }),
                team_id: "field".into(),
                request_id: String::new(),
            })
            .await
            .map_err(status_error)?;
        suite
            .clients
            .inventory
            .create_product(lacak_proto::inventory::CreateProductRequest {
                product: Some(lacak_proto::inventory::Product {
                    display_name: "Subscription".into(),
                    kind: lacak_proto::inventory::ProductKind::Service as i32,
                    unit_of_measure: "month".into(),
                    ..Default::default()
                }),
                sku: "SKU-00".into(),
                request_id: String::new(),
            })
            .await
            .map_err(status_error)?;
        let goals = &mut suite.clients.goals;
        for m in 0..members {
            goals
                .create_member(gpb::CreateMemberRequest {
                    member: Some(gpb::Member {
                        display_name: format!("Rep {m}"),
                        team: "teams/field".into(),
                        active: true,
                        ..Default::default()
                    }),
                    member_id: format!("rep{m:04}"),
                    request_id: String::new(),
                })
                .await
                .map_err(status_error)?;
        }
        // A sale a month per member: a level of its own, growth, a yearly season, noise.
        const SEASON: [f64; 12] = [0.8, 0.75, 0.9, 0.95, 1.0, 1.05, 0.95, 0.9, 1.0, 1.1, 1.25, 1.35];
        let now = chrono::Utc::now();
        let this_month = chrono::NaiveDate::from_ymd_opt(now.year(), now.month(), 1).context("a month")?;
        let mut rng = fastrand::Rng::with_seed(11);
        let mut events = Vec::new();
        let started = Instant::now();
        for m in 0..members {
            let (level, growth) = (rng.f64() * 9_000_000.0 + 1_000_000.0, rng.f64() * 0.02 - 0.005);
            for t in 0..TEAM_MONTHS {
                let month = this_month - chrono::Months::new(TEAM_MONTHS - t);
                let price =
                    level * (1.0 + growth).powi(t as i32) * SEASON[month.month0() as usize] * (0.9 + 0.2 * rng.f64());
                let book = month.and_hms_opt(10, 0, 0).context("a time")?.and_utc();
                let id = format!("rep{m:04}-{t}");
                events.push(mpb::IngestEvent {
                    external_id: format!("event-{id}"),
                    event: Some(Event::Sale(mpb::Sale {
                        owner: format!("members/rep{m:04}"),
                        lines: vec![mpb::SaleLine {
                            sku: "SKU-00".into(),
                            quantity: Some(lacak_proto::common::Decimal { value: "1".into() }),
                            unit_price: crate::client::idr(price.round() as i64),
                            ..Default::default()
                        }],
                        book_time: Some(prost_types::Timestamp {
                            seconds: book.timestamp(),
                            nanos: 0,
                        }),
                        external_id: id,
                        ..Default::default()
                    })),
                });
                if events.len() == 1000 {
                    suite
                        .clients
                        .monitoring
                        .ingest_events(mpb::IngestEventsRequest {
                            events: std::mem::take(&mut events),
                            validate_only: false,
                        })
                        .await
                        .map_err(status_error)?;
                }
            }
        }
        if !events.is_empty() {
            suite
                .clients
                .monitoring
                .ingest_events(mpb::IngestEventsRequest {
                    events,
                    validate_only: false,
                })
                .await
                .map_err(status_error)?;
        }
        eprintln!(
            "team of {members}: {} sales ingested in {:.1} s",
            members * TEAM_MONTHS as usize,
            started.elapsed().as_secs_f64()
        );
        let forecast = pb::ForecastSeriesRequest {
            owner: "teams/field".into(),
            metric: gpb::Metric::Revenue as i32,
            horizon_months: 15,
            each_member: true,
            currency_code: "IDR".into(),
            ..Default::default()
        };
        let next_quarter = {
            let calendar = lacak_domain::FiscalCalendar::default();
            let current = calendar.period_containing(now, lacak_domain::PeriodKind::Quarter);
            current.next().context("a next quarter")?.to_string()
        };
        let propose = pb::ProposeQuotasRequest {
            team: "teams/field".into(),
            period: next_quarter,
            currency_code: "IDR".into(),
            metrics: Vec::new(),
        };
        // The read behind the team-wide forecast: every member's months, as many as it reads.
        let series_request = {
            let calendar = lacak_domain::FiscalCalendar::default();
            let last = calendar
                .period_containing(now, lacak_domain::PeriodKind::Month)
                .previous()
                .context("a last month")?;
            let mut first = last;
            for _ in 1..lacak_strategy::HISTORY_CAP_MONTHS {
                first = first.previous().unwrap_or(first);
            }
            mpb::GetSalesSeriesRequest {
                owner: "teams/field".into(),
                dimension: mpb::SeriesDimension::Member as i32,
                start_period: first.to_string(),
                end_period: last.to_string(),
                currency_code: "IDR".into(),
                include_counts: false,
                skip_leading_empty_months: true,
            }
        };
        let mut series_times = Vec::new();
        let (mut forecast_times, mut propose_times) = (Vec::new(), Vec::new());
        let mut forecasts = 0;
        for _ in 0..TEAM_RUNS {
            let started = Instant::now();
            suite
                .clients
                .monitoring
                .get_sales_series(series_request.clone())
                .await
                .map_err(status_error)?;
            series_times.push(started.elapsed().as_secs_f64());
            let started = Instant::now();
            let answer = suite
                .strategy
                .forecast_series(forecast.clone())
                .await
                .map_err(status_error)?
                .into_inner();
            forecast_times.push(started.elapsed().as_secs_f64());
            forecasts = answer.forecasts.len();
            let started = Instant::now();
            suite
                .strategy
                .propose_quotas(propose.clone())
                .await
                .map_err(status_error)?;
            propose_times.push(started.elapsed().as_secs_f64());
        }
        let median = |mut times: Vec<f64>| {
            times.sort_by(f64::total_cmp);
            (times[times.len() / 2], times[times.len() - 1])
        };
        let (forecast_p50, forecast_max) = median(forecast_times);
        let (propose_p50, propose_max) = median(propose_times);
        let (series_p50, series_max) = median(series_times);
        let workers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        Ok::<_, anyhow::Error>(format!(
            "\nThrough the API on SQLite, a team of {members} members with {TEAM_MONTHS} months each ({workers} cores, \
             {TEAM_RUNS} runs, median / slowest): ForecastSeries with `each_member` ({forecasts} forecasts, 15 months) \
             {forecast_p50:.2} s / {forecast_max:.2} s; ProposeQuotas (revenue, next quarter) {propose_p50:.2} s / \
             {propose_max:.2} s. The read behind the forecast, GetSalesSeries by member over {} months from each member's first sale: {series_p50:.2} s / \
             {series_max:.2} s.\n",
            lacak_strategy::HISTORY_CAP_MONTHS
        ))
    }
    .await;
    suite.stop(&backend).await;
    result
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

/// Seconds to forecast `members` three-year histories at once, on every core (median of three
/// runs): what a team-wide ForecastSeries or ProposeQuotas spends fitting.
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
    let chunk = members.div_ceil(workers).max(1);
    // The median of three runs: this machine's speed wanders from one second to the next.
    let mut runs: Vec<f64> = (0..3)
        .map(|_| {
            let started = Instant::now();
            std::thread::scope(|scope| {
                for part in histories.chunks(chunk) {
                    scope.spawn(move || {
                        for history in part {
                            let _ = forecast_monthly(history, 15, &[LEVEL]);
                        }
                    });
                }
            });
            started.elapsed().as_secs_f64()
        })
        .collect();
    runs.sort_by(f64::total_cmp);
    (workers, runs[1])
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
        "\nEvery member of a {}-member team, 36 months each, 15 months ahead (the engine alone, median of 3 runs): {:.2} s on {} threads.\n",
        args.members, team.1, team.0
    );
    out
}
