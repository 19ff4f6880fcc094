"""The yardstick of `lacak bench forecasts`: statsmodels' Holt-Winters (additive trend, multiplicative
season, period 12) and seasonal naive on the same rolling origins as Lacak's forecasts.

Reads every `*.csv` (columns `month,value`) in the directory given, and prints one JSON object per
series on stdout: for each method the forecasts at each origin, so the bench scores both sides with
the same code. Origins: the last `origins` cut points at which `horizon` months are still known,
oldest first; origin k forecasts months [n - horizon - (origins - 1) + k, ... + horizon).

    python3 holt_winters.py DIR [origins] [horizon]
"""

import csv
import json
import sys
import warnings
from pathlib import Path

from statsmodels.tsa.holtwinters import ExponentialSmoothing


def read(path):
    with open(path, newline="") as f:
        return [float(row["value"]) for row in csv.DictReader(f)]


def main():
    directory = Path(sys.argv[1])
    origins = int(sys.argv[2]) if len(sys.argv) > 2 else 12
    horizon = int(sys.argv[3]) if len(sys.argv) > 3 else 12
    warnings.simplefilter("ignore")
    for path in sorted(directory.glob("*.csv")):
        values = read(path)
        n = len(values)
        first = n - horizon - (origins - 1)
        holt_winters, naive = [], []
        for cut in range(first, first + origins):
            history = values[:cut]
            model = ExponentialSmoothing(
                history, trend="add", seasonal="mul", seasonal_periods=12, initialization_method="estimated"
            ).fit()
            holt_winters.append([float(v) for v in model.forecast(horizon)])
            naive.append([history[cut - 12 + (h % 12)] for h in range(horizon)])
        print(json.dumps({"series": path.stem, "origins": list(range(first, first + origins)),
                          "holt_winters": holt_winters, "seasonal_naive": naive}))


if __name__ == "__main__":
    main()
