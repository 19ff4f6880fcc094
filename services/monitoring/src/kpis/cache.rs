//! What KPI reads took from the database, kept while the tenant has not changed: a dashboard, a
//! watch or strategy asking the same question again costs no query until something is written.
//!
//! Every committed write moves its tenant's stamp in the feed before it is answered (and, on
//! PostgreSQL, on every other replica as soon as it hears of it), and an entry is used only under
//! the stamp it was read under, so a read made after a write's answer never takes what was read
//! before it. What goals and inventory answer (organisation, calendar, a category's products)
//! is part of the question, and quotas are read on every call. Entries also lapse after
//! [`MAX_AGE`], which bounds what a lost notification could leave behind.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use lacak_domain::{FiscalCalendar, PeriodId};

use super::Scope;
use super::figures::DealFigures;
use crate::domain::pipeline::{PipelineAmounts, PipelineKey};
use crate::domain::sales_pipeline::SalesPipeline;
use crate::feed::Feed;
use crate::store::deal_rollups::DealRollupRows;
use crate::store::entities::{customer, lead};
use crate::store::kpis::SalesSums;

/// How long an entry is used at most, whatever the feed says.
pub const MAX_AGE: Duration = Duration::from_secs(30);
/// Entries kept per replica; the oldest goes first.
const CAPACITY: usize = 512;
/// About how many bytes the kept answers may take per replica; the oldest go first.
const BUDGET: usize = 64 << 20;

/// One KPI question as the database sees it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Question {
    pub tenant: String,
    pub members: Vec<String>,
    pub period: PeriodId,
    pub scope: Scope,
    /// The products a category scope stood for when asked.
    pub skus: Vec<String>,
    pub calendar: FiscalCalendar,
}

/// The pipeline by ledger key.
pub type PipelineRows = Vec<(PipelineKey, PipelineAmounts)>;

/// Sales per member and currency.
pub type SalesByMember = HashMap<String, std::collections::BTreeMap<String, SalesSums>>;

/// What the database answered to a question.
pub struct Answer {
    pub sales_pipeline: Arc<SalesPipeline>,
    pub sales: Arc<SalesByMember>,
    pub deal_rollups: Arc<DealRollupRows>,
    /// The question's members' deal figures, worked out by the first read that needs them.
    pub group_deals: Arc<OnceLock<DealFigures>>,
    pub leads: Arc<Vec<lead::Model>>,
    pub customers: Arc<Vec<customer::Model>>,
    /// The pipeline at an instant that no longer moves (a past period's end).
    pub pipeline: Option<(DateTime<Utc>, Arc<PipelineRows>)>,
}

impl Answer {
    /// About how many bytes the answer holds: a measure for the cache's budget, not an account.
    fn weight(&self) -> usize {
        const ROW: usize = 160;
        let (times, shared): (usize, usize) = self
            .deal_rollups
            .outcomes
            .iter()
            .map(|(_, sums)| (sums.won_alone.len(), sums.won_shared.len() + sums.lost_shared.len()))
            .fold((0, 0), |(a, b), (c, d)| (a + c, b + d));
        let rows = self.sales.values().map(|by_currency| by_currency.len()).sum::<usize>()
            + self.deal_rollups.outcomes.len()
            + self.deal_rollups.cohorts.len()
            + self.pipeline.as_ref().map_or(0, |(_, rows)| rows.len());
        ROW * (rows + self.leads.len() + self.customers.len()) + 24 * times + 64 * shared
    }
}

struct Entry {
    stamp: u64,
    kept: Instant,
    weight: usize,
    answer: Arc<Answer>,
}

/// The answers of one replica.
#[derive(Clone)]
pub struct ReadCache {
    feed: Feed,
    entries: Arc<Mutex<HashMap<Question, Entry>>>,
}

impl ReadCache {
    pub fn new(feed: Feed) -> Self {
        ReadCache {
            feed,
            entries: Arc::default(),
        }
    }

    /// The tenant's stamp: take it before reading what [`ReadCache::keep`] will keep.
    pub fn stamp(&self, tenant: &str) -> u64 {
        self.feed.stamp(tenant)
    }

    /// The answer to `question` read under the tenant's present stamp, if there is one.
    pub fn get(&self, question: &Question) -> Option<Arc<Answer>> {
        let stamp = self.feed.stamp(&question.tenant);
        let entries = self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        entries
            .get(question)
            .filter(|entry| entry.stamp == stamp && entry.kept.elapsed() < MAX_AGE)
            .map(|entry| entry.answer.clone())
    }

