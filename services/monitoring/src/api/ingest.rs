//! Batches of events, one request at a time or as a stream acknowledged batch by batch.

use futures::StreamExt;
use lacak_proto::monitoring as pb;
use lacak_runtime::auth::CallContext;
use lacak_runtime::convert::now;
use tonic::{Request, Status, Streaming};

use super::{IngestStream, MonitoringApi, caller, require_ingester};
use crate::error::MonitoringResult;
use crate::ingest::{self, Applied};

/// Checks and applies one batch; announces the members whose numbers changed.
async fn apply(
    api: &MonitoringApi,
    ctx: &lacak_runtime::CallContext,
    events: &[pb::IngestEvent],
    validate_only: bool,
) -> MonitoringResult<Applied> {
    let lines = ingest::size_of(events)?;
    let _room = api.line_budget.admit(lines).await?;
    let batch = ingest::check(events)?;
    if validate_only {
        ingest::check_members(&api.deps, ctx, &batch).await?;
        return Ok(Applied::default());
    }
    let applied = ingest::apply(api.db()?, &api.deps, ctx, &batch, now()).await?;
    if applied.applied > 0 {
        api.feed.announce(&ctx.principal.tenant, applied.members.clone());
    }
    Ok(applied)
}

pub async fn ingest(
    api: &MonitoringApi,
    request: Request<pb::IngestEventsRequest>,
) -> MonitoringResult<pb::IngestEventsResponse> {
    let ctx = caller(&request)?;
    require_ingester(&ctx.principal)?;
    let body = request.into_inner();
    let applied = apply(api, &ctx, &body.events, body.validate_only).await?;
    Ok(pb::IngestEventsResponse {
        applied: applied.applied,
        duplicates: applied.duplicates,
        awaiting_cost: applied.awaiting_cost,
    })
}

/// Each batch is acknowledged once committed, in order. An invalid batch ends the stream with its
/// error; the batches acknowledged before it stay applied. A batch that arrives after the caller's
/// token lapsed ends the stream UNAUTHENTICATED, unapplied.
pub async fn stream(
    api: &MonitoringApi,
    request: Request<Streaming<pb::StreamIngestEventsRequest>>,
) -> MonitoringResult<IngestStream> {
    let ctx = caller(&request)?;
    require_ingester(&ctx.principal)?;
    let api = api.clone();
    let mut incoming = request.into_inner();
    let acks = async_stream_like(move |sender| async move {
        while let Some(message) = incoming.next().await {
            let message = match message {
                Ok(message) => message,
                Err(status) => {
                    tracing::debug!(%status, "ingestion stream ended by the client");
                    return;
                }
            };
            // The token is checked for each batch, not only when the stream opened.
            if ctx.token_expired() {
                let _ = sender.send(Err(CallContext::lapsed())).await;
                return;
            }
            let outcome = apply(&api, &ctx, &message.events, message.validate_only).await;
            let reply = outcome.map(|applied| pb::StreamIngestEventsResponse {
                batch_id: message.batch_id.clone(),
                applied: applied.applied,
                duplicates: applied.duplicates,
                awaiting_cost: applied.awaiting_cost,
            });
            let failed = reply.is_err();
            if sender.send(reply.map_err(Status::from)).await.is_err() || failed {
                return;
            }
        }
    });
    Ok(acks)
}

/// A stream fed by a task: `produce` sends items until it returns or the receiver goes away.
fn async_stream_like<T, F, Fut>(produce: F) -> std::pin::Pin<Box<dyn futures::Stream<Item = T> + Send>>
where
    T: Send + 'static,
    F: FnOnce(tokio::sync::mpsc::Sender<T>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let (sender, receiver) = tokio::sync::mpsc::channel(4);
    tokio::spawn(produce(sender));
    Box::pin(tokio_stream::wrappers::ReceiverStream::new(receiver))
}
