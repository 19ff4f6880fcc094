//! Change notifications inside one process: every committed write announces the tenant and the
//! members whose numbers changed, and `WatchKpis` streams wake on the ones they watch.

use std::collections::HashSet;
use std::sync::Arc;

use tokio::sync::broadcast;

/// One committed change.
#[derive(Debug, Clone)]
pub struct Change {
    pub tenant: String,
    /// Members whose figures changed; empty means "anything may have".
    pub members: Arc<HashSet<String>>,
}

impl Change {
    /// Whether a watcher of `members` in `tenant` should look again.
    pub fn concerns(&self, tenant: &str, members: &[String]) -> bool {
        self.tenant == tenant && (self.members.is_empty() || members.iter().any(|m| self.members.contains(m)))
    }
}

/// The announcer; cheap to clone.
#[derive(Clone)]
pub struct Feed {
    sender: broadcast::Sender<Change>,
}

impl Default for Feed {
    fn default() -> Self {
        Feed {
            sender: broadcast::channel(1024).0,
        }
    }
}

impl Feed {
    pub fn announce(&self, tenant: &str, members: HashSet<String>) {
        // No receivers is fine: nobody is watching.
        let _ = self.sender.send(Change {
            tenant: tenant.to_owned(),
            members: Arc::new(members),
        });
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.sender.subscribe()
    }
}
