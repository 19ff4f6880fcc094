"""The strategy loop from Python, after `lacak demo`: ask for a team's recommendations, accept one,
see the change recorded in goals with its reason, and read its follow-up.

    lacak demo
    TOKEN=$(lacak token --tenant demo --role admin)
    python tests/polyglot/python/strategy_loop.py --token "$TOKEN" --team sales

The verdict is due once the verification window (3 months by default) after the change has passed;
until then GetVerification says when it is due.
"""

import argparse
import os
import sys
import uuid
from decimal import Decimal

from lacak_stubs import channel, load

spb, recpb, sgrpc, gpb, ggrpc, apb = load(
    "lacak.strategy.v1.strategy_service_pb2",
    "lacak.strategy.v1.recommendation_pb2",
    "lacak.strategy.v1.strategy_service_pb2_grpc",
    "lacak.goals.v1.goals_service_pb2",
    "lacak.goals.v1.goals_service_pb2_grpc",
    "lacak.goals.v1.action_plan_pb2",
)


def amount(money):
    return Decimal(money.units) + Decimal(money.nanos) / Decimal(1_000_000_000)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--target", default=os.environ.get("LACAK_TARGET", "127.0.0.1:50051"))
    parser.add_argument("--token", default=os.environ.get("LACAK_TOKEN"))
    parser.add_argument("--team", default="sales")
    parser.add_argument("--period", default="", help="a fiscal period; the current quarter by default")
    parser.add_argument("--currency", default="IDR")
    args = parser.parse_args()
    if not args.token:
        sys.exit("pass --token (lacak token --tenant demo --role admin)")
    metadata = [("authorization", f"Bearer {args.token}")]
    with channel(args.target) as ch:
        strategy = sgrpc.StrategyServiceStub(ch)
        goals = ggrpc.GoalsServiceStub(ch)
        period = args.period
        if not period:
            from google.protobuf.timestamp_pb2 import Timestamp

            now = Timestamp()
            now.GetCurrentTime()
            period = goals.GetPeriod(
                gpb.GetPeriodRequest(kind=2, time=now), metadata=metadata  # PERIOD_KIND_QUARTER
            ).period.id
        def generate():
            return strategy.GenerateRecommendations(
                spb.GenerateRecommendationsRequest(
                    team=f"teams/{args.team}", period=period, currency_code=args.currency, request_id=str(uuid.uuid4())
                ),
                metadata=metadata,
            ).recommendations

        recs = generate()
        if not any(r.WhichOneof("change") for r in recs):
            # Coaching lands as a task in an active plan: give the team one for its quarter, as a
            # manager would, and ask again.
            quotas = goals.ListQuotas(
                gpb.ListQuotasRequest(owner=f"teams/{args.team}", period=period), metadata=metadata
            ).quotas
            if quotas:
                plan = goals.CreateActionPlan(
                    gpb.CreateActionPlanRequest(
                        action_plan=apb.ActionPlan(
                            title=f"{period} push",
                            owner=f"teams/{args.team}",
                            quotas=[quotas[0].name],
                            state=apb.ActionPlan.STATE_ACTIVE,
                        ),
                        request_id=f"strategy-loop-{args.team}-{period}",
                    ),
                    metadata=metadata,
                ).action_plan
                print(f"created {plan.name}, an active plan for teams/{args.team}")
                recs = generate()
        print(f"{len(recs)} recommendations for teams/{args.team} in {period}:")
        for rec in recs:
            kind = recpb.RecommendationKind.Name(rec.kind).removeprefix("RECOMMENDATION_KIND_")
            print(f"  {rec.name}  {kind:<20} {rec.subject:<22} impact {amount(rec.expected_impact):>14,.0f}")
            for ev in rec.evidence:
                print(f"      {ev.kpi}: {ev.explanation}")
        chosen = next((r for r in recs if r.WhichOneof("change") in ("quota_adjustment", "plan_task")), None)
        if chosen is None:
            sys.exit("nothing to apply in goals for this team and period")
        accepted = strategy.AcceptRecommendation(
            spb.AcceptRecommendationRequest(name=chosen.name, reason="accepted from Python"), metadata=metadata
        ).recommendation
        state = recpb.RecommendationState.Name(accepted.state)
        print(f"\naccepted {accepted.name}: {state} {accepted.applied_reference} {accepted.apply_error}")
        assert accepted.state == recpb.RECOMMENDATION_STATE_APPLIED, accepted.apply_error
        if chosen.WhichOneof("change") == "quota_adjustment":
            quota = chosen.quota_adjustment.quota
            changes = goals.ListQuotaChanges(gpb.ListQuotaChangesRequest(parent=quota), metadata=metadata).changes
            mine = [c for c in changes if c.source_reference == chosen.name]
            assert mine, "goals records the change with the recommendation as its source"
            print(f"goals: {mine[0].name} by {mine[0].actor}: {mine[0].reason}")
        else:
            plan = chosen.plan_task.action_plan
            tasks = goals.ListTasks(gpb.ListTasksRequest(parent=plan), metadata=metadata).tasks
            mine = [t for t in tasks if chosen.name in t.title]
            assert mine, "goals holds the task, naming the recommendation"
            print(f"goals: {mine[0].name} for {mine[0].assignee}: {mine[0].title}")
        verification = strategy.GetVerification(
            spb.GetVerificationRequest(name=f"{chosen.name}/verification"), metadata=metadata
        ).verification
        verdict = recpb.Verdict.Name(verification.verdict).removeprefix("VERDICT_")
        due = verification.due_time.ToDatetime().date()
        print(f"follow-up on {verification.kpi}: due {due}, verdict {verdict}. {verification.explanation}")


if __name__ == "__main__":
    main()
