"""Times strategy's heavier reads against a running suite after `lacak demo` (docs/PERFORMANCE.md).

    python tests/polyglot/python/strategy_timing.py TOKEN [TARGET]
"""

import statistics
import sys
import time
import uuid

from lacak_stubs import channel, load
spb, sgrpc = load("lacak.strategy.v1.strategy_service_pb2", "lacak.strategy.v1.strategy_service_pb2_grpc")
md = [("authorization", f"Bearer {sys.argv[1]}")]
with channel(sys.argv[2] if len(sys.argv) > 2 else "127.0.0.1:50051") as ch:
    s = sgrpc.StrategyServiceStub(ch)
    for name, call in [
        ("GenerateRecommendations", lambda: s.GenerateRecommendations(spb.GenerateRecommendationsRequest(team="teams/sales", period="FY2026-Q4", currency_code="IDR", request_id=str(uuid.uuid4())), metadata=md, timeout=60)),
        ("ProposeQuotas", lambda: s.ProposeQuotas(spb.ProposeQuotasRequest(team="teams/sales", period="FY2027-Q1", currency_code="IDR"), metadata=md, timeout=60)),
        ("ListDemandTrends", lambda: s.ListDemandTrends(spb.ListDemandTrendsRequest(currency_code="IDR"), metadata=md, timeout=60)),
    ]:
        times = []
        for _ in range(5):
            t = time.perf_counter(); r = call(); times.append((time.perf_counter() - t) * 1000)
        print(f"{name}: median {statistics.median(times):.0f} ms, min {min(times):.0f}, max {max(times):.0f}; {len(r.ListFields()[0][1]) if r.ListFields() else 0} items")
