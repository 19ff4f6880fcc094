//! Resource names ("teams/emea", "categories/laptops") and the ids inside them, the same in every service.

use crate::error::FieldViolation;

/// An id chosen by a client or generated: 1-63 of a-z, 0-9 and '-', not starting with '-'.
pub fn validate_id(id: &str, field: &str) -> Result<(), FieldViolation> {
    let ok = !id.is_empty()
        && id.len() <= 63
        && !id.starts_with('-')
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(FieldViolation::new(
            field,
            "must be 1-63 characters of a-z, 0-9 and '-', not starting with '-'",
        ))
    }
}

/// The id in "collection/{id}".
pub fn parse_name(name: &str, collection: &str, field: &str) -> Result<String, FieldViolation> {
    match name.strip_prefix(collection).and_then(|rest| rest.strip_prefix('/')) {
        Some(id) => validate_id(id, field).map(|()| id.to_owned()),
        None if name.is_empty() => Err(FieldViolation::new(
            field,
            format!("is required: \"{collection}/{{id}}\""),
        )),
        None => Err(FieldViolation::new(
            field,
            format!("must look like \"{collection}/{{id}}\""),
        )),
    }
}

/// A fresh id: a time-ordered UUID, so lists in id order read oldest first.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_into_ids() {
        assert_eq!(parse_name("teams/emea", "teams", "name").unwrap(), "emea");
        assert!(parse_name("teams/", "teams", "name").is_err());
        assert!(parse_name("members/x", "teams", "name").is_err());
        assert!(parse_name("teams/EMEA", "teams", "name").is_err());
        assert!(parse_name("categories/a/b", "categories", "c").is_err());
        assert!(validate_id(&new_id(), "id").is_ok());
    }
}
