//! What strategy asks goals, inventory and monitoring, and the changes it makes through them.
//! Every call carries a deadline and the caller's identity (`act`), so goals records who decided.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use lacak_domain::kpi::OrgChart;
use lacak_domain::{FiscalCalendar, Principal, Role};
use lacak_proto::goals::goals_service_client::GoalsServiceClient;
use lacak_proto::inventory::inventory_service_client::InventoryServiceClient;
use lacak_proto::monitoring::monitoring_service_client::MonitoringServiceClient;
use lacak_proto::{goals as gpb, inventory as ipb, monitoring as mpb};
use lacak_runtime::auth::CallContext;
use lacak_runtime::client::{Outgoing, Traced, all_pages, retry_idempotent, traced};
use tonic::Status;
use tonic::transport::Channel;

use crate::error::{StrategyError, StrategyResult};

/// Attempts of one idempotent call before giving up on UNAVAILABLE.
const ATTEMPTS: u32 = 3;
const MAX_MESSAGE: usize = 64 << 20;

/// The services strategy calls, and how it dresses its calls.
#[derive(Clone)]
pub struct Dependencies {
    goals: Traced,
    inventory: Traced,
    monitoring: Traced,
    outgoing: Outgoing,
}

/// One tenant's organisation as goals has it.
#[derive(Debug, Clone, Default)]
pub struct Org {
    /// Team id → parent team id.
    pub parents: HashMap<String, Option<String>>,
    /// Team id → its manager's member id, when it has one.
    pub managers: HashMap<String, String>,
    /// Member id → team id.
    pub member_teams: HashMap<String, String>,
    chart: OrgChart,
}

impl Org {
    pub fn new(
        parents: HashMap<String, Option<String>>,
        managers: HashMap<String, String>,
        member_teams: HashMap<String, String>,
    ) -> Org {
        let chart = OrgChart::new(
            parents.iter().map(|(id, parent)| (id.clone(), parent.clone())),
            member_teams.iter().map(|(id, team)| (id.clone(), team.clone())),
        );
        Org {
            parents,
            managers,
            member_teams,
            chart,
        }
    }

    /// The team and its ancestors, root first.
    pub fn lineage(&self, team: &str) -> Vec<String> {
        let mut out = vec![team.to_owned()];
        let mut at = team.to_owned();
        while let Some(Some(parent)) = self.parents.get(&at) {
            if out.contains(parent) {
                break;
            }
            out.push(parent.clone());
            at = parent.clone();
        }
        out.reverse();
        out
    }

    /// "/root/…/team/": matched by `LIKE '%/{team}/%'` for each team a manager leads.
    pub fn path(&self, team: &str) -> String {
        format!("/{}/", self.lineage(team).join("/"))
    }

    /// The team's members and its sub-teams' members, sorted.
    pub fn members_of(&self, team: &str) -> Vec<String> {
        let mut members: Vec<String> = self.chart.members(team).into_iter().map(str::to_owned).collect();
        members.sort();
        members
    }

    /// The team and every sub-team.
    pub fn subtree(&self, team: &str) -> HashSet<String> {
        self.chart.subtree(team).into_iter().map(str::to_owned).collect()
    }

    /// Whether `caller` may read and decide for `team`: admins and services for any, managers for
    /// the teams they lead and their sub-teams. Reps never.
    pub fn may_steer(&self, caller: &Principal, team: &str) -> bool {
        match caller.role {
            Role::Admin | Role::Service => true,
            Role::Rep => false,
            Role::Manager => {
                let lineage = self.lineage(team);
                caller.teams.iter().any(|led| lineage.contains(led))
            }
        }
    }

    /// Whether `caller` may steer an owner, "members/{id}" or "teams/{id}".
    pub fn may_steer_owner(&self, caller: &Principal, owner: &str) -> bool {
        if let Some(team) = owner.strip_prefix("teams/") {
            return self.parents.contains_key(team) && self.may_steer(caller, team);
        }
        match owner.strip_prefix("members/").and_then(|m| self.member_teams.get(m)) {
            Some(team) => self.may_steer(caller, team),
            None => matches!(caller.role, Role::Admin | Role::Service) && owner.starts_with("members/"),
        }
    }
}

fn upstream(what: &'static str) -> impl Fn(Status) -> StrategyError {
    move |status| StrategyError::upstream(what, status)
}

