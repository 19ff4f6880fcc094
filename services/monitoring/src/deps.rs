//! What monitoring asks goals and inventory, with a deadline on every call and short-lived
//! per-tenant caches for what changes rarely (the calendar, the organisation).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lacak_domain::{FiscalCalendar, Principal, Role};
use lacak_proto::goals::goals_service_client::GoalsServiceClient;
use lacak_proto::inventory::inventory_service_client::InventoryServiceClient;
use lacak_proto::{goals as gpb, inventory as ipb};
use lacak_runtime::auth::CallContext;
use lacak_runtime::client::{Outgoing, Traced, all_pages, retry_idempotent, traced};
use tonic::Status;
use tonic::transport::Channel;

use crate::domain::access::{MemberInfo, Org, TeamInfo};
use crate::domain::categories::sku_categories;
use crate::error::{MonitoringError, MonitoringResult};

/// Attempts of one idempotent read before giving up on UNAVAILABLE.
const ATTEMPTS: u32 = 3;
/// How long a tenant's calendar is reused.
const CALENDAR_TTL: Duration = Duration::from_secs(60);
/// How long a tenant's organisation is reused; an owner not found in it refreshes it at once.
const ORG_TTL: Duration = Duration::from_secs(5);
/// Lines per valuation call (inventory takes at most 10,000).
const VALUATION_CHUNK: usize = 10_000;

/// The other services monitoring calls, and how it dresses its calls.
#[derive(Clone)]
pub struct Dependencies {
    goals: Traced,
    inventory: Traced,
    outgoing: Outgoing,
    calendars: Arc<Cache<FiscalCalendar>>,
    orgs: Arc<Cache<Org>>,
}

struct Cache<T> {
    ttl: Duration,
    entries: Mutex<HashMap<String, (Instant, Arc<T>)>>,
}

impl<T> Cache<T> {
    fn new(ttl: Duration) -> Self {
        Cache {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn get(&self, tenant: &str) -> Option<Arc<T>> {
        let entries = self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        entries
            .get(tenant)
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, value)| value.clone())
    }

    fn put(&self, tenant: &str, value: T) -> Arc<T> {
        let value = Arc::new(value);
        let mut entries = self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        entries.insert(tenant.to_owned(), (Instant::now(), value.clone()));
        value
    }
}

/// A tenant's calling context for calls monitoring makes on its own (background costing).
pub fn service_context(tenant: &str) -> CallContext {
    CallContext {
        principal: Principal {
            tenant: tenant.to_owned(),
            subject: crate::SERVICE_NAME.to_owned(),
            role: Role::Service,
            teams: Vec::new(),
        },
        on_behalf_of: None,
        deadline: None,
        token_expiry: None,
    }
}

fn upstream(what: &'static str) -> impl Fn(Status) -> MonitoringError {
    move |status| MonitoringError::upstream(what, status)
}

impl Dependencies {
    pub fn new(goals: Channel, inventory: Channel, outgoing: Outgoing) -> Self {
        Dependencies {
            goals: traced(goals),
            inventory: traced(inventory),
            outgoing,
            calendars: Arc::new(Cache::new(CALENDAR_TTL)),
            orgs: Arc::new(Cache::new(ORG_TTL)),
        }
    }

    fn goals(&self) -> GoalsServiceClient<Traced> {
        GoalsServiceClient::new(self.goals.clone()).max_decoding_message_size(64 << 20)
    }

    fn inventory(&self) -> InventoryServiceClient<Traced> {
        InventoryServiceClient::new(self.inventory.clone()).max_decoding_message_size(64 << 20)
    }

    /// The tenant's fiscal calendar.
    pub async fn calendar(&self, caller: &CallContext) -> MonitoringResult<Arc<FiscalCalendar>> {
        let tenant = &caller.principal.tenant;
        if let Some(calendar) = self.calendars.get(tenant) {
            return Ok(calendar);
        }
        let calendar = lacak_runtime::goals::fiscal_calendar(&self.goals(), &self.outgoing, caller, ATTEMPTS)
            .await
            .map_err(upstream("reading the fiscal calendar from goals"))?;
        Ok(self.calendars.put(tenant, calendar))
    }

    /// The tenant's organisation, refreshed when older than a few seconds.
    pub async fn org(&self, caller: &CallContext) -> MonitoringResult<Arc<Org>> {
        match self.orgs.get(&caller.principal.tenant) {
            Some(org) => Ok(org),
            None => self.fresh_org(caller).await,
        }
    }

