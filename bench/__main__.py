"""``python -m bench`` runs every benchmark in turn."""

import runpy
import sys

BENCHMARKS = ("bench.bench_intake", "bench.bench_pipeline_cost", "bench.bench_consumers", "bench.bench_classifier",
              "bench.bench_sla_sweep")

for module in BENCHMARKS:
    print(f"\n== {module} ==", flush=True)
    sys.argv = [module]
    try:
        runpy.run_module(module, run_name="__main__")
    except SystemExit as stop:
        if stop.code not in (None, 0):
            raise
