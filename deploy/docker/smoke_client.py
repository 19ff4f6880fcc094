"""Calls each service of a split deployment (one address per service, as in a cluster) and checks
that the calls between services work: monitoring reads through goals, strategy through goals,
inventory and monitoring. With --ca/--cert/--key it speaks mutual TLS and also checks that
plaintext and a client without a certificate are refused. Run by deploy/docker/smoke.

    python3 deploy/docker/smoke_client.py --token T --goals 127.0.0.1:50061 --inventory … \
        --monitoring … --strategy … [--ca ca.crt --cert c.crt --key c.key]
"""

import argparse
import pathlib
import sys
import uuid

import grpc

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "tests" / "polyglot" / "python"))
from lacak_stubs import SERVICE_CONFIG, load  # noqa: E402

gpb, ggrpc, ipb, igrpc, mpb, mgrpc, spb, sgrpc, tpb = load(
    "lacak.goals.v1.goals_service_pb2",
    "lacak.goals.v1.goals_service_pb2_grpc",
    "lacak.inventory.v1.inventory_service_pb2",
    "lacak.inventory.v1.inventory_service_pb2_grpc",
    "lacak.monitoring.v1.monitoring_service_pb2",
    "lacak.monitoring.v1.monitoring_service_pb2_grpc",
    "lacak.strategy.v1.strategy_service_pb2",
    "lacak.strategy.v1.strategy_service_pb2_grpc",
    "lacak.goals.v1.org_pb2",
)

SERVICES = ["goals", "inventory", "monitoring", "strategy"]


def health_request(service):
    # grpc.health.v1.HealthCheckRequest{service}: field 1, length-delimited.
    data = service.encode()
    return b"\x0a" + bytes([len(data)]) + data if data else b""


def health(ch, service, timeout=2.0):
    """The serving status number (1 = SERVING) of `service` on a channel."""
    check = ch.unary_unary("/grpc.health.v1.Health/Check")
    answer = check(health_request(service), timeout=timeout)
    return answer[1] if len(answer) >= 2 and answer[0] == 0x08 else 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--token", required=True)
    for name in SERVICES:
        parser.add_argument(f"--{name}", required=True, help=f"host:port of {name}")
    parser.add_argument("--ca")
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--time", type=int, default=0, help="also time this many reports (each a call from monitoring to goals)")
    args = parser.parse_args()
    metadata = [("authorization", f"Bearer {args.token}")]
    options = [("grpc.service_config", SERVICE_CONFIG.read_text())]
    tls = args.ca is not None

    def channel(name, with_certificate=True):
        target = getattr(args, name)
        if not tls:
            return grpc.insecure_channel(target, options=options)
        credentials = grpc.ssl_channel_credentials(
            root_certificates=pathlib.Path(args.ca).read_bytes(),
            private_key=pathlib.Path(args.key).read_bytes() if with_certificate else None,
            certificate_chain=pathlib.Path(args.cert).read_bytes() if with_certificate else None,
        )
        # Certificates name the headless Services the services dial each other by.
        return grpc.secure_channel(
            target, credentials, options=options + [("grpc.ssl_target_name_override", f"lacak-{name}-headless")]
        )

    channels = {name: channel(name) for name in SERVICES}
    names = {
        "goals": "lacak.goals.v1.GoalsService",
        "inventory": "lacak.inventory.v1.InventoryService",
        "monitoring": "lacak.monitoring.v1.MonitoringService",
        "strategy": "lacak.strategy.v1.StrategyService",
    }
    for name in SERVICES:
        status = health(channels[name], names[name])
        assert status == 1, f"{name} is not SERVING ({status})"
    print("health  every service SERVING on its own address" + (" (mutual TLS)" if tls else ""))

    goals = ggrpc.GoalsServiceStub(channels["goals"])
    team = goals.CreateTeam(
        gpb.CreateTeamRequest(team_id="smoke", team=tpb.Team(display_name="Smoke"), request_id="smoke-team"),
        metadata=metadata,
    ).team
    print(f"goals   {team.name}")

    inventory = igrpc.InventoryServiceStub(channels["inventory"])
    settings = inventory.GetInventorySettings(ipb.GetInventorySettingsRequest(), metadata=metadata)
    print(f"inventory settings read ({settings.ByteSize()} bytes)")

    monitoring = mgrpc.MonitoringServiceStub(channels["monitoring"])
    series = monitoring.GetSalesSeries(
        mpb.GetSalesSeriesRequest(
            owner="teams/smoke",
            dimension=1,  # SERIES_DIMENSION_TOTAL
            start_period="FY2026-M01",
            end_period="FY2026-M03",
            currency_code="IDR",
        ),
        metadata=metadata,
    ).series
    assert len(series) == 1 and len(series[0].points) == 3, series
    print("monitoring -> goals  a team's sales series over 3 fiscal months (team and calendar from goals)")
    if args.time:
        import time

        # Each report asks goals for the quotas of the period (the organisation is cached).
        request = mpb.GetTrackingReportRequest(team="teams/smoke", period="FY2026-Q4", currency_code="IDR")
        monitoring.GetTrackingReport(request, metadata=metadata)
        took = []
        for _ in range(args.time):
            started = time.perf_counter()
            monitoring.GetTrackingReport(request, metadata=metadata)
            took.append((time.perf_counter() - started) * 1000)
        took.sort()
        p50, p99 = took[len(took) // 2], took[min(len(took) - 1, int(len(took) * 0.99))]
        print(f"timing  {args.time} GetTrackingReport calls (monitoring -> goals): p50 {p50:.2f} ms, p99 {p99:.2f} ms")

    strategy = sgrpc.StrategyServiceStub(channels["strategy"])
    recommendations = strategy.GenerateRecommendations(
        spb.GenerateRecommendationsRequest(
            team="teams/smoke", period="FY2026-Q4", currency_code="IDR", request_id=str(uuid.uuid4())
        ),
        metadata=metadata,
    ).recommendations
    print(f"strategy -> goals, monitoring  {len(recommendations)} recommendations for teams/smoke")
    trends = strategy.ListDemandTrends(
        spb.ListDemandTrendsRequest(currency_code="IDR"), metadata=metadata
    ).trends
    print(f"strategy -> goals, monitoring, inventory  {len(trends)} demand trends (calendar, sales series, catalogue)")
    try:
        strategy.GenerateRecommendations(
            spb.GenerateRecommendationsRequest(
                team="teams/nobody", period="FY2026-Q4", currency_code="IDR", request_id=str(uuid.uuid4())
            ),
            metadata=metadata,
        )
        raise AssertionError("an unknown team must be refused")
    except grpc.RpcError as error:
        assert error.code() == grpc.StatusCode.NOT_FOUND, error
        print("strategy -> goals  an unknown team answers NOT_FOUND, as goals said")

    if tls:
        plaintext = grpc.insecure_channel(args.goals)
        try:
            health(plaintext, "")
            raise AssertionError("plaintext must be refused")
        except grpc.RpcError as error:
            print(f"refused plaintext: {error.code().name}")
        anonymous = channel("goals", with_certificate=False)
        try:
            health(anonymous, "")
            raise AssertionError("a client without a certificate must be refused")
        except grpc.RpcError as error:
            print(f"refused a client without a certificate: {error.code().name}")
    print("smoke client: 1 passed, 0 failed")


if __name__ == "__main__":
    main()
