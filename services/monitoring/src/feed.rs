//! Change notifications: every committed write announces the tenant and the members whose numbers
//! changed, and `WatchKpis` streams wake on the ones they watch. Within one process they travel on
//! a broadcast channel. On PostgreSQL they also cross replicas: each announcement is published
//! with `pg_notify` on a connection of its own, and every replica listens (`LISTEN`) and hands
//! what other replicas announced to its own watchers, so a write on one replica reaches a watcher
//! on another in milliseconds, without polling.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lacak_runtime::server::Draining;
use sea_orm::sqlx::postgres::{PgConnection, PgListener};
use sea_orm::sqlx::{self, Connection};
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, mpsc};

/// The PostgreSQL notification channel of monitoring's changes.
const CHANNEL: &str = "lacak_monitoring_changes";
/// PostgreSQL refuses payloads of 8000 bytes or more; a longer member list is sent as "anyone".
const MAX_PAYLOAD: usize = 7900;
/// How long a lost connection to PostgreSQL waits before it is made again.
const RECONNECT: Duration = Duration::from_secs(1);

/// One committed change.
#[derive(Debug, Clone)]
pub struct Change {
    /// The tenant; empty for "every tenant" (after the feed may have missed changes).
    pub tenant: String,
    /// Members whose figures changed; empty means "anything may have".
    pub members: Arc<HashSet<String>>,
}

impl Change {
    /// Whether a watcher of `members` in `tenant` should look again.
    pub fn concerns(&self, tenant: &str, members: &[String]) -> bool {
        self.tenant.is_empty()
            || (self.tenant == tenant && (self.members.is_empty() || members.iter().any(|m| self.members.contains(m))))
    }
}

/// A change as it travels between replicas.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Published {
    /// The announcing process, which has told its own watchers already.
    origin: String,
    tenant: String,
    members: Vec<String>,
}

impl Published {
    /// The notification payload: the members dropped (meaning "anyone") when they would not fit.
    fn payload(&self) -> String {
        let text = serde_json::to_string(self).unwrap_or_default();
        if text.len() < MAX_PAYLOAD {
            return text;
        }
        serde_json::to_string(&Published {
            origin: self.origin.clone(),
            tenant: self.tenant.clone(),
            members: Vec::new(),
        })
        .unwrap_or_default()
    }
}

/// The announcer; cheap to clone.
#[derive(Clone)]
pub struct Feed {
    sender: broadcast::Sender<Change>,
    /// To the publisher, on PostgreSQL.
    publish: Option<mpsc::UnboundedSender<Published>>,
    origin: Arc<str>,
    stamps: Arc<Mutex<Stamps>>,
}

/// When each tenant last changed, as far as this process has heard, on one counter: what was read
/// under a tenant's [`Feed::stamp`] is still what the database holds while the stamp stays the same.
#[derive(Default)]
struct Stamps {
    last: u64,
    /// Stamped when changes may have been missed: every tenant changed then.
    everyone: u64,
    tenants: HashMap<String, u64>,
}

impl Default for Feed {
    fn default() -> Self {
        Feed {
            sender: broadcast::channel(1024).0,
            publish: None,
            origin: lacak_runtime::names::new_id().into(),
            stamps: Arc::default(),
        }
    }
}

