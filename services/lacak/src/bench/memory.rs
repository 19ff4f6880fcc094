//! `lacak bench --memory`: how much memory `lacak up` takes for the largest batches the API
//! accepts, sent at once. The suite runs as a child process on SQLite in a temporary directory, so
//! its resident set is measured alone (Linux `/proc/<pid>/status`): before, at its peak (VmHWM),
//! and a few seconds after the batches were acknowledged.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, bail};
use lacak_proto::monitoring as pb;

use crate::client::clients;
use crate::report::status_error;

use super::BenchArgs;
use super::workload::{sale, setup};

/// The child `lacak up`; killed when dropped.
struct Up(Child);

impl Drop for Up {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A field of `/proc/<pid>/status`, in MiB.
fn status_mib(pid: u32, field: &str) -> anyhow::Result<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).context("reading /proc (Linux only)")?;
    let line = status
        .lines()
        .find(|l| l.starts_with(field))
        .with_context(|| format!("{field} in /proc/{pid}/status"))?;
    let kib: f64 = line
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .with_context(|| format!("a number in {line:?}"))?;
    Ok(kib / 1024.0)
}

pub(super) async fn run(args: &BenchArgs) -> anyhow::Result<String> {
    let dir = tempfile::tempdir()?;
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0")?;
        probe.local_addr()?.port()
    };
    let exe = std::env::current_exe()?;
    let data = dir.path().display().to_string();
    let up = Up(Command::new(&exe)
        .args(["up", "--data-dir", &data, "--listen", &format!("127.0.0.1:{port}")])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("starting lacak up")?);
    let pid = up.0.id();
    let url = format!("http://127.0.0.1:{port}");
    let channel = {
        let mut tries = 0;
        loop {
            match tonic::transport::Channel::from_shared(url.clone())?.connect().await {
                Ok(channel) => break channel,
                Err(_) if tries < 100 => {
                    tries += 1;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(error) => bail!("lacak up did not answer at {url}: {error}"),
            }
        }
    };
    let token = Command::new(&exe)
        .args(["token", "--data-dir", &data, "--tenant", "bench", "--role", "admin"])
        .output()
        .context("lacak token")?;
    let token = String::from_utf8(token.stdout)?.trim().to_owned();
    let mut clients = clients(channel, &token);
    let mut ready = false;
    for _ in 0..100 {
        if setup(&mut clients).await.is_ok() {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::ensure!(ready, "the suite never became ready");

    let (batches, sales, lines) = (args.memory_batches, args.memory_sales, args.memory_lines);
    let before = status_mib(pid, "VmRSS:")?;
    let mut calls = Vec::new();
    for b in 0..batches {
        let first = b as u64 * sales as u64;
        let events: Vec<pb::IngestEvent> = (first..first + sales as u64)
            .map(|n| sale(n, first, sales as u64, lines, &format!("mem{b}-")))
            .collect();
        let mut monitoring = clients.monitoring.clone();
        calls.push(tokio::spawn(async move {
            monitoring
                .ingest_events(pb::IngestEventsRequest {
                    events,
                    validate_only: false,
                })
                .await
                .map_err(status_error)
        }));
    }
    let mut answers = Vec::new();
    for call in calls {
        answers.push(call.await?.map(|r| r.into_inner().applied));
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let peak = status_mib(pid, "VmHWM:")?;
    let after = status_mib(pid, "VmRSS:")?;
    let outcomes: Vec<String> = answers
        .iter()
        .map(|a| match a {
            Ok(applied) => format!("{applied} applied"),
            Err(error) => format!("refused: {error}"),
        })
        .collect();
    let summary = format!(
        "memory of lacak up (SQLite), {batches} concurrent IngestEvents of {sales} sales × {lines} lines: \
         before {before:.0} MiB, peak {peak:.0} MiB, 3 s after {after:.0} MiB; answers: {}",
        outcomes.join("; ")
    );
    println!("{summary}");
    drop(up);
    Ok(summary)
}
