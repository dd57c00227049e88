#!/usr/bin/env bash
# A CSW harvest end to end: pycsw 2.6 serving the shared fixture records and 5,000 generated
# from them (../shared/tools/gen_iso_records.py), harvested by the release binary (GetRecords
# pages of 100, ISO 19139 mapped to GeoDCAT-AP, validated against shapes/ with the bundled
# vocabularies as background, stored), then harvested again (nothing rewritten). Prints
# records/s for both runs.
#
#   benches/csw-harvest.sh [N (default 5000)]
#
# Needs a Python environment with pycsw (ALZETTE_PYCSW, as .ci/run makes; else one is made in
# /tmp/alzette-pycsw) and ../shared/tools (or $ALZETTE_SHARED/tools).
set -euo pipefail
n=${1:-5000}
root=$(cd "$(dirname "$0")/.." && pwd)
shared=${ALZETTE_SHARED:-$root/../shared}
venv=${ALZETTE_PYCSW:-/tmp/alzette-pycsw}
if ! "$venv/bin/python" -c "import pycsw, gunicorn" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check pycsw==2.6.2 SQLAlchemy==1.3.24 \
    OWSLib==0.28.1 lxml==6.1.3 shapely==2.2.0 pyproj==3.7.2 xmltodict==1.0.4 geolinks==0.2.3 gunicorn==27.0.1
fi
work=${BENCH_DIR:-/tmp/alzette-csw-bench}
rm -rf "$work" && mkdir -p "$work/records"
"$venv/bin/python" "$shared/tools/gen_iso_records.py" --templates "$shared/tools/fixtures/iso19139" \
  --n "$n" --out "$work/records" >/dev/null
cp "$shared"/tools/fixtures/iso19139/*.xml "$work/records/"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
loaded=$(bash "$root/tests/clients/pycsw_serve.sh" "$venv" "$work/records" "$work/pycsw" "$port")
trap 'kill "$(cat "$work/pycsw/gunicorn.pid")" 2>/dev/null || true' EXIT
(cd "$root" && cargo build --release -q -p alzette)
bin=${CARGO_TARGET_DIR:-$root/target}/release/alzette
cat > "$work/harvest-sources.toml" <<TOML
[server]
bind = "127.0.0.1:1"
base_uri = "http://localhost:8080/"
[store]
path = "$work/store"
runlog = "$work/runlog"
[validation]
shapes = ["$root/shapes/dcat-ap-3-base.ttl", "$root/shapes/dcat-ap-3-range.ttl",
          "$root/shapes/dcat-ap-3-recommended.ttl", "$root/shapes/dcat-ap-3-vocabularies.ttl"]
background = ["eu"]
[[source]]
id = "eu"
kind = "vocabulary"
url = "$root/examples/vocabularies"
schedule = "0 2 * * 0"
[[source]]
id = "geo"
kind = "csw"
url = "http://127.0.0.1:$port/csw"
schedule = "0 3 * * *"
page_size = 100
TOML
"$bin" --config "$work/harvest-sources.toml" harvest eu >/dev/null
for run in first second; do
  start=$(date +%s.%N)
  out=$(ALZETTE_LOG=warn "$bin" --config "$work/harvest-sources.toml" harvest geo 2>&1 || true)
  end=$(date +%s.%N)
  secs=$(echo "$end - $start" | bc)
  echo "$run run: $(echo "$out" | grep '^run ' | head -1)"
  echo "$run run: $loaded records served in $secs s = $(echo "$loaded / $secs" | bc) records/s"
done
