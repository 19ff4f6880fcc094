//! Replays deals recorded before the pipeline ledger existed into it (migration m0002): who holds
//! credit in each, and the ledger rows of its history — created in its first stage, moved at each
//! recorded move, closed at its close — with the deal's present amount, credit and forecast
//! category throughout (their past values were not kept; a closed deal's open category reads as
//! "pipeline").

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, Query};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder};

use super::deals::{attach_stages, credit_of};
use super::entities::{customer, deal, deal_credit};
use crate::domain::pipeline::{DealPosition, PipelineAmounts, PipelineKey, change, contribution};
use crate::error::{MonitoringError, MonitoringResult};

/// Replays every tenant's deals.
#[tracing::instrument(name = "db.deals", skip_all, fields(otel.kind = "client"))]
pub async fn deals<C: ConnectionTrait>(db: &C) -> MonitoringResult<()> {
    let tenants: Vec<String> = deal::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|d| d.tenant)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    for tenant in tenants {
        tenant_deals(db, &tenant).await?;
    }
    Ok(())
}

async fn tenant_deals<C: ConnectionTrait>(db: &C, tenant: &str) -> MonitoringResult<()> {
    let deals = deal::Entity::find()
        .filter(deal::Column::Tenant.eq(tenant))
        .order_by_asc(deal::Column::Id)
        .all(db)
        .await?;
    let places: BTreeMap<String, (String, String)> = customer::Entity::find()
        .filter(customer::Column::Tenant.eq(tenant))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, (c.region, c.segment)))
        .collect();
    let mut ledger: BTreeMap<(PipelineKey, DateTime<Utc>), PipelineAmounts> = BTreeMap::new();
    for record in attach_stages(db, deals).await? {
        let mut deal = record.deal;
        let credit = credit_of(&deal)?;
        deal_credit::Entity::insert_many(credit.iter().map(|share| {
            deal_credit::Model {
                tenant: deal.tenant.clone(),
                deal_id: deal.id.clone(),
                member: share.member.clone(),
                percent: share.percent.normalize().to_string(),
            }
            .into_active_model()
        }))
        .exec(db)
        .await?;
        (deal.region, deal.segment) = places.get(&deal.customer).cloned().unwrap_or_default();
        let amount = deal
            .amount
            .parse()
            .map_err(|_| MonitoringError::invalid("deal.amount", format!("deals/{} amount", deal.id)))?;
        let category = if deal.outcome.is_empty() {
            deal.forecast_category.clone()
        } else {
            "pipeline".to_owned()
        };
        let mut events: Vec<(DateTime<Utc>, String, bool)> = record
            .stages
            .iter()
            .map(|s| (s.time, s.to_stage.clone(), true))
            .collect();
        if events.is_empty() {
            events.push((deal.create_time, deal.stage.clone(), true));
        }
        if let (Some(closed), false) = (deal.close_time, deal.outcome.is_empty()) {
            let stage = events.last().map(|e| e.1.clone()).unwrap_or_default();
            events.push((closed, stage, false));
        }
        let mut before = BTreeMap::new();
        let mut latest = deal.create_time;
        for (time, stage, open) in events {
            latest = latest.max(time);
            let after = contribution(&DealPosition {
                open,
                credit: &credit,
                currency: &deal.currency,
                amount,
                stage: &stage,
                category: &category,
                region: &deal.region,
                segment: &deal.segment,
            })
            .map_err(|error| MonitoringError::invalid("deal.amount", error.to_string()))?;
            for (key, delta) in change(&before, &after) {
                ledger.entry((key, latest)).or_default().add(delta);
            }
            before = after;
        }
        deal.pipeline_time = Some(latest);
        deal.into_active_model().reset_all().update(db).await?;
    }
    // Keys in order, times in order within each: running balances without look-ups.
    let mut balance: Option<(PipelineKey, PipelineAmounts)> = None;
    for ((key, time), delta) in ledger {
        if delta.is_zero() {
            continue;
        }
        let mut running = match balance.take() {
            Some((last, amounts)) if last == key => amounts,
            _ => {
                insert_key(db, tenant, &key).await?;
                PipelineAmounts::default()
            }
        };
        running.add(delta);
        let row = Query::insert()
            .into_table(Alias::new("pipeline_ledger"))
            .columns(
                [
                    "tenant",
                    "member",
                    "currency",
                    "stage",
                    "category",
                    "region",
                    "segment",
                    "time",
                    "amount_delta",
                    "count_delta",
                    "amount_balance",
                    "count_balance",
                ]
                .map(Alias::new),
            )
            .values_panic([
                Expr::from(tenant),
                key.member.as_str().into(),
                key.currency.as_str().into(),
                key.stage.as_str().into(),
                key.category.as_str().into(),
                key.region.as_str().into(),
                key.segment.as_str().into(),
                time.into(),
                delta.amount.into(),
                delta.count.into(),
                running.amount.into(),
                running.count.into(),
            ])
            .to_owned();
        db.execute(&row).await?;
        balance = Some((key, running));
    }
    Ok(())
}

async fn insert_key<C: ConnectionTrait>(db: &C, tenant: &str, key: &PipelineKey) -> MonitoringResult<()> {
    let row = Query::insert()
        .into_table(Alias::new("pipeline_keys"))
        .columns(["tenant", "member", "currency", "stage", "category", "region", "segment"].map(Alias::new))
        .values_panic([
            Expr::from(tenant),
            key.member.as_str().into(),
            key.currency.as_str().into(),
            key.stage.as_str().into(),
            key.category.as_str().into(),
            key.region.as_str().into(),
            key.segment.as_str().into(),
        ])
        .to_owned();
    db.execute(&row).await?;
    Ok(())
}
