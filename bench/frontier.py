"""How the decline detector's bars trade one-quarter dips against gradual declines.

    python bench/frontier.py [--partners N] [--seeds 1,2] [--scenario base]

Replays one backtest portfolio (bench/backtest.py) under a grid of the bars
that decide a confirmed decline (``each_quarter_z``, ``earlier_quarter_z``,
``jump_z``; docs/TRENDS.md) and prints, for each setting, the dips raised above
a watch, gradual and sudden recall within 2 quarters and the stable partners'
false alarms. The last lines give the frontier: the best gradual recall with
no dip raised, and the fewest dips with gradual recall at or above the target.
It shows whether moving a bar can meet the dip and gradual targets together;
the grid contains today's defaults.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import backtest

from assessments.trends import DEFAULT_CONFIG

GRID = {
    "each_quarter_z": (2.0, 2.5, 3.0, 3.5),
    "earlier_quarter_z": (0.5, 1.0, 2.0),
    "jump_z": (1.75, 99.0),  # 99: no jump bar at all
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--partners", type=int, default=500, help="partners per seed")
    parser.add_argument("--seeds", default="1,2")
    parser.add_argument("--scenario", default="base", choices=sorted(backtest.SCENARIO_NAMES))
    args = parser.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    scenario = backtest.SCENARIO_NAMES[args.scenario]
    portfolio = [p for seed in seeds for p in backtest.generate_portfolio(args.partners, seed, scenario)]
    started = time.perf_counter()
    print(f"scenario {scenario.name}, seeds {', '.join(map(str, seeds))}, {args.partners} partners per seed")
    print("| each_quarter_z | earlier_quarter_z | jump_z | dips > watch | gradual recall | sudden recall | stable FA |")
    print("|---|---|---|---|---|---|---|")
    rows = []
    for values in itertools.product(*GRID.values()):
        setting = dict(zip(GRID, values, strict=True))
        kinds = backtest.measure(portfolio, dataclasses.replace(DEFAULT_CONFIG, **setting)).kinds
        row = (
            setting,
            kinds["one_dip"].dip_alerts,
            kinds["gradual"].recall,
            kinds["sudden"].recall,
            kinds["stable"].false_alarms,
        )
        rows.append(row)
        default = all(getattr(DEFAULT_CONFIG, k) == v for k, v in setting.items())
        mark = " (today)" if default else ""
        jump = "off" if setting["jump_z"] > 50 else f"{setting['jump_z']:g}"
        print(
            f"| {setting['each_quarter_z']:g}{mark} | {setting['earlier_quarter_z']:g} | {jump} | {row[1]} "
            f"| {row[2]:.3f} | {row[3]:.3f} | {row[4]:.3f} |",
            flush=True,
        )
    clean = [r for r in rows if r[1] == 0 and r[4] <= backtest.FALSE_ALARM_TARGET]
    best = max(clean, key=lambda r: r[2], default=None)
    print(
        "\nbest gradual recall with no dip above a watch and false alarms within target: "
        + (f"{best[2]:.3f} at {best[0]}" if best else "no setting meets both")
    )
    enough = [r for r in rows if r[2] >= backtest.RECALL_TARGET]
    fewest = min(enough, key=lambda r: r[1], default=None)
    print(
        f"fewest dips above a watch with gradual recall >= {backtest.RECALL_TARGET}: "
        + (f"{fewest[1]} at {fewest[0]}" if fewest else "no setting reaches that recall")
    )
    print(f"({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