/// A tenant's calling context for what strategy does on its own (the schedule).
pub fn service_context(tenant: &str) -> CallContext {
    CallContext {
        principal: Principal {
            tenant: tenant.to_owned(),
            subject: crate::SERVICE_NAME.to_owned(),
            role: Role::Service,
            teams: Vec::new(),
        },
        on_behalf_of: None,
        deadline: None,
        token_expiry: None,
    }
}

impl Dependencies {
    pub fn new(goals: Channel, inventory: Channel, monitoring: Channel, outgoing: Outgoing) -> Self {
        Dependencies {
            goals: traced(goals),
            inventory: traced(inventory),
            monitoring: traced(monitoring),
            outgoing,
        }
    }

    fn goals(&self) -> GoalsServiceClient<Traced> {
        GoalsServiceClient::new(self.goals.clone()).max_decoding_message_size(MAX_MESSAGE)
    }

    fn inventory(&self) -> InventoryServiceClient<Traced> {
        InventoryServiceClient::new(self.inventory.clone()).max_decoding_message_size(MAX_MESSAGE)
    }

    fn monitoring(&self) -> MonitoringServiceClient<Traced> {
        MonitoringServiceClient::new(self.monitoring.clone()).max_decoding_message_size(MAX_MESSAGE)
    }

    /// The tenant's fiscal calendar.
    pub async fn calendar(&self, caller: &CallContext) -> StrategyResult<FiscalCalendar> {
        lacak_runtime::goals::fiscal_calendar(&self.goals(), &self.outgoing, caller, ATTEMPTS)
            .await
            .map_err(upstream("reading the fiscal calendar from goals"))
    }

    /// The tenant's organisation as goals has it now.
    pub async fn org(&self, caller: &CallContext) -> StrategyResult<Arc<Org>> {
        let (teams, members) = lacak_runtime::goals::organisation(&self.goals(), &self.outgoing, caller, ATTEMPTS)
            .await
            .map_err(upstream("listing teams and members in goals"))?;
        let (mut parents, mut managers) = (HashMap::new(), HashMap::new());
        for team in teams {
            let id = team.name.trim_start_matches("teams/").to_owned();
            if let Some(manager) = team.manager.strip_prefix("members/") {
                managers.insert(id.clone(), manager.to_owned());
            }
            parents.insert(id, team.parent.strip_prefix("teams/").map(str::to_owned));
        }
        let member_teams = members
            .into_iter()
            .filter_map(|member| {
                let team = member.team.strip_prefix("teams/")?.to_owned();
                Some((member.name.trim_start_matches("members/").to_owned(), team))
            })
            .collect();
        Ok(Arc::new(Org::new(parents, managers, member_teams)))
    }

    pub async fn tracking_report(
        &self,
        caller: &CallContext,
        team: &str,
        period: &str,
        currency: &str,
    ) -> StrategyResult<mpb::TrackingReport> {
        let response = retry_idempotent(ATTEMPTS, || async {
            let request = self.outgoing.request(
                caller,
                mpb::GetTrackingReportRequest {
                    team: format!("teams/{team}"),
                    period: period.to_owned(),
                    currency_code: currency.to_owned(),
                    ..Default::default()
                },
            )?;
            self.monitoring().get_tracking_report(request).await
        })
        .await
        .map_err(upstream("reading the tracking report from monitoring"))?;
        Ok(response.into_inner().report.unwrap_or_default())
    }

    pub async fn kpis(
        &self,
        caller: &CallContext,
        owner: &str,
        period: &str,
        currency: &str,
    ) -> StrategyResult<mpb::Kpis> {
        let response = retry_idempotent(ATTEMPTS, || async {
            let request = self.outgoing.request(
                caller,
                mpb::GetKpisRequest {
                    owner: owner.to_owned(),
                    period: period.to_owned(),
                    currency_code: currency.to_owned(),
                    scope: None,
                    as_of: None,
                },
            )?;
            self.monitoring().get_kpis(request).await
        })
        .await
        .map_err(upstream("reading KPIs from monitoring"))?;
        Ok(response.into_inner().kpis.unwrap_or_default())
    }

