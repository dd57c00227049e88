#!/usr/bin/env python3
"""Saxon-HE (PyPI saxonche) running the SEMIC ISO 19139 -> GeoDCAT-AP XSLT on every .xml of a
folder, round after round after one warm-up round, the stylesheet compiled once, each record
parsed from its file by Saxon (as Alzette's side reads its files). Prints one JSON line.

usage: iso_saxon.py XSL DIR ROUNDS
"""
import json
import os
import sys
import time

from saxonche import PySaxonProcessor

xsl, folder, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
files = sorted(os.path.join(folder, f) for f in os.listdir(folder) if f.endswith(".xml"))
params = {"profile": "extended", "CoupledResourceLookUp": "disabled", "include-deprecated": "no"}

with PySaxonProcessor(license=False) as proc:
    exe = proc.new_xslt30_processor().compile_stylesheet(stylesheet_file=os.path.abspath(xsl))
    for k, v in params.items():
        exe.set_parameter(k, proc.make_string_value(v))

    def one_round():
        done, failed = 0, 0
        for f in files:
            try:
                if exe.transform_to_string(source_file=f):
                    done += 1
                else:
                    failed += 1
            except Exception:  # noqa: BLE001 - a record Saxon cannot transform counts as failed
                failed += 1
        return done, failed

    one_round()
    start = time.perf_counter()
    done = failed = 0
    for _ in range(rounds):
        d, f = one_round()
        done += d
        failed += f
    seconds = time.perf_counter() - start
print(json.dumps({"tool": "saxon", "records": done, "failed": failed, "seconds": round(seconds, 3)}))
