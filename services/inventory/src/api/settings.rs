//! The tenant's inventory settings: everyone reads them, admins change them.

use lacak_proto::inventory as pb;
use lacak_runtime::Violations;
use lacak_runtime::convert::parse_decimal;
use rust_decimal::Decimal;
use tonic::Request;

use super::{InventoryApi, convert, mask_paths, principal};
use crate::error::{InventoryError, InventoryResult};
use crate::store;

pub async fn get(
    api: &InventoryApi,
    request: Request<pb::GetInventorySettingsRequest>,
) -> InventoryResult<pb::GetInventorySettingsResponse> {
    let caller = principal(&request)?;
    let model = store::settings::settings(api.db()?, &caller.tenant).await?;
    Ok(pb::GetInventorySettingsResponse {
        settings: Some(convert::settings(&model)),
    })
}

pub async fn update(
    api: &InventoryApi,
    request: Request<pb::UpdateInventorySettingsRequest>,
) -> InventoryResult<pb::UpdateInventorySettingsResponse> {
    let caller = principal(&request)?;
    if !caller.is_admin() {
        return Err(InventoryError::denied("only admins change inventory settings"));
    }
    let req = request.into_inner();
    let input = req.settings.unwrap_or_default();
    let paths = mask_paths(
        req.update_mask.as_ref(),
        &["reps_see_costs", "margin_threshold_percent", "allow_backorders"],
    )?;
    let db = api.db()?;
    let mut model = store::settings::settings(db, &caller.tenant).await?;
    let mut violations = Violations::new();
    for path in &paths {
        match path.as_str() {
            "reps_see_costs" => model.reps_see_costs = input.reps_see_costs,
            "allow_backorders" => model.allow_backorders = input.allow_backorders,
            "margin_threshold_percent" => {
                match parse_decimal(&input.margin_threshold_percent, "settings.margin_threshold_percent") {
                    Ok(threshold) if (-Decimal::ONE_HUNDRED..=Decimal::ONE_HUNDRED).contains(&threshold) => {
                        model.margin_threshold_percent = threshold.normalize().to_string();
                    }
                    Err(violation) => violations.push(violation),
                    Ok(_) => violations.add(
                        "settings.margin_threshold_percent",
                        "must be a decimal percentage within -100..=100, e.g. \"15\"",
                    ),
                }
            }
            _ => {}
        }
    }
    violations.finish()?;
    model.update_time = lacak_runtime::convert::now();
    let saved = store::settings::save(db, model).await?;
    Ok(pb::UpdateInventorySettingsResponse {
        settings: Some(convert::settings(&saved)),
    })
}
