//! Who is credited with winning a customer (the new-customer KPIs read it): decided once, at the
//! moment the customer is acquired, and never moved by a later change of owner.

use chrono::{DateTime, Utc};

use super::rollup::Share;

/// Whether a sale booked at `book_time` acquires a customer whose acquisition so far is `acquired`:
/// it does when the customer had none yet, or only a later one (a back-dated first sale).
pub fn sale_acquires(acquired: Option<DateTime<Utc>>, book_time: DateTime<Utc>) -> bool {
    acquired.is_none_or(|at| at > book_time)
}

/// The member credited when a sale acquires a customer: the customer's owner when it has one,
/// else the member with the largest share of the sale's credit (the last of equal shares), else the
/// sale's owner.
pub fn sale_acquirer(customer_owner: &str, credit: &[Share], sale_owner: &str) -> String {
    if !customer_owner.is_empty() {
        return customer_owner.to_owned();
    }
    credit
        .iter()
        .max_by(|a, b| a.percent.cmp(&b.percent))
        .map_or_else(|| sale_owner.to_owned(), |share| share.member.clone())
}

/// The credit once a customer's acquire time has been set by hand (on create, update or
/// ingestion) from `before` to `after`, with `owner` its owner after the change:
/// - newly acquired: the owner, or nobody without one (a given time names no seller);
/// - still acquired: the credit already given stays, whoever owns the account now;
/// - no longer acquired: nobody.
pub fn credit_after_edit(
    before: Option<DateTime<Utc>>,
    after: Option<DateTime<Utc>>,
    credited: &str,
    owner: &str,
) -> String {
    match (before, after) {
        (_, None) => String::new(),
        (None, Some(_)) => owner.to_owned(),
        (Some(_), Some(_)) => credited.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    use super::*;

    fn at(day: u32) -> DateTime<Utc> {
        format!("2026-02-{day:02}T00:00:00Z").parse().unwrap()
    }

    fn share(member: &str, percent: i64) -> Share {
        Share {
            member: member.into(),
            percent: Decimal::from(percent),
        }
    }

    #[test]
    fn only_a_first_or_earlier_sale_acquires() {
        assert!(sale_acquires(None, at(10)));
        assert!(
            sale_acquires(Some(at(11)), at(10)),
            "a back-dated sale moves the acquisition"
        );
        assert!(!sale_acquires(Some(at(10)), at(10)));
        assert!(!sale_acquires(Some(at(9)), at(10)));
    }

    #[test]
    fn the_owner_wins_the_credit_before_any_seller() {
        let split = [share("ana", 70), share("budi", 30)];
        assert_eq!(sale_acquirer("citra", &split, "ana"), "citra");
        assert_eq!(
            sale_acquirer("", &split, "budi"),
            "ana",
            "the largest share, not the sale's owner"
        );
        assert_eq!(sale_acquirer("", &[share("ana", 50), share("budi", 50)], "ana"), "budi");
        assert_eq!(sale_acquirer("", &[], "budi"), "budi");
    }

    #[test]
    fn a_hand_set_acquisition_credits_the_owner_then_and_keeps_it() {
        assert_eq!(credit_after_edit(None, Some(at(1)), "", "ana"), "ana");
        assert_eq!(credit_after_edit(None, Some(at(1)), "", ""), "", "no owner: nobody");
        assert_eq!(credit_after_edit(Some(at(1)), Some(at(2)), "ana", "budi"), "ana");
        assert_eq!(credit_after_edit(Some(at(1)), Some(at(1)), "", "budi"), "");
        assert_eq!(credit_after_edit(Some(at(1)), None, "ana", "ana"), "");
        assert_eq!(credit_after_edit(None, None, "", "ana"), "");
    }
}
