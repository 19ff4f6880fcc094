//! Assertions on failed calls: the code, the `ErrorInfo`, and the fields `BadRequest` names.

use std::fmt::Debug;

use tonic::{Code, Response, Status};
use tonic_types::StatusExt as _;

/// The call failed with `code` and an `ErrorInfo`; gives back the status for further checks.
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
            assert!(
                status.get_error_details().error_info().is_some(),
                "a {:?} status without ErrorInfo: {}",
                status.code(),
                status.message()
            );
            status
        }
    }
}

/// The call failed with INVALID_ARGUMENT whose `BadRequest` names `field`.
#[track_caller]
pub fn assert_invalid<T: Debug>(result: Result<Response<T>, Status>, field: &str) -> Status {
    let status = assert_code(result, Code::InvalidArgument);
    assert_names_field(&status, field);
    status
}

/// The status carries a `BadRequest` with a violation of `field`.
#[track_caller]
pub fn assert_names_field(status: &Status, field: &str) {
    let details = status.get_error_details();
    let fields: Vec<String> = details
        .bad_request()
        .map(|b| b.field_violations.iter().map(|v| v.field.clone()).collect())
        .unwrap_or_default();
    assert!(
        fields.iter().any(|f| f == field),
        "expected a violation of {field:?}; the {:?} status named {fields:?}: {}",
        status.code(),
        status.message()
    );
}

/// A read the caller may not make: refused as PERMISSION_DENIED or hidden as NOT_FOUND.
#[track_caller]
pub fn assert_refused<T: Debug>(result: Result<Response<T>, Status>) -> Status {
    match result {
        Ok(response) => panic!(
            "expected PERMISSION_DENIED or NOT_FOUND, but the server answered OK: {:?}",
            response.into_inner()
        ),
        Err(status) => {
            assert!(
                matches!(status.code(), Code::PermissionDenied | Code::NotFound),
                "expected PERMISSION_DENIED or NOT_FOUND, the server answered {:?}: {}",
                status.code(),
                status.message()
            );
            status
        }
    }
}

/// Like [`assert_invalid`], but says what went wrong instead of panicking, so a test checking
/// many cases can report every mismatch at once.
pub fn check_invalid<T: Debug>(result: Result<Response<T>, Status>, field: &str) -> Result<(), String> {
    let status = match result {
        Ok(response) => return Err(format!("answered OK: {:?}", response.into_inner())),
        Err(status) => status,
    };
    let details = status.get_error_details();
    let fields: Vec<String> = details
        .bad_request()
        .map(|b| b.field_violations.iter().map(|v| v.field.clone()).collect())
        .unwrap_or_default();
    if status.code() == Code::InvalidArgument && fields.iter().any(|f| f == field) && details.error_info().is_some() {
        Ok(())
    } else {
        Err(format!(
            "expected INVALID_ARGUMENT naming {field:?}, got {:?} naming {fields:?} (ErrorInfo: {}): {}",
            status.code(),
            details.error_info().is_some(),
            status.message()
        ))
    }
}
