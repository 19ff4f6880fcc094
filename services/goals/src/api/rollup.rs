//! Team rollups: a team's quota beside the sum of its members' quotas, with the gap.

use lacak_proto::goals as pb;
use lacak_runtime::Violations;
use lacak_runtime::convert::measure_to_proto;
use lacak_runtime::error::stored_decimal;
use rust_decimal::Decimal;
use tonic::Request;

use super::quotas::scope_text;
use super::{GoalsApi, convert, principal};
use crate::domain::names::parse_name;
use crate::domain::quota::MetricKind;
use crate::error::{GoalsError, GoalsResult};
use crate::store;
use crate::store::entities::quota;

pub async fn team_rollup(
    api: &GoalsApi,
    request: Request<pb::GetTeamRollupRequest>,
) -> GoalsResult<pb::GetTeamRollupResponse> {
    let caller = principal(&request)?;
    let req = request.into_inner();
    let mut violations = Violations::new();
    let team = violations.take(parse_name(&req.team, "teams", "team"));
    let metric = violations.take(convert::metric_from_proto(req.metric, "metric"));
    let period = violations.take(convert::parse_period(&req.period, "period"));
    let scope = req.scope.clone().unwrap_or_default();
    let scope_key = [
        scope_text(&mut violations, &scope.product, "scope.product"),
        scope_text(&mut violations, &scope.product_category, "scope.product_category"),
        scope_text(&mut violations, &scope.region, "scope.region"),
        scope_text(&mut violations, &scope.segment, "scope.segment"),
    ];
    violations.finish()?;
    let (Some(team), Some(metric), Some(period)) = (team, metric, period) else {
        return Err(GoalsError::invalid("team", "is invalid"));
    };
    let db = api.db()?;
    let tenant = &caller.tenant;
    store::org::team(db, tenant, &team).await?;
    if !caller.visibility(db).await?.sees_team(&team) {
        return Err(GoalsError::denied(format!("you may not see teams/{team}")));
    }
    let tree = store::org::org_tree(db, tenant).await?;
    let subtree: Vec<String> = tree.subtree(std::slice::from_ref(&team)).into_iter().collect();
    let members = store::org::member_ids_in(db, tenant, subtree).await?;
    let keys = [
        scope_key[0].as_str(),
        scope_key[1].as_str(),
        scope_key[2].as_str(),
        scope_key[3].as_str(),
    ];
    let period = period.to_string();
    let team_quota = store::quotas::for_owners(db, tenant, metric.as_str(), &period, &keys, "team", vec![team.clone()])
        .await?
        .into_iter()
        .next();
    let member_quotas =
        store::quotas::for_owners(db, tenant, metric.as_str(), &period, &keys, "member", members).await?;

    let currency = team_quota
        .as_ref()
        .map(|q| q.currency.clone())
        .filter(|c| !c.is_empty())
        .or_else(|| Some(req.currency_code.trim().to_owned()).filter(|c| !c.is_empty()))
        .or_else(|| member_quotas.first().map(|q| q.currency.clone()))
        .unwrap_or_default();
    if let Some(other) = member_quotas.iter().find(|q| q.currency != currency) {
        return Err(GoalsError::precondition(
            "CURRENCY_MISMATCH",
            format!(
                "quotas/{} is in {:?} but the rollup is in {:?}; amounts in different currencies are never summed",
                other.id, other.currency, currency
            ),
        ));
    }
    let target = |q: &quota::Model| stored_decimal(&q.target, "quotas", "target", format!("quotas/{}", q.id));
    let amounts: Vec<Decimal> = member_quotas.iter().map(target).collect::<Result<_, _>>()?;
    let team_target: Decimal = team_quota.as_ref().map(target).transpose()?.unwrap_or_default();
    // Rates do not add up: compare the team's rate with its members' mean rate.
    let members_total = if metric.kind() == MetricKind::Rate && !amounts.is_empty() {
        amounts.iter().copied().sum::<Decimal>() / Decimal::from(amounts.len())
    } else {
        lacak_domain::allocation_gap(team_target, &amounts).members_total
    };
    let gap = team_target - members_total;
    let measure =
        |amount: Decimal| measure_to_proto(&convert::stored_measure(&currency, &amount.normalize().to_string()));
    Ok(pb::GetTeamRollupResponse {
        rollup: Some(pb::TeamRollup {
            team: format!("teams/{team}"),
            metric: convert::metric_to_proto(metric) as i32,
            period,
            scope: Some(scope),
            team_quota: team_quota.as_ref().map(convert::quota),
            member_quotas: member_quotas.iter().map(convert::quota).collect(),
            members_total: Some(measure(members_total)),
            gap: Some(measure(gap)),
        }),
    })
}
