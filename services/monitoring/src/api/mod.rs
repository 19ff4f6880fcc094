//! The gRPC face of the monitoring service: thin handlers, one file per resource.

mod convert;
mod customers;
mod deals;
mod ingest;
mod kpis;
mod leads;
mod pipeline;
mod report;
mod sales;
mod series;

use std::pin::Pin;
use std::sync::Arc;

use futures::Stream;
use lacak_domain::{PeriodId, Principal, Role, validate_currency_code};
use lacak_proto::monitoring as pb;
use lacak_proto::monitoring::monitoring_service_server::MonitoringService;
use lacak_runtime::auth::CallContext;
use lacak_runtime::db::ReadyDb;
use lacak_runtime::server::Draining;
use lacak_runtime::{FieldViolation, Violations};
use sea_orm::DatabaseConnection;
use tonic::{Request, Response, Status, Streaming};

use crate::deps::Dependencies;
use crate::domain::access::{Org, Owner, Visibility};
use crate::error::{MonitoringError, MonitoringResult};
use crate::feed::Feed;

/// The handlers' shared state.
#[derive(Clone)]
pub struct MonitoringApi {
    db: ReadyDb,
    deps: Dependencies,
    feed: Feed,
    /// What KPI reads took from the database, while the tenant has not changed.
    read_cache: crate::kpis::ReadCache,
    /// Ends `WatchKpis` streams when the server drains.
    draining: Draining,
    /// Bounds the sale lines ingested at once.
    line_budget: crate::ingest::LineBudget,
}

impl MonitoringApi {
    pub fn new(db: ReadyDb, deps: Dependencies, feed: Feed, draining: Draining) -> Self {
        Self {
            db,
            deps,
            read_cache: crate::kpis::ReadCache::new(feed.clone()),
            feed,
            draining,
            line_budget: crate::ingest::LineBudget::default(),
        }
    }

    fn db(&self) -> MonitoringResult<&DatabaseConnection> {
        self.db.get()
    }

    /// Reads that may run side by side (KPIs): see `ReadyDb::reader`.
    fn reader(&self) -> MonitoringResult<&DatabaseConnection> {
        self.db.reader()
    }

    /// The caller's organisation and what they may see in it.
    async fn access(&self, caller: &CallContext) -> MonitoringResult<(Arc<Org>, Visibility)> {
        let org = self.deps.org(caller).await?;
        let visibility = org.visibility(&caller.principal);
        Ok((org, visibility))
    }

    /// Checks the caller may see `owner`, re-reading the organisation once if it does not know it
    /// yet (a member or team created a moment ago). Unknown and invisible owners both read as
    /// PERMISSION_DENIED for non-admins, so existence does not leak.
    async fn see_owner(&self, caller: &CallContext, owner: &Owner) -> MonitoringResult<Arc<Org>> {
        let mut org = self.deps.org(caller).await?;
        if !org.knows(owner) {
            org = self.deps.fresh_org(caller).await?;
        }
        if !org.visibility(&caller.principal).sees(owner) {
            return Err(MonitoringError::denied(format!(
                "{} is not among the owners you may see",
                owner.name()
            )));
        }
        if !org.knows(owner) {
            return Err(MonitoringError::not_found(
                if matches!(owner, Owner::Member(_)) {
                    "member"
                } else {
                    "team"
                },
                owner.name(),
            ));
        }
        Ok(org)
    }

    /// Records may be written by admins and services for anyone, by managers for their teams'
    /// members, and by reps for themselves.
    async fn may_record_for(&self, caller: &CallContext, member: &str, field: &str) -> MonitoringResult<()> {
        let owner = Owner::Member(member.to_owned());
        match self.see_owner(caller, &owner).await {
            Ok(_) => Ok(()),
            Err(MonitoringError::NotFound { .. }) => Err(MonitoringError::invalid(
                field,
                format!("members/{member} is not a member in goals"),
            )),
            Err(other) => Err(other),
        }
    }
}

fn caller<T>(request: &Request<T>) -> MonitoringResult<CallContext> {
    lacak_runtime::auth::caller(request)
        .cloned()
        .map_err(|status| MonitoringError::denied(status.message().to_owned()))
}

fn principal<T>(request: &Request<T>) -> MonitoringResult<Principal> {
    lacak_runtime::auth::principal(request)
}

/// Batches come from integrations: admins and services.
fn require_ingester(caller: &Principal) -> MonitoringResult<()> {
    match caller.role {
        Role::Admin | Role::Service => Ok(()),
        Role::Manager | Role::Rep => Err(MonitoringError::denied(
            "batch ingestion is for admins and integrations (service tokens)",
        )),
    }
}

/// Customers are changed by admins, managers and services.
fn require_customer_writer(caller: &Principal) -> MonitoringResult<()> {
    match caller.role {
        Role::Admin | Role::Manager | Role::Service => Ok(()),
        Role::Rep => Err(MonitoringError::denied("reps do not change customers")),
    }
}

