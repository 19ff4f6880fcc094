//! Team rollups: a team's figures include every sub-team below it, at any depth.

use std::collections::{HashMap, HashSet};

use rust_decimal::Decimal;

use super::{KpiError, sum_money_in};
use crate::Money;

/// The team hierarchy and who belongs to which team, for rolling member figures up to teams.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrgChart {
    children: HashMap<String, Vec<String>>,
    member_team: HashMap<String, String>,
}

impl OrgChart {
    /// A chart from each team's parent (`None` for a top team) and each member's team. Teams named
    /// only as a parent or as a member's team are known too.
    pub fn new(
        team_parents: impl IntoIterator<Item = (String, Option<String>)>,
        member_teams: impl IntoIterator<Item = (String, String)>,
    ) -> Self {
        let mut children: HashMap<String, Vec<String>> = HashMap::new();
        for (team, parent) in team_parents {
            if let Some(parent) = parent {
                children.entry(parent).or_default().push(team.clone());
            }
            children.entry(team).or_default();
        }
        let member_team: HashMap<String, String> = member_teams.into_iter().collect();
        for team in member_team.values() {
            children.entry(team.clone()).or_default();
        }
        OrgChart { children, member_team }
    }

    /// The team and every team below it, at any depth; empty for an unknown team. A cycle in the
    /// parents (bad data) cannot loop: each team is visited once.
    pub fn subtree(&self, team: &str) -> HashSet<&str> {
        let mut seen: HashSet<&str> = HashSet::new();
        let mut stack: Vec<&str> = self
            .children
            .get_key_value(team)
            .map(|(t, _)| t.as_str())
            .into_iter()
            .collect();
        while let Some(team) = stack.pop() {
            if seen.insert(team)
                && let Some(children) = self.children.get(team)
            {
                stack.extend(children.iter().map(String::as_str));
            }
        }
        seen
    }

    /// The members of the team and of all its sub-teams.
    pub fn members(&self, team: &str) -> HashSet<&str> {
        let teams = self.subtree(team);
        self.member_team
            .iter()
            .filter(|(_, t)| teams.contains(t.as_str()))
            .map(|(member, _)| member.as_str())
            .collect()
    }

    /// A team's money total: `Σ actuals[m]` over the members `m` of its whole subtree, all in
    /// `currency`; members without an entry add nothing, and a team with none totals zero.
    ///
    /// For split-credited sales, total with [`super::credited_sales`] and [`OrgChart::members`]
    /// instead, so a line split between two members of the team counts once.
    pub fn team_total(&self, team: &str, currency: &str, actuals: &HashMap<String, Money>) -> Result<Money, KpiError> {
        sum_money_in(currency, self.members(team).into_iter().filter_map(|m| actuals.get(m)))
    }

