//! KPIs: read once, or watched — sent now and again within a second of every change.

use std::time::Duration;

use lacak_domain::PeriodId;
use lacak_proto::common as cpb;
use lacak_proto::monitoring as pb;
use lacak_runtime::CallContext;
use prost::Message;
use tokio::sync::broadcast::error::RecvError;
use tonic::{Request, Status};

use super::{MonitoringApi, WatchStream, caller, parse_owner};
use crate::domain::access::Owner;
use crate::error::{MonitoringError, MonitoringResult};
use crate::kpis::{self, Scope};
use crate::quota_periods;
use chrono::{DateTime, Utc};
use lacak_domain::{Role, validate_currency_code};
use lacak_runtime::FieldViolation;
use lacak_runtime::convert::timestamp_from_proto;

/// How often a watcher looks again without a change announced: for changes made in other services
/// (a quota's target in goals, a member moved to another team). Monitoring's own writes, on any
/// replica, are announced (`feed`).
const RECHECK: Duration = Duration::from_secs(30);
/// How long a watcher gathers further changes before reading, so a burst is one read.
const SETTLE: Duration = Duration::from_millis(50);

/// A checked KPI question.
#[derive(Clone)]
pub struct KpiQuestion {
    /// `None`: the whole tenant.
    pub owner: Option<Owner>,
    pub period: PeriodId,
    pub scope: Scope,
    /// Empty: money per currency.
    pub currency: String,
    pub as_of: Option<DateTime<Utc>>,
}

pub fn question(
    owner: &str,
    period: &str,
    scope: Option<&cpb::Scope>,
    currency: &str,
    as_of: Option<&prost_types::Timestamp>,
) -> MonitoringResult<KpiQuestion> {
    let mut v = lacak_runtime::Violations::new();
    let owner = if owner.is_empty() {
        Some(None)
    } else {
        v.take(parse_owner(owner, "owner")).map(Some)
    };
    let period = v.take(period.parse::<PeriodId>().map_err(|_| {
        FieldViolation::new(
            "period",
            "must be a fiscal period such as FY2026, FY2026-Q3 or FY2026-M07",
        )
    }));
    if !currency.is_empty() && validate_currency_code(currency).is_err() {
        v.add(
            "currency_code",
            "must be an ISO 4217 code such as IDR or USD, or empty for every currency",
        );
    }
    let as_of = as_of.and_then(|t| v.take(timestamp_from_proto(t, "as_of")));
    let scope = match Scope::from_proto(scope, "scope") {
        Ok(scope) => Some(scope),
        Err(MonitoringError::Invalid(violations)) => {
            for violation in violations.iter() {
                v.push(violation.clone());
            }
            None
        }
        Err(other) => return Err(other),
    };
    v.finish()?;
    match (owner, period, scope) {
        (Some(owner), Some(period), Some(scope)) => Ok(KpiQuestion {
            owner,
            period,
            scope,
            currency: currency.to_owned(),
            as_of,
        }),
        _ => Err(MonitoringError::invalid("owner", "is invalid")),
    }
}

/// The members whose numbers make an owner's, once the caller is known to see it; the whole
/// tenant (`None`) is for admins and services.
pub async fn owner_members(
    api: &MonitoringApi,
    ctx: &CallContext,
    owner: Option<&Owner>,
) -> MonitoringResult<Vec<String>> {
    match owner {
        Some(owner) => Ok(api.see_owner(ctx, owner).await?.members_of(owner)),
        None => {
            if !matches!(ctx.principal.role, Role::Admin | Role::Service) {
                return Err(MonitoringError::denied(
                    "the whole tenant's figures are for admins and services; name an owner",
                ));
            }
            Ok(api.deps.org(ctx).await?.all_members())
        }
    }
}

/// Reads the KPIs of a question the caller may ask.
pub async fn read(api: &MonitoringApi, ctx: &CallContext, q: &KpiQuestion) -> MonitoringResult<pb::Kpis> {
    let members = owner_members(api, ctx, q.owner.as_ref()).await?;
    let db = api.db()?;
    let calendar = *api.deps.calendar(ctx).await?;
    let reading = kpis::Reading {
        members: &members,
        period: q.period,
        scope: q.scope.clone(),
        currency: &q.currency,
        as_of: q.as_of,
        deal_records: false,
    };
    // The owner's quotas of the period, then those of the quarter and year around it read for it;
    // the tenant as a whole holds no quotas in goals.
    let quotas = async {
        match &q.owner {
            Some(owner) => {
                let (owner, period) = (owner.name(), q.period.to_string());
                tokio::try_join!(
                    api.deps.quotas(ctx, &owner, &period),
                    quota_periods::enclosing(&api.deps, ctx, &owner, &q.period),
                )
            }
            None => Ok((Vec::new(), Vec::new())),
        }
    };
    let (facts, (mut quotas, wider)) = tokio::try_join!(
        kpis::gather(db, api.reader()?, &api.read_cache, &api.deps, ctx, calendar, reading),
        quotas
    )?;
    quotas.extend(wider.iter().map(|w| w.narrowed.clone()));
    let mut kpis = kpis::compose(q.owner.as_ref(), &members, &facts, &quotas)?;
    quota_periods::label(&mut kpis.attainments, &quotas, &wider);
    Ok(kpis)
}