/// Reads an owner name: "members/{id}" or "teams/{id}".
fn parse_owner(name: &str, field: &str) -> Result<Owner, FieldViolation> {
    if name.starts_with("teams/") {
        Ok(Owner::Team(lacak_runtime::names::parse_name(name, "teams", field)?))
    } else if name.starts_with("members/") {
        Ok(Owner::Member(lacak_runtime::names::parse_name(name, "members", field)?))
    } else if name.is_empty() {
        Err(FieldViolation::new(
            field,
            "is required: \"members/{id}\" or \"teams/{id}\"",
        ))
    } else {
        Err(FieldViolation::new(
            field,
            "must look like \"members/{id}\" or \"teams/{id}\"",
        ))
    }
}

/// The fiscal period and the currency a read asks for, checked into `v`.
fn period_and_currency(v: &mut Violations, period: &str, currency: &str) -> Option<PeriodId> {
    let period = period.parse::<PeriodId>().ok();
    if period.is_none() {
        v.add(
            "period",
            "must be a fiscal period such as FY2026, FY2026-Q3 or FY2026-M07",
        );
    }
    if validate_currency_code(currency).is_err() {
        v.add("currency_code", "is required: an ISO 4217 code such as IDR or USD");
    }
    period
}

impl MonitoringApi {
    /// The members a list may show: the one named in `member` (which the caller must be allowed to
    /// see), or every member the caller sees (`None`: the whole tenant).
    async fn member_filter(
        &self,
        caller: &CallContext,
        member: &str,
        field: &str,
    ) -> MonitoringResult<Option<Vec<String>>> {
        if member.is_empty() {
            return Ok(self.access(caller).await?.1.member_filter());
        }
        let member = lacak_runtime::names::parse_name(member, "members", field)?;
        self.see_owner(caller, &Owner::Member(member.clone())).await?;
        Ok(Some(vec![member]))
    }
}

type WatchStream = Pin<Box<dyn Stream<Item = Result<pb::WatchKpisResponse, Status>> + Send + 'static>>;
type IngestStream = Pin<Box<dyn Stream<Item = Result<pb::StreamIngestEventsResponse, Status>> + Send + 'static>>;

lacak_runtime::delegate_rpcs! {
    MonitoringService, MonitoringApi {
        create_customer: pb::CreateCustomerRequest => pb::CreateCustomerResponse = customers::create;
        get_customer: pb::GetCustomerRequest => pb::GetCustomerResponse = customers::get;
        list_customers: pb::ListCustomersRequest => pb::ListCustomersResponse = customers::list;
        update_customer: pb::UpdateCustomerRequest => pb::UpdateCustomerResponse = customers::update;
        create_lead: pb::CreateLeadRequest => pb::CreateLeadResponse = leads::create;
        get_lead: pb::GetLeadRequest => pb::GetLeadResponse = leads::get;
        list_leads: pb::ListLeadsRequest => pb::ListLeadsResponse = leads::list;
        update_lead: pb::UpdateLeadRequest => pb::UpdateLeadResponse = leads::update;
        create_deal: pb::CreateDealRequest => pb::CreateDealResponse = deals::create;
        get_deal: pb::GetDealRequest => pb::GetDealResponse = deals::get;
        list_deals: pb::ListDealsRequest => pb::ListDealsResponse = deals::list;
        update_deal: pb::UpdateDealRequest => pb::UpdateDealResponse = deals::update;
        move_deal_stage: pb::MoveDealStageRequest => pb::MoveDealStageResponse = deals::move_stage;
        close_deal: pb::CloseDealRequest => pb::CloseDealResponse = deals::close;
        reopen_deal: pb::ReopenDealRequest => pb::ReopenDealResponse = deals::reopen;
        get_sales_pipeline: pb::GetSalesPipelineRequest => pb::GetSalesPipelineResponse = pipeline::get;
        update_sales_pipeline: pb::UpdateSalesPipelineRequest => pb::UpdateSalesPipelineResponse = pipeline::update;
        record_sale: pb::RecordSaleRequest => pb::RecordSaleResponse = sales::record;
        get_sale: pb::GetSaleRequest => pb::GetSaleResponse = sales::get;
        list_sales: pb::ListSalesRequest => pb::ListSalesResponse = sales::list;
        ingest_events: pb::IngestEventsRequest => pb::IngestEventsResponse = ingest::ingest;
        get_kpis: pb::GetKpisRequest => pb::GetKpisResponse = kpis::get;
        get_tracking_report: pb::GetTrackingReportRequest => pb::GetTrackingReportResponse = report::get;
        export_tracking_report: pb::ExportTrackingReportRequest => pb::ExportTrackingReportResponse = report::export;
        get_sales_series: pb::GetSalesSeriesRequest => pb::GetSalesSeriesResponse = series::get;
    }
    streaming {
        type StreamIngestEventsStream = IngestStream;

        async fn stream_ingest_events(
            &self,
            request: Request<Streaming<pb::StreamIngestEventsRequest>>,
        ) -> Result<Response<IngestStream>, Status> {
            ingest::stream(self, request).await.map(Response::new).map_err(Status::from)
        }

        type WatchKpisStream = WatchStream;

        async fn watch_kpis(&self, request: Request<pb::WatchKpisRequest>) -> Result<Response<WatchStream>, Status> {
            kpis::watch(self, request).await.map(Response::new).map_err(Status::from)
        }
    }
}
