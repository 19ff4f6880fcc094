//! Resource names and ids of the inventory service.

use lacak_runtime::FieldViolation;
pub use lacak_runtime::names::{new_id, parse_name, validate_id};

/// A SKU: 1-64 of A-Z, a-z, 0-9, '.', '_' and '-'.
pub fn validate_sku(sku: &str, field: &str) -> Result<(), FieldViolation> {
    let ok = !sku.is_empty()
        && sku.len() <= 64
        && sku
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(FieldViolation::new(
            field,
            "must be 1-64 characters of A-Z, a-z, 0-9, '.', '_' and '-'",
        ))
    }
}

/// The SKU in "products/{sku}".
pub fn product_sku(name: &str, field: &str) -> Result<String, FieldViolation> {
    match name.strip_prefix("products/") {
        Some(sku) => validate_sku(sku, field).map(|()| sku.to_owned()),
        None if name.is_empty() => Err(FieldViolation::new(field, "is required: \"products/{sku}\"")),
        None => Err(FieldViolation::new(field, "must look like \"products/{sku}\"")),
    }
}

/// A free-text label such as a location, region, segment or tag: 1-100 printable characters.
pub fn validate_label(value: &str, field: &str) -> Result<String, FieldViolation> {
    let value = value.trim();
    if value.is_empty() {
        Err(FieldViolation::new(field, "is required"))
    } else if value.chars().count() > 100 || value.chars().any(char::is_control) {
        Err(FieldViolation::new(field, "must be at most 100 printable characters"))
    } else {
        Ok(value.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skus_and_names_parse() {
        assert!(validate_sku("LAPTOP-13_v2.1", "sku").is_ok());
        assert!(validate_sku("", "sku").is_err());
        assert!(validate_sku("has space", "sku").is_err());
        assert!(validate_sku(&"x".repeat(65), "sku").is_err());
        assert_eq!(product_sku("products/AB-1", "p").unwrap(), "AB-1");
        assert!(product_sku("categories/x", "p").is_err());
        assert_eq!(parse_name("categories/laptops", "categories", "c").unwrap(), "laptops");
        assert!(validate_label("  jakarta-dc ", "l").is_ok());
        assert!(validate_label("  ", "l").is_err());
    }
}
