//! Records counted per member and month in one query each: leads created and customers acquired,
//! for the count series of GetSalesSeries. A month is a `[start, end)` range of instants (the
//! tenant's calendar), so a record lands in the month its time falls in there.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Alias, CaseStatement, Expr, ExprTrait, Query};

use crate::error::MonitoringResult;

/// Members per query.
const CHUNK: usize = 500;

/// What is counted: a table, the member it is credited to, and the instant that dates it.
#[derive(Debug, Clone, Copy)]
pub enum Counted {
    /// Leads by owner and creation.
    Leads,
    /// Customers by the member credited with acquiring them, and when.
    NewCustomers,
}

impl Counted {
    fn table(self) -> &'static str {
        match self {
            Counted::Leads => "leads",
            Counted::NewCustomers => "customers",
        }
    }

    fn member(self) -> &'static str {
        match self {
            Counted::Leads => "owner",
            Counted::NewCustomers => "acquired_by",
        }
    }

    fn time(self) -> &'static str {
        match self {
            Counted::Leads => "create_time",
            Counted::NewCustomers => "acquire_time",
        }
    }
}

/// How many of `what` each of `members` has in each month (its index in `months`, consecutive and
/// oldest first). Members and months without any are absent.
#[tracing::instrument(name = "db.counts_by_month", skip_all, fields(otel.kind = "client"))]
pub async fn by_month<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    what: Counted,
    members: &[String],
    months: &[(DateTime<Utc>, DateTime<Utc>)],
) -> MonitoringResult<BTreeMap<String, BTreeMap<usize, i64>>> {
    let mut out: BTreeMap<String, BTreeMap<usize, i64>> = BTreeMap::new();
    let (Some(first), Some(last)) = (months.first(), months.last()) else {
        return Ok(out);
    };
    let time = || Expr::col(Alias::new(what.time()));
    // The month of each row: the first whose end is after its time.
    let mut month = CaseStatement::new();
    for (index, (_, end)) in months.iter().enumerate() {
        month = month.case(time().lt(*end), index as i64);
    }
    let month = month.finally(-1i64);
    for chunk in members.chunks(CHUNK) {
        let mut query = Query::select();
        query
            .expr_as(Expr::col(Alias::new(what.member())), Alias::new("member"))
            .expr_as(month.clone(), Alias::new("month"))
            .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
            .from(Alias::new(what.table()))
            .and_where(Expr::col(Alias::new("tenant")).eq(tenant))
            .and_where(Expr::col(Alias::new(what.member())).is_in(chunk.iter().cloned()))
            .and_where(time().gte(first.0))
            .and_where(time().lt(last.1))
            // By position: the month's expression holds parameters, which PostgreSQL would not
            // match between the select list and a repeated GROUP BY.
            .add_group_by([Expr::cust("1"), Expr::cust("2")]);
        for row in db.query_all(&query).await? {
            let member: String = row.try_get("", "member")?;
            let index: i64 = row.try_get("", "month")?;
            let n: i64 = row.try_get("", "n")?;
            if let Ok(index) = usize::try_from(index) {
                *out.entry(member).or_default().entry(index).or_default() += n;
            }
        }
    }
    Ok(out)
}
