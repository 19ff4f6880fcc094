//! Who may see and change what: admins the tenant, managers their teams' subtrees, reps themselves;
//! services read, and change quotas only to apply a strategy recommendation.

use std::collections::{HashMap, HashSet};

use lacak_domain::{Principal, Role};

use super::names::Owner;
use super::quota::ChangeSource;

/// The team hierarchy of one tenant: each team's parent.
#[derive(Debug, Clone, Default)]
pub struct OrgTree {
    parent: HashMap<String, Option<String>>,
}

impl OrgTree {
    pub fn new(edges: impl IntoIterator<Item = (String, Option<String>)>) -> Self {
        Self {
            parent: edges.into_iter().collect(),
        }
    }

    /// The given teams and every team below them, at any depth.
    pub fn subtree(&self, roots: &[String]) -> HashSet<String> {
        let mut children: HashMap<&str, Vec<&str>> = HashMap::new();
        for (team, parent) in &self.parent {
            if let Some(parent) = parent {
                children.entry(parent.as_str()).or_default().push(team.as_str());
            }
        }
        let mut seen: HashSet<String> = HashSet::new();
        let mut stack: Vec<&str> = roots
            .iter()
            .map(String::as_str)
            .filter(|t| self.parent.contains_key(*t))
            .collect();
        while let Some(team) = stack.pop() {
            if seen.insert(team.to_owned())
                && let Some(kids) = children.get(team)
            {
                stack.extend(kids.iter().copied());
            }
        }
        seen
    }

    /// Whether making `new_parent` the parent of `team` would close a loop.
    pub fn would_cycle(&self, team: &str, new_parent: &str) -> bool {
        let mut current = Some(new_parent.to_owned());
        let mut steps = 0;
        while let Some(id) = current {
            if id == team {
                return true;
            }
            steps += 1;
            if steps > self.parent.len() {
                return true;
            }
            current = self.parent.get(&id).cloned().flatten();
        }
        false
    }
}

/// What one caller may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Visibility {
    /// Admins and services: the whole tenant.
    Tenant,
    /// Managers: their teams' subtrees and the members in them.
    Teams {
        teams: HashSet<String>,
        members: HashSet<String>,
    },
    /// Reps: themselves.
    Member(String),
}

impl Visibility {
    pub fn sees_owner(&self, owner: &Owner) -> bool {
        match (self, owner) {
            (Visibility::Tenant, _) => true,
            (Visibility::Teams { teams, .. }, Owner::Team(id)) => teams.contains(id),
            (Visibility::Teams { members, .. }, Owner::Member(id)) => members.contains(id),
            (Visibility::Member(me), Owner::Member(id)) => me == id,
            (Visibility::Member(_), Owner::Team(_)) => false,
        }
    }

    pub fn sees_team(&self, team: &str) -> bool {
        self.sees_owner(&Owner::Team(team.to_owned()))
    }
}

/// The visibility of a principal, given the tenant's tree and each member's team.
pub fn visibility(principal: &Principal, tree: &OrgTree, member_teams: &[(String, Option<String>)]) -> Visibility {
    match principal.role {
        Role::Admin | Role::Service => Visibility::Tenant,
        Role::Rep => Visibility::Member(principal.subject.clone()),
        Role::Manager => {
            let teams = tree.subtree(&principal.teams);
            let mut members: HashSet<String> = member_teams
                .iter()
                .filter(|(_, team)| team.as_ref().is_some_and(|t| teams.contains(t)))
                .map(|(member, _)| member.clone())
                .collect();
            // A manager sees their own numbers too.
            members.insert(principal.subject.clone());
            Visibility::Teams { teams, members }
        }
    }
}

/// Whether a principal may change things owned by `owner`: admins anywhere, managers within
/// what they see; reps and services change nothing through it (a service's one write is
/// `may_change_quota`'s).
pub fn may_write(principal: &Principal, visibility: &Visibility, owner: &Owner) -> bool {
    match principal.role {
        Role::Admin => true,
        Role::Manager => visibility.sees_owner(owner),
        Role::Rep | Role::Service => false,
    }
}

/// Whether a principal may set a quota of `owner`: as [`may_write`], but no one other than an
/// admin sets a quota of their own: a manager's own quota is set above them, even when their
/// member record sits outside the teams they lead (a manager sees their own numbers).
pub fn may_set_quota(principal: &Principal, visibility: &Visibility, owner: &Owner) -> bool {
    let own = matches!(owner, Owner::Member(member) if *member == principal.subject);
    may_write(principal, visibility, owner) && (principal.role == Role::Admin || !own)
}

/// Whether a principal may record a change from `source` to a quota owned by `owner`. Applying a
/// strategy recommendation is a service's job, done for the person who accepted it, and the only
/// quota change a service makes; a person claiming that source would forge the recommendation's
/// trail, so people change quotas only as themselves.
pub fn may_change_quota(principal: &Principal, visibility: &Visibility, owner: &Owner, source: ChangeSource) -> bool {
    match (principal.role, source) {
        (Role::Service, ChangeSource::StrategyRecommendation) => true,
        (Role::Service, _) | (_, ChangeSource::StrategyRecommendation) => false,
        _ => may_set_quota(principal, visibility, owner),
    }
}