impl Feed {
    /// A feed for the database at `url`: across replicas on PostgreSQL, in process on SQLite
    /// (one process owns the file). Its tasks stop when the server drains.
    pub fn for_database(url: &str, draining: &Draining) -> Self {
        let mut feed = Feed::default();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let url = lacak_runtime::db::tune_postgres_url(url);
            let (publish, outgoing) = mpsc::unbounded_channel();
            feed.publish = Some(publish);
            tokio::spawn(publisher(url.clone(), outgoing, draining.clone()));
            tokio::spawn(listener(url, feed.clone(), draining.clone()));
        }
        feed
    }

    /// Announces a committed change. The tenant's stamp moves before this returns, so a read made
    /// after the write's answer never takes what was read before it.
    pub fn announce(&self, tenant: &str, members: HashSet<String>) {
        self.restamp(Some(tenant));
        if let Some(publish) = &self.publish {
            let _ = publish.send(Published {
                origin: self.origin.to_string(),
                tenant: tenant.to_owned(),
                members: members.iter().cloned().collect(),
            });
        }
        // No receivers is fine: nobody is watching.
        let _ = self.sender.send(Change {
            tenant: tenant.to_owned(),
            members: Arc::new(members),
        });
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.sender.subscribe()
    }

    /// The tenant's stamp now: take it before reading, and what was read stays good while it holds.
    pub fn stamp(&self, tenant: &str) -> u64 {
        let stamps = self.stamps.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        stamps.tenants.get(tenant).copied().unwrap_or(0).max(stamps.everyone)
    }

    /// Moves a tenant's stamp (`None`: every tenant's).
    fn restamp(&self, tenant: Option<&str>) {
        let mut stamps = self.stamps.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        stamps.last += 1;
        let now = stamps.last;
        match tenant {
            Some(tenant) => {
                stamps.tenants.insert(tenant.to_owned(), now);
            }
            None => stamps.everyone = now,
        }
    }

    /// Hands a change another replica published to this process's watchers.
    fn deliver(&self, payload: &str) {
        match serde_json::from_str::<Published>(payload) {
            Ok(published) if *published.origin == *self.origin => {}
            Ok(published) => {
                self.restamp(Some(&published.tenant));
                let _ = self.sender.send(Change {
                    tenant: published.tenant,
                    members: Arc::new(published.members.into_iter().collect()),
                });
            }
            Err(error) => tracing::warn!(%error, "a change notification that does not parse"),
        }
    }

    /// Wakes every watcher: changes may have been missed.
    fn wake_everyone(&self) {
        self.restamp(None);
        let _ = self.sender.send(Change {
            tenant: String::new(),
            members: Arc::new(HashSet::new()),
        });
    }
}

/// Publishes this process's changes with `pg_notify`, on a connection of its own.
async fn publisher(url: String, mut outgoing: mpsc::UnboundedReceiver<Published>, mut draining: Draining) {
    let mut connection: Option<PgConnection> = None;
    loop {
        let published = tokio::select! {
            next = outgoing.recv() => match next {
                Some(published) => published,
                None => return,
            },
            () = draining.started() => return,
        };
        if connection.is_none() {
            match PgConnection::connect(&url).await {
                Ok(made) => connection = Some(made),
                Err(error) => {
                    tracing::warn!(%error, "cannot publish a change to other replicas; their watchers look again within 30 s");
                    tokio::time::sleep(RECONNECT).await;
                    continue;
                }
            }
        }
        if let Some(conn) = connection.as_mut() {
            let sent = sqlx::query("SELECT pg_notify($1, $2)")
                .bind(CHANNEL)
                .bind(published.payload())
                .execute(&mut *conn)
                .await;
            if let Err(error) = sent {
                tracing::warn!(%error, "publishing a change failed; reconnecting");
                connection = None;
            }
        }
    }
}