    /// Monthly sales from `start` to `end` (fiscal months, both included).
    pub async fn series(
        &self,
        caller: &CallContext,
        owner: &str,
        dimension: mpb::SeriesDimension,
        start: &str,
        end: &str,
        currency: &str,
    ) -> StrategyResult<Vec<mpb::SalesSeries>> {
        self.read_series(caller, series_request(owner, dimension, start, end, currency))
            .await
    }

    /// GetSalesSeries as asked.
    pub async fn read_series(
        &self,
        caller: &CallContext,
        body: mpb::GetSalesSeriesRequest,
    ) -> StrategyResult<Vec<mpb::SalesSeries>> {
        let response = retry_idempotent(ATTEMPTS, || async {
            let request = self.outgoing.request(caller, body.clone())?;
            self.monitoring().get_sales_series(request).await
        })
        .await
        .map_err(upstream("reading sales series from monitoring"))?;
        Ok(response.into_inner().series)
    }

    /// Quotas of an owner, optionally for one period and metric.
    pub async fn quotas(
        &self,
        caller: &CallContext,
        owner: &str,
        period: &str,
        metric: gpb::Metric,
    ) -> StrategyResult<Vec<gpb::Quota>> {
        self.list_quotas(
            caller,
            gpb::ListQuotasRequest {
                owner: owner.to_owned(),
                period: period.to_owned(),
                metric: metric as i32,
                ..Default::default()
            },
        )
        .await
    }

    /// Every quota of a team, the teams below it and their members, a page of a thousand a call.
    pub async fn quotas_in_subtree(&self, caller: &CallContext, team_owner: &str) -> StrategyResult<Vec<gpb::Quota>> {
        self.list_quotas(
            caller,
            gpb::ListQuotasRequest {
                owner: team_owner.to_owned(),
                include_subtree: true,
                ..Default::default()
            },
        )
        .await
    }

    async fn list_quotas(&self, caller: &CallContext, ask: gpb::ListQuotasRequest) -> StrategyResult<Vec<gpb::Quota>> {
        let ask = &ask;
        all_pages(ATTEMPTS, |page_token| async move {
            let request = self.outgoing.request(
                caller,
                gpb::ListQuotasRequest {
                    page_size: 1000,
                    page_token,
                    ..ask.clone()
                },
            )?;
            let page = self.goals().list_quotas(request).await?.into_inner();
            Ok((page.quotas, page.next_page_token))
        })
        .await
        .map_err(upstream("listing quotas in goals"))
    }

    pub async fn quota(&self, caller: &CallContext, name: &str) -> StrategyResult<gpb::Quota> {
        let response = retry_idempotent(ATTEMPTS, || async {
            let request = self
                .outgoing
                .request(caller, gpb::GetQuotaRequest { name: name.to_owned() })?;
            self.goals().get_quota(request).await
        })
        .await
        .map_err(upstream("reading a quota from goals"))?;
        Ok(response.into_inner().quota.unwrap_or_default())
    }

    pub async fn action_plan(&self, caller: &CallContext, name: &str) -> StrategyResult<gpb::ActionPlan> {
        let response = retry_idempotent(ATTEMPTS, || async {
            let request = self
                .outgoing
                .request(caller, gpb::GetActionPlanRequest { name: name.to_owned() })?;
            self.goals().get_action_plan(request).await
        })
        .await
        .map_err(upstream("reading the action plan from goals"))?;
        Ok(response.into_inner().action_plan.unwrap_or_default())
    }

    /// Every active plan of the tenant.
    pub async fn active_plans(&self, caller: &CallContext) -> StrategyResult<Vec<gpb::ActionPlan>> {
        all_pages(ATTEMPTS, |page_token| async move {
            let request = self.outgoing.request(
                caller,
                gpb::ListActionPlansRequest {
                    state: gpb::action_plan::State::Active as i32,
                    page_size: 1000,
                    page_token,
                    ..Default::default()
                },
            )?;
            let page = self.goals().list_action_plans(request).await?.into_inner();
            Ok((page.action_plans, page.next_page_token))
        })
        .await
        .map_err(upstream("listing action plans in goals"))
    }

    pub async fn portfolio(
        &self,
        caller: &CallContext,
        currency: &str,
    ) -> StrategyResult<ipb::GetPortfolioAssessmentResponse> {
        let response = retry_idempotent(ATTEMPTS, || async {
            let request = self.outgoing.request(
                caller,
                ipb::GetPortfolioAssessmentRequest {
                    currency_code: currency.to_owned(),
                    time: None,
                },
            )?;
            self.inventory().get_portfolio_assessment(request).await
        })
        .await
        .map_err(upstream("reading the portfolio assessment from inventory"))?;
        Ok(response.into_inner())
    }

