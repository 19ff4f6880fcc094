//! Small checks every handler needs: update masks and required text.

use crate::error::{FieldViolation, Violations};

/// The update-mask paths of a request, each one of `allowed`; an empty mask is refused.
pub fn mask_paths(mask: Option<&prost_types::FieldMask>, allowed: &[&str]) -> Result<Vec<String>, FieldViolation> {
    let paths: Vec<String> = mask.map(|m| m.paths.clone()).unwrap_or_default();
    if paths.is_empty() {
        return Err(FieldViolation::new(
            "update_mask",
            format!("name the fields to change: {}", allowed.join(", ")),
        ));
    }
    if let Some(unknown) = paths.iter().find(|p| !allowed.contains(&p.as_str())) {
        return Err(FieldViolation::new(
            "update_mask",
            format!("{unknown:?} cannot be changed; allowed: {}", allowed.join(", ")),
        ));
    }
    Ok(paths)
}

/// A required text field, trimmed and at most `max` characters.
pub fn required_text(violations: &mut Violations, value: &str, field: &str, max: usize) -> String {
    let value = value.trim();
    if value.is_empty() {
        violations.add(field, "is required");
    } else if value.chars().count() > max {
        violations.add(field, format!("must be at most {max} characters"));
    }
    value.to_owned()
}
