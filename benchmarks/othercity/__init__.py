"""A second synthetic city, written from the extracts' contract (docs' sources.md and
policy.md) only, never from ``synth/``: its files differ from ours the way another
city's departments' files could, so accuracy measured on it is not accuracy on our
own generator's habits (issue 11).

    python -m benchmarks.othercity --children N --seed S --as-of 2026-11-30 --out DIR
"""
