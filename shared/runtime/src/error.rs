//! Building blocks of rich gRPC errors: every status carries `ErrorInfo`, bad input `BadRequest`.

use std::collections::HashMap;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, FieldViolation as ProtoFieldViolation, StatusExt};

/// One invalid field of a request, named by its path (e.g. `quota.target.money.currency_code`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    pub field: String,
    pub description: String,
}

impl FieldViolation {
    pub fn new(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            description: description.into(),
        }
    }
}

/// Status messages echo what callers sent, and a default gRPC client refuses to read a status
/// whose headers pass 8 KiB (it reports RESOURCE_EXHAUSTED instead): a message holds at most this
/// many bytes, each field violation's description at most [`MAX_DESCRIPTION`], and the details at
/// most [`MAX_VIOLATIONS`] violations.
pub const MAX_MESSAGE: usize = 1024;
pub const MAX_DESCRIPTION: usize = 200;
pub const MAX_VIOLATIONS: usize = 20;

/// `text` cut to at most `max` bytes (at a character boundary), saying how much was left out.
pub fn bounded(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut cut = max.saturating_sub(32);
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}… ({} bytes cut)", &text[..cut], text.len() - cut)
}

/// Collects every invalid field of a request, so the caller learns all of them at once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Violations(Vec<FieldViolation>);

impl Violations {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: impl Into<String>, description: impl Into<String>) {
        self.0.push(FieldViolation::new(field, description));
    }

    pub fn push(&mut self, violation: FieldViolation) {
        self.0.push(violation);
    }

    /// Records the violation of a failed result and gives back its value, if any.
    pub fn take<T>(&mut self, result: Result<T, FieldViolation>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(violation) => {
                self.0.push(violation);
                None
            }
        }
    }

    pub fn check(&mut self, ok: bool, field: &str, description: &str) {
        if !ok {
            self.add(field, description);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &FieldViolation> {
        self.0.iter()
    }

    /// `Ok(())` when nothing was invalid.
    pub fn finish(self) -> Result<(), Violations> {
        if self.0.is_empty() { Ok(()) } else { Err(self) }
    }

    /// INVALID_ARGUMENT with one `BadRequest` field violation per invalid field.
    /// Descriptions, the message and the number of violations in the details are bounded
    /// ([`MAX_MESSAGE`]); the message says how many violations the details leave out.
    pub fn into_status(self, domain: &str) -> Status {
        let total = self.0.len();
        let shown: Vec<FieldViolation> = self
            .0
            .into_iter()
            .take(MAX_VIOLATIONS)
            .map(|v| FieldViolation {
                field: bounded(&v.field, MAX_DESCRIPTION),
                description: bounded(&v.description, MAX_DESCRIPTION),
            })
            .collect();
        let mut message = shown
            .iter()
            .map(|v| format!("{}: {}", v.field, v.description))
            .collect::<Vec<_>>()
            .join("; ");
        if total > shown.len() {
            message.push_str(&format!("; and {} more invalid fields", total - shown.len()));
        }
        let mut details = ErrorDetails::with_bad_request(
            shown
                .into_iter()
                .map(|v| ProtoFieldViolation::new(v.field, v.description))
                .collect::<Vec<_>>(),
        );
        details.set_error_info("INVALID_ARGUMENT", domain, HashMap::new());
        Status::with_error_details(Code::InvalidArgument, bounded(&message, MAX_MESSAGE), details)
    }
}

impl<'a> FromIterator<&'a FieldViolation> for Violations {
    fn from_iter<I: IntoIterator<Item = &'a FieldViolation>>(iter: I) -> Self {
        Self(iter.into_iter().cloned().collect())
    }
}

impl From<FieldViolation> for Violations {
    fn from(violation: FieldViolation) -> Self {
        Self(vec![violation])
    }
}

/// A status with `ErrorInfo { reason, domain }` so clients can branch on a stable reason.
/// The message is bounded ([`MAX_MESSAGE`]): it may echo a name the caller sent.
pub fn with_info(code: Code, message: impl Into<String>, reason: &str, domain: &str) -> Status {
    with_details(code, message, reason, domain, Acting::default())
}

/// What a caller needs to act on an error, beyond its reason: `ErrorInfo.metadata` entries
/// (values bounded like messages) and, for errors worth retrying, a `RetryInfo` delay.
#[derive(Debug, Default)]
pub struct Acting {
    pub metadata: Vec<(&'static str, String)>,
    pub retry_after: Option<std::time::Duration>,
}

impl Acting {
    /// Worth retrying after `delay`.
    pub fn retry_after(delay: std::time::Duration) -> Self {
        Self {
            metadata: Vec::new(),
            retry_after: Some(delay),
        }
    }

