//! The service's sense of now. Verification windows span months, so tests move a manual clock
//! instead of waiting; production reads the system clock.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

/// Now, from the system or set by hand.
#[derive(Clone, Default)]
pub struct Clock(Option<Arc<Mutex<DateTime<Utc>>>>);

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Clock(None)
    }

    /// A clock that stays at `at` until [`Clock::set`] moves it.
    pub fn manual(at: DateTime<Utc>) -> Self {
        Clock(Some(Arc::new(Mutex::new(at))))
    }

    pub fn now(&self) -> DateTime<Utc> {
        match &self.0 {
            None => lacak_runtime::convert::now(),
            Some(at) => *at.lock().unwrap_or_else(|poisoned| poisoned.into_inner()),
        }
    }

    /// Moves a manual clock; the system clock ignores it.
    pub fn set(&self, at: DateTime<Utc>) {
        if let Some(cell) = &self.0 {
            *cell.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = at;
        }
    }
}