/// The one kind of task a service adds: an accepted strategy recommendation's (coaching, a
/// refocus), for the person who accepted it. So a service adds a task only when it calls for a
/// person (its token's `act`), to an active plan, for someone the plan covers: the member who owns
/// it, or for a team's plan a member of that team or a team below it, or the manager of one of
/// those teams. `None` when it may; else why not.
pub fn service_task_refusal(
    on_behalf_of: Option<&str>,
    plan_active: bool,
    plan_owner: &Owner,
    assignee: &str,
    coverage: &PlanCoverage,
) -> Option<&'static str> {
    if on_behalf_of.is_none_or(|act| act.trim().is_empty()) {
        return Some("a service adds tasks only for the person it calls for (the token's act claim)");
    }
    if !plan_active {
        return Some("a service adds tasks only to active plans");
    }
    let covered = match plan_owner {
        Owner::Member(owner) => owner == assignee,
        Owner::Team(_) => coverage.members.contains(assignee) || coverage.managers.contains(assignee),
    };
    (!covered).then_some("a service assigns a plan's tasks only to the members the plan covers")
}

/// Who a team's plan covers: the members of the team and the teams below it, and their managers.
#[derive(Debug, Default)]
pub struct PlanCoverage {
    pub members: HashSet<String>,
    pub managers: HashSet<String>,
}

/// Who a recorded change is attributed to: a person, themselves; a service calling for a person
/// (its token's `act` claim), that person; a service on its own account, the service.
pub fn change_actor(principal: &Principal, on_behalf_of: Option<&str>) -> String {
    let person = on_behalf_of
        .map(|act| act.trim())
        .map(|act| act.strip_prefix("members/").unwrap_or(act))
        .filter(|act| !act.is_empty());
    match (principal.role, person) {
        (Role::Service, Some(person)) => person.to_owned(),
        _ => principal.subject.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_service_adds_a_task_only_for_a_person_to_an_active_plan_for_someone_it_covers() {
        let team = Owner::Team("sales".into());
        let coverage = PlanCoverage {
            members: ["ana".to_owned(), "budi".to_owned()].into(),
            managers: ["boss".to_owned()].into(),
        };
        let refused =
            |act, active, owner: &Owner, assignee| service_task_refusal(act, active, owner, assignee, &coverage);
        assert_eq!(refused(Some("boss"), true, &team, "ana"), None, "coaching a member");
        assert_eq!(
            refused(Some("boss"), true, &team, "boss"),
            None,
            "a refocus for the manager"
        );
        assert!(refused(None, true, &team, "ana").is_some(), "on its own account");
        assert!(refused(Some(" "), true, &team, "ana").is_some(), "an empty act");
        assert!(
            refused(Some("boss"), false, &team, "ana").is_some(),
            "a draft or closed plan"
        );
        assert!(
            refused(Some("boss"), true, &team, "stranger").is_some(),
            "someone the plan does not cover"
        );
        let own = Owner::Member("ana".into());
        assert_eq!(refused(Some("boss"), true, &own, "ana"), None);
        assert!(
            refused(Some("boss"), true, &own, "budi").is_some(),
            "a member's plan is theirs alone"
        );
    }

    fn tree() -> OrgTree {
        OrgTree::new([
            ("sales".to_owned(), None),
            ("emea".to_owned(), Some("sales".to_owned())),
            ("dach".to_owned(), Some("emea".to_owned())),
            ("apac".to_owned(), Some("sales".to_owned())),
        ])
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
    fn a_manager_sees_sub_teams_at_any_depth_and_nothing_beside() {
        let members = vec![
            ("ana".to_owned(), Some("dach".to_owned())),
            ("bo".to_owned(), Some("apac".to_owned())),
        ];
        let v = visibility(&principal(Role::Manager, "mia", &["emea"]), &tree(), &members);
        assert!(v.sees_team("emea") && v.sees_team("dach"));
        assert!(!v.sees_team("apac") && !v.sees_team("sales"));
        assert!(v.sees_owner(&Owner::Member("ana".into())) && v.sees_owner(&Owner::Member("mia".into())));
        assert!(!v.sees_owner(&Owner::Member("bo".into())));
    }

    #[test]
    fn reps_see_themselves_and_write_nothing() {
        let rep = principal(Role::Rep, "ana", &[]);
        let v = visibility(&rep, &tree(), &[]);
        assert!(
            v.sees_owner(&Owner::Member("ana".into()))
                && !v.sees_owner(&Owner::Member("bo".into()))
                && !v.sees_team("dach")
        );
        assert!(!may_write(&rep, &v, &Owner::Member("ana".into())));
    }

    #[test]
    fn services_change_quotas_only_to_apply_a_recommendation_and_people_never_do() {
        let owner = Owner::Member("ana".into());
        let service = principal(Role::Service, "strategy", &[]);
        let admin = principal(Role::Admin, "ayu", &[]);
        let seen = Visibility::Tenant;
        assert!(may_change_quota(
            &service,
            &seen,
            &owner,
            ChangeSource::StrategyRecommendation
        ));
        for source in [ChangeSource::Manual, ChangeSource::Review] {
            assert!(!may_change_quota(&service, &seen, &owner, source));
            assert!(may_change_quota(&admin, &seen, &owner, source));
        }
        assert!(!may_change_quota(
            &admin,
            &seen,
            &owner,
            ChangeSource::StrategyRecommendation
        ));
    }

    #[test]
    fn a_change_is_attributed_to_the_person_behind_a_service() {
        let service = principal(Role::Service, "strategy", &[]);
        assert_eq!(change_actor(&service, Some("members/mia")), "mia");
        assert_eq!(change_actor(&service, Some("mia")), "mia");
        assert_eq!(change_actor(&service, Some(" ")), "strategy");
        assert_eq!(change_actor(&service, None), "strategy");
        let admin = principal(Role::Admin, "ayu", &[]);
        assert_eq!(change_actor(&admin, Some("mia")), "ayu", "people act as themselves");
    }

    #[test]
    fn cycles_are_detected() {
        let t = tree();
        assert!(t.would_cycle("emea", "dach"));
        assert!(t.would_cycle("emea", "emea"));
        assert!(!t.would_cycle("dach", "apac"));
    }
}
