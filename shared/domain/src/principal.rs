//! Who is calling: the tenant, the member behind the call and the role that bounds what they may do.

use std::fmt;
use std::str::FromStr;

/// What a caller may do within their tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Reads and writes everything of the tenant.
    Admin,
    /// Reads and writes for the teams they lead, and those teams' sub-teams.
    Manager,
    /// Reads their own numbers, plans and tasks; updates their own tasks.
    Rep,
    /// Another Lacak service (or an integration) calling on the tenant's behalf: reads the tenant.
    Service,
}

impl Role {
    /// The lowercase name used in tokens and logs.
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Manager => "manager",
            Role::Rep => "rep",
            Role::Service => "service",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role name that is none of Lacak's roles.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role {0:?}; expected admin, manager, rep or service")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "admin" => Ok(Role::Admin),
            "manager" => Ok(Role::Manager),
            "rep" => Ok(Role::Rep),
            "service" => Ok(Role::Service),
            other => Err(UnknownRole(other.to_owned())),
        }
    }
}

/// The authenticated caller of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The tenant every read and write of the request is confined to.
    pub tenant: String,
    /// A member id for people; a service name for services.
    pub subject: String,
    /// What the caller may do.
    pub role: Role,
    /// For a manager: the ids of the teams they lead (their sub-teams are included by the services).
    pub teams: Vec<String>,
}

impl Principal {
    /// Whether the caller administers the tenant.
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// Admins and services read the whole tenant.
    pub fn reads_whole_tenant(&self) -> bool {
        matches!(self.role, Role::Admin | Role::Service)
    }
}
