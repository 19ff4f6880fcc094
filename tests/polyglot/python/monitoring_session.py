"""Monitoring a quarter of sales from Python: an org of two sub-teams under one team with a revenue
quota per rep, two costed products, then a quarter of customers, leads, deals and sales sent with
IngestEvents; a bad batch's rich error, a retried batch, and what the team sees: KPIs, the tracking
report with its ranking, trend and weak point, a watch, and the report exported as XLSX and CSV.

Every id, request_id and external id is fixed, so a second run against the same server and tenant
changes nothing and passes again. Give it a tenant of its own: its two rupiah products, without a
price or market estimate, would otherwise show up, flagged, in inventory_session.py's USD portfolio.

    python tests/polyglot/python/monitoring_session.py --target 127.0.0.1:50051 --token "$(lacak token ...)"
"""

import argparse
import csv
import io
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from lacak_stubs import channel, load

(money_pb2, gs, goals_grpc, org_pb2, quota_pb2, inv, inv_grpc, catalogue_pb2, pricing_pb2,
 ms, mon_grpc, records_pb2, report_pb2) = load(
    "lacak.common.v1.money_pb2",
    "lacak.goals.v1.goals_service_pb2",
    "lacak.goals.v1.goals_service_pb2_grpc",
    "lacak.goals.v1.org_pb2",
    "lacak.goals.v1.quota_pb2",
    "lacak.inventory.v1.inventory_service_pb2",
    "lacak.inventory.v1.inventory_service_pb2_grpc",
    "lacak.inventory.v1.catalogue_pb2",
    "lacak.inventory.v1.pricing_pb2",
    "lacak.monitoring.v1.monitoring_service_pb2",
    "lacak.monitoring.v1.monitoring_service_pb2_grpc",
    "lacak.monitoring.v1.records_pb2",
    "lacak.monitoring.v1.report_pb2",
)

PERIOD = "FY2025-Q4"  # October to December 2025 under the default calendar (January, UTC)
QUARTER_START = datetime(2025, 10, 1, tzinfo=timezone.utc)
CURRENCY = "IDR"
PARENT_TEAM = "mon-nusantara"
LEADS_PER_REP = 40
BATCH_SIZE = 250  # the server takes up to 1,000 events per batch
STAGES = ("qualify", "propose", "negotiate")
# SKU -> (name, sourcing, shipping, other) in rupiah, in force from 2024.
PRODUCTS = {
    "MON-GATEWAY": ("Industrial IoT gateway", 6_000_000, 400_000, 100_000),
    "MON-SENSOR": ("Vibration sensor", 700_000, 50_000, 0),
}


@dataclass
class Rep:
    """A rep and how their quarter went: of 40 leads, how many became deals and how far those went."""
    member_id: str
    display_name: str
    team_id: str
    quota: int
    converted: int
    proposed: int
    negotiated: int
    won: int
    lost: int
    basket: list  # (sku, quantity, unit price, discount %) of each sale they book


REPS = [
    Rep("mon-ayu", "Ayu Lestari", "mon-jawa", 900_000_000, 30, 26, 22, 18, 6,
        [("MON-GATEWAY", 4, 10_000_000, 0), ("MON-SENSOR", 10, 1_500_000, 0)]),
    Rep("mon-bayu", "Bayu Pratama", "mon-jawa", 1_000_000_000, 30, 24, 20, 14, 8,
        [("MON-GATEWAY", 5, 10_000_000, 10), ("MON-SENSOR", 4, 1_500_000, 0)]),
    # Converts 3 leads of 40 where the others convert 30: the report must single this out.
    Rep("mon-candra", "Candra Wijaya", "mon-sumatra", 800_000_000, 3, 3, 3, 2, 1,
        [("MON-GATEWAY", 20, 10_000_000, 0)]),
]
# (id, name, segment, region)
CUSTOMERS = [(f"mon-cust-{i:02}", f"Pelanggan {i:02}", "enterprise" if i % 2 else "smb", "sumatra" if i % 3 == 0 else "jawa")
             for i in range(1, 11)]