pub async fn get(api: &MonitoringApi, request: Request<pb::GetKpisRequest>) -> MonitoringResult<pb::GetKpisResponse> {
    let ctx = caller(&request)?;
    let body = request.into_inner();
    let q = question(
        &body.owner,
        &body.period,
        body.scope.as_ref(),
        &body.currency_code,
        body.as_of.as_ref(),
    )?;
    Ok(pb::GetKpisResponse {
        kpis: Some(read(api, &ctx, &q).await?),
    })
}

/// The KPIs without what moves with the clock alone (the read time, the pipeline's instant, the
/// run-rate projections): what a watcher compares to decide whether to send, so a quiet watch
/// stays quiet.
fn fingerprint(kpis: &pb::Kpis) -> Vec<u8> {
    let mut copy = kpis.clone();
    copy.read_time = None;
    copy.pipeline_time = None;
    for attainment in &mut copy.attainments {
        attainment.projection = None;
    }
    copy.encode_to_vec()
}

pub async fn watch(api: &MonitoringApi, request: Request<pb::WatchKpisRequest>) -> MonitoringResult<WatchStream> {
    let ctx = caller(&request)?;
    let body = request.into_inner();
    let q = question(
        &body.owner,
        &body.period,
        body.scope.as_ref(),
        &body.currency_code,
        None,
    )?;
    let first = read(api, &ctx, &q).await?;
    let api = api.clone();
    let (sender, receiver) = tokio::sync::mpsc::channel::<Result<pb::WatchKpisResponse, Status>>(4);
    let mut changes = api.feed.subscribe();
    let mut draining = api.draining.clone();
    tokio::spawn(async move {
        let mut last = fingerprint(&first);
        if sender
            .send(Ok(pb::WatchKpisResponse { kpis: Some(first) }))
            .await
            .is_err()
        {
            return;
        }
        let tenant = ctx.principal.tenant.clone();
        // A watch outlives any deadline of its opening call.
        let ctx = CallContext { deadline: None, ..ctx };
        loop {
            let members = match api.deps.org(&ctx).await {
                Ok(org) => q
                    .owner
                    .as_ref()
                    .map_or_else(|| org.all_members(), |owner| org.members_of(owner)),
                Err(_) => Vec::new(),
            };
            tokio::select! {
                () = sender.closed() => return,
                // The client reconnects, to a replica that is not stopping.
                () = draining.started() => {
                    let _ = sender.send(Err(Status::unavailable("the server is shutting down; watch again"))).await;
                    return;
                }
                // A quiet watch still ends when its token lapses.
                () = ctx.token_lapses() => {}
                () = tokio::time::sleep(RECHECK) => {}
                changed = wait_for_change(&mut changes, &tenant, &members) => {
                    if !changed {
                        return;
                    }
                    tokio::time::sleep(SETTLE).await;
                }
            }
            if ctx.token_expired() {
                let _ = sender.send(Err(CallContext::lapsed())).await;
                return;
            }
            match read(&api, &ctx, &q).await {
                Ok(kpis) => {
                    let print = fingerprint(&kpis);
                    if print != last {
                        last = print;
                        if sender
                            .send(Ok(pb::WatchKpisResponse { kpis: Some(kpis) }))
                            .await
                            .is_err()
                        {
                            return;
                        }
                    }
                }
                Err(MonitoringError::PermissionDenied(message)) => {
                    let _ = sender.send(Err(Status::permission_denied(message))).await;
                    return;
                }
                Err(error) => tracing::warn!(%error, "a KPI watch could not read; retrying"),
            }
        }
    });
    Ok(Box::pin(tokio_stream::wrappers::ReceiverStream::new(receiver)))
}

/// Waits for a change that concerns the members; false once the feed is gone.
async fn wait_for_change(
    changes: &mut tokio::sync::broadcast::Receiver<crate::feed::Change>,
    tenant: &str,
    members: &[String],
) -> bool {
    loop {
        match changes.recv().await {
            Ok(change) if change.concerns(tenant, members) => return true,
            Ok(_) => {}
            Err(RecvError::Lagged(_)) => return true,
            Err(RecvError::Closed) => return false,
        }
    }
}
