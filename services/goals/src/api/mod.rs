//! The gRPC face of the goals service: thin handlers, one file per resource.

mod calendar;
mod convert;
mod members;
mod plans;
mod quota_changes;
mod quotas;
mod reviews;
mod rollup;
mod tasks;
mod teams;

use lacak_domain::Principal;
use lacak_proto::goals as pb;
use lacak_proto::goals::goals_service_server::GoalsService;
use lacak_runtime::auth::CallContext;
use lacak_runtime::db::ReadyDb;
use lacak_runtime::idempotency::write_once;
use lacak_runtime::validate::{mask_paths, required_text};
use sea_orm::DatabaseConnection;
use tonic::Request;

use crate::domain::access::{Visibility, change_actor};
use crate::error::GoalsResult;
use crate::store;

/// The handlers' shared state: the database, once connected and migrated.
#[derive(Clone, Default)]
pub struct GoalsApi {
    db: ReadyDb,
}

impl GoalsApi {
    pub fn new(db: ReadyDb) -> Self {
        Self { db }
    }

    fn db(&self) -> GoalsResult<&DatabaseConnection> {
        self.db.get()
    }
}

/// The authenticated caller of one request, with what they may see worked out at most once.
pub(super) struct Caller {
    principal: Principal,
    /// For a service's call made for a person (the token's `act`): that person.
    on_behalf_of: Option<String>,
    seen: tokio::sync::OnceCell<Visibility>,
}

impl Caller {
    /// What the caller may see: the whole tenant, their teams' subtrees, or themselves.
    async fn visibility(&self, db: &DatabaseConnection) -> GoalsResult<&Visibility> {
        self.seen
            .get_or_try_init(|| store::org::visibility_of(db, &self.principal))
            .await
    }

    /// Who the changes this caller makes are recorded as made by.
    fn actor(&self) -> String {
        change_actor(&self.principal, self.on_behalf_of.as_deref())
    }
}

impl std::ops::Deref for Caller {
    type Target = Principal;
    fn deref(&self) -> &Principal {
        &self.principal
    }
}

/// The authenticated caller of a request.
fn principal<T>(request: &Request<T>) -> GoalsResult<Caller> {
    Ok(Caller {
        principal: lacak_runtime::auth::principal(request)?,
        on_behalf_of: request
            .extensions()
            .get::<CallContext>()
            .and_then(|context| context.on_behalf_of.clone()),
        seen: tokio::sync::OnceCell::new(),
    })
}

lacak_runtime::delegate_rpcs! {
    GoalsService, GoalsApi {
    create_team: pb::CreateTeamRequest => pb::CreateTeamResponse = teams::create;
    get_team: pb::GetTeamRequest => pb::GetTeamResponse = teams::get;
    list_teams: pb::ListTeamsRequest => pb::ListTeamsResponse = teams::list;
    update_team: pb::UpdateTeamRequest => pb::UpdateTeamResponse = teams::update;
    delete_team: pb::DeleteTeamRequest => pb::DeleteTeamResponse = teams::delete;
    create_member: pb::CreateMemberRequest => pb::CreateMemberResponse = members::create;
    get_member: pb::GetMemberRequest => pb::GetMemberResponse = members::get;
    list_members: pb::ListMembersRequest => pb::ListMembersResponse = members::list;
    update_member: pb::UpdateMemberRequest => pb::UpdateMemberResponse = members::update;
    delete_member: pb::DeleteMemberRequest => pb::DeleteMemberResponse = members::delete;
    get_fiscal_calendar: pb::GetFiscalCalendarRequest => pb::GetFiscalCalendarResponse = calendar::get;
    update_fiscal_calendar: pb::UpdateFiscalCalendarRequest => pb::UpdateFiscalCalendarResponse = calendar::update;
    list_periods: pb::ListPeriodsRequest => pb::ListPeriodsResponse = calendar::list_periods;
    get_period: pb::GetPeriodRequest => pb::GetPeriodResponse = calendar::get_period;
    create_quota: pb::CreateQuotaRequest => pb::CreateQuotaResponse = quotas::create;
    get_quota: pb::GetQuotaRequest => pb::GetQuotaResponse = quotas::get;
    list_quotas: pb::ListQuotasRequest => pb::ListQuotasResponse = quotas::list;
    update_quota: pb::UpdateQuotaRequest => pb::UpdateQuotaResponse = quota_changes::update;
    list_quota_changes: pb::ListQuotaChangesRequest => pb::ListQuotaChangesResponse = quota_changes::list_changes;
    get_quota_target_as_of: pb::GetQuotaTargetAsOfRequest => pb::GetQuotaTargetAsOfResponse = quota_changes::target_as_of;
    get_team_rollup: pb::GetTeamRollupRequest => pb::GetTeamRollupResponse = rollup::team_rollup;
    create_action_plan: pb::CreateActionPlanRequest => pb::CreateActionPlanResponse = plans::create;
    get_action_plan: pb::GetActionPlanRequest => pb::GetActionPlanResponse = plans::get;
    list_action_plans: pb::ListActionPlansRequest => pb::ListActionPlansResponse = plans::list;
    update_action_plan: pb::UpdateActionPlanRequest => pb::UpdateActionPlanResponse = plans::update;
    delete_action_plan: pb::DeleteActionPlanRequest => pb::DeleteActionPlanResponse = plans::delete;
    create_task: pb::CreateTaskRequest => pb::CreateTaskResponse = tasks::create;
    get_task: pb::GetTaskRequest => pb::GetTaskResponse = tasks::get;
    list_tasks: pb::ListTasksRequest => pb::ListTasksResponse = tasks::list;
    update_task: pb::UpdateTaskRequest => pb::UpdateTaskResponse = tasks::update;
    delete_task: pb::DeleteTaskRequest => pb::DeleteTaskResponse = tasks::delete;
    create_quota_review: pb::CreateQuotaReviewRequest => pb::CreateQuotaReviewResponse = reviews::create;
    get_quota_review: pb::GetQuotaReviewRequest => pb::GetQuotaReviewResponse = reviews::get;
    list_quota_reviews: pb::ListQuotaReviewsRequest => pb::ListQuotaReviewsResponse = reviews::list;
    decide_review_item: pb::DecideReviewItemRequest => pb::DecideReviewItemResponse = reviews::decide;
    }
}