    /// Keeps an answer read under `stamp` (taken before the reads began), making room by letting
    /// the oldest answers go. An answer larger than the whole budget is not kept.
    pub fn keep(&self, question: Question, stamp: u64, answer: Arc<Answer>) {
        let weight = answer.weight();
        if weight > BUDGET {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        entries.remove(&question);
        entries.retain(|_, entry| entry.kept.elapsed() < MAX_AGE);
        let mut held: usize = entries.values().map(|entry| entry.weight).sum();
        while entries.len() >= CAPACITY || held + weight > BUDGET {
            let Some(oldest) = entries.iter().min_by_key(|(_, e)| e.kept).map(|(q, _)| q.clone()) else {
                break;
            };
            held -= entries.remove(&oldest).map_or(0, |entry| entry.weight);
        }
        entries.insert(
            question,
            Entry {
                stamp,
                kept: Instant::now(),
                weight,
                answer,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn question(tenant: &str, member: &str) -> Question {
        Question {
            tenant: tenant.into(),
            members: vec![member.into()],
            period: "FY2026-Q1".parse().unwrap(),
            scope: Scope::All,
            skus: Vec::new(),
            calendar: FiscalCalendar::default(),
        }
    }

    fn answer_of_nothing() -> Answer {
        Answer {
            sales_pipeline: Arc::new(SalesPipeline::default()),
            sales: Arc::default(),
            deal_rollups: Arc::default(),
            group_deals: Arc::default(),
            leads: Arc::default(),
            customers: Arc::default(),
            pipeline: None,
        }
    }

    fn answer() -> Arc<Answer> {
        Arc::new(answer_of_nothing())
    }

    #[test]
    fn an_answer_serves_until_its_tenant_changes() {
        let feed = Feed::default();
        let cache = ReadCache::new(feed.clone());
        let (acme, globex) = (question("acme", "ana"), question("globex", "ana"));
        cache.keep(acme.clone(), cache.stamp("acme"), answer());
        cache.keep(globex.clone(), cache.stamp("globex"), answer());
        assert!(cache.get(&acme).is_some());
        assert!(cache.get(&question("acme", "budi")).is_none(), "another question");
        feed.announce("acme", HashSet::from(["budi".to_owned()]));
        assert!(cache.get(&acme).is_none(), "any change of the tenant, whoever it names");
        assert!(cache.get(&globex).is_some(), "another tenant's change");
    }

    #[test]
    fn an_answer_read_before_a_change_is_never_served_after_it() {
        let feed = Feed::default();
        let cache = ReadCache::new(feed.clone());
        let acme = question("acme", "ana");
        let stamp = cache.stamp("acme");
        // The write is announced while the read is still under way.
        feed.announce("acme", HashSet::new());
        cache.keep(acme.clone(), stamp, answer());
        assert!(cache.get(&acme).is_none());
    }

    #[test]
    fn the_oldest_answer_makes_room() {
        let cache = ReadCache::new(Feed::default());
        for i in 0..CAPACITY + 1 {
            let q = question("acme", &format!("m{i}"));
            cache.keep(q, cache.stamp("acme"), answer());
        }
        assert!(cache.get(&question("acme", "m0")).is_none());
        assert!(cache.get(&question("acme", &format!("m{CAPACITY}"))).is_some());
        assert_eq!(cache.entries.lock().unwrap().len(), CAPACITY);
    }

    #[test]
    fn answers_are_kept_within_the_budget() {
        let cache = ReadCache::new(Feed::default());
        let big = |rows: usize| {
            let sales: SalesByMember = (0..rows)
                .map(|i| (format!("m{i}"), [("IDR".to_owned(), SalesSums::default())].into()))
                .collect();
            Arc::new(Answer {
                sales: Arc::new(sales),
                ..answer_of_nothing()
            })
        };
        // Each about 40% of the budget: the third pushes out the first.
        let share = BUDGET * 2 / 5 / 160;
        for member in ["ana", "budi", "citra"] {
            cache.keep(question("acme", member), cache.stamp("acme"), big(share));
        }
        assert!(cache.get(&question("acme", "ana")).is_none());
        assert!(cache.get(&question("acme", "budi")).is_some());
        assert!(cache.get(&question("acme", "citra")).is_some());
        cache.keep(question("acme", "dewi"), cache.stamp("acme"), big(BUDGET / 160 + 1));
        assert!(cache.get(&question("acme", "dewi")).is_none(), "larger than the budget");
    }
}
