//! The gRPC face of the goals service: thin handlers, one file per resource.

mod calendar;
mod convert;
mod members;
mod plans;
mod quotas;
mod reviews;
mod tasks;
mod teams;

use std::sync::Arc;

use lacak_domain::Principal;
use lacak_proto::goals as pb;
use lacak_proto::goals::goals_service_server::GoalsService;
use lacak_runtime::idempotency::{self, Prior};
use sea_orm::{DatabaseConnection, DatabaseTransaction, TransactionTrait};
use tokio::sync::OnceCell;
use tonic::{Request, Response, Status};

use crate::domain::access::Visibility;
use crate::error::{GoalsError, GoalsResult};
use crate::store;

/// The handlers' shared state: the database, once connected and migrated.
#[derive(Clone, Default)]
pub struct GoalsApi {
    db: Arc<OnceCell<DatabaseConnection>>,
}

impl GoalsApi {
    pub fn new() -> Self {
        Self::default()
    }

    /// Hands the connected, migrated database to the handlers.
    pub fn attach(&self, db: DatabaseConnection) {
        let _ = self.db.set(db);
    }

    fn db(&self) -> GoalsResult<&DatabaseConnection> {
        self.db.get().ok_or(GoalsError::NotReady)
    }
}

/// The authenticated caller of a request.
fn principal<T>(request: &Request<T>) -> GoalsResult<Principal> {
    lacak_runtime::auth::caller(request)
        .map(|context| context.principal.clone())
        .map_err(|_| GoalsError::denied("no authenticated caller"))
}

async fn visibility(db: &DatabaseConnection, principal: &Principal) -> GoalsResult<Visibility> {
    store::org::visibility_of(db, principal).await
}

/// What an earlier request with the same `request_id` produced, if it was the same request.
async fn replay<M: prost::Message>(
    db: &DatabaseConnection,
    tenant: &str,
    operation: &str,
    request_id: &str,
    request: &M,
) -> GoalsResult<(i64, Option<String>)> {
    idempotency::validate_request_id(request_id, "request_id")?;
    let fingerprint = idempotency::request_fingerprint(&request.encode_to_vec());
    match idempotency::lookup(db, tenant, operation, request_id, fingerprint).await? {
        Prior::None => Ok((fingerprint, None)),
        Prior::Applied(resource) => Ok((fingerprint, Some(resource))),
        Prior::Conflict => Err(GoalsError::invalid(
            "request_id",
            "was already used for a different request; use a new id",
        )),
    }
}

/// Runs a write at most once per `request_id` (AIP-155) and gives the name of what it made.
/// A retry answers the first result; a retry racing its original loses on the key and then
/// answers the original's result too. Without a request id, the write simply runs.
async fn write_once<M: prost::Message>(
    db: &DatabaseConnection,
    tenant: &str,
    operation: &str,
    request_id: &str,
    request: &M,
    write: impl AsyncFnOnce(&DatabaseTransaction) -> GoalsResult<String>,
) -> GoalsResult<String> {
    let (fingerprint, prior) = replay(db, tenant, operation, request_id, request).await?;
    if let Some(name) = prior {
        return Ok(name);
    }
    let outcome: GoalsResult<String> = async {
        let txn = db.begin().await?;
        let name = write(&txn).await?;
        idempotency::remember(&txn, tenant, operation, request_id, fingerprint, &name).await?;
        txn.commit().await?;
        Ok(name)
    }
    .await;
    match outcome {
        Err(error) if !request_id.is_empty() => match replay(db, tenant, operation, request_id, request).await? {
            (_, Some(name)) => Ok(name),
            (_, None) => Err(error),
        },
        other => other,
    }
}

/// Implements the generated trait by handing each method to its resource's handler.
macro_rules! delegate {
    ($($method:ident: $request:ty => $response:ty = $handler:path;)*) => {
        #[tonic::async_trait]
        impl GoalsService for GoalsApi {
            $(
                async fn $method(&self, request: Request<$request>) -> Result<Response<$response>, Status> {
                    $handler(self, request).await.map(Response::new).map_err(Status::from)
                }
            )*
        }
    };
}

delegate! {
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
    update_quota: pb::UpdateQuotaRequest => pb::UpdateQuotaResponse = quotas::update;
    list_quota_changes: pb::ListQuotaChangesRequest => pb::ListQuotaChangesResponse = quotas::list_changes;
    get_quota_target_as_of: pb::GetQuotaTargetAsOfRequest => pb::GetQuotaTargetAsOfResponse = quotas::target_as_of;
    get_team_rollup: pb::GetTeamRollupRequest => pb::GetTeamRollupResponse = quotas::team_rollup;
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

/// The update-mask paths of a request, each checked against the allowed ones.
fn mask_paths(mask: Option<&prost_types::FieldMask>, allowed: &[&str]) -> GoalsResult<Vec<String>> {
    let paths: Vec<String> = mask.map(|m| m.paths.clone()).unwrap_or_default();
    if paths.is_empty() {
        return Err(GoalsError::invalid(
            "update_mask",
            format!("name the fields to change: {}", allowed.join(", ")),
        ));
    }
    if let Some(unknown) = paths.iter().find(|p| !allowed.contains(&p.as_str())) {
        return Err(GoalsError::invalid(
            "update_mask",
            format!("{unknown:?} cannot be changed; allowed: {}", allowed.join(", ")),
        ));
    }
    Ok(paths)
}

/// A required text field, trimmed and bounded.
fn required_text(violations: &mut lacak_runtime::Violations, value: &str, field: &str, max: usize) -> String {
    let value = value.trim();
    if value.is_empty() {
        violations.add(field, "is required");
    } else if value.chars().count() > max {
        violations.add(field, format!("must be at most {max} characters"));
    }
    value.to_owned()
}
