//! KPIs: read once, or watched — sent now and again within a second of every change.

use std::time::Duration;

use lacak_domain::PeriodId;
use lacak_proto::common as cpb;
use lacak_proto::monitoring as pb;
use lacak_runtime::CallContext;
use prost::Message;
use tokio::sync::broadcast::error::RecvError;
use tonic::{Request, Status};

use super::{MonitoringApi, WatchStream, caller, parse_owner, period_and_currency};
use crate::domain::access::Owner;
use crate::error::{MonitoringError, MonitoringResult};
use crate::kpis::{self, Scope};
use crate::quota_periods;

/// How often a watcher looks again even without a change announced in this process (a write
/// served by another replica).
const RECHECK: Duration = Duration::from_secs(1);
/// How long a watcher gathers further changes before reading, so a burst is one read.
const SETTLE: Duration = Duration::from_millis(50);

/// A checked KPI question.
#[derive(Clone)]
pub struct KpiQuestion {
    pub owner: Owner,
    pub period: PeriodId,
    pub scope: Scope,
    pub currency: String,
}

pub fn question(
    owner: &str,
    period: &str,
    scope: Option<&cpb::Scope>,
    currency: &str,
) -> MonitoringResult<KpiQuestion> {
    let mut v = lacak_runtime::Violations::new();
    let owner = v.take(parse_owner(owner, "owner"));
    let period = period_and_currency(&mut v, period, currency);
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
        }),
        _ => Err(MonitoringError::invalid("owner", "is invalid")),
    }
}

/// Reads the KPIs of a question the caller may ask.
pub async fn read(api: &MonitoringApi, ctx: &CallContext, q: &KpiQuestion) -> MonitoringResult<pb::Kpis> {
    let org = api.see_owner(ctx, &q.owner).await?;
    let db = api.db()?;
    let members = org.members_of(&q.owner);
    let calendar = *api.deps.calendar(ctx).await?;
    let facts = kpis::gather(
        db,
        &api.deps,
        ctx,
        calendar,
        &members,
        q.period,
        q.scope.clone(),
        &q.currency,
    )
    .await?;
    // The owner's quotas of the period, then those of the quarter and year around it read for it.
    let (owner, period) = (q.owner.name(), q.period.to_string());
    let (mut quotas, wider) = tokio::try_join!(
        api.deps.quotas(ctx, &owner, &period),
        quota_periods::enclosing(&api.deps, ctx, &owner, &q.period),
    )?;
    quotas.extend(wider.iter().map(|w| w.narrowed.clone()));
    let other = kpis::other_currency_actuals(db, &api.deps, ctx, &facts, &members, &quotas).await?;
    let mut kpis = kpis::compose(&q.owner, &members, &facts, &quotas, &other)?;
    quota_periods::label(&mut kpis.attainments, &quotas, &wider);
    Ok(kpis)
}

pub async fn get(api: &MonitoringApi, request: Request<pb::GetKpisRequest>) -> MonitoringResult<pb::GetKpisResponse> {
    let ctx = caller(&request)?;
    let body = request.into_inner();
    let q = question(&body.owner, &body.period, body.scope.as_ref(), &body.currency_code)?;
    Ok(pb::GetKpisResponse {
        kpis: Some(read(api, &ctx, &q).await?),
    })
}

/// The KPIs without their read time: what a watcher compares to decide whether to send.
fn fingerprint(kpis: &pb::Kpis) -> Vec<u8> {
    let mut copy = kpis.clone();
    copy.read_time = None;
    copy.encode_to_vec()
}

pub async fn watch(api: &MonitoringApi, request: Request<pb::WatchKpisRequest>) -> MonitoringResult<WatchStream> {
    let ctx = caller(&request)?;
    let body = request.into_inner();
    let q = question(&body.owner, &body.period, body.scope.as_ref(), &body.currency_code)?;
    let first = read(api, &ctx, &q).await?;
    let api = api.clone();
    let (sender, receiver) = tokio::sync::mpsc::channel::<Result<pb::WatchKpisResponse, Status>>(4);
    let mut changes = api.feed.subscribe();
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
                Ok(org) => org.members_of(&q.owner),
                Err(_) => Vec::new(),
            };
            tokio::select! {
                () = sender.closed() => return,
                () = tokio::time::sleep(RECHECK) => {}
                changed = wait_for_change(&mut changes, &tenant, &members) => {
                    if !changed {
                        return;
                    }
                    tokio::time::sleep(SETTLE).await;
                }
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