def idr(units):
    return money_pb2.Money(currency_code=CURRENCY, units=units)


def dec(value):
    return money_pb2.Decimal(value=str(value))


def amount(money):
    return Decimal(money.units) + Decimal(money.nanos) / Decimal(10**9)


def stamp(moment):
    ts = Timestamp()
    ts.FromDatetime(moment)
    return ts


def spread(count, total):
    """`count` indexes spread evenly over range(total), so outcomes fall across the whole quarter."""
    return sorted({j * total // count for j in range(count)}) if count else []


def line_revenue(quantity, price, discount):
    return Decimal(quantity) * Decimal(price) * (100 - Decimal(discount)) / 100


def error_details(error):
    """The BadRequest field violations and the ErrorInfo of a rich gRPC error's google.rpc.Status."""
    status = rpc_status.from_call(error)
    violations, info = [], None
    for detail in status.details if status else []:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            violations += [(v.field, v.description) for v in bad.field_violations]
        elif detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
    return violations, info


# ---------------------------------------------------------------------------------------------
# The quarter as events, and what it should add up to


class Quarter:
    """Every event of the quarter in the order it happened per deal, and the figures expected from it."""

    def __init__(self):
        self.setup, self.funnel, self.sales = [], [], []
        self.revenue_by_rep = {r.member_id: Decimal(0) for r in REPS}
        self.revenue_by_month = {10: Decimal(0), 11: Decimal(0), 12: Decimal(0)}
        self.cost_units = {sku: Decimal(0) for sku in PRODUCTS}  # units sold, to cost later
        self.won = self.lost = self.deals = self.proposed = self.negotiated = 0
        for cid, name, segment, region in CUSTOMERS:
            self.setup.append(ms.IngestEvent(external_id=f"mon-ev-{cid}", customer=records_pb2.Customer(
                name=f"customers/{cid}", display_name=name, segment=segment, region=region, external_id=cid)))
        for rep in REPS:
            self.rep(rep)

    def rep(self, rep):
        short = rep.member_id.removeprefix("mon-")
        owner = f"members/{rep.member_id}"
        created = [QUARTER_START + timedelta(hours=12 + 30 * i) for i in range(LEADS_PER_REP)]
        for i, at in enumerate(created):
            self.setup.append(ms.IngestEvent(external_id=f"mon-ev-lead-{short}-{i:02}", lead=records_pb2.Lead(
                name=f"leads/mon-lead-{short}-{i:02}", source=("webinar", "referral")[i % 2], owner=owner,
                create_time=stamp(at), status=records_pb2.LEAD_STATUS_NEW, external_id=f"mon-lead-{short}-{i:02}")))
        converted = spread(rep.converted, LEADS_PER_REP)
        won = set(spread(rep.won, rep.converted))
        rest = [k for k in range(rep.converted) if k not in won]
        to_negotiate = {rest[j] for j in spread(rep.negotiated - rep.won, len(rest))} | won
        rest_short = [k for k in rest if k not in to_negotiate]
        to_propose = {rest_short[j] for j in spread(rep.proposed - rep.negotiated, len(rest_short))} | to_negotiate
        lost = {rest[j] for j in spread(rep.lost, len(rest))}
        value = sum(line_revenue(q, p, d) for _, q, p, d in rep.basket)
        for k, lead_index in enumerate(converted):
            self.deal(rep, short, owner, k, lead_index, created[lead_index], value,
                      depth=3 if k in to_negotiate else 2 if k in to_propose else 1,
                      outcome="won" if k in won else "lost" if k in lost else None)

    def deal(self, rep, short, owner, k, lead_index, lead_time, value, depth, outcome):
        deal_id, lead_id = f"mon-deal-{short}-{k:02}", f"mon-lead-{short}-{lead_index:02}"
        customer = f"customers/{CUSTOMERS[(k + lead_index) % len(CUSTOMERS)][0]}"
        opened = lead_time + timedelta(days=2)
        self.deals += 1
        self.funnel.append(ms.IngestEvent(external_id=f"mon-ev-{deal_id}", deal=records_pb2.Deal(
            name=f"deals/{deal_id}", owner=owner, customer=customer, amount=idr(int(value)), stage=STAGES[0],
            forecast_category=records_pb2.FORECAST_CATEGORY_BEST_CASE, lead=f"leads/{lead_id}",
            create_time=stamp(opened), expected_close_time=stamp(opened + timedelta(days=30)), external_id=deal_id)))
        self.funnel.append(ms.IngestEvent(external_id=f"mon-ev-{lead_id}-converted", lead=records_pb2.Lead(
            name=f"leads/{lead_id}", owner=owner, customer=customer, status=records_pb2.LEAD_STATUS_CONVERTED,
            deal=f"deals/{deal_id}", create_time=stamp(lead_time), convert_time=stamp(opened), external_id=lead_id)))
        for step in range(1, depth):
            self.funnel.append(ms.IngestEvent(external_id=f"mon-ev-{deal_id}-{STAGES[step]}", stage_change=ms.DealStageChange(
                deal_external_id=deal_id, stage=STAGES[step], time=stamp(opened + timedelta(days=4 * step)))))
        self.proposed += depth >= 2
        self.negotiated += depth >= 3
        if outcome is None:
            return
        closed = opened + timedelta(days=14)
        self.funnel.append(ms.IngestEvent(external_id=f"mon-ev-{deal_id}-closed", closure=ms.DealClosure(
            deal_external_id=deal_id, outcome=records_pb2.OUTCOME_WON if outcome == "won" else records_pb2.OUTCOME_LOST,
            reason="signed after a site pilot" if outcome == "won" else "budget moved to next year", time=stamp(closed))))
        if outcome == "lost":
            self.lost += 1
            return
        self.won += 1
        sale_id = f"mon-sale-{short}-{k:02}"
        self.sales.append(ms.IngestEvent(external_id=f"mon-ev-{sale_id}", sale=records_pb2.Sale(
            customer=customer, owner=owner, book_time=stamp(closed), deal=f"deals/{deal_id}", external_id=sale_id,
            lines=[records_pb2.SaleLine(sku=sku, quantity=dec(q), unit_price=idr(p), discount_percent=dec(d))
                   for sku, q, p, d in rep.basket])))
        self.revenue_by_rep[rep.member_id] += value
        self.revenue_by_month[closed.month] += value
        for sku, q, _, _ in rep.basket:
            self.cost_units[sku] += q


def ingest(monitoring, auth, events, label):
    applied = duplicates = 0
    for first in range(0, len(events), BATCH_SIZE):
        batch = events[first:first + BATCH_SIZE]
        answer = monitoring.IngestEvents(ms.IngestEventsRequest(events=batch), metadata=auth, timeout=60)
        assert answer.applied + answer.duplicates == len(batch), (label, answer)
        assert answer.awaiting_cost == 0, f"{label}: sales awaiting cost although 2024 costs exist: {answer}"
        applied, duplicates = applied + answer.applied, duplicates + answer.duplicates
    print(f"ingest  {label:8} {len(events):4} events in {-(-len(events) // BATCH_SIZE)} batch(es): "
          f"{applied} applied, {duplicates} duplicates")


# ---------------------------------------------------------------------------------------------
# Setting up goals and inventory


def wait_until_ready(probes, seconds=60):
    deadline = time.monotonic() + seconds
    for probe in probes:
        while True:
            try:
                probe()
                break
            except grpc.RpcError as error:
                if error.code() != grpc.StatusCode.UNAVAILABLE or time.monotonic() > deadline:
                    raise
                time.sleep(0.2)


def set_up_org(goals, auth):
    calendar = goals.GetFiscalCalendar(gs.GetFiscalCalendarRequest(), metadata=auth).fiscal_calendar
    assert calendar.start_month in (0, 1) and calendar.time_zone in ("", "UTC"), \
        f"this session assumes the default calendar (January, UTC): {calendar}"
    teams = [(PARENT_TEAM, "Nusantara Sales", ""), ("mon-jawa", "Jawa", PARENT_TEAM), ("mon-sumatra", "Sumatra", PARENT_TEAM)]
    for team_id, name, parent in teams:
        team = goals.CreateTeam(gs.CreateTeamRequest(
            team_id=team_id, request_id=f"mon-session-team-{team_id}",
            team=org_pb2.Team(display_name=name, parent=f"teams/{parent}" if parent else "")), metadata=auth).team
        print(f"team    {team.name:22} {team.display_name}" + (f" (in {team.parent})" if team.parent else ""))
    for rep in REPS:
        goals.CreateMember(gs.CreateMemberRequest(
            member_id=rep.member_id, request_id=f"mon-session-member-{rep.member_id}",
            member=org_pb2.Member(display_name=rep.display_name, team=f"teams/{rep.team_id}")), metadata=auth)
        quota = goals.CreateQuota(gs.CreateQuotaRequest(
            quota=quota_pb2.Quota(owner=f"members/{rep.member_id}", metric=quota_pb2.METRIC_REVENUE, period=PERIOD,
                                  target=money_pb2.Measure(money=idr(rep.quota))),
            reason="Q4 2025 revenue plan", request_id=f"mon-session-quota-{rep.member_id}"), metadata=auth).quota
        assert quota.target.money.units == rep.quota, quota
        print(f"member  members/{rep.member_id:14} {rep.display_name:14} in teams/{rep.team_id}, "
              f"quota {rep.quota:,} {CURRENCY} for {quota.period}")


def set_up_products(inventory, auth):
    """Creates the products with their 2024 costs; answers each SKU's unit cost."""
    unit_costs = {}
    for sku, (title, sourcing, shipping, other) in PRODUCTS.items():
        inventory.CreateProduct(inv.CreateProductRequest(
            sku=sku, request_id=f"mon-session-{sku}",
            product=catalogue_pb2.Product(display_name=title, kind=catalogue_pb2.PRODUCT_KIND_PRODUCT,
                                          unit_of_measure="each")), metadata=auth)
        breakdown = inventory.CreateCostBreakdown(inv.CreateCostBreakdownRequest(
            parent=f"products/{sku}", request_id=f"mon-session-{sku}-cost-2024",
            cost_breakdown=pricing_pb2.CostBreakdown(
                sourcing=idr(sourcing), shipping=idr(shipping), other=idr(other),
                tax_rate_percent=dec(11), fee_rate_percent=dec(2),
                effective_time=stamp(datetime(2024, 1, 1, tzinfo=timezone.utc)))), metadata=auth).cost_breakdown
        unit_costs[sku] = amount(breakdown.unit_cost)
        assert unit_costs[sku] == sourcing + shipping + other, breakdown
        print(f"product {sku:12} {title}: unit cost {unit_costs[sku]:,} {CURRENCY} from 2024-01-01")
    return unit_costs


# ---------------------------------------------------------------------------------------------
# Errors and retries


def bad_batch_is_refused(monitoring, auth):
    """One invalid event refuses the whole batch; the trailer's google.rpc.Status names the field."""
    bad = [
        ms.IngestEvent(external_id="mon-bad-0", customer=records_pb2.Customer(
            name="customers/mon-bad-customer", display_name="Never stored")),
        ms.IngestEvent(external_id="mon-bad-1", lead=records_pb2.Lead(
            owner="members/mon-ayu", source="webinar", create_time=stamp(QUARTER_START))),
        ms.IngestEvent(external_id="mon-bad-2", sale=records_pb2.Sale(
            owner="members/mon-ayu", external_id="mon-bad-sale", book_time=stamp(QUARTER_START),
            lines=[records_pb2.SaleLine(sku="MON-SENSOR", quantity=dec(-2), unit_price=idr(1_500_000))])),
    ]
    try:
        monitoring.IngestEvents(ms.IngestEventsRequest(events=bad), metadata=auth, timeout=30)
        sys.exit("a batch with a negative quantity was accepted")
    except grpc.RpcError as error:
        violations, info = error_details(error)
        print(f"bad batch answered {error.code().name}: "
              + "; ".join(f"{field}: {description}" for field, description in violations)
              + (f" (ErrorInfo {info.reason} in {info.domain})" if info else ""))
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, error
        assert "events[2].sale.lines[0].quantity" in [field for field, _ in violations], violations
        assert info is not None and info.domain == "monitoring.lacak.dev", info
    # Nothing of the refused batch was stored, not even its valid events.
    try:
        monitoring.GetCustomer(ms.GetCustomerRequest(name="customers/mon-bad-customer"), metadata=auth)
        sys.exit("an event of a refused batch was stored")
    except grpc.RpcError as error:
        assert error.code() == grpc.StatusCode.NOT_FOUND, error


def retried_batch_changes_nothing(monitoring, auth, events):
    batch = events[:BATCH_SIZE]
    answer = monitoring.IngestEvents(ms.IngestEventsRequest(events=batch), metadata=auth, timeout=60)
    print(f"retried batch of {len(batch)} events: {answer.applied} applied, {answer.duplicates} duplicates")
    assert (answer.applied, answer.duplicates) == (0, len(batch)), answer


# ---------------------------------------------------------------------------------------------
# What the team sees


def check_kpis(monitoring, auth, quarter, unit_costs):
    request = dict(owner=f"teams/{PARENT_TEAM}", period=PERIOD, currency_code=CURRENCY)
    kpis = monitoring.GetKpis(ms.GetKpisRequest(**request), metadata=auth, timeout=30).kpis
    revenue = sum(quarter.revenue_by_rep.values())
    cost = sum(unit_costs[sku] * units for sku, units in quarter.cost_units.items())
    funnel = [(c.from_stage, c.to_stage, c.entered, c.advanced) for c in kpis.stage_conversions]
    print(f"kpis    {kpis.owner} {kpis.period}: revenue {amount(kpis.revenue):,} {CURRENCY}, "
          f"gross margin {amount(kpis.gross_margin):,} ({kpis.gross_margin_percent.value}%), "
          f"won {kpis.deals_won} lost {kpis.deals_lost} (win rate {kpis.win_rate_percent.value}%), "
          f"leads {kpis.leads_created} converted {kpis.lead_cohort.converted}, "
          f"open pipeline {amount(kpis.open_pipeline):,}")
    for c in kpis.stage_conversions:
        print(f"          {c.from_stage:>9} -> {c.to_stage:9} {c.advanced:3} of {c.entered:3} "
              f"({c.conversion_percent.value}%)")
    assert kpis.owner == f"teams/{PARENT_TEAM}" and kpis.period == PERIOD, kpis
    assert kpis.revenue.currency_code == CURRENCY and amount(kpis.revenue) == revenue, (kpis.revenue, revenue)
    assert amount(kpis.gross_margin) == revenue - cost, (kpis.gross_margin, revenue - cost)
    assert (kpis.deals_won, kpis.deals_lost) == (quarter.won, quarter.lost), kpis
    assert kpis.leads_created == LEADS_PER_REP * len(REPS), kpis.leads_created
    assert kpis.lead_cohort.converted == sum(r.converted for r in REPS), kpis.lead_cohort
    # Stage cohorts (every deal entered qualify in the quarter): of those that entered a stage,
    # those that went on; won follows negotiate.
    assert funnel == [("qualify", "propose", quarter.deals, quarter.proposed),
                      ("propose", "negotiate", quarter.proposed, quarter.negotiated),
                      ("negotiate", "won", quarter.negotiated, quarter.won)], funnel
    return kpis


def check_report(monitoring, auth, quarter):
    report = monitoring.GetTrackingReport(ms.GetTrackingReportRequest(
        team=f"teams/{PARENT_TEAM}", period=PERIOD, currency_code=CURRENCY), metadata=auth, timeout=30).report
    print(f"report  {report.team} {report.period}")
    for m in report.members:
        print(f"  #{m.rank} {m.display_name:14} {amount(m.actual):>15,} of {amount(m.target):>15,} "
              f"= {Decimal(m.attainment_percent.value):7.2f}%  leads converted {m.lead_conversion_percent.value}%  "
              f"win rate {m.win_rate_percent.value}%")
    for point in report.trend:
        average = f"{amount(point.moving_average):,.2f}" if point.HasField("moving_average") else "-"
        print(f"  trend {point.label}  {amount(point.revenue):>15,}  moving average {average:>16}  won {point.deals_won}")
    for weak in report.weak_points:
        print(f"  weak  {report_pb2.WeakPointKind.Name(weak.kind)} {weak.member or weak.stage}: {weak.explanation}; "
              f"at stake {amount(weak.revenue_at_stake):,} {CURRENCY}")

    attainment = {r.member_id: quarter.revenue_by_rep[r.member_id] * 100 / r.quota for r in REPS}
    expected_order = sorted(attainment, key=lambda m: -attainment[m])
    assert [m.member for m in report.members] == [f"members/{m}" for m in expected_order], report.members
    assert expected_order == ["mon-ayu", "mon-bayu", "mon-candra"], attainment
    assert [m.rank for m in report.members] == [1, 2, 3]
    for m in report.members:
        member_id = m.member.removeprefix("members/")
        assert amount(m.actual) == quarter.revenue_by_rep[member_id], m
        assert Decimal(m.attainment_percent.value) == attainment[member_id], m
    assert [p.label for p in report.trend] == ["FY2025-M10", "FY2025-M11", "FY2025-M12"], report.trend
    assert [amount(p.revenue) for p in report.trend] == list(quarter.revenue_by_month.values()), report.trend
    weak = [(w.kind, w.member) for w in report.weak_points]
    assert (report_pb2.WEAK_POINT_KIND_MEMBER_LEAD_CONVERSION, "members/mon-candra") in weak, weak
    lead_weak = next(w for w in report.weak_points if w.kind == report_pb2.WEAK_POINT_KIND_MEMBER_LEAD_CONVERSION)
    assert Decimal(lead_weak.value.value) == Decimal("7.5") and Decimal(lead_weak.baseline.value) == 75, lead_weak
    assert Decimal(lead_weak.p_value.value) < Decimal("0.05"), lead_weak
    return report


def check_watch(monitoring, auth, expected_revenue):
    """The first message of a watch is the KPIs as they are now; the client then hangs up."""
    stream = monitoring.WatchKpis(ms.WatchKpisRequest(
        owner="members/mon-ayu", period=PERIOD, currency_code=CURRENCY), metadata=auth, timeout=30)
    try:
        first = next(stream)
    finally:
        stream.cancel()
    print(f"watch   {first.kpis.owner}: revenue {amount(first.kpis.revenue):,} {CURRENCY}; cancelled after the first message")
    assert amount(first.kpis.revenue) == expected_revenue, first.kpis.revenue


def check_exports(monitoring, auth):
    def export(fmt):
        return monitoring.ExportTrackingReport(ms.ExportTrackingReportRequest(
            team=f"teams/{PARENT_TEAM}", period=PERIOD, currency_code=CURRENCY, format=fmt), metadata=auth, timeout=60)

    xlsx = export(ms.EXPORT_FORMAT_XLSX)
    print(f"export  {xlsx.file_name} ({xlsx.content_type}, {len(xlsx.content):,} bytes)")
    assert xlsx.content[:2] == b"PK", f"not a zip (xlsx) file: {xlsx.content[:16]!r}"
    assert xlsx.file_name.endswith(".xlsx"), xlsx.file_name
    with tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False) as file:
        file.write(xlsx.content)
    try:
        import openpyxl
    except ImportError:
        print("        openpyxl not installed: the workbook's sheets were not read")
    else:
        workbook = openpyxl.load_workbook(file.name, read_only=True)
        print(f"        sheets {workbook.sheetnames}")
        assert workbook.sheetnames == ["Summary", "Members", "Trend"], workbook.sheetnames
        members = [row for row in workbook["Members"].iter_rows(values_only=True) if any(v is not None for v in row)]
        assert len(members) == 1 + len(REPS), members
        workbook.close()
    finally:
        os.unlink(file.name)

    table = export(ms.EXPORT_FORMAT_CSV)
    rows = list(csv.reader(io.StringIO(table.content.decode("utf-8"))))
    print(f"export  {table.file_name} ({table.content_type}): {len(rows) - 1} member rows")
    for row in rows:
        print("        " + ",".join(row))
    assert table.content_type.startswith("text/csv"), table.content_type
    assert rows[0][:2] == ["Rank", "Member"], rows[0]
    assert [row[1] for row in rows[1:]] == ["members/mon-ayu", "members/mon-bayu", "members/mon-candra"], rows


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--target", default=os.environ.get("LACAK_TARGET", "127.0.0.1:50051"))
    parser.add_argument("--token", default=os.environ.get("LACAK_TOKEN"))
    args = parser.parse_args()
    if not args.token:
        sys.exit("pass --token (from `lacak token --tenant demo --role admin`) or set LACAK_TOKEN")
    rpc = channel(args.target)
    goals = goals_grpc.GoalsServiceStub(rpc)
    inventory = inv_grpc.InventoryServiceStub(rpc)
    monitoring = mon_grpc.MonitoringServiceStub(rpc)
    auth = [("authorization", f"Bearer {args.token}")]
    wait_until_ready([
        lambda: goals.GetFiscalCalendar(gs.GetFiscalCalendarRequest(), metadata=auth, timeout=5),
        lambda: inventory.GetInventorySettings(inv.GetInventorySettingsRequest(), metadata=auth, timeout=5),
        lambda: monitoring.ListCustomers(ms.ListCustomersRequest(page_size=1), metadata=auth, timeout=5),
    ])

    set_up_org(goals, auth)
    unit_costs = set_up_products(inventory, auth)
    quarter = Quarter()
    ingest(monitoring, auth, quarter.setup, "setup")
    ingest(monitoring, auth, quarter.funnel, "funnel")
    ingest(monitoring, auth, quarter.sales, "sales")
    bad_batch_is_refused(monitoring, auth)
    retried_batch_changes_nothing(monitoring, auth, quarter.sales)

    kpis = check_kpis(monitoring, auth, quarter, unit_costs)
    report = check_report(monitoring, auth, quarter)
    check_watch(monitoring, auth, quarter.revenue_by_rep["mon-ayu"])
    check_exports(monitoring, auth)

    top, weakest = report.members[0], report.members[-1]
    print(f"\nsummary {report.team} made {amount(kpis.revenue):,.0f} {CURRENCY} in {PERIOD} "
          f"({kpis.deals_won} deals won); {top.display_name} leads at {Decimal(top.attainment_percent.value):.1f}% "
          f"of quota, {weakest.display_name} trails at {Decimal(weakest.attainment_percent.value):.1f}%; "
          f"{len(report.weak_points)} weak point(s), first: {report.weak_points[0].explanation}")


if __name__ == "__main__":
    main()
