"""Assessing the inventory from Python: products with cost breakdowns over time, a list price, a
promotion, the profitability of a sale at a past date (valued at the cost in force then), and a
portfolio assessment of the catalogue. Safe to run twice: every create carries a request_id.

    python tests/polyglot/python/inventory_session.py --target 127.0.0.1:50051 --token "$(lacak token ...)"
"""

import argparse
import os
import sys
import time

import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from lacak_stubs import channel, load

money_pb2, service_pb2, service_grpc, catalogue_pb2, pricing_pb2, assessment_pb2 = load(
    "lacak.common.v1.money_pb2",
    "lacak.inventory.v1.inventory_service_pb2",
    "lacak.inventory.v1.inventory_service_pb2_grpc",
    "lacak.inventory.v1.catalogue_pb2",
    "lacak.inventory.v1.pricing_pb2",
    "lacak.inventory.v1.assessment_pb2",
)
s = service_pb2


def usd(amount):
    units = int(amount)
    return money_pb2.Money(currency_code="USD", units=units, nanos=round((amount - units) * 1e9))


def amount(money):
    return money.units + money.nanos / 1e9


def at(text):
    stamp = Timestamp()
    stamp.FromJsonString(text)
    return stamp


def violations(error):
    status = rpc_status.from_call(error)
    found = []
    for detail in status.details if status else []:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            found += [(v.field, v.description) for v in bad.field_violations]
    return found


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--target", default=os.environ.get("LACAK_TARGET", "127.0.0.1:50051"))
    parser.add_argument("--token", default=os.environ.get("LACAK_TOKEN"))
    args = parser.parse_args()
    if not args.token:
        sys.exit("pass --token (from `lacak token --tenant demo --role admin`) or set LACAK_TOKEN")
    inventory = service_grpc.InventoryServiceStub(channel(args.target))
    auth = [("authorization", f"Bearer {args.token}")]

    deadline = time.monotonic() + 60
    while True:
        try:
            inventory.GetInventorySettings(s.GetInventorySettingsRequest(), metadata=auth, timeout=5)
            break
        except grpc.RpcError as error:
            if error.code() != grpc.StatusCode.UNAVAILABLE or time.monotonic() > deadline:
                raise
            time.sleep(0.2)

    inventory.CreateCategory(
        s.CreateCategoryRequest(category_id="hardware", category=catalogue_pb2.Category(display_name="Hardware"),
                                request_id="inv-hardware"), metadata=auth)
    laptops = inventory.CreateCategory(
        s.CreateCategoryRequest(category_id="laptops",
                                category=catalogue_pb2.Category(display_name="Laptops", parent="categories/hardware"),
                                request_id="inv-laptops"), metadata=auth).category

    catalogue = [
        ("LAPTOP-13", "13-inch laptop", [("2026-01-01T00:00:00Z", 600, 20), ("2026-06-01T00:00:00Z", 650, 20)], 1000,
         (5000, 1200)),
        ("LAPTOP-15", "15-inch laptop", [("2026-01-01T00:00:00Z", 900, 25)], 1050, (2000, 300)),
        ("DOCK-1", "USB-C dock", [("2026-01-01T00:00:00Z", 60, 5)], 150, (8000, 2500)),
    ]
    for sku, title, costs, list_price, (demand, volume) in catalogue:
        inventory.CreateProduct(s.CreateProductRequest(
            sku=sku, request_id=f"inv-{sku}",
            product=catalogue_pb2.Product(display_name=title, kind=catalogue_pb2.PRODUCT_KIND_PRODUCT,
                                          category=laptops.name)), metadata=auth)
        for effective, sourcing, shipping in costs:
            inventory.CreateCostBreakdown(s.CreateCostBreakdownRequest(
                parent=f"products/{sku}", request_id=f"inv-{sku}-cost-{effective}",
                cost_breakdown=pricing_pb2.CostBreakdown(
                    sourcing=usd(sourcing), shipping=usd(shipping), other=usd(10),
                    tax_rate_percent=money_pb2.Decimal(value="11"), fee_rate_percent=money_pb2.Decimal(value="2"),
                    effective_time=at(effective))), metadata=auth)
        inventory.CreatePrice(s.CreatePriceRequest(
            parent=f"products/{sku}", request_id=f"inv-{sku}-price",
            price=pricing_pb2.Price(list_price=usd(list_price), effective_time=at("2026-01-01T00:00:00Z"))),
            metadata=auth)
        inventory.CreateMarketEstimate(s.CreateMarketEstimateRequest(
            parent=f"products/{sku}", request_id=f"inv-{sku}-estimate",
            market_estimate=assessment_pb2.MarketEstimate(
                addressable_demand=money_pb2.Decimal(value=str(demand)),
                expected_volume=money_pb2.Decimal(value=str(volume)), source="2026 distributor survey")),
            metadata=auth)
        print(f"product {sku:10} {title}: {len(costs)} cost breakdown(s), list {list_price} USD")

    promotion = inventory.CreatePromotion(s.CreatePromotionRequest(
        request_id="inv-year-end",
        promotion=pricing_pb2.Promotion(
            display_name="Year-end laptops", percent_off=money_pb2.Decimal(value="15"), category=laptops.name,
            start_time=at("2026-11-01T00:00:00Z"), end_time=at("2027-01-01T00:00:00Z"),
            stacking=pricing_pb2.STACKING_STACKABLE)), metadata=auth).promotion
    print(f"promotion {promotion.name}: 15% off {laptops.name} in Nov-Dec 2026")

    march = inventory.GetProfitability(s.GetProfitabilityRequest(
        product="products/LAPTOP-13", currency_code="USD", time=at("2026-03-15T10:00:00Z"),
        quantity=money_pb2.Decimal(value="10"), fixed_cost=usd(20000)), metadata=auth).profitability
    print(f"sale of 10 x LAPTOP-13 on 2026-03-15: unit cost {amount(march.unit_cost):.2f} "
          f"({march.cost_breakdown}), net price {amount(march.net_price):.2f}, "
          f"net margin/unit {amount(march.unit_net_margin):.2f} ({march.net_margin_percent.value}%), "
          f"total net margin {amount(march.net_margin):.2f}, break-even {march.break_even_units.value} units")
    december = inventory.GetProfitability(s.GetProfitabilityRequest(
        product="products/LAPTOP-13", currency_code="USD", time=at("2026-12-01T10:00:00Z"),
        apply_running_promotions=True), metadata=auth).profitability
    print(f"sale of 1 x LAPTOP-13 on 2026-12-01: unit cost {amount(december.unit_cost):.2f}, "
          f"promotions {list(december.applied_promotions)}, net price {amount(december.net_price):.2f}, "
          f"net margin {amount(december.unit_net_margin):.2f} ({december.net_margin_percent.value}%)")

    portfolio = inventory.GetPortfolioAssessment(s.GetPortfolioAssessmentRequest(
        currency_code="USD", time=at("2026-12-01T10:00:00Z")), metadata=auth)
    print(f"portfolio on 2026-12-01 (median margin {portfolio.median_margin_percent.value}%, "
          f"median volume {portfolio.median_expected_volume.value}, threshold {portfolio.margin_threshold_percent.value}%):")
    for item in portfolio.items:
        flags = [assessment_pb2.Flag.Name(f) for f in item.flags]
        print(f"  #{item.contribution_rank} {item.product:20} margin {item.profitability.net_margin_percent.value:>6}% "
              f"volume {item.expected_volume.value:>5} contribution {amount(item.expected_contribution):>12,.2f} "
              f"{assessment_pb2.Quadrant.Name(item.quadrant)} {flags}")

    try:
        inventory.CreateCostBreakdown(s.CreateCostBreakdownRequest(
            parent="products/LAPTOP-13",
            cost_breakdown=pricing_pb2.CostBreakdown(sourcing=usd(600), labour=money_pb2.Money(currency_code="EUR", units=5),
                                                     tax_rate_percent=money_pb2.Decimal(value="140"))),
            metadata=auth)
        sys.exit("an invalid cost breakdown was accepted")
    except grpc.RpcError as error:
        print(f"invalid cost breakdown answered {error.code().name}:")
        for field, description in violations(error):
            print(f"  {field}: {description}")

    assert amount(march.unit_cost) == 630, march
    assert amount(december.unit_cost) == 680, december
    assert amount(december.net_price) == 850, december
    assert [i.product for i in portfolio.items][0] == "products/DOCK-1", portfolio


if __name__ == "__main__":
    main()