    /// A team's quantity total (units, deals, leads): `Σ actuals[m]` over the members of its whole subtree.
    pub fn team_quantity(&self, team: &str, actuals: &HashMap<String, Decimal>) -> Result<Decimal, KpiError> {
        self.members(team)
            .into_iter()
            .filter_map(|m| actuals.get(m))
            .try_fold(Decimal::ZERO, |sum, value| sum.checked_add(*value))
            .ok_or(KpiError::Overflow)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{CreditShare, SaleLine, credited_sales};
    use super::*;
    use proptest::prelude::*;

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn idr(s: &str) -> Money {
        Money::new("IDR", dec(s)).unwrap()
    }

    fn chart(teams: &[(&str, Option<&str>)], members: &[(&str, &str)]) -> OrgChart {
        OrgChart::new(
            teams.iter().map(|(t, p)| ((*t).to_owned(), p.map(str::to_owned))),
            members.iter().map(|(m, t)| ((*m).to_owned(), (*t).to_owned())),
        )
    }

    /// sales ← {west ← {jakarta ← {kemang}}, east}; one member on each team.
    fn sales_org() -> OrgChart {
        chart(
            &[
                ("sales", None),
                ("west", Some("sales")),
                ("jakarta", Some("west")),
                ("kemang", Some("jakarta")),
                ("east", Some("sales")),
            ],
            &[
                ("vp", "sales"),
                ("wina", "west"),
                ("joko", "jakarta"),
                ("kiki", "kemang"),
                ("eka", "east"),
            ],
        )
    }

    fn actuals(pairs: &[(&str, &str)]) -> HashMap<String, Money> {
        pairs.iter().map(|(m, a)| ((*m).to_owned(), idr(a))).collect()
    }

    #[test]
    fn a_team_includes_its_sub_teams_at_any_depth() {
        let org = sales_org();
        let sold = actuals(&[
            ("vp", "1"),
            ("wina", "10"),
            ("joko", "100"),
            ("kiki", "1000"),
            ("eka", "10000"),
        ]);
        // kemang: 1,000; jakarta: 100 + 1,000; west: 10 + 100 + 1,000; sales: everyone, 11,111.
        assert_eq!(org.team_total("kemang", "IDR", &sold), Ok(idr("1000")));
        assert_eq!(org.team_total("jakarta", "IDR", &sold), Ok(idr("1100")));
        assert_eq!(org.team_total("west", "IDR", &sold), Ok(idr("1110")));
        assert_eq!(org.team_total("sales", "IDR", &sold), Ok(idr("11111")));
        assert_eq!(org.subtree("west"), HashSet::from(["west", "jakarta", "kemang"]));
        assert_eq!(org.members("jakarta"), HashSet::from(["joko", "kiki"]));
        // eka's 10,000 counts for east and the teams above it, never for west.
        assert_eq!(org.team_total("east", "IDR", &sold), Ok(idr("10000")));
        // A team without sales totals zero; an unknown team too.
        assert_eq!(org.team_total("east", "IDR", &HashMap::new()), Ok(idr("0")));
        assert_eq!(org.team_total("north", "IDR", &sold), Ok(idr("0")));
        assert!(org.subtree("north").is_empty());
        let units: HashMap<String, Decimal> = [("joko".to_owned(), dec("3")), ("kiki".to_owned(), dec("4"))].into();
        // jakarta: 3 + 4 = 7 units.
        assert_eq!(org.team_quantity("jakarta", &units), Ok(dec("7")));
        assert_eq!(org.team_quantity("east", &units), Ok(Decimal::ZERO));
    }

    #[test]
    fn a_rollup_never_sums_two_currencies() {
        let org = sales_org();
        let mut sold = actuals(&[("wina", "10")]);
        sold.insert("joko".into(), Money::new("USD", dec("1")).unwrap());
        assert!(matches!(
            org.team_total("west", "IDR", &sold),
            Err(KpiError::CurrencyMismatch { .. })
        ));
    }

    #[test]
    fn a_split_between_two_sub_teams_counts_once_for_their_parent() {
        let org = sales_org();
        let line = SaleLine {
            revenue: idr("1000"),
            cost: idr("600"),
            units: dec("1"),
            credit: vec![
                CreditShare {
                    member_id: "kiki".into(),
                    percent: dec("60"),
                },
                CreditShare {
                    member_id: "eka".into(),
                    percent: dec("40"),
                },
            ],
        };
        let revenue = |team: &str| {
            let members = org.members(team);
            credited_sales(std::slice::from_ref(&line), "IDR", |m| members.contains(m))
                .unwrap()
                .revenue
        };
        // west holds kiki's 600, east eka's 400, sales both: 1,000, not 2,000.
        assert_eq!(
            (revenue("west"), revenue("east"), revenue("sales")),
            (idr("600"), idr("400"), idr("1000"))
        );
    }

    #[test]
    fn teams_named_only_by_members_or_parents_are_known_and_cycles_end() {
        let org = chart(&[("a", Some("b")), ("b", Some("a"))], &[("m", "c")]);
        assert_eq!(org.subtree("a"), HashSet::from(["a", "b"]));
        assert_eq!(org.subtree("c"), HashSet::from(["c"]));
        let parent_only = chart(&[("child", Some("ghost"))], &[("m", "child")]);
        assert_eq!(parent_only.members("ghost"), HashSet::from(["m"]));
    }

    proptest! {
        #[test]
        fn a_team_totals_its_own_members_plus_its_sub_teams(
            parents in proptest::collection::vec(any::<prop::sample::Index>(), 0..12),
            members in proptest::collection::vec((any::<prop::sample::Index>(), -1_000_000_i64..1_000_000), 0..30),
        ) {
            // Team 0 is the root; team i + 1 hangs under one of the teams before it.
            let teams = parents.len() + 1;
            let edges: Vec<(String, Option<String>)> = std::iter::once(("t0".to_owned(), None))
                .chain(parents.iter().enumerate().map(|(i, p)| (format!("t{}", i + 1), Some(format!("t{}", p.index(i + 1))))))
                .collect();
            let member_teams: Vec<(String, String)> =
                members.iter().enumerate().map(|(i, (t, _))| (format!("m{i}"), format!("t{}", t.index(teams)))).collect();
            let sold: HashMap<String, Money> = members
                .iter()
                .enumerate()
                .map(|(i, (_, cents))| (format!("m{i}"), Money::new("IDR", Decimal::new(*cents, 2)).unwrap()))
                .collect();
            let org = OrgChart::new(edges.clone(), member_teams.clone());
            for t in 0..teams {
                let team = format!("t{t}");
                let own = sum_money_in("IDR", member_teams.iter().filter(|(_, mt)| *mt == team).map(|(m, _)| &sold[m])).unwrap();
                let sub_teams: Vec<&String> = edges.iter().filter(|(_, p)| p.as_ref() == Some(&team)).map(|(c, _)| c).collect();
                let mut expected = own.amount;
                for child in sub_teams {
                    expected += org.team_total(child, "IDR", &sold).unwrap().amount;
                }
                prop_assert_eq!(org.team_total(&team, "IDR", &sold).unwrap().amount, expected);
            }
            let everyone: Decimal = sold.values().map(|m| m.amount).sum();
            prop_assert_eq!(org.team_total("t0", "IDR", &sold).unwrap().amount, everyone);
        }
    }
}
