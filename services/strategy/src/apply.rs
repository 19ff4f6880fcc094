//! Applying an accepted recommendation through the service that owns the data: goals records a
//! quota change whose source is the recommendation or adds a task to a plan; inventory creates a
//! promotion or retires a product. Every write carries the recommendation's id as its request id,
//! so applying again after a failure or a crash changes nothing twice.

use lacak_proto::common as cpb;
use lacak_proto::{goals as gpb, inventory as ipb};
use lacak_runtime::auth::CallContext;
use lacak_runtime::convert::timestamp_to_proto;
use rust_decimal::Decimal;
use tonic::Status;

use crate::conv::{to_decimal, to_money};
use crate::deps::Dependencies;
use crate::domain::model::Change;
use crate::store::Stored;

/// Longest task title goals takes.
const TITLE_LIMIT: usize = 200;

fn refusal(service: &str, status: Status) -> String {
    format!("{service} answered {:?}: {}", status.code(), status.message())
}

/// Applies the recommendation's change on behalf of `ctx`; the name of what it made, or why it
/// could not.
pub async fn apply(deps: &Dependencies, ctx: &CallContext, rec: &Stored, reason: &str) -> Result<String, String> {
    let name = rec.name();
    let summary = rec.evidence.first().map(|e| e.explanation.as_str()).unwrap_or_default();
    let why = if reason.is_empty() {
        format!("{name}: {summary}")
    } else {
        format!("{reason} ({name}: {summary})")
    };
    match &rec.change {
        None => Ok(String::new()),
        Some(Change::Quota {
            quota,
            new_target,
            new_profile,
        }) => {
            let current = deps
                .quota(ctx, quota)
                .await
                .map_err(|e| format!("reading {quota} from goals failed: {e}"))?;
            let mut update = gpb::Quota {
                name: quota.clone(),
                ..Default::default()
            };
            let mut paths = Vec::new();
            if new_profile.is_empty() {
                update.target = Some(retarget(&current.target, *new_target));
                paths.push("target".to_owned());
            } else {
                update.seasonal_profile = new_profile.iter().filter_map(|p| to_decimal(*p)).collect();
                paths.push("seasonal_profile".to_owned());
            }
            let request = gpb::UpdateQuotaRequest {
                quota: Some(update),
                update_mask: Some(prost_types::FieldMask { paths }),
                reason: why,
                source: gpb::ChangeSource::StrategyRecommendation as i32,
                source_reference: name.clone(),
                request_id: rec.row.id.clone(),
            };
            let updated = deps
                .update_quota(ctx, request)
                .await
                .map_err(|status| refusal("goals", status))?;
            Ok(deps
                .quota_change_for(ctx, &updated.name, &name)
                .await
                .unwrap_or_else(|| format!("{}/changes", updated.name)))
        }
        Some(Change::Task {
            action_plan,
            assignee,
            title,
            due,
        }) => {
            let mut title = if reason.is_empty() {
                format!("{title} [{name}]")
            } else {
                format!("{title}: {reason} [{name}]")
            };
            if title.chars().count() > TITLE_LIMIT {
                // Keep the recommendation's name whole at the end.
                let tail = format!(" [{name}]");
                let head: String = title.chars().take(TITLE_LIMIT - tail.chars().count()).collect();
                title = format!("{head}{tail}");
            }
            let request = gpb::CreateTaskRequest {
                parent: action_plan.clone(),
                task: Some(gpb::Task {
                    title,
                    assignee: assignee.clone(),
                    due_time: Some(timestamp_to_proto(*due)),
                    ..Default::default()
                }),
                request_id: rec.row.id.clone(),
            };
            deps.create_task(ctx, request)
                .await
                .map(|task| task.name)
                .map_err(|status| refusal("goals", status))
        }
        Some(Change::Promotion {
            sku,
            percent_off,
            start,
            end,
        }) => {
            let request = ipb::CreatePromotionRequest {
                promotion: Some(ipb::Promotion {
                    display_name: format!("{}% off {sku} ({name})", percent_off.normalize()),
                    discount: Some(ipb::promotion::Discount::PercentOff(
                        to_decimal(*percent_off).unwrap_or_default(),
                    )),
                    scope: Some(ipb::promotion::Scope::Product(format!("products/{sku}"))),
                    start_time: Some(timestamp_to_proto(*start)),
                    end_time: Some(timestamp_to_proto(*end)),
                    // Measured on its own: it competes with other promotions instead of adding up.
                    stacking: ipb::Stacking::Exclusive as i32,
                    ..Default::default()
                }),
                request_id: rec.row.id.clone(),
            };
            deps.create_promotion(ctx, request)
                .await
                .map(|promotion| promotion.name)
                .map_err(|status| refusal("inventory", status))
        }
        Some(Change::Retire { product }) => deps
            .retire_product(ctx, product)
            .await
            .map(|product| product.name)
            .map_err(|status| refusal("inventory", status)),
    }
}

/// The new target in the kind and currency of the old one.
fn retarget(old: &Option<cpb::Measure>, value: Decimal) -> cpb::Measure {
    let kind = match old.as_ref().and_then(|m| m.kind.as_ref()) {
        Some(cpb::measure::Kind::Money(money)) => {
            cpb::measure::Kind::Money(to_money(&money.currency_code, value).unwrap_or_default())
        }
        _ => cpb::measure::Kind::Quantity(to_decimal(value).unwrap_or_default()),
    };
    cpb::Measure { kind: Some(kind) }
}
