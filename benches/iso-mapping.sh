#!/usr/bin/env bash
# ISO 19139 -> GeoDCAT-AP mapping throughput: Alzette's mapping against Saxon-HE (PyPI
# saxonche) running the SEMIC reference XSLT, on the same records in the same run, the
# stylesheet compiled once, parsing included on both sides, one warm-up round each.
#
#   benches/iso-mapping.sh [DIR] [ROUNDS]
#
# Alzette runs ten times the rounds (a hundred rounds take it a sixth of a second, too short to
# measure on a shared machine); rates are per record, so the sides compare as they are.
# DIR defaults to ../shared/tools/fixtures/iso19139 (26 real records); the XSLT is
# ../shared/fixtures/reference/iso-19139-to-dcat-ap.xsl. Saxon runs in a venv made here
# (BENCH_VENV, default /tmp/alzette-saxon) with saxonche from PyPI.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
shared=${ALZETTE_SHARED:-$root/../shared}
dir=${1:-$shared/tools/fixtures/iso19139}
rounds=${2:-100}
xsl=$shared/fixtures/reference/iso-19139-to-dcat-ap.xsl
[ -f "$xsl" ] || { echo "needs $xsl (set ALZETTE_SHARED)"; exit 1; }
venv=${BENCH_VENV:-/tmp/alzette-saxon}
"$venv/bin/python" -c "import saxonche" 2>/dev/null || {
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check saxonche
}
alzette=$(cd "$root" && cargo bench -q -p alzette-iso19139 --bench mapping -- "$dir" "$((rounds * 10))" | tail -n 1)
saxon=$("$venv/bin/python" "$root/benches/iso_saxon.py" "$xsl" "$dir" "$rounds")
python3 - "$alzette" "$saxon" "$rounds" "$dir" <<'PY'
import json, sys
a, s = json.loads(sys.argv[1]), json.loads(sys.argv[2])
rate = lambda r: r["records"] / r["seconds"]
print(f"{sys.argv[3]} rounds (Alzette: ten times as many) over {sys.argv[4]}")
print("| tool | records | failed documents | seconds | records/s |\n|---|---:|---:|---:|---:|")
for r in (a, s):
    print(f"| {r['tool']} | {r['records']} | {r['failed']} | {r['seconds']:.2f} | {rate(r):,.0f} |")
print(f"Alzette ÷ Saxon (records/s): {rate(a) / rate(s):.1f}")
PY
