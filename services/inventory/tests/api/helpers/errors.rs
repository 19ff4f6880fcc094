//! Assertions on failed calls: the code, the `ErrorInfo` (domain and reason), and the fields
//! `BadRequest` names.

use std::fmt::Debug;

use tonic::{Code, Response, Status};
use tonic_types::StatusExt as _;

/// The `ErrorInfo` domain every inventory error carries.
pub const DOMAIN: &str = "inventory.lacak.dev";

/// The call failed with `code` and an `ErrorInfo` of the inventory domain; gives back the status.
#[track_caller]
pub fn assert_code<T: Debug>(result: Result<Response<T>, Status>, code: Code) -> Status {
    match result {
        Ok(response) => panic!(
            "expected {code:?}, but the server answered OK: {:?}",
            response.into_inner()
        ),
        Err(status) => {
            assert_eq!(
                status.code(),
                code,
                "expected {code:?}, the server answered {:?}: {}",
                status.code(),
                status.message()
            );
            let details = status.get_error_details();
            let info = details.error_info();
            assert!(
                info.is_some(),
                "a {:?} status without ErrorInfo: {}",
                status.code(),
                status.message()
            );
            assert_eq!(
                info.map(|i| i.domain.as_str()),
                Some(DOMAIN),
                "the ErrorInfo domain of a {:?} status: {}",
                status.code(),
                status.message()
            );
            status
        }
    }
}

/// The `ErrorInfo` reason of a status, empty when there is none.
pub fn reason(status: &Status) -> String {
    status
        .get_error_details()
        .error_info()
        .map(|i| i.reason.clone())
        .unwrap_or_default()
}

/// The call failed with FAILED_PRECONDITION and the `ErrorInfo` reason `expected`.
#[track_caller]
pub fn assert_precondition<T: Debug>(result: Result<Response<T>, Status>, expected: &str) -> Status {
    let status = assert_code(result, Code::FailedPrecondition);
    assert_eq!(
        reason(&status),
        expected,
        "the ErrorInfo reason of FAILED_PRECONDITION: {}",
        status.message()
    );
    status
}

/// The fields a status's `BadRequest` names.
pub fn violated_fields(status: &Status) -> Vec<String> {
    status
        .get_error_details()
        .bad_request()
        .map(|b| b.field_violations.iter().map(|v| v.field.clone()).collect())
        .unwrap_or_default()
}

/// The call failed with INVALID_ARGUMENT whose `BadRequest` names `field`.
#[track_caller]
pub fn assert_invalid<T: Debug>(result: Result<Response<T>, Status>, field: &str) -> Status {
    let status = assert_code(result, Code::InvalidArgument);
    let fields = violated_fields(&status);
    assert!(
        fields.iter().any(|f| f == field),
        "expected a violation of {field:?}; the status named {fields:?}: {}",
        status.message()
    );
    status
}

/// Like [`assert_invalid`], but says what went wrong instead of panicking, so a test checking
/// many cases can report every mismatch at once. A `field` ending in '*' accepts any field
/// starting with what comes before it (for inputs whose exact path the contract leaves open).
pub fn check_invalid<T: Debug>(result: Result<Response<T>, Status>, field: &str) -> Result<(), String> {
    let status = match result {
        Ok(response) => return Err(format!("answered OK: {:?}", response.into_inner())),
        Err(status) => status,
    };
    let fields = violated_fields(&status);
    let named = if let Some(prefix) = field.strip_suffix('*') {
        fields.iter().any(|f| f.starts_with(prefix))
    } else {
        fields.iter().any(|f| f == field)
    };
    let domain = status.get_error_details().error_info().map(|i| i.domain.clone());
    if status.code() == Code::InvalidArgument && named && domain.as_deref() == Some(DOMAIN) {
        Ok(())
    } else {
        Err(format!(
            "expected INVALID_ARGUMENT naming {field:?}, got {:?} naming {fields:?} (ErrorInfo domain {domain:?}): {}",
            status.code(),
            status.message()
        ))
    }
}

/// Runs every `(case, outcome)` and fails once, listing all the mismatches.
#[track_caller]
pub fn assert_all_ok(outcomes: Vec<(String, Result<(), String>)>) {
    let wrong: Vec<String> = outcomes
        .into_iter()
        .filter_map(|(case, outcome)| outcome.err().map(|e| format!("{case}: {e}")))
        .collect();
    assert!(wrong.is_empty(), "{} case(s) wrong:\n{}", wrong.len(), wrong.join("\n"));
}