/// Listens for the changes other replicas publish and hands them to this process's watchers.
async fn listener(url: String, feed: Feed, mut draining: Draining) {
    loop {
        let mut listener = match PgListener::connect(&url).await {
            Ok(mut listener) => match listener.listen(CHANNEL).await {
                Ok(()) => listener,
                Err(error) => {
                    tracing::warn!(%error, "cannot listen for other replicas' changes; retrying");
                    tokio::time::sleep(RECONNECT).await;
                    continue;
                }
            },
            Err(error) => {
                tracing::warn!(%error, "cannot listen for other replicas' changes; retrying");
                tokio::select! {
                    () = tokio::time::sleep(RECONNECT) => continue,
                    () = draining.started() => return,
                }
            }
        };
        // What happened while not listening is unknown: every watcher looks again.
        feed.wake_everyone();
        loop {
            let received = tokio::select! {
                received = listener.try_recv() => received,
                () = draining.started() => return,
            };
            match received {
                Ok(Some(notification)) => feed.deliver(notification.payload()),
                // The connection dropped and was made again; changes in between may be lost.
                Ok(None) => feed.wake_everyone(),
                Err(error) => {
                    tracing::warn!(%error, "listening for other replicas' changes failed; reconnecting");
                    break;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_concerns_the_watchers_of_its_members_in_its_tenant() {
        let change = Change {
            tenant: "acme".into(),
            members: Arc::new(["ana".to_owned()].into()),
        };
        assert!(change.concerns("acme", &["budi".into(), "ana".into()]));
        assert!(!change.concerns("acme", &["budi".into()]));
        assert!(!change.concerns("globex", &["ana".into()]));
        let anyone = Change {
            tenant: "acme".into(),
            members: Arc::new(HashSet::new()),
        };
        assert!(anyone.concerns("acme", &["budi".into()]));
        let everyone = Change {
            tenant: String::new(),
            members: Arc::new(HashSet::new()),
        };
        assert!(everyone.concerns("globex", &[]));
    }

    #[test]
    fn a_payload_too_long_for_postgres_says_anyone_in_the_tenant() {
        let short = Published {
            origin: "o".into(),
            tenant: "acme".into(),
            members: vec!["ana".into()],
        };
        assert_eq!(serde_json::from_str::<Published>(&short.payload()).unwrap(), short);
        let long = Published {
            origin: "o".into(),
            tenant: "acme".into(),
            members: (0..2000).map(|i| format!("member-{i}")).collect(),
        };
        let payload = long.payload();
        assert!(payload.len() < MAX_PAYLOAD);
        let read: Published = serde_json::from_str(&payload).unwrap();
        assert_eq!((read.tenant.as_str(), read.members.len()), ("acme", 0));
    }

    #[test]
    fn a_stamp_moves_with_its_tenants_changes_and_with_everyones() {
        let feed = Feed::default();
        let (acme, globex) = (feed.stamp("acme"), feed.stamp("globex"));
        feed.announce("acme", HashSet::new());
        assert_ne!(feed.stamp("acme"), acme);
        assert_eq!(feed.stamp("globex"), globex);
        let acme = feed.stamp("acme");
        feed.deliver(
            &Published {
                origin: "another replica".into(),
                tenant: "globex".into(),
                members: Vec::new(),
            }
            .payload(),
        );
        assert_ne!(feed.stamp("globex"), globex);
        assert_eq!(feed.stamp("acme"), acme);
        // Its own change coming back from the database moves nothing more.
        let globex = feed.stamp("globex");
        feed.deliver(
            &Published {
                origin: feed.origin.to_string(),
                tenant: "globex".into(),
                members: Vec::new(),
            }
            .payload(),
        );
        assert_eq!(feed.stamp("globex"), globex);
        feed.wake_everyone();
        assert_ne!(feed.stamp("acme"), acme);
        assert_ne!(feed.stamp("globex"), globex);
        assert_ne!(feed.stamp("initech"), 0);
    }

    #[tokio::test]
    async fn a_replica_hands_on_what_others_published_not_its_own() {
        let feed = Feed::default();
        let mut changes = feed.subscribe();
        let own = Published {
            origin: feed.origin.to_string(),
            tenant: "acme".into(),
            members: vec!["ana".into()],
        };
        feed.deliver(&own.payload());
        let other = Published {
            origin: "another replica".into(),
            tenant: "acme".into(),
            members: vec!["budi".into()],
        };
        feed.deliver(&other.payload());
        let change = changes.try_recv().expect("the other replica's change");
        assert!(change.concerns("acme", &["budi".into()]));
        assert!(changes.try_recv().is_err(), "its own was delivered locally already");
    }
}