    /// The tenant's organisation as goals has it now.
    pub async fn fresh_org(&self, caller: &CallContext) -> MonitoringResult<Arc<Org>> {
        let (teams, members) = lacak_runtime::goals::organisation(&self.goals(), &self.outgoing, caller, ATTEMPTS)
            .await
            .map_err(upstream("listing teams and members in goals"))?;
        let teams = teams
            .into_iter()
            .map(|team| {
                let id = team.name.trim_start_matches("teams/").to_owned();
                let parent = team.parent.strip_prefix("teams/").map(str::to_owned);
                (
                    id,
                    TeamInfo {
                        parent,
                        display_name: team.display_name,
                    },
                )
            })
            .collect();
        let members = members
            .into_iter()
            .map(|member| {
                let id = member.name.trim_start_matches("members/").to_owned();
                let team = member.team.strip_prefix("teams/").map(str::to_owned);
                (
                    id,
                    MemberInfo {
                        team,
                        display_name: member.display_name,
                    },
                )
            })
            .collect();
        Ok(self.orgs.put(&caller.principal.tenant, Org::new(teams, members)))
    }

    /// Every quota of `owner` ("members/x" or "teams/x") for `period`.
    pub async fn quotas(&self, caller: &CallContext, owner: &str, period: &str) -> MonitoringResult<Vec<gpb::Quota>> {
        all_pages(ATTEMPTS, |page_token| async move {
            let request = self.outgoing.request(
                caller,
                gpb::ListQuotasRequest {
                    owner: owner.to_owned(),
                    period: period.to_owned(),
                    page_size: 1000,
                    page_token,
                    ..Default::default()
                },
            )?;
            let page = self.goals().list_quotas(request).await?.into_inner();
            Ok((page.quotas, page.next_page_token))
        })
        .await
        .map_err(upstream("listing quotas in goals"))
    }

    /// The SKUs of a category and its sub-categories.
    pub async fn skus_in_category(&self, caller: &CallContext, category: &str) -> MonitoringResult<Vec<String>> {
        let products = all_pages(ATTEMPTS, |page_token| async move {
            let request = self.outgoing.request(
                caller,
                ipb::ListProductsRequest {
                    category: format!("categories/{category}"),
                    page_size: 1000,
                    page_token,
                    ..Default::default()
                },
            )?;
            let page = self.inventory().list_products(request).await?.into_inner();
            Ok((page.products, page.next_page_token))
        })
        .await
        .map_err(upstream("listing a category's products in inventory"))?;
        Ok(products.into_iter().map(|p| p.sku).collect())
    }

    /// Every categorised SKU of the catalogue with the categories it counts in (see
    /// [`sku_categories`]): the whole catalogue and the category tree, read at once instead of
    /// one listing per category.
    pub async fn sku_categories(&self, caller: &CallContext) -> MonitoringResult<HashMap<String, Vec<String>>> {
        let products = all_pages(ATTEMPTS, |page_token| async move {
            let request = self.outgoing.request(
                caller,
                ipb::ListProductsRequest {
                    page_size: 1000,
                    page_token,
                    ..Default::default()
                },
            )?;
            let page = self.inventory().list_products(request).await?.into_inner();
            Ok((page.products, page.next_page_token))
        });
        let categories = all_pages(ATTEMPTS, |page_token| async move {
            let request = self.outgoing.request(
                caller,
                ipb::ListCategoriesRequest {
                    page_size: 1000,
                    page_token,
                    ..Default::default()
                },
            )?;
            let page = self.inventory().list_categories(request).await?.into_inner();
            Ok((page.categories, page.next_page_token))
        });
        let (products, categories) = futures::future::try_join(products, categories)
            .await
            .map_err(upstream("listing the catalogue's products and categories in inventory"))?;
        let id = |name: &str| name.trim_start_matches("categories/").to_owned();
        let parents: HashMap<String, Option<String>> = categories
            .iter()
            .map(|c| (id(&c.name), (!c.parent.is_empty()).then(|| id(&c.parent))))
            .collect();
        let categorised: Vec<(String, String)> = products.into_iter().map(|p| (p.sku, id(&p.category))).collect();
        Ok(sku_categories(
            categorised
                .iter()
                .map(|(sku, category)| (sku.as_str(), category.as_str())),
            &parents,
        ))
    }

    /// The cost and price of each line at its instant, in the order asked. An error means
    /// inventory could not answer; the caller decides what waits.
    pub async fn valuations(
        &self,
        caller: &CallContext,
        lines: Vec<ipb::ValuationLine>,
    ) -> Result<Vec<ipb::Valuation>, Status> {
        let mut valuations = Vec::with_capacity(lines.len());
        for chunk in lines.chunks(VALUATION_CHUNK) {
            let response = retry_idempotent(ATTEMPTS, || async {
                let request = self
                    .outgoing
                    .request(caller, ipb::BatchGetValuationsRequest { lines: chunk.to_vec() })?;
                self.inventory().batch_get_valuations(request).await
            })
            .await?;
            valuations.extend(response.into_inner().valuations);
        }
        Ok(valuations)
    }
}
