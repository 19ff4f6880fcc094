//! Strategy over real gRPC, with goals, inventory and monitoring beside it on one port, on SQLite
//! (or PostgreSQL when `LACAK_TEST_POSTGRES_URL` is set): the loop from a weak funnel stage to a
//! recommendation, its application in goals and its verdict; decisions; access; bad input.

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use lacak_domain::Role;
use lacak_proto::common::{Money, measure};
use lacak_proto::goals::goals_service_client::GoalsServiceClient;
use lacak_proto::monitoring::ingest_event::Event;
use lacak_proto::monitoring::monitoring_service_client::MonitoringServiceClient;
use lacak_proto::strategy::strategy_service_client::StrategyServiceClient;
use lacak_proto::{goals as gpb, monitoring as mpb, strategy as pb};
use lacak_strategy::{Clock, Settings};
use lacak_testkit::{Bearer, Prepared, TestServer};
use tonic::Code;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

const TENANT: &str = "acme";
type Strategy = StrategyServiceClient<InterceptedService<Channel, Bearer>>;
type Goals = GoalsServiceClient<InterceptedService<Channel, Bearer>>;
type Monitoring = MonitoringServiceClient<InterceptedService<Channel, Bearer>>;

struct Suite {
    server: TestServer,
    clock: Clock,
    /// Strategy's database, for a second replica.
    strategy_url: String,
}

fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 9, 0, 0).unwrap()
}

fn ts(time: DateTime<Utc>) -> Option<prost_types::Timestamp> {
    Some(prost_types::Timestamp {
        seconds: time.timestamp(),
        nanos: 0,
    })
}

async fn spawn() -> Suite {
    let mut prepared = Prepared::new("strategy").await;
    // As in `lacak up`: the services of one host call each other in process.
    let own = prepared.host.in_process_channel();
    let channel = || own.clone();
    let goals_url = prepared.extra_database("goals").await;
    let goals = lacak_goals::mount(&mut prepared.host, &goals_url).await;
    let inventory_url = prepared.extra_database("inventory").await;
    let inventory = lacak_inventory::mount(&mut prepared.host, &inventory_url).await;
    let issuer = prepared.issuer();
    let outgoing = |name| lacak_runtime::client::Outgoing::new(name, issuer.clone(), Duration::from_secs(5));
    let monitoring_deps =
        lacak_monitoring::Dependencies::new(channel(), channel(), outgoing(lacak_monitoring::SERVICE_NAME));
    let monitoring_url = prepared.extra_database("monitoring").await;
    let monitoring = lacak_monitoring::mount(&mut prepared.host, &monitoring_url, monitoring_deps).await;
    let clock = Clock::manual(at(2026, 2, 15));
    let deps =
        lacak_strategy::Dependencies::new(channel(), channel(), channel(), outgoing(lacak_strategy::SERVICE_NAME));
    let url = prepared.url();
    let settings = Settings {
        clock: clock.clone(),
        ..Settings::default()
    };
    let strategy = lacak_strategy::mount(&mut prepared.host, &url, deps, settings).await;
    for ready in [goals.await, inventory.await, monitoring.await, strategy.await] {
        ready.expect("a service migrates");
    }
    Suite {
        server: prepared.serve().await,
        clock,
        strategy_url: url,
    }
}

/// A second strategy replica on its own port, sharing the suite's strategy database and calling
/// the suite's goals, inventory and monitoring.
async fn replica(suite: &Suite) -> TestServer {
    replica_with(suite, lacak_strategy::HISTORY_CAP_MONTHS).await
}

/// [`replica`] with its own cap on the months of history forecasts read.
async fn replica_with(suite: &Suite, forecast_history_months: u32) -> TestServer {
    let mut prepared = Prepared::new("strategy-replica").await;
    let others = format!("http://{}", suite.server.addr);
    let channel = || Channel::from_shared(others.clone()).expect("a URL").connect_lazy();
    let outgoing =
        lacak_runtime::client::Outgoing::new(lacak_strategy::SERVICE_NAME, prepared.issuer(), Duration::from_secs(5));
    let deps = lacak_strategy::Dependencies::new(channel(), channel(), channel(), outgoing);
    let settings = Settings {
        clock: suite.clock.clone(),
        forecast_history_months,
        ..Settings::default()
    };
    let ready = lacak_strategy::mount(&mut prepared.host, &suite.strategy_url, deps, settings).await;
    ready.await.expect("the replica connects");
    prepared.serve().await
}

impl Suite {
    fn token(&self, subject: &str, role: Role, teams: &[&str]) -> String {
        self.server.token(TENANT, subject, role, teams)
    }
    fn strategy(&self, token: &str) -> Strategy {
        StrategyServiceClient::with_interceptor(self.server.channel.clone(), Bearer::new(token))
    }
    fn admin(&self) -> Strategy {
        self.strategy(&self.token("admin-ayu", Role::Admin, &[]))
    }
    fn goals(&self) -> Goals {
        GoalsServiceClient::with_interceptor(
            self.server.channel.clone(),
            Bearer::new(&self.token("admin-ayu", Role::Admin, &[])),
        )
    }
    fn monitoring(&self) -> Monitoring {
        MonitoringServiceClient::with_interceptor(
            self.server.channel.clone(),
            Bearer::new(&self.token("admin-ayu", Role::Admin, &[])),
        )
    }
}

/// A revenue quota in IDR, as goals answers it.
async fn revenue_quota(goals: &mut Goals, owner: &str, period: &str, units: i64, reason: &str) -> gpb::Quota {
    goals
        .create_quota(gpb::CreateQuotaRequest {
            quota: Some(gpb::Quota {
                owner: owner.into(),
                metric: gpb::Metric::Revenue as i32,
                period: period.into(),
                target: Some(lacak_proto::common::Measure {
                    kind: Some(measure::Kind::Money(Money {
                        currency_code: "IDR".into(),
                        units,
                        nanos: 0,
                    })),
                }),
                ..Default::default()
            }),
            reason: reason.into(),
            request_id: String::new(),
        })
        .await
        .expect("a quota")
        .into_inner()
        .quota
        .expect("the quota")
}

/// Members of "sales"; "weak" converts few leads.
const MEMBERS: [&str; 7] = ["weak", "m1", "m2", "m3", "m4", "m5", "m6"];