    /// About one resource: which kind, and its name.
    fn resource(what: &str, name: String) -> Self {
        Self {
            metadata: vec![("resource_type", what.to_owned()), ("resource_name", name)],
            retry_after: None,
        }
    }
}

/// [`with_info`] with what a caller needs to act.
pub fn with_details(code: Code, message: impl Into<String>, reason: &str, domain: &str, acting: Acting) -> Status {
    let mut details = ErrorDetails::new();
    let metadata: HashMap<String, String> = acting
        .metadata
        .into_iter()
        .map(|(key, value)| (key.to_owned(), bounded(&value, MAX_DESCRIPTION)))
        .collect();
    details.set_error_info(reason, domain, metadata);
    if let Some(delay) = acting.retry_after {
        details.set_retry_info(Some(delay));
    }
    Status::with_error_details(code, bounded(&message.into(), MAX_MESSAGE), details)
}

/// How long a caller should wait before retrying a call refused for load or a lost database.
pub const RETRY_AFTER_UNAVAILABLE: std::time::Duration = std::time::Duration::from_secs(1);
/// How long before retrying a call that lost a race with a concurrent write.
pub const RETRY_AFTER_CONFLICT: std::time::Duration = std::time::Duration::from_millis(100);

/// Whether a database error says a concurrent write went first: a duplicate key no check could
/// foresee, a serialization failure or a deadlock (PostgreSQL `40001`, `40P01`). The same call
/// may well succeed when retried.
pub fn is_concurrent_write(error: &sea_orm::DbErr) -> bool {
    use sea_orm::{DbErr, RuntimeErr, SqlErr};
    if matches!(error.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) {
        return true;
    }
    let code = match error {
        DbErr::Query(RuntimeErr::SqlxError(e)) | DbErr::Exec(RuntimeErr::SqlxError(e)) => {
            e.as_database_error().and_then(|d| d.code().map(|c| c.into_owned()))
        }
        _ => None,
    };
    matches!(code.as_deref(), Some("40001" | "40P01"))
}

/// Whether a database error says the database cannot be reached now: no connection to be had in
/// time, a connection that broke (the server stopped, the network failed), or the server refusing
/// work while it starts or shuts down (PostgreSQL classes `08` and `57P`). A retry may succeed.
pub fn is_unreachable(error: &sea_orm::DbErr) -> bool {
    use sea_orm::{DbErr, RuntimeErr, SqlxError};
    match error {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Query(RuntimeErr::SqlxError(e)) | DbErr::Exec(RuntimeErr::SqlxError(e)) => match &**e {
            SqlxError::Io(_) | SqlxError::PoolTimedOut | SqlxError::PoolClosed | SqlxError::WorkerCrashed => true,
            SqlxError::Database(database) => database
                .code()
                .is_some_and(|code| code.starts_with("08") || code.starts_with("57P")),
            _ => false,
        },
        _ => false,
    }
}

/// The status for a database failure: UNAVAILABLE when the database cannot be reached (a retry
/// may succeed), ABORTED when a concurrent write went first (retry the call), else INTERNAL with
/// the cause logged here once and not shown to the caller.
pub fn database_status(error: &sea_orm::DbErr, domain: &str) -> Status {
    if is_concurrent_write(error) {
        tracing::info!(%error, "a concurrent write went first");
        return with_details(
            Code::Aborted,
            "a concurrent write to the same data went first; retry the call",
            "CONCURRENT_WRITE",
            domain,
            Acting::retry_after(RETRY_AFTER_CONFLICT),
        );
    }
    match error {
        error if is_unreachable(error) => {
            tracing::warn!(%error, "database unavailable");
            with_details(
                Code::Unavailable,
                "the database is unavailable; retry later",
                "DATABASE_UNAVAILABLE",
                domain,
                Acting::retry_after(RETRY_AFTER_UNAVAILABLE),
            )
        }
        _ => {
            tracing::error!(%error, "database error");
            with_info(Code::Internal, "an internal error occurred", "INTERNAL", domain)
        }
    }
}

/// The error domain of one service, e.g. `goals.lacak.dev`: `ErrorInfo.domain` of its errors.
pub trait ErrorDomain: Send + Sync + 'static {
    const DOMAIN: &'static str;
}

