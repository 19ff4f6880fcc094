//! How fast monitoring can value sale lines: BatchGetValuations at 1,000 and 10,000 lines against
//! one GetCostAsOf call per line, over real gRPC on the embedded SQLite default.
//!
//! `cargo bench -p lacak-e2e --bench valuations` prints latencies (p50, p99) and lines per second.

use std::time::{Duration, Instant};

use lacak_domain::Role;
use lacak_e2e::{authorized, spawn_suite};
use lacak_proto::common::Money;
use lacak_proto::inventory::inventory_service_client::InventoryServiceClient;
use lacak_proto::inventory::{
    BatchGetValuationsRequest, CostBreakdown, CreateCostBreakdownRequest, CreatePriceRequest, CreateProductRequest,
    GetCostAsOfRequest, Price, Product, ProductKind, ValuationLine,
};
use lacak_runtime::config::ServerArgs;
use prost_types::Timestamp;
use tonic::transport::Channel;

const PRODUCTS: usize = 200;
const MONTHS: i64 = 12;
const YEAR_START: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z
const MONTH: i64 = 30 * 86_400;

fn usd(units: i64) -> Option<Money> {
    Some(Money {
        currency_code: "USD".into(),
        units,
        nanos: 0,
    })
}

fn at(seconds: i64) -> Option<Timestamp> {
    Some(Timestamp { seconds, nanos: 0 })
}

/// A small deterministic generator, so every run values the same lines.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, bound: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % bound
    }
}

async fn load_catalogue(client: &mut InventoryServiceClient<Channel>, token: &str) -> anyhow::Result<()> {
    for p in 0..PRODUCTS {
        let sku = format!("SKU-{p:04}");
        let product = Product {
            display_name: format!("Product {p}"),
            kind: ProductKind::Product as i32,
            ..Product::default()
        };
        let request = CreateProductRequest {
            sku: sku.clone(),
            product: Some(product),
            ..CreateProductRequest::default()
        };
        client.create_product(authorized(token, request)).await?;
        for month in 0..MONTHS {
            let cost = CostBreakdown {
                sourcing: usd(100 + p as i64 + month),
                effective_time: at(YEAR_START + month * MONTH),
                ..CostBreakdown::default()
            };
            let request = CreateCostBreakdownRequest {
                parent: format!("products/{sku}"),
                cost_breakdown: Some(cost),
                ..CreateCostBreakdownRequest::default()
            };
            client.create_cost_breakdown(authorized(token, request)).await?;
            let price = Price {
                list_price: usd(200 + p as i64 + month),
                effective_time: at(YEAR_START + month * MONTH),
                ..Price::default()
            };
            let request = CreatePriceRequest {
                parent: format!("products/{sku}"),
                price: Some(price),
                ..CreatePriceRequest::default()
            };
            client.create_price(authorized(token, request)).await?;
        }
    }
    Ok(())
}

fn lines(count: usize, random: &mut Lcg) -> Vec<ValuationLine> {
    (0..count)
        .map(|_| ValuationLine {
            sku: format!("SKU-{:04}", random.next(PRODUCTS as u64)),
            time: at(YEAR_START + random.next((MONTHS * MONTH) as u64) as i64),
            currency_code: "USD".into(),
        })
        .collect()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let suite = spawn_suite(ServerArgs::default()).await?;
    let token = suite.token("bench", "bench-admin", Role::Admin);
    let mut client = InventoryServiceClient::new(suite.channel().await?);
    let started = Instant::now();
    load_catalogue(&mut client, &token).await?;
    let writes = PRODUCTS * (1 + 2 * MONTHS as usize);
    println!(
        "loaded {PRODUCTS} products x {MONTHS} cost breakdowns and prices ({writes} committed writes) in {:.1?}",
        started.elapsed()
    );

    let mut random = Lcg(42);
    println!("| call | lines per call | calls | p50 | p99 | lines/s |");
    println!("|---|---|---|---|---|---|");
    for (size, calls) in [(1_000usize, 30usize), (10_000, 10)] {
        let mut latencies = Vec::with_capacity(calls);
        for _ in 0..calls {
            let request = BatchGetValuationsRequest {
                lines: lines(size, &mut random),
            };
            let started = Instant::now();
            let answer = client
                .batch_get_valuations(authorized(&token, request))
                .await?
                .into_inner();
            latencies.push(started.elapsed());
            assert_eq!(answer.valuations.len(), size);
            assert!(answer.valuations.iter().all(|v| v.unit_cost.is_some()));
        }
        latencies.sort();
        let total: Duration = latencies.iter().sum();
        println!(
            "| BatchGetValuations | {size} | {calls} | {:.1?} | {:.1?} | {:.0} |",
            percentile(&latencies, 0.5),
            percentile(&latencies, 0.99),
            (size * calls) as f64 / total.as_secs_f64()
        );
    }
    let mut latencies = Vec::new();
    for line in lines(1_000, &mut random) {
        let request = GetCostAsOfRequest {
            product: format!("products/{}", line.sku),
            time: line.time,
        };
        let started = Instant::now();
        client.get_cost_as_of(authorized(&token, request)).await?;
        latencies.push(started.elapsed());
    }
    latencies.sort();
    let total: Duration = latencies.iter().sum();
    println!(
        "| GetCostAsOf, one call per line | 1 | 1000 | {:.1?} | {:.1?} | {:.0} |",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        1000.0 / total.as_secs_f64()
    );
    suite.stop().await?;
    Ok(())
}