async fn organisation(suite: &Suite) -> String {
    let mut goals = suite.goals();
    for (id, parent) in [("sales", ""), ("other", "")] {
        goals
            .create_team(gpb::CreateTeamRequest {
                team: Some(gpb::Team {
                    display_name: id.to_uppercase(),
                    parent: parent.into(),
                    ..Default::default()
                }),
                team_id: id.into(),
                request_id: String::new(),
            })
            .await
            .expect("a team");
    }
    for id in MEMBERS {
        goals
            .create_member(gpb::CreateMemberRequest {
                member: Some(gpb::Member {
                    display_name: id.into(),
                    team: "teams/sales".into(),
                    active: true,
                    ..Default::default()
                }),
                member_id: id.into(),
                request_id: String::new(),
            })
            .await
            .expect("a member");
    }
    let quota = revenue_quota(
        &mut goals,
        "teams/sales",
        "FY2026-Q1",
        1_000_000,
        "the quarter's target",
    )
    .await;
    goals
        .create_action_plan(gpb::CreateActionPlanRequest {
            action_plan: Some(gpb::ActionPlan {
                title: "Q1 push".into(),
                owner: "teams/sales".into(),
                quotas: vec![quota.name],
                state: gpb::action_plan::State::Active as i32,
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("a plan")
        .into_inner()
        .action_plan
        .unwrap()
        .name
}

/// Twenty leads for each member created on `day`, `converted[i]` of member i's converted a week later.
async fn leads(suite: &Suite, day: DateTime<Utc>, converted: [usize; 7]) {
    let mut events = Vec::new();
    for (member, wins) in MEMBERS.iter().zip(converted) {
        for n in 0..20 {
            let id = format!("{member}-{}-{n}", day.format("%Y%m%d"));
            let converted = n < wins;
            events.push(mpb::IngestEvent {
                external_id: format!("lead-{id}"),
                event: Some(Event::Lead(mpb::Lead {
                    name: format!("leads/{id}"),
                    source: "webinar".into(),
                    owner: format!("members/{member}"),
                    create_time: ts(day),
                    status: if converted {
                        mpb::LeadStatus::Converted
                    } else {
                        mpb::LeadStatus::Working
                    } as i32,
                    deal: if converted {
                        format!("deals/{id}")
                    } else {
                        String::new()
                    },
                    convert_time: if converted {
                        ts(day + chrono::Duration::days(7))
                    } else {
                        None
                    },
                    external_id: format!("crm-lead-{id}"),
                    ..Default::default()
                })),
            });
        }
    }
    ingest(suite, events).await;
}

fn generate_request(team: &str) -> pb::GenerateRecommendationsRequest {
    pb::GenerateRecommendationsRequest {
        team: team.into(),
        period: "FY2026-Q1".into(),
        currency_code: "IDR".into(),
        request_id: "gen-1".into(),
    }
}

fn violated_fields(status: &tonic::Status) -> Vec<String> {
    use tonic_types::StatusExt;
    status
        .get_details_bad_request()
        .map(|bad| bad.field_violations.into_iter().map(|v| v.field).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_weak_converter_is_coached_through_the_plan_in_goals_and_the_verdict_follows_the_window() {
    let suite = spawn().await;
    let plan = organisation(&suite).await;
    // Before: November to January, "weak" converts 2 of 20 where the others convert about 15.
    for month in [at(2025, 11, 10), at(2025, 12, 10), at(2026, 1, 10)] {
        leads(&suite, month, [2, 15, 14, 16, 15, 13, 17]).await;
    }
    let mut admin = suite.admin();
    let generated = admin
        .generate_recommendations(generate_request("teams/sales"))
        .await
        .expect("recommendations")
        .into_inner()
        .recommendations;
    let coach = generated
        .iter()
        .find(|r| r.kind == pb::RecommendationKind::CoachStage as i32 && r.subject == "members/weak")
        .unwrap_or_else(|| panic!("weak is coached: {generated:#?}"))
        .clone();
    assert_eq!(coach.state, pb::RecommendationState::Proposed as i32);
    assert_eq!(coach.evidence[0].kpi, "lead_conversion_percent");
    let Some(pb::recommendation::Change::PlanTask(task)) = &coach.change else {
        panic!("a task in the team's plan: {coach:?}");
    };
    assert_eq!(task.action_plan, plan);
    assert_eq!(task.assignee, "members/weak");
    assert!(
        !generated.iter().any(|r| r.subject.starts_with("members/m")),
        "the others are fine"
    );

    // The same request id answers the first result; a new run refreshes, never duplicates.
    let again = admin
        .generate_recommendations(generate_request("teams/sales"))
        .await
        .unwrap()
        .into_inner()
        .recommendations;
    assert_eq!(
        again.iter().map(|r| &r.name).collect::<Vec<_>>(),
        generated.iter().map(|r| &r.name).collect::<Vec<_>>()
    );
    let mut fresh = generate_request("teams/sales");
    fresh.request_id = "gen-2".into();
    let refreshed = admin
        .generate_recommendations(fresh)
        .await
        .unwrap()
        .into_inner()
        .recommendations;
    assert!(refreshed.iter().any(|r| r.name == coach.name));

    // A manager of the team accepts it: the task lands in goals, once, naming the recommendation.
    let mut manager = suite.strategy(&suite.token("boss", Role::Manager, &["sales"]));
    let accepted = manager
        .accept_recommendation(pb::AcceptRecommendationRequest {
            name: coach.name.clone(),
            reason: "worth a month of coaching".into(),
        })
        .await
        .expect("accepted")
        .into_inner()
        .recommendation
        .unwrap();
    assert_eq!(
        accepted.state,
        pb::RecommendationState::Applied as i32,
        "{}",
        accepted.apply_error
    );
    assert_eq!(accepted.decided_by, "boss");
    assert!(accepted.applied_reference.starts_with(&format!("{plan}/tasks/")));
    let retried = manager
        .accept_recommendation(pb::AcceptRecommendationRequest {
            name: coach.name.clone(),
            reason: "worth a month of coaching".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .recommendation
        .unwrap();
    assert_eq!(retried.applied_reference, accepted.applied_reference);
    let tasks = suite
        .goals()
        .list_tasks(gpb::ListTasksRequest {
            parent: plan.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .tasks;
    assert_eq!(tasks.len(), 1, "a retried accept adds nothing");
    assert_eq!(tasks[0].assignee, "members/weak");
    assert!(tasks[0].title.contains(&coach.name), "{}", tasks[0].title);

    // The follow-up is not due before the window after the change has passed.
    let name = format!("{}/verification", coach.name);
    let pending = admin
        .get_verification(pb::GetVerificationRequest { name: name.clone() })
        .await
        .unwrap()
        .into_inner()
        .verification
        .unwrap();
    assert_eq!(pending.verdict, pb::Verdict::Unspecified as i32);
    assert!(pending.compute_time.is_none());
    assert_eq!(pending.due_time, ts(Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap()));

    // After: March to May, "weak" converts 14 of 20, the others as before.
    for month in [at(2026, 3, 10), at(2026, 4, 10), at(2026, 5, 10)] {
        leads(&suite, month, [14, 16, 15, 14, 15, 14, 16]).await;
    }
    suite.clock.set(at(2026, 6, 2));
    let verdict = admin
        .get_verification(pb::GetVerificationRequest { name })
        .await
        .unwrap()
        .into_inner()
        .verification
        .unwrap();
    assert_eq!(
        verdict.verdict,
        pb::Verdict::Effective as i32,
        "{}",
        verdict.explanation
    );
    assert_eq!(verdict.kpi, "lead_conversion_percent");
    assert_eq!(verdict.control_units.len(), 6);
    let value = |d: &Option<lacak_proto::common::Decimal>| d.as_ref().unwrap().value.parse::<f64>().unwrap();
    assert!((value(&verdict.treated_before) - 10.0).abs() < 1e-6);
    assert!((value(&verdict.treated_after) - 70.0).abs() < 1e-6);
    assert!(value(&verdict.effect) > 50.0);
    assert!(value(&verdict.p_value) < 0.05);
}

#[tokio::test]
async fn two_replicas_generating_for_one_team_at_the_same_moment_both_answer_the_same_advice() {
    let suite = spawn().await;
    organisation(&suite).await;
    for month in [at(2025, 11, 10), at(2025, 12, 10), at(2026, 1, 10)] {
        leads(&suite, month, [2, 15, 14, 16, 15, 13, 17]).await;
    }
    let second = replica(&suite).await;
    let token = suite.token("admin-ayu", Role::Admin, &[]);
    let on_second = StrategyServiceClient::with_interceptor(second.channel.clone(), Bearer::new(&token));
    let mut request = generate_request("teams/sales");
    request.request_id = String::new();
    let (mut first, mut on_second) = (suite.admin(), on_second);
    let (one, two) = tokio::join!(
        first.generate_recommendations(request.clone()),
        on_second.generate_recommendations(request),
    );
    let names = |answer: Result<tonic::Response<pb::GenerateRecommendationsResponse>, tonic::Status>| {
        let mut names: Vec<String> = answer
            .unwrap_or_else(|status| panic!("both generations succeed: {status:?}"))
            .into_inner()
            .recommendations
            .into_iter()
            .map(|r| r.name)
            .collect();
        names.sort();
        names
    };
    let (one, two) = (names(one), names(two));
    assert!(!one.is_empty(), "weak is coached");
    assert_eq!(one, two, "the same advice, filed once");
    let listed = suite
        .admin()
        .list_recommendations(pb::ListRecommendationsRequest {
            page_size: 100,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .recommendations;
    assert_eq!(listed.len(), one.len(), "nothing filed twice");
}

#[tokio::test]
async fn decisions_are_final_and_only_the_teams_leaders_see_or_take_them() {
    let suite = spawn().await;
    organisation(&suite).await;
    leads(&suite, at(2026, 1, 10), [2, 15, 14, 16, 15, 13, 17]).await;
    let mut admin = suite.admin();
    let recs = admin
        .generate_recommendations(generate_request("teams/sales"))
        .await
        .unwrap()
        .into_inner()
        .recommendations;
    let rec = recs.first().expect("a recommendation").clone();

    // Reps do not steer; a manager of another team neither sees nor decides it.
    let mut rep = suite.strategy(&suite.token("weak", Role::Rep, &[]));
    let status = rep
        .get_recommendation(pb::GetRecommendationRequest { name: rec.name.clone() })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    let mut outsider = suite.strategy(&suite.token("olga", Role::Manager, &["other"]));
    for status in [
        outsider
            .get_recommendation(pb::GetRecommendationRequest { name: rec.name.clone() })
            .await
            .unwrap_err(),
        outsider
            .accept_recommendation(pb::AcceptRecommendationRequest {
                name: rec.name.clone(),
                reason: String::new(),
            })
            .await
            .unwrap_err(),
        outsider
            .generate_recommendations(generate_request("teams/sales"))
            .await
            .unwrap_err(),
    ] {
        assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    }
    let listed = outsider
        .list_recommendations(pb::ListRecommendationsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .recommendations;
    assert!(listed.is_empty());
    let own = suite
        .strategy(&suite.token("boss", Role::Manager, &["sales"]))
        .list_recommendations(pb::ListRecommendationsRequest {
            state: pb::RecommendationState::Proposed as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .recommendations;
    assert_eq!(own.len(), recs.len());

    // Rejected stays rejected: accepting it fails, rejecting again changes nothing.
    let rejected = admin
        .reject_recommendation(pb::RejectRecommendationRequest {
            name: rec.name.clone(),
            reason: "coaching budget is spent".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .recommendation
        .unwrap();
    assert_eq!(rejected.state, pb::RecommendationState::Rejected as i32);
    let status = admin
        .accept_recommendation(pb::AcceptRecommendationRequest {
            name: rec.name.clone(),
            reason: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    let status = admin
        .get_verification(pb::GetVerificationRequest {
            name: format!("{}/verification", rec.name),
        })
        .await
        .unwrap_err();
    assert_eq!(
        status.code(),
        Code::FailedPrecondition,
        "only applied ones are followed up"
    );
    let unknown = admin
        .get_recommendation(pb::GetRecommendationRequest {
            name: "recommendations/nope".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);
}

#[tokio::test]
async fn every_rpc_names_the_field_it_refuses() {
    let suite = spawn().await;
    let mut admin = suite.admin();
    let bad = admin
        .generate_recommendations(pb::GenerateRecommendationsRequest {
            team: "team/x".into(),
            period: "Q5".into(),
            currency_code: "rupiah".into(),
            request_id: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(bad.code(), Code::InvalidArgument);
    assert_eq!(violated_fields(&bad), ["team", "period", "currency_code"]);
    let cases: Vec<(tonic::Status, &[&str])> = vec![
        (
            admin
                .get_recommendation(pb::GetRecommendationRequest::default())
                .await
                .unwrap_err(),
            &["name"],
        ),
        (
            admin
                .list_recommendations(pb::ListRecommendationsRequest {
                    state: 99,
                    subject: "nobody".into(),
                    page_size: -1,
                    ..Default::default()
                })
                .await
                .unwrap_err(),
            &["state", "subject", "page_size"],
        ),
        (
            admin
                .reject_recommendation(pb::RejectRecommendationRequest {
                    name: "recommendations/x".into(),
                    reason: " ".into(),
                })
                .await
                .unwrap_err(),
            &["reason"],
        ),
        (
            admin
                .accept_recommendation(pb::AcceptRecommendationRequest::default())
                .await
                .unwrap_err(),
            &["name"],
        ),
        (
            admin
                .get_verification(pb::GetVerificationRequest {
                    name: "recommendations/x".into(),
                })
                .await
                .unwrap_err(),
            &["name"],
        ),
        (
            admin
                .evaluate_action_plan(pb::EvaluateActionPlanRequest::default())
                .await
                .unwrap_err(),
            &["action_plan", "currency_code"],
        ),
        (
            admin
                .propose_quotas(pb::ProposeQuotasRequest {
                    team: String::new(),
                    period: "FY2026-Q2".into(),
                    currency_code: "IDR".into(),
                    metrics: Vec::new(),
                })
                .await
                .unwrap_err(),
            &["team"],
        ),
        (
            admin
                .list_forecasts(pb::ListForecastsRequest {
                    owner: "bob".into(),
                    period: "soon".into(),
                    ..Default::default()
                })
                .await
                .unwrap_err(),
            &["owner", "period"],
        ),
        (
            admin
                .list_demand_trends(pb::ListDemandTrendsRequest {
                    currency_code: String::new(),
                    months: 3,
                })
                .await
                .unwrap_err(),
            &["currency_code", "months"],
        ),
    ];
    for (status, fields) in cases {
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
        assert_eq!(violated_fields(&status), fields, "{status:?}");
    }
}

async fn product(suite: &Suite, sku: &str) {
    use lacak_proto::inventory as ipb;
    let mut inventory = inventory(suite);
    inventory
        .create_product(ipb::CreateProductRequest {
            product: Some(ipb::Product {
                display_name: sku.into(),
                kind: ipb::ProductKind::Product as i32,
                unit_of_measure: "unit".into(),
                ..Default::default()
            }),
            sku: sku.into(),
            request_id: String::new(),
        })
        .await
        .expect("a product");
    inventory
        .create_cost_breakdown(ipb::CreateCostBreakdownRequest {
            parent: format!("products/{sku}"),
            cost_breakdown: Some(ipb::CostBreakdown {
                sourcing: Some(Money {
                    currency_code: "IDR".into(),
                    units: 100,
                    nanos: 0,
                }),
                effective_time: ts(at(2020, 1, 1)),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("a cost");
}

/// A month of sales: each member sells LAP with a yearly season; OLD sells well until mid-2025.
async fn month_of_sales(suite: &Suite, year: i32, month: u32) {
    let season = 1.0 + 0.3 * ((month as f64 - 1.0) / 12.0 * std::f64::consts::TAU).sin();
    let mut events = Vec::new();
    for (i, member) in MEMBERS.iter().enumerate() {
        let noise = [3.0, -2.0, 1.0, -4.0, 2.0][(month as usize + i) % 5];
        let price = (1000.0 * season + 50.0 * i as f64 + noise).round() as i64;
        let old = if (year, month) < (2025, 6) {
            800 + 5 * i as i64
        } else {
            300 + 5 * i as i64
        };
        for (sku, amount) in [("LAP", price), ("OLD", old)] {
            let id = format!("{member}-{sku}-{year}-{month}");
            events.push(mpb::IngestEvent {
                external_id: format!("event-{id}"),
                event: Some(Event::Sale(mpb::Sale {
                    owner: format!("members/{member}"),
                    lines: vec![mpb::SaleLine {
                        sku: sku.into(),
                        quantity: Some(lacak_proto::common::Decimal { value: "1".into() }),
                        unit_price: Some(Money {
                            currency_code: "IDR".into(),
                            units: amount,
                            nanos: 0,
                        }),
                        ..Default::default()
                    }],
                    book_time: ts(at(year, month, 12)),
                    external_id: id,
                    ..Default::default()
                })),
            });
        }
    }
    ingest(suite, events).await;
}

/// Ingests one batch through monitoring, all of it applied.
async fn ingest(suite: &Suite, events: Vec<mpb::IngestEvent>) {
    suite
        .monitoring()
        .ingest_events(mpb::IngestEventsRequest {
            events,
            validate_only: false,
        })
        .await
        .expect("an ingestion");
}

fn dec(value: &Option<lacak_proto::common::Decimal>) -> f64 {
    value.as_ref().expect("a value").value.parse().expect("a number")
}

#[tokio::test]
async fn history_feeds_quota_proposals_scored_forecasts_demand_trends_and_plan_evaluation() {
    let suite = spawn().await;
    let plan = organisation(&suite).await;
    product(&suite, "LAP").await;
    product(&suite, "OLD").await;
    for (year, month) in (0..30u32).map(|k| (2023 + (7 + k as i32) / 12, (7 + k) % 12 + 1)) {
        month_of_sales(&suite, year, month).await;
    }
    let mut admin = suite.admin();

    // Next quarter's targets from each owner's own history, with an interval and a profile.
    let proposed = admin
        .propose_quotas(pb::ProposeQuotasRequest {
            team: "teams/sales".into(),
            period: "FY2026-Q2".into(),
            currency_code: "IDR".into(),
            metrics: Vec::new(),
        })
        .await
        .expect("proposals")
        .into_inner();
    let owners: Vec<&str> = proposed.proposals.iter().map(|p| p.owner.as_str()).collect();
    assert!(
        owners.contains(&"teams/sales") && owners.contains(&"members/weak"),
        "{owners:?}"
    );
    assert_eq!(proposed.proposals.len(), MEMBERS.len() + 1);
    for p in &proposed.proposals {
        let f = p.forecast.as_ref().unwrap();
        assert!(
            dec(&f.lower) <= dec(&f.point) && dec(&f.point) <= dec(&f.upper),
            "{p:?}"
        );
        assert!(dec(&f.point) > 0.0);
        let profile: f64 = p.seasonal_profile.iter().map(|d| d.value.parse::<f64>().unwrap()).sum();
        assert!((profile - 100.0).abs() < 1e-6, "{profile}");
        assert!(p.forecast_snapshot.starts_with("forecasts/"));
    }
    // A member sells about 3 × (1000 × season + 50 i) + 3 × OLD a quarter: the forecast is near it.
    let weak = proposed.proposals.iter().find(|p| p.owner == "members/weak").unwrap();
    let point = dec(&weak.forecast.as_ref().unwrap().point);
    assert!((3000.0..5000.0).contains(&point), "{point}");

    // Kept forecasts are scored once their quarter has closed.
    for month in 2..=6 {
        month_of_sales(&suite, 2026, month).await;
    }
    suite.clock.set(at(2026, 7, 2));
    let forecasts = admin
        .list_forecasts(pb::ListForecastsRequest {
            period: "FY2026-Q2".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .forecasts;
    assert_eq!(forecasts.len(), MEMBERS.len() + 1);
    for f in &forecasts {
        assert!(dec(&f.actual) > 0.0, "{f:?}");
        assert!(
            dec(&f.wape_percent) < 25.0,
            "a seasonal history is forecast closely: {f:?}"
        );
    }

    // OLD's demand fell in mid-2025, beyond noise; LAP only follows its season.
    let trends = admin
        .list_demand_trends(pb::ListDemandTrendsRequest {
            currency_code: "IDR".into(),
            months: 36,
        })
        .await
        .unwrap()
        .into_inner()
        .trends;
    let old = trends.iter().find(|t| t.subject == "products/OLD").expect("OLD falls");
    assert_eq!(old.direction, pb::TrendDirection::Falling as i32);
    assert_eq!(old.change_period, "FY2025-M06");
    assert!(!trends.iter().any(|t| t.subject == "products/LAP"), "{trends:?}");

    // The plan's Q1 quota (1,000,000) is far beyond a quarter of sales: off track, with evidence.
    suite.clock.set(at(2026, 2, 15));
    let evaluation = admin
        .evaluate_action_plan(pb::EvaluateActionPlanRequest {
            action_plan: plan,
            currency_code: "IDR".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .evaluation
        .unwrap();
    assert_eq!(evaluation.status, pb::PlanStatus::OffTrack as i32);
    let projection = evaluation.projected_attainment_percent.unwrap();
    assert!(dec(&projection.point) < 10.0);
    assert_eq!(dec(&projection.level_percent), 80.0);
    assert!(evaluation.evidence.iter().any(|e| e.kpi == "revenue_projection"));

    // A member whose quarter projects far below target gets an adjustment; accepting it records a
    // quota change in goals whose source is the recommendation, with the reason given.
    let mut goals = suite.goals();
    let quota = revenue_quota(&mut goals, "members/m3", "FY2026-Q1", 20_000, "an ambitious start").await;
    let recs = admin
        .generate_recommendations(generate_request("teams/sales"))
        .await
        .unwrap()
        .into_inner()
        .recommendations;
    let adjust = recs
        .iter()
        .find(|r| r.kind == pb::RecommendationKind::AdjustQuota as i32)
        .unwrap_or_else(|| panic!("an adjustment: {recs:#?}"));
    assert_eq!(adjust.subject, "members/m3");
    let Some(pb::recommendation::Change::QuotaAdjustment(change)) = &adjust.change else {
        panic!("a quota change");
    };
    assert_eq!(change.quota, quota.name);
    let new_target = dec(&change.new_target);
    assert!(
        new_target < 20_000.0 && new_target > 5_000.0,
        "halfway to the projection: {new_target}"
    );
    let applied = admin
        .accept_recommendation(pb::AcceptRecommendationRequest {
            name: adjust.name.clone(),
            reason: "the target was set before the season was known".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .recommendation
        .unwrap();
    assert_eq!(
        applied.state,
        pb::RecommendationState::Applied as i32,
        "{}",
        applied.apply_error
    );
    let changes = goals
        .list_quota_changes(gpb::ListQuotaChangesRequest {
            parent: quota.name.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .changes;
    let recorded = changes
        .iter()
        .find(|c| c.source_reference == adjust.name)
        .expect("goals records the change with its source");
    assert_eq!(recorded.source, gpb::ChangeSource::StrategyRecommendation as i32);
    assert_eq!(recorded.actor, "admin-ayu");
    assert_eq!(applied.applied_reference, recorded.name);
    assert!(
        recorded
            .reason
            .starts_with("the target was set before the season was known")
    );

    // Prices and market estimates place the falling OLD in the portfolio: high margin and low
    // potential against LAP. Strategy proposes a promotion; accepting it creates it in inventory.
    price(&suite, "LAP", 150, at(2020, 1, 1)).await;
    price(&suite, "OLD", 1000, at(2020, 1, 1)).await;
    market_estimate(&suite, "LAP", 1000).await;
    market_estimate(&suite, "OLD", 10).await;
    let promote = accepted_product_change(&suite, pb::RecommendationKind::PromoteProduct).await;
    let Some(pb::recommendation::Change::Promotion(change)) = &promote.change else {
        panic!("a promotion: {promote:#?}");
    };
    assert_eq!((change.sku.as_str(), dec(&change.discount_percent)), ("OLD", 10.0));
    let promotions = inventory(&suite)
        .list_promotions(lacak_proto::inventory::ListPromotionsRequest {
            product: "products/OLD".into(),
            ..Default::default()
        })
        .await
        .expect("promotions")
        .into_inner()
        .promotions;
    let promotion = promotions
        .iter()
        .find(|p| p.name == promote.applied_reference)
        .unwrap_or_else(|| panic!("the applied promotion is in inventory: {promotions:#?}"));
    assert_eq!(promotion.start_time, change.start_time);
    assert!(
        promotion.display_name.contains("10% off OLD"),
        "{}",
        promotion.display_name
    );

    // OLD's price drops to near its cost: low margin and low potential, so strategy proposes to
    // retire it; accepting it retires the product in inventory.
    price(&suite, "OLD", 105, Utc::now() - chrono::Duration::hours(1)).await;
    let retire = accepted_product_change(&suite, pb::RecommendationKind::RetireProduct).await;
    assert_eq!(retire.subject, "products/OLD");
    let product = inventory(&suite)
        .get_product(lacak_proto::inventory::GetProductRequest {
            name: "products/OLD".into(),
        })
        .await
        .expect("the product")
        .into_inner()
        .product
        .expect("a product");
    assert_eq!(product.state, lacak_proto::inventory::product::State::Retired as i32);
    assert_eq!(retire.applied_reference, product.name);
}

type Inventory =
    lacak_proto::inventory::inventory_service_client::InventoryServiceClient<InterceptedService<Channel, Bearer>>;

fn inventory(suite: &Suite) -> Inventory {
    lacak_proto::inventory::inventory_service_client::InventoryServiceClient::with_interceptor(
        suite.server.channel.clone(),
        Bearer::new(&suite.token("admin-ayu", Role::Admin, &[])),
    )
}

async fn price(suite: &Suite, sku: &str, units: i64, from: DateTime<Utc>) {
    use lacak_proto::inventory as ipb;
    inventory(suite)
        .create_price(ipb::CreatePriceRequest {
            parent: format!("products/{sku}"),
            price: Some(ipb::Price {
                list_price: Some(Money {
                    currency_code: "IDR".into(),
                    units,
                    nanos: 0,
                }),
                effective_time: ts(from),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("a price");
}

async fn market_estimate(suite: &Suite, sku: &str, expected_per_year: i64) {
    use lacak_proto::inventory as ipb;
    let units = |n: i64| Some(lacak_proto::common::Decimal { value: n.to_string() });
    inventory(suite)
        .create_market_estimate(ipb::CreateMarketEstimateRequest {
            parent: format!("products/{sku}"),
            market_estimate: Some(ipb::MarketEstimate {
                addressable_demand: units(expected_per_year * 4),
                expected_volume: units(expected_per_year),
                source: "test survey".into(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("a market estimate");
}

/// Generates the team's advice, finds the one of `kind` about OLD and accepts it: APPLIED.
async fn accepted_product_change(suite: &Suite, kind: pb::RecommendationKind) -> pb::Recommendation {
    let mut admin = suite.admin();
    // A new request id: the same one would replay the answer given before the portfolio changed.
    let request = pb::GenerateRecommendationsRequest {
        request_id: format!("gen-{kind:?}"),
        ..generate_request("teams/sales")
    };
    let recs = admin
        .generate_recommendations(request)
        .await
        .expect("recommendations")
        .into_inner()
        .recommendations;
    let found = recs
        .iter()
        .find(|r| r.kind == kind as i32 && r.subject == "products/OLD")
        .unwrap_or_else(|| panic!("a {kind:?} for OLD: {recs:#?}"));
    let applied = admin
        .accept_recommendation(pb::AcceptRecommendationRequest {
            name: found.name.clone(),
            reason: "the portfolio review agrees".into(),
        })
        .await
        .expect("accepted")
        .into_inner()
        .recommendation
        .expect("the recommendation");
    assert_eq!(
        applied.state,
        pb::RecommendationState::Applied as i32,
        "{}",
        applied.apply_error
    );
    applied
}

fn interval(intervals: &[pb::PredictionInterval], level: f64) -> (f64, f64) {
    let found = intervals
        .iter()
        .find(|i| dec(&i.level_percent) == level)
        .expect("the level asked");
    (dec(&found.lower), dec(&found.upper))
}

#[tokio::test]
async fn forecasts_cut_history_at_the_origin_sum_intervals_and_backtest() {
    let suite = spawn().await;
    organisation(&suite).await;
    product(&suite, "LAP").await;
    product(&suite, "OLD").await;
    // FY2023-M08 to FY2026-M01: 30 months.
    for (year, month) in (0..30u32).map(|k| (2023 + (7 + k as i32) / 12, (7 + k) % 12 + 1)) {
        month_of_sales(&suite, year, month).await;
    }
    let mut admin = suite.admin();
    let ask = |owner: &str, as_of| pb::ForecastSeriesRequest {
        owner: owner.into(),
        interval_levels_percent: vec![80.0, 95.0],
        as_of,
        currency_code: "IDR".into(),
        ..Default::default()
    };

    // An origin on 1 July 2025 sees June 2025 and nothing after it.
    let answer = admin
        .forecast_series(ask(
            "members/weak",
            ts(Utc.with_ymd_and_hms(2025, 7, 1, 0, 0, 0).unwrap()),
        ))
        .await
        .expect("a forecast")
        .into_inner();
    assert_eq!(answer.forecasts.len(), 1);
    let weak = &answer.forecasts[0];
    assert_eq!(weak.subject, "members/weak");
    let history: Vec<&str> = weak.history.iter().map(|m| m.period.as_str()).collect();
    assert_eq!(history.len(), 23, "{history:?}");
    assert_eq!(history.first(), Some(&"FY2023-M08"));
    assert_eq!(history.last(), Some(&"FY2025-M06"));
    // June 2025 for "weak" (member 0): LAP at 1000 × (1 + 0.3 sin(5/12 · 2π)) = 1150, noise −2 →
    // 1148; OLD from June 2025 on at 300. 1448.
    assert_eq!(dec(&weak.history[22].value), 1448.0);
    assert_eq!(weak.months.len(), 12);
    assert_eq!(weak.months[0].period, "FY2025-M07");
    assert!(
        !weak.method.is_empty() && weak.method_reason.contains(&weak.method),
        "{weak:?}"
    );

    // A quarter's interval is that of its sum: wider than any month's, narrower than their widths added.
    let quarter = weak
        .totals
        .iter()
        .find(|t| t.period == "FY2025-Q3")
        .expect("Q3 is whole");
    let point: f64 = weak.months[..3].iter().map(|m| dec(&m.point)).sum();
    assert!((dec(&quarter.point) - point).abs() < 0.05, "{quarter:?}");
    for level in [80.0, 95.0] {
        let (low, high) = interval(&quarter.intervals, level);
        let widths: Vec<f64> = weak.months[..3]
            .iter()
            .map(|m| {
                let (l, h) = interval(&m.intervals, level);
                h - l
            })
            .collect();
        let width = high - low;
        assert!(widths.iter().all(|w| width > *w), "{width} vs {widths:?}");
        assert!(width < widths.iter().sum::<f64>(), "{width} vs {widths:?}");
        assert!(low <= dec(&quarter.point) && dec(&quarter.point) <= high);
    }
    let (low80, high80) = interval(&weak.months[0].intervals, 80.0);
    let (low95, high95) = interval(&weak.months[0].intervals, 95.0);
    assert!(low95 <= low80 && high80 <= high95);

    // One team-wide call: the team first, then every member.
    let team = admin
        .forecast_series(pb::ForecastSeriesRequest {
            each_member: true,
            ..ask("teams/sales", ts(at(2026, 2, 3)))
        })
        .await
        .expect("team-wide forecasts")
        .into_inner()
        .forecasts;
    let subjects: Vec<&str> = team.iter().map(|f| f.subject.as_str()).collect();
    assert_eq!(subjects.len(), MEMBERS.len() + 1, "{subjects:?}");
    assert_eq!(subjects[0], "teams/sales");
    assert!(
        team.iter()
            .all(|f| f.history.last().map(|m| m.period.as_str()) == Some("FY2026-M01"))
    );

    // Backtest: 3 cut points × 6 months, the last leaving exactly 6 months of the 30 after it.
    let backtest = admin
        .backtest_forecasts(pb::BacktestForecastsRequest {
            owner: "members/weak".into(),
            origins: 3,
            horizon_months: 6,
            interval_levels_percent: vec![80.0],
            as_of: ts(at(2026, 2, 3)),
            currency_code: "IDR".into(),
            ..Default::default()
        })
        .await
        .expect("a backtest")
        .into_inner();
    assert_eq!(backtest.history_months, 30);
    assert_eq!(backtest.origin_periods, ["FY2025-M06", "FY2025-M07", "FY2025-M08"]);
    assert_eq!(backtest.methods[0].method, "automatic");
    assert!(backtest.methods.iter().any(|m| m.method == "seasonal-naive"));
    for method in &backtest.methods {
        assert_eq!(method.months, 18, "{method:?}");
        assert_eq!(method.coverage.len(), 1);
        let covered = dec(&method.coverage[0].covered_percent);
        assert!((0.0..=100.0).contains(&covered));
        assert!(dec(&method.wape_percent) >= 0.0);
    }

    // Too little history is a failed precondition, not a guess.
    let early = admin
        .forecast_series(ask("members/weak", ts(at(2024, 1, 1))))
        .await
        .unwrap_err();
    assert_eq!(early.code(), Code::FailedPrecondition, "{early:?}");

    // Bad horizons, levels, scopes and metrics name their field.
    let bad = |request: pb::ForecastSeriesRequest| {
        let mut admin = suite.admin();
        async move { admin.forecast_series(request).await.unwrap_err() }
    };
    let cases: Vec<(tonic::Status, &[&str])> = vec![
        (
            bad(pb::ForecastSeriesRequest {
                horizon_months: 25,
                ..ask("members/weak", None)
            })
            .await,
            &["horizon_months"],
        ),
        (
            bad(pb::ForecastSeriesRequest {
                interval_levels_percent: vec![80.0, 100.0],
                ..ask("members/weak", None)
            })
            .await,
            &["interval_levels_percent"],
        ),
        (
            bad(pb::ForecastSeriesRequest {
                scope: "teams/sales".into(),
                ..ask("members/weak", None)
            })
            .await,
            &["scope"],
        ),
        (
            bad(pb::ForecastSeriesRequest {
                metric: gpb::Metric::CustomerRetentionRate as i32,
                ..ask("members/weak", None)
            })
            .await,
            &["metric"],
        ),
        (
            bad(pb::ForecastSeriesRequest {
                each_member: true,
                ..ask("members/weak", None)
            })
            .await,
            &["each_member"],
        ),
    ];
    for (status, fields) in cases {
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
        assert_eq!(violated_fields(&status), fields, "{status:?}");
    }
    let bad_backtest = admin
        .backtest_forecasts(pb::BacktestForecastsRequest {
            origins: 37,
            horizon_months: -1,
            currency_code: "IDR".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&bad_backtest), ["origins", "horizon_months"]);

    // A manager of another team sees nothing of this one; the whole tenant is for admins.
    let other = suite.strategy(&suite.token("mgr-other", Role::Manager, &["other"]));
    for owner in ["members/weak", "teams/sales", ""] {
        let denied = other.clone().forecast_series(ask(owner, None)).await.unwrap_err();
        assert_eq!(denied.code(), Code::PermissionDenied, "{owner}: {denied:?}");
    }
    // Reps read their numbers in monitoring, not forecasts here.
    let rep = suite.strategy(&suite.token("weak", Role::Rep, &[]));
    let denied = rep
        .clone()
        .forecast_series(ask("members/weak", None))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied, "{denied:?}");
    let denied = rep
        .clone()
        .backtest_forecasts(pb::BacktestForecastsRequest {
            owner: "members/weak".into(),
            currency_code: "IDR".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied, "{denied:?}");

    // A deployment that caps history at 13 months reads only the last 13 before the origin.
    let capped = replica_with(&suite, 13).await;
    let token = suite.token("admin-ayu", Role::Admin, &[]);
    let answer = StrategyServiceClient::with_interceptor(capped.channel.clone(), Bearer::new(&token))
        .forecast_series(ask(
            "members/weak",
            ts(Utc.with_ymd_and_hms(2025, 7, 1, 0, 0, 0).unwrap()),
        ))
        .await
        .expect("a capped forecast")
        .into_inner();
    let history: Vec<&str> = answer.forecasts[0].history.iter().map(|m| m.period.as_str()).collect();
    assert_eq!(history.len(), 13, "{history:?}");
    assert_eq!(history.first(), Some(&"FY2024-M06"));
}

/// A month of activity for every member: 2 leads in even months and 3 in odd ones; one deal
/// created on the 1st and won on the 10th; one customer acquired on the 5th, who churns six months
/// later to the day (when that is already past on 15 February 2026).
async fn month_of_activity(suite: &Suite, year: i32, month: u32) {
    let mut events = Vec::new();
    let event = |id: String, event: Event| mpb::IngestEvent {
        external_id: id,
        event: Some(event),
    };
    for member in MEMBERS {
        let key = format!("{member}-{year}-{month}");
        for n in 0..2 + month % 2 {
            events.push(event(
                format!("lead-{key}-{n}"),
                Event::Lead(mpb::Lead {
                    name: format!("leads/{key}-{n}"),
                    source: "webinar".into(),
                    owner: format!("members/{member}"),
                    create_time: ts(at(year, month, 3 + n)),
                    status: mpb::LeadStatus::Working as i32,
                    external_id: format!("crm-lead-{key}-{n}"),
                    ..Default::default()
                }),
            ));
        }
        events.push(event(
            format!("deal-{key}"),
            Event::Deal(mpb::Deal {
                name: format!("deals/{key}"),
                owner: format!("members/{member}"),
                amount: Some(Money {
                    currency_code: "IDR".into(),
                    units: 1000,
                    nanos: 0,
                }),
                stage: "qualify".into(),
                create_time: ts(at(year, month, 1)),
                external_id: format!("crm-deal-{key}"),
                ..Default::default()
            }),
        ));
        events.push(event(
            format!("won-{key}"),
            Event::Closure(mpb::DealClosure {
                deal_external_id: format!("crm-deal-{key}"),
                outcome: mpb::Outcome::Won as i32,
                reason: "best offer".into(),
                time: ts(at(year, month, 10)),
            }),
        ));
        let churn = at(year + (month as i32 + 5) / 12, (month + 5) % 12 + 1, 5);
        events.push(event(
            format!("customer-{key}"),
            Event::Customer(mpb::Customer {
                name: format!("customers/{key}"),
                display_name: key.clone(),
                owner: format!("members/{member}"),
                acquire_time: ts(at(year, month, 5)),
                churn_time: if churn <= at(2026, 2, 15) { ts(churn) } else { None },
                external_id: format!("crm-customer-{key}"),
                ..Default::default()
            }),
        ));
    }
    ingest(suite, events).await;
}

fn quantity(measure: &Option<lacak_proto::common::Measure>) -> f64 {
    match measure.as_ref().and_then(|m| m.kind.as_ref()) {
        Some(measure::Kind::Quantity(q)) => q.value.parse().expect("a number"),
        other => panic!("not a quantity: {other:?}"),
    }
}

/// Proposals for every quota metric, each from its own history. From February 2024 to January
/// 2026 each member has, every month: 2 or 3 leads (2 in even months), one deal won, one customer
/// acquired who stays six months.
/// - FY2026-Q2 (April–June): leads 2 + 3 + 2 = 7 a member, 49 the team; deals won 3 and 21;
///   new customers 3 and 21.
/// - Retention in each of the four quarters before (FY2025-Q1 to Q4): at a quarter's start a member
///   has the six customers of the six months before; the three oldest churn within the quarter, the
///   three youngest stay: 3 ÷ 6 = 50%, for every member and so for the team.
#[tokio::test]
async fn proposals_for_every_quota_metric_come_from_its_own_history() {
    let suite = spawn().await;
    organisation(&suite).await;
    for (year, month) in (0..24u32).map(|k| (2024 + (1 + k as i32) / 12, (1 + k) % 12 + 1)) {
        month_of_activity(&suite, year, month).await;
    }
    // Past quotas read in one listing of the team's subtree: m1 had 7 leads to make in FY2025-Q4
    // (October 2, November 3, December 2: met, 100%); the team 42 deals (7 × 3 = 21 won: 50%).
    let mut goals = suite.goals();
    for (owner, metric, target) in [
        ("members/m1", gpb::Metric::LeadsGenerated, "7"),
        ("teams/sales", gpb::Metric::DealsWon, "42"),
    ] {
        goals
            .create_quota(gpb::CreateQuotaRequest {
                quota: Some(gpb::Quota {
                    owner: owner.into(),
                    metric: metric as i32,
                    period: "FY2025-Q4".into(),
                    target: Some(lacak_proto::common::Measure {
                        kind: Some(measure::Kind::Quantity(lacak_proto::common::Decimal {
                            value: target.into(),
                        })),
                    }),
                    ..Default::default()
                }),
                reason: "last quarter".into(),
                request_id: String::new(),
            })
            .await
            .expect("a past quota");
    }
    let mut admin = suite.admin();
    let metrics = [
        gpb::Metric::LeadsGenerated,
        gpb::Metric::DealsWon,
        gpb::Metric::NewCustomers,
        gpb::Metric::CustomerRetentionRate,
    ];
    let proposed = admin
        .propose_quotas(pb::ProposeQuotasRequest {
            team: "teams/sales".into(),
            period: "FY2026-Q2".into(),
            currency_code: "IDR".into(),
            metrics: metrics.iter().map(|m| *m as i32).collect(),
        })
        .await
        .expect("proposals")
        .into_inner()
        .proposals;
    let of = |owner: &str, metric: gpb::Metric| {
        proposed
            .iter()
            .find(|p| p.owner == owner && p.metric == metric as i32)
            .unwrap_or_else(|| panic!("no {metric:?} proposal for {owner}"))
    };
    for (metric, member, team) in [
        (gpb::Metric::LeadsGenerated, 7.0, 49.0),
        (gpb::Metric::DealsWon, 3.0, 21.0),
        (gpb::Metric::NewCustomers, 3.0, 21.0),
    ] {
        for (owner, expected) in [("members/m1", member), ("teams/sales", team)] {
            let p = of(owner, metric);
            let point = dec(&p.forecast.as_ref().unwrap().point);
            assert!(
                (point - expected).abs() <= 0.05 * expected,
                "{owner} {metric:?}: {point} vs {expected}"
            );
            // Counts are quantities, never money.
            assert!(p.proposed_target.is_none());
            assert!((quantity(&p.target) - expected).abs() <= 0.05 * expected + 0.5);
            assert!(p.rationale.contains("months of"), "{}", p.rationale);
        }
    }
    assert_eq!(
        dec(&of("members/m1", gpb::Metric::LeadsGenerated).past_attainment_percent),
        100.0
    );
    assert_eq!(
        dec(&of("teams/sales", gpb::Metric::DealsWon).past_attainment_percent),
        50.0
    );
    assert!(
        of("members/m2", gpb::Metric::LeadsGenerated)
            .past_attainment_percent
            .is_none()
    );

    // Every member and the team have each count proposed; retention is for the team alone.
    for metric in &metrics[..3] {
        let count = proposed.iter().filter(|p| p.metric == *metric as i32).count();
        assert_eq!(count, MEMBERS.len() + 1, "{metric:?}");
    }
    let retention: Vec<&pb::QuotaProposal> = proposed
        .iter()
        .filter(|p| p.metric == gpb::Metric::CustomerRetentionRate as i32)
        .collect();
    assert_eq!(retention.len(), 1);
    let forecast = retention[0].forecast.as_ref().unwrap();
    assert_eq!(
        (dec(&forecast.lower), dec(&forecast.point), dec(&forecast.upper)),
        (50.0, 50.0, 50.0)
    );
    assert_eq!(quantity(&retention[0].target), 50.0);
    assert!(
        retention[0].rationale.contains("FY2025-Q1 50%") && retention[0].rationale.contains("FY2025-Q4 50%"),
        "{}",
        retention[0].rationale
    );
    // The kept forecasts carry their metric.
    let kept = admin
        .list_forecasts(pb::ListForecastsRequest {
            owner: "teams/sales".into(),
            period: "FY2026-Q2".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .forecasts;
    let mut kept_metrics: Vec<i32> = kept.iter().map(|f| f.metric).collect();
    kept_metrics.sort_unstable();
    assert_eq!(kept_metrics, [4, 5, 6, 7]);
    // Each with its origin: on 15 February the last closed month is January, so history ends on
    // 1 February.
    for f in &kept {
        let midnight = Utc.with_ymd_and_hms(2026, 2, 1, 0, 0, 0).unwrap();
        assert_eq!(f.origin_time, ts(midnight), "{f:?}");
        assert!(!f.method.is_empty());
    }

    // The counts are forecast through ForecastSeries too, from the same months: m1's leads from
    // February 2024 (2, an even month) to January 2026 (3).
    let leads = admin
        .forecast_series(pb::ForecastSeriesRequest {
            owner: "members/m1".into(),
            metric: gpb::Metric::LeadsGenerated as i32,
            horizon_months: 5,
            currency_code: "IDR".into(),
            ..Default::default()
        })
        .await
        .expect("a leads forecast")
        .into_inner()
        .forecasts;
    let history: Vec<f64> = leads[0].history.iter().map(|m| dec(&m.value)).collect();
    assert_eq!(history.len(), 24);
    assert_eq!(history[..4], [2.0, 3.0, 2.0, 3.0]);
    assert_eq!(leads[0].history[23].period, "FY2026-M01");
    assert_eq!(history[23], 3.0);
    let scoped = admin
        .forecast_series(pb::ForecastSeriesRequest {
            owner: "members/m1".into(),
            metric: gpb::Metric::NewCustomers as i32,
            scope: "regions/java".into(),
            currency_code: "IDR".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&scoped), ["scope"]);

    // A metric asked twice, or not at all known, names its place.
    let bad = admin
        .propose_quotas(pb::ProposeQuotasRequest {
            team: "teams/sales".into(),
            period: "FY2026-Q2".into(),
            currency_code: "IDR".into(),
            metrics: vec![4, 4, 0, 99],
        })
        .await
        .unwrap_err();
    assert_eq!(bad.code(), Code::InvalidArgument);
    assert_eq!(violated_fields(&bad), ["metrics[1]", "metrics[2]", "metrics[3]"]);
}
