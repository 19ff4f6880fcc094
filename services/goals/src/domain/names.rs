//! Resource names ("teams/emea", "members/m-1", ...) and the ids inside them.

use lacak_runtime::FieldViolation;
pub use lacak_runtime::names::{new_id, parse_name, validate_id};

/// Whose quota or plan it is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Owner {
    Member(String),
    Team(String),
}

impl Owner {
    pub fn parse(name: &str, field: &str) -> Result<Owner, FieldViolation> {
        if let Some(id) = name.strip_prefix("members/") {
            validate_id(id, field).map(|()| Owner::Member(id.to_owned()))
        } else if let Some(id) = name.strip_prefix("teams/") {
            validate_id(id, field).map(|()| Owner::Team(id.to_owned()))
        } else if name.is_empty() {
            Err(FieldViolation::new(
                field,
                "is required: \"members/{member}\" or \"teams/{team}\"",
            ))
        } else {
            Err(FieldViolation::new(
                field,
                "must be \"members/{member}\" or \"teams/{team}\"",
            ))
        }
    }

    /// As stored: ("member" | "team", id).
    pub fn from_parts(kind: &str, id: &str) -> Owner {
        if kind == "team" {
            Owner::Team(id.to_owned())
        } else {
            Owner::Member(id.to_owned())
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Owner::Member(_) => "member",
            Owner::Team(_) => "team",
        }
    }

    pub fn id(&self) -> &str {
        match self {
            Owner::Member(id) | Owner::Team(id) => id,
        }
    }

    pub fn name(&self) -> String {
        match self {
            Owner::Member(id) => format!("members/{id}"),
            Owner::Team(id) => format!("teams/{id}"),
        }
    }
}

/// The (plan id, task id) in "actionPlans/{plan}/tasks/{task}".
pub fn parse_task_name(name: &str, field: &str) -> Result<(String, String), FieldViolation> {
    let parts: Vec<&str> = name.split('/').collect();
    match parts.as_slice() {
        ["actionPlans", plan, "tasks", task] => {
            validate_id(plan, field)?;
            validate_id(task, field)?;
            Ok(((*plan).to_owned(), (*task).to_owned()))
        }
        _ => Err(FieldViolation::new(
            field,
            "must look like \"actionPlans/{plan}/tasks/{task}\"",
        )),
    }
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
        assert_eq!(
            Owner::parse("members/m-1", "owner").unwrap(),
            Owner::Member("m-1".into())
        );
        assert!(Owner::parse("users/x", "owner").is_err());
        assert_eq!(
            parse_task_name("actionPlans/p1/tasks/t1", "name").unwrap(),
            ("p1".to_owned(), "t1".to_owned())
        );
        assert!(validate_id(&new_id(), "id").is_ok());
    }
}
