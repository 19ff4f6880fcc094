//! Who sees whose numbers: an admin (or a service) the tenant, a manager the members of the teams
//! they lead and of every sub-team, a rep their own.

use std::collections::{HashMap, HashSet};

use lacak_domain::kpi::OrgChart;
use lacak_domain::{Principal, Role};

/// A KPI owner: a member, or a team with all its sub-teams.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Owner {
    Member(String),
    Team(String),
}

impl Owner {
    pub fn name(&self) -> String {
        match self {
            Owner::Member(id) => format!("members/{id}"),
            Owner::Team(id) => format!("teams/{id}"),
        }
    }
}

/// One tenant's organisation as goals has it: teams (parent, manager, name) and members (team, name).
#[derive(Debug, Clone, Default)]
pub struct Org {
    pub teams: HashMap<String, TeamInfo>,
    pub members: HashMap<String, MemberInfo>,
    chart: OrgChart,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TeamInfo {
    pub parent: Option<String>,
    pub display_name: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemberInfo {
    pub team: Option<String>,
    pub display_name: String,
}

impl Org {
    pub fn new(teams: HashMap<String, TeamInfo>, members: HashMap<String, MemberInfo>) -> Self {
        let chart = OrgChart::new(
            teams.iter().map(|(id, team)| (id.clone(), team.parent.clone())),
            members
                .iter()
                .filter_map(|(id, member)| member.team.clone().map(|team| (id.clone(), team))),
        );
        Org { teams, members, chart }
    }

    pub fn knows(&self, owner: &Owner) -> bool {
        match owner {
            Owner::Member(id) => self.members.contains_key(id),
            Owner::Team(id) => self.teams.contains_key(id),
        }
    }

    /// The members whose numbers make the owner's: the member, or everyone in the team's subtree.
    pub fn members_of(&self, owner: &Owner) -> Vec<String> {
        let mut members: Vec<String> = match owner {
            Owner::Member(id) => vec![id.clone()],
            Owner::Team(id) => self.chart.members(id).into_iter().map(str::to_owned).collect(),
        };
        members.sort();
        members
    }

    /// Every member of the tenant, sorted.
    pub fn all_members(&self) -> Vec<String> {
        let mut members: Vec<String> = self.members.keys().cloned().collect();
        members.sort();
        members
    }

    /// What `caller` may see in this organisation.
    pub fn visibility(&self, caller: &Principal) -> Visibility {
        match caller.role {
            Role::Admin | Role::Service => Visibility::Tenant,
            Role::Rep => Visibility::Members {
                teams: HashSet::new(),
                members: HashSet::from([caller.subject.clone()]),
            },
            Role::Manager => {
                let teams: HashSet<String> = caller
                    .teams
                    .iter()
                    .flat_map(|team| self.chart.subtree(team))
                    .map(str::to_owned)
                    .collect();
                let mut members: HashSet<String> = teams
                    .iter()
                    .flat_map(|team| self.chart.members(team))
                    .map(str::to_owned)
                    .collect();
                members.insert(caller.subject.clone());
                Visibility::Members { teams, members }
            }
        }
    }
}

/// What one caller may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Visibility {
    Tenant,
    Members {
        teams: HashSet<String>,
        members: HashSet<String>,
    },
}

impl Visibility {
    pub fn sees(&self, owner: &Owner) -> bool {
        match (self, owner) {
            (Visibility::Tenant, _) => true,
            (Visibility::Members { members, .. }, Owner::Member(id)) => members.contains(id),
            (Visibility::Members { teams, .. }, Owner::Team(id)) => teams.contains(id),
        }
    }

    pub fn sees_member(&self, member: &str) -> bool {
        self.sees(&Owner::Member(member.to_owned()))
    }

    /// The members a list may show, `None` for all of the tenant's.
    pub fn member_filter(&self) -> Option<Vec<String>> {
        match self {
            Visibility::Tenant => None,
            Visibility::Members { members, .. } => {
                let mut members: Vec<String> = members.iter().cloned().collect();
                members.sort();
                Some(members)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org() -> Org {
        let team = |parent: Option<&str>| TeamInfo {
            parent: parent.map(str::to_owned),
            display_name: String::new(),
        };
        let member = |team: &str| MemberInfo {
            team: Some(team.to_owned()),
            display_name: String::new(),
        };
        Org::new(
            HashMap::from([
                ("sales".into(), team(None)),
                ("emea".into(), team(Some("sales"))),
                ("apac".into(), team(Some("sales"))),
                ("uk".into(), team(Some("emea"))),
            ]),
            HashMap::from([
                ("ana".into(), member("emea")),
                ("budi".into(), member("uk")),
                ("citra".into(), member("apac")),
            ]),
        )
    }

    fn principal(role: Role, subject: &str, teams: &[&str]) -> Principal {
        Principal {
            tenant: "acme".into(),
            subject: subject.into(),
            role,
            teams: teams.iter().map(|t| t.to_string()).collect(),
        }
    }

    #[test]
    fn a_team_holds_its_sub_teams_members() {
        assert_eq!(org().members_of(&Owner::Team("emea".into())), ["ana", "budi"]);
        assert_eq!(org().members_of(&Owner::Team("sales".into())), ["ana", "budi", "citra"]);
    }

    #[test]
    fn a_manager_sees_the_subtree_they_lead_and_nothing_else() {
        let seen = org().visibility(&principal(Role::Manager, "mgr", &["emea"]));
        assert!(seen.sees(&Owner::Team("uk".into())));
        assert!(seen.sees(&Owner::Member("budi".into())));
        assert!(!seen.sees(&Owner::Member("citra".into())));
        assert!(!seen.sees(&Owner::Team("sales".into())));
    }

    #[test]
    fn a_rep_sees_only_themselves() {
        let seen = org().visibility(&principal(Role::Rep, "ana", &[]));
        assert!(seen.sees(&Owner::Member("ana".into())));
        assert!(!seen.sees(&Owner::Member("budi".into())));
        assert!(!seen.sees(&Owner::Team("emea".into())));
        assert_eq!(seen.member_filter(), Some(vec!["ana".to_string()]));
    }

    #[test]
    fn admins_and_services_see_the_tenant() {
        for role in [Role::Admin, Role::Service] {
            let seen = org().visibility(&principal(role, "x", &[]));
            assert!(seen.sees(&Owner::Team("sales".into())));
            assert_eq!(seen.member_filter(), None);
        }
    }
}
