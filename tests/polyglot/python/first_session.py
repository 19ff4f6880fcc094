"""A first session with Lacak from Python: a team, its members, a quarterly revenue quota split
over its months, a change with a reason, and the quota's history. Safe to run twice: every create
carries a request_id, so a second run changes nothing.

    python tests/polyglot/python/first_session.py --target 127.0.0.1:50051 --token "$(lacak token ...)"
"""

import argparse
import os
import sys
import time

import grpc
from google.protobuf import field_mask_pb2
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from lacak_stubs import channel, load

money_pb2, goals_service_pb2, goals_service_pb2_grpc, org_pb2, quota_pb2 = load(
    "lacak.common.v1.money_pb2",
    "lacak.goals.v1.goals_service_pb2",
    "lacak.goals.v1.goals_service_pb2_grpc",
    "lacak.goals.v1.org_pb2",
    "lacak.goals.v1.quota_pb2",
)
g = goals_service_pb2


def usd(units, nanos=0):
    return money_pb2.Measure(money=money_pb2.Money(currency_code="USD", units=units, nanos=nanos))


def show(measure):
    m = measure.money
    return f"{m.units + m.nanos / 1e9:,.2f} {m.currency_code}"


def field_violations(error):
    """The BadRequest field violations of a rich gRPC error, as (field, description) pairs."""
    status = rpc_status.from_call(error)
    found = []
    for detail in status.details if status else []:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad_request = error_details_pb2.BadRequest()
            detail.Unpack(bad_request)
            found += [(v.field, v.description) for v in bad_request.field_violations]
    return found


def wait_until_ready(goals, auth, seconds=60):
    """Waits while the server starts or migrates (UNAVAILABLE), at most `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            goals.GetFiscalCalendar(g.GetFiscalCalendarRequest(), metadata=auth, timeout=5)
            return
        except grpc.RpcError as error:
            if error.code() != grpc.StatusCode.UNAVAILABLE or time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--target", default=os.environ.get("LACAK_TARGET", "127.0.0.1:50051"))
    parser.add_argument("--token", default=os.environ.get("LACAK_TOKEN"))
    parser.add_argument("--period", default="FY2026-Q3")
    args = parser.parse_args()
    if not args.token:
        sys.exit("pass --token (from `lacak token --tenant demo --role admin`) or set LACAK_TOKEN")

    goals = goals_service_pb2_grpc.GoalsServiceStub(channel(args.target))
    auth = [("authorization", f"Bearer {args.token}")]
    wait_until_ready(goals, auth)

    team = goals.CreateTeam(
        g.CreateTeamRequest(team_id="emea", team=org_pb2.Team(display_name="EMEA"), request_id="first-session-team"),
        metadata=auth,
    ).team
    print(f"team    {team.name}  {team.display_name}")
    for member_id, name in [("ana", "Ana Putri"), ("budi", "Budi Santoso")]:
        member = goals.CreateMember(
            g.CreateMemberRequest(
                member_id=member_id,
                member=org_pb2.Member(display_name=name, team=team.name),
                request_id=f"first-session-{member_id}",
            ),
            metadata=auth,
        ).member
        print(f"member  {member.name}  {member.display_name}  in {member.team}")

    quota = goals.CreateQuota(
        g.CreateQuotaRequest(
            quota=quota_pb2.Quota(
                owner=team.name,
                metric=quota_pb2.METRIC_REVENUE,
                period=args.period,
                target=usd(300_000),
                seasonal_profile=[money_pb2.Decimal(value=v) for v in ("30", "30", "40")],
            ),
            reason="Q3 plan agreed with sales leadership",
            request_id="first-session-quota",
        ),
        metadata=auth,
    ).quota
    print(f"quota   {quota.name}  {show(quota.target)} for {quota.period}")
    for month in quota.monthly_targets:
        print(f"          {month.period}  {show(month.target)}")

    changed = goals.UpdateQuota(
        g.UpdateQuotaRequest(
            quota=quota_pb2.Quota(name=quota.name, target=usd(330_000)),
            update_mask=field_mask_pb2.FieldMask(paths=["target"]),
            reason="New enterprise account signed in July",
            request_id="first-session-raise",
        ),
        metadata=auth,
    )
    print(f"changed {show(changed.quota.target)}; months now " + ", ".join(show(m.target) for m in changed.quota.monthly_targets))

    history = goals.ListQuotaChanges(g.ListQuotaChangesRequest(parent=quota.name), metadata=auth)
    print("history")
    for change in history.changes:
        old = show(change.old_target) if change.HasField("old_target") else "-"
        print(f"  {change.change_time.ToJsonString()}  {old} -> {show(change.new_target)}  by {change.actor}: {change.reason}")

    try:
        goals.CreateQuota(
            g.CreateQuotaRequest(quota=quota_pb2.Quota(owner=team.name, metric=quota_pb2.METRIC_REVENUE, period="Q3-2026")),
            metadata=auth,
        )
        sys.exit("an invalid quota was accepted")
    except grpc.RpcError as error:
        print(f"invalid request answered {error.code().name}:")
        for field, description in field_violations(error):
            print(f"  {field}: {description}")

    assert len(history.changes) == 2, history
    assert changed.quota.target.money.units == 330_000
    assert [m.target.money.units for m in changed.quota.monthly_targets] == [99_000, 99_000, 132_000]


if __name__ == "__main__":
    main()
