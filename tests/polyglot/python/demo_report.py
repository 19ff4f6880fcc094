"""Reads what `lacak demo` wrote, from Python: a team's attainment report, its funnel, trend and weak
points, and the Excel dashboard.

    lacak demo
    TOKEN=$(lacak token --tenant demo --role admin)
    python tests/polyglot/python/demo_report.py --token "$TOKEN" --team sales --period FY2026-Q3
"""

import argparse
import os
import sys
from decimal import Decimal

from lacak_stubs import channel, load

ms, report_pb, mon_grpc = load(
    "lacak.monitoring.v1.monitoring_service_pb2",
    "lacak.monitoring.v1.report_pb2",
    "lacak.monitoring.v1.monitoring_service_pb2_grpc",
)


def amount(money):
    return Decimal(money.units) + Decimal(money.nanos) / Decimal(1_000_000_000)


def percent(decimal):
    return f"{Decimal(decimal.value):.1f}%" if decimal.value else "—"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--target", default=os.environ.get("LACAK_TARGET", "127.0.0.1:50051"))
    parser.add_argument("--token", default=os.environ.get("LACAK_TOKEN"))
    parser.add_argument("--team", default="sales")
    parser.add_argument("--period", default="FY2026-Q3")
    parser.add_argument("--currency", default="IDR")
    parser.add_argument("--xlsx", default="tracking.xlsx")
    args = parser.parse_args()
    if not args.token:
        sys.exit("pass --token (from `lacak token --tenant demo --role admin`) or set LACAK_TOKEN")
    monitoring = mon_grpc.MonitoringServiceStub(channel(args.target))
    auth = [("authorization", f"Bearer {args.token}")]
    team = f"teams/{args.team}"

    report = monitoring.GetTrackingReport(
        ms.GetTrackingReportRequest(team=team, period=args.period, currency_code=args.currency,
                                    granularity=report_pb.GRANULARITY_MONTH),
        metadata=auth,
    ).report
    print(f"{report.team} in {report.period}: attainment")
    for m in report.members:
        target = f"{amount(m.target):>18,.0f}" if m.HasField("target") else f"{'—':>18}"
        print(f"  {m.rank:>2}. {m.display_name:<18} {target} {amount(m.actual):>18,.0f}  "
              f"{percent(m.attainment_percent):>7}  lead conv. {percent(m.lead_conversion_percent):>6}  "
              f"win rate {percent(m.win_rate_percent):>6}")

    kpis = monitoring.GetKpis(
        ms.GetKpisRequest(owner=team, period=args.period, currency_code=args.currency), metadata=auth
    ).kpis
    print(f"\nfunnel: {kpis.leads_created} leads, {kpis.lead_cohort.converted} converted "
          f"({percent(kpis.lead_cohort.conversion_percent)}); win rate {percent(kpis.win_rate_percent)}")
    for stage in kpis.stage_conversions:
        print(f"  {stage.from_stage:>10} → {stage.to_stage:<10} {stage.advanced:>4} of {stage.entered:<4} "
              f"{percent(stage.conversion_percent):>6}  {stage.average_time_in_stage.seconds / 86400:.1f} days in stage")

    print("\ntrend")
    for point in report.trend:
        average = f"{amount(point.moving_average):,.0f}" if point.HasField("moving_average") else "—"
        print(f"  {point.label}  {amount(point.revenue):>18,.0f}  moving average {average}")

    print("\nweak points")
    for weak in report.weak_points:
        print(f"  - {weak.explanation}; at stake {amount(weak.revenue_at_stake):,.0f} {args.currency}")

    export = monitoring.ExportTrackingReport(
        ms.ExportTrackingReportRequest(team=team, period=args.period, currency_code=args.currency,
                                       format=ms.EXPORT_FORMAT_XLSX),
        metadata=auth,
    )
    with open(args.xlsx, "wb") as out:
        out.write(export.content)
    print(f"\nwrote {args.xlsx} ({len(export.content):,} bytes): open it for the dashboard")


if __name__ == "__main__":
    main()