    /// Every product of the catalogue.
    pub async fn products(&self, caller: &CallContext) -> StrategyResult<Vec<ipb::Product>> {
        all_pages(ATTEMPTS, |page_token| async move {
            let request = self.outgoing.request(
                caller,
                ipb::ListProductsRequest {
                    page_size: 1000,
                    page_token,
                    ..Default::default()
                },
            )?;
            let page = self.inventory().list_products(request).await?.into_inner();
            Ok((page.products, page.next_page_token))
        })
        .await
        .map_err(upstream("listing products in inventory"))
    }

    // Writes: each carries a request id derived from the recommendation, so a retried apply
    // changes nothing twice; UNAVAILABLE is retried for the same reason.

    pub async fn update_quota(
        &self,
        caller: &CallContext,
        request: gpb::UpdateQuotaRequest,
    ) -> Result<gpb::Quota, Status> {
        let response = retry_idempotent(ATTEMPTS, || async {
            let request = self.outgoing.request(caller, request.clone())?;
            self.goals().update_quota(request).await
        })
        .await?;
        Ok(response.into_inner().quota.unwrap_or_default())
    }

    /// The name of the change of `quota` recorded for `reference`, when goals lists one.
    pub async fn quota_change_for(&self, caller: &CallContext, quota: &str, reference: &str) -> Option<String> {
        let changes = all_pages(ATTEMPTS, |page_token| async move {
            let request = self.outgoing.request(
                caller,
                gpb::ListQuotaChangesRequest {
                    parent: quota.to_owned(),
                    page_size: 1000,
                    page_token,
                },
            )?;
            let page = self.goals().list_quota_changes(request).await?.into_inner();
            Ok((page.changes, page.next_page_token))
        })
        .await
        .ok()?;
        changes
            .into_iter()
            .find(|c| c.source_reference == reference)
            .map(|c| c.name)
    }

    pub async fn create_task(
        &self,
        caller: &CallContext,
        request: gpb::CreateTaskRequest,
    ) -> Result<gpb::Task, Status> {
        let response = retry_idempotent(ATTEMPTS, || async {
            let request = self.outgoing.request(caller, request.clone())?;
            self.goals().create_task(request).await
        })
        .await?;
        Ok(response.into_inner().task.unwrap_or_default())
    }

    pub async fn create_promotion(
        &self,
        caller: &CallContext,
        request: ipb::CreatePromotionRequest,
    ) -> Result<ipb::Promotion, Status> {
        let response = retry_idempotent(ATTEMPTS, || async {
            let request = self.outgoing.request(caller, request.clone())?;
            self.inventory().create_promotion(request).await
        })
        .await?;
        Ok(response.into_inner().promotion.unwrap_or_default())
    }

    pub async fn retire_product(&self, caller: &CallContext, product: &str) -> Result<ipb::Product, Status> {
        let response = retry_idempotent(ATTEMPTS, || async {
            let request = self.outgoing.request(
                caller,
                ipb::UpdateProductRequest {
                    product: Some(ipb::Product {
                        name: product.to_owned(),
                        state: ipb::product::State::Retired as i32,
                        ..Default::default()
                    }),
                    update_mask: Some(prost_types::FieldMask {
                        paths: vec!["state".to_owned()],
                    }),
                },
            )?;
            self.inventory().update_product(request).await
        })
        .await?;
        Ok(response.into_inner().product.unwrap_or_default())
    }
}

/// GetSalesSeries of `owner` split by `dimension` from `start` to `end`, without counts, every month.
pub fn series_request(
    owner: &str,
    dimension: mpb::SeriesDimension,
    start: &str,
    end: &str,
    currency: &str,
) -> mpb::GetSalesSeriesRequest {
    mpb::GetSalesSeriesRequest {
        owner: owner.to_owned(),
        dimension: dimension as i32,
        start_period: start.to_owned(),
        end_period: end.to_owned(),
        currency_code: currency.to_owned(),
        include_counts: false,
        skip_leading_empty_months: false,
    }
}