/// What can go wrong in a service's handler; `D` says which service. Mapped to a status with
/// `ErrorInfo` (and `BadRequest` for invalid input) in exactly one place, below.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError<D: ErrorDomain> {
    #[error("invalid request")]
    Invalid(Violations),
    #[error("{what} {name:?} not found")]
    NotFound { what: &'static str, name: String },
    #[error("{what} {name:?} already exists")]
    AlreadyExists { what: &'static str, name: String },
    #[error("{message}")]
    FailedPrecondition { reason: &'static str, message: String },
    #[error("{0}")]
    PermissionDenied(String),
    #[error("{0}")]
    Aborted(String),
    /// A concurrent write went first; retrying the call may succeed.
    #[error("{0}")]
    Conflict(String),
    /// The service has no room for this call now; retrying later with backoff may succeed.
    #[error("{0}")]
    Overloaded(String),
    /// A stored value does not read as its type: the row is damaged. Never read as zero.
    #[error("a stored value cannot be read: {table}.{column} of {row}")]
    Damaged {
        table: &'static str,
        column: &'static str,
        row: String,
    },
    #[error("the database is not ready yet")]
    NotReady,
    /// Another Lacak service answered with an error; `what` says which call.
    #[error("{what}: {}", .status.message())]
    Upstream { what: &'static str, status: Status },
    #[error(transparent)]
    Database(#[from] sea_orm::DbErr),
    #[doc(hidden)]
    #[error("unreachable")]
    Never(std::marker::PhantomData<D>, std::convert::Infallible),
}

impl<D: ErrorDomain> ServiceError<D> {
    pub fn not_found(what: &'static str, name: impl Into<String>) -> Self {
        ServiceError::NotFound {
            what,
            name: name.into(),
        }
    }

    pub fn denied(message: impl Into<String>) -> Self {
        ServiceError::PermissionDenied(message.into())
    }

    pub fn precondition(reason: &'static str, message: impl Into<String>) -> Self {
        ServiceError::FailedPrecondition {
            reason,
            message: message.into(),
        }
    }

    pub fn upstream(what: &'static str, status: Status) -> Self {
        ServiceError::Upstream { what, status }
    }

    pub fn invalid(field: &str, description: impl Into<String>) -> Self {
        ServiceError::Invalid(FieldViolation::new(field, description).into())
    }
}

/// Reads a stored decimal, or says which row is damaged: a value that does not parse is an
/// error, never a silent zero.
pub fn stored_decimal<D: ErrorDomain>(
    text: &str,
    table: &'static str,
    column: &'static str,
    row: impl std::fmt::Display,
) -> Result<rust_decimal::Decimal, ServiceError<D>> {
    text.parse().map_err(|_| ServiceError::Damaged {
        table,
        column,
        row: row.to_string(),
    })
}

impl<D: ErrorDomain> From<Violations> for ServiceError<D> {
    fn from(violations: Violations) -> Self {
        ServiceError::Invalid(violations)
    }
}

impl<D: ErrorDomain> From<FieldViolation> for ServiceError<D> {
    fn from(violation: FieldViolation) -> Self {
        ServiceError::Invalid(violation.into())
    }
}

fn upper_snake(what: &str) -> String {
    what.to_uppercase().replace(' ', "_")
}

impl<D: ErrorDomain> From<ServiceError<D>> for Status {
    fn from(error: ServiceError<D>) -> Self {
        let message = error.to_string();
        let domain = D::DOMAIN;
        match error {
            ServiceError::Invalid(violations) => violations.into_status(domain),
            ServiceError::NotFound { what, name } => with_details(
                Code::NotFound,
                message,
                &format!("{}_NOT_FOUND", upper_snake(what)),
                domain,
                Acting::resource(what, name),
            ),
            ServiceError::AlreadyExists { what, name } => with_details(
                Code::AlreadyExists,
                message,
                &format!("{}_ALREADY_EXISTS", upper_snake(what)),
                domain,
                Acting::resource(what, name),
            ),
            ServiceError::FailedPrecondition { reason, .. } => {
                with_info(Code::FailedPrecondition, message, reason, domain)
            }
            ServiceError::PermissionDenied(_) => {
                with_info(Code::PermissionDenied, message, "PERMISSION_DENIED", domain)
            }
            ServiceError::Aborted(_) => with_info(Code::Aborted, message, "ETAG_MISMATCH", domain),
            ServiceError::Conflict(_) => with_details(
                Code::Aborted,
                message,
                "CONCURRENT_WRITE",
                domain,
                Acting::retry_after(RETRY_AFTER_CONFLICT),
            ),
            ServiceError::Overloaded(_) => with_details(
                Code::ResourceExhausted,
                message,
                "OVERLOADED",
                domain,
                Acting::retry_after(RETRY_AFTER_UNAVAILABLE),
            ),
            ServiceError::Damaged { table, column, row } => {
                tracing::error!(table, column, %row, "a stored value cannot be read");
                with_details(
                    Code::Internal,
                    message,
                    "DAMAGED_RECORD",
                    domain,
                    Acting {
                        metadata: vec![("table", table.to_owned()), ("column", column.to_owned()), ("row", row)],
                        retry_after: None,
                    },
                )
            }
            ServiceError::NotReady => with_details(
                Code::Unavailable,
                message,
                "NOT_READY",
                domain,
                Acting::retry_after(RETRY_AFTER_UNAVAILABLE),
            ),
            // Unavailable and timed-out dependencies stay retryable; anything else the dependency
            // refused is this service's failure to prepare a valid call.
            ServiceError::Upstream { what, status } => {
                // Which call failed and how, so a caller can tell a dependency's outage from a
                // refusal; a retry is worth it only for the former.
                let acting = |retry: bool| Acting {
                    metadata: vec![
                        ("dependency_call", what.to_owned()),
                        ("dependency_code", format!("{:?}", status.code())),
                    ],
                    retry_after: retry.then_some(RETRY_AFTER_UNAVAILABLE),
                };
                match status.code() {
                    Code::Unavailable | Code::DeadlineExceeded | Code::ResourceExhausted => {
                        with_details(status.code(), message, "DEPENDENCY_UNAVAILABLE", domain, acting(true))
                    }
                    // Made here by the transport (a status read off the wire has no source): the
                    // connection failed or broke, e.g. the dependency refused this service's TLS
                    // certificate, or closed the connection under the call (CANCELLED). Not our
                    // bug, and worth a retry: unavailable.
                    Code::Unknown | Code::Cancelled if std::error::Error::source(&status).is_some() => with_details(
                        Code::Unavailable,
                        message,
                        "DEPENDENCY_UNAVAILABLE",
                        domain,
                        acting(true),
                    ),
                    Code::PermissionDenied | Code::Unauthenticated => with_details(
                        Code::PermissionDenied,
                        message,
                        "DEPENDENCY_REFUSED",
                        domain,
                        acting(false),
                    ),
                    Code::NotFound | Code::InvalidArgument | Code::FailedPrecondition => with_details(
                        Code::FailedPrecondition,
                        message,
                        "DEPENDENCY_REFUSED",
                        domain,
                        acting(false),
                    ),
                    _ => with_details(Code::Internal, message, "DEPENDENCY_FAILED", domain, acting(false)),
                }
            }
            ServiceError::Database(error) => database_status(&error, domain),
            ServiceError::Never(_, never) => match never {},
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn violations_become_bad_request_details_naming_each_field() {
        let mut v = Violations::new();
        v.add("quota.period", "must look like FY2026-Q3");
        v.add("quota.owner", "is required");
        let status = v.into_status("goals.lacak.dev");
        assert_eq!(status.code(), Code::InvalidArgument);
        let details = status.get_error_details();
        let fields: Vec<_> = details
            .bad_request()
            .unwrap()
            .field_violations
            .iter()
            .map(|f| f.field.clone())
            .collect();
        assert_eq!(fields, ["quota.period", "quota.owner"]);
        assert_eq!(details.error_info().unwrap().domain, "goals.lacak.dev");
    }

    #[test]
    fn echoed_values_are_cut_so_a_default_client_can_read_the_status() {
        let huge = "x".repeat(1 << 20);
        let mut v = Violations::new();
        for i in 0..25 {
            v.add(
                format!("events[{i}].sale.currency_code"),
                format!("{huge:?} is not a currency code"),
            );
        }
        let status = v.into_status("monitoring.lacak.dev");
        assert_eq!(status.code(), Code::InvalidArgument);
        assert!(status.message().len() <= MAX_MESSAGE, "{}", status.message().len());
        assert!(status.message().starts_with("events[0].sale.currency_code: \"xxx"));
        let details = status.get_error_details();
        let violations = &details.bad_request().unwrap().field_violations;
        assert_eq!(violations.len(), MAX_VIOLATIONS);
        assert!(violations.iter().all(|f| f.description.len() <= MAX_DESCRIPTION));
        assert!(violations[0].description.ends_with(" bytes cut)"));
        // Everything the status carries in headers stays well under 8 KiB.
        assert!(status.details().len() < 8 * 1024, "{}", status.details().len());

        let named = with_info(
            Code::NotFound,
            format!("deal \"deals/{huge}\" not found"),
            "DEAL_NOT_FOUND",
            "d",
        );
        assert!(named.message().len() <= MAX_MESSAGE);
        // A short message is left whole, and a cut never splits a character.
        assert_eq!(bounded("ringgit", 10), "ringgit");
        let rupiah = "Rp".repeat(10) + &"é".repeat(600);
        assert!(bounded(&rupiah, 100).len() <= 100);
    }

    struct Test;
    impl ErrorDomain for Test {
        const DOMAIN: &'static str = "test.lacak.dev";
    }

    fn upstream(status: Status) -> Status {
        ServiceError::<Test>::upstream("reading goals", status).into()
    }

    #[test]
    fn a_broken_connection_to_a_dependency_is_unavailable_but_its_own_unknown_answer_is_not() {
        let broken = Status::from_error(Box::new(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "peer sent a TLS alert",
        )));
        assert_eq!(broken.code(), Code::Unknown);
        let mapped = upstream(broken);
        assert_eq!(mapped.code(), Code::Unavailable);
        assert_eq!(
            mapped.get_error_details().error_info().map(|i| i.reason.clone()),
            Some("DEPENDENCY_UNAVAILABLE".to_owned())
        );
        assert_eq!(upstream(Status::unknown("from the wire")).code(), Code::Internal);
        assert_eq!(upstream(Status::unavailable("down")).code(), Code::Unavailable);
    }

    #[test]
    fn errors_carry_what_a_caller_needs_to_act() {
        struct Test;
        impl ErrorDomain for Test {
            const DOMAIN: &'static str = "test.lacak.dev";
        }
        let missing = Status::from(ServiceError::<Test>::not_found("quota", "quotas/q1"));
        let info = missing.get_details_error_info().expect("ErrorInfo");
        assert_eq!(info.reason, "QUOTA_NOT_FOUND");
        assert_eq!(info.metadata.get("resource_type").map(String::as_str), Some("quota"));
        assert_eq!(
            info.metadata.get("resource_name").map(String::as_str),
            Some("quotas/q1")
        );
        assert!(
            missing.get_details_retry_info().is_none(),
            "no retry for a missing resource"
        );

        let overloaded = Status::from(ServiceError::<Test>::Overloaded("busy".into()));
        let retry = overloaded.get_details_retry_info().expect("RetryInfo");
        assert_eq!(retry.retry_delay, Some(RETRY_AFTER_UNAVAILABLE));

        let down = Status::from(ServiceError::<Test>::upstream(
            "goals GetFiscalCalendar",
            Status::unavailable("connection refused"),
        ));
        let info = down.get_details_error_info().expect("ErrorInfo");
        assert_eq!(info.reason, "DEPENDENCY_UNAVAILABLE");
        assert_eq!(
            info.metadata.get("dependency_call").map(String::as_str),
            Some("goals GetFiscalCalendar")
        );
        assert_eq!(
            info.metadata.get("dependency_code").map(String::as_str),
            Some("Unavailable")
        );
        assert!(down.get_details_retry_info().is_some());

        let long = Status::from(ServiceError::<Test>::not_found("team", "x".repeat(10_000)));
        let info = long.get_details_error_info().expect("ErrorInfo");
        assert!(info.metadata["resource_name"].len() <= MAX_DESCRIPTION + 3, "bounded");
    }

    #[test]
    fn a_damaged_stored_value_is_an_error_naming_its_row_never_zero() {
        #[derive(Debug)]
        struct Test;
        impl ErrorDomain for Test {
            const DOMAIN: &'static str = "test.lacak.dev";
        }
        assert_eq!(
            stored_decimal::<Test>("12.5", "stock_levels", "quantity", "acme/LAP-1/main").unwrap(),
            rust_decimal::Decimal::new(125, 1)
        );
        let damaged = stored_decimal::<Test>("1,2", "stock_levels", "quantity", "acme/LAP-1/main").unwrap_err();
        let status = Status::from(damaged);
        assert_eq!(status.code(), Code::Internal);
        assert!(
            status.message().contains("stock_levels.quantity of acme/LAP-1/main"),
            "{}",
            status.message()
        );
        let info = status.get_details_error_info().expect("ErrorInfo");
        assert_eq!(info.reason, "DAMAGED_RECORD");
        assert_eq!(info.metadata.get("row").map(String::as_str), Some("acme/LAP-1/main"));
        assert!(stored_decimal::<Test>("", "t", "c", "r").is_err(), "empty is not zero");
    }
}
