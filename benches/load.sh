#!/usr/bin/env bash
# Load: 50 concurrent clients (wrk, 2 threads) on /catalog and /sparql for 60 s while
# `alzette serve` harvests a generated 100,000-dataset catalogue (../shared/tools/hydra_serve.py,
# pages of 1,000). The same catalogue is harvested first as another source, so that the
# clients read a full catalogue (pages 1 to 1,000 of 100) while the second harvest writes.
# Reports requests, statuses, p50/p90/p99 latency, and checks that no request failed other than
# deliberate 503s and that the harvest ended `ok` with every record.
#
#   benches/load.sh [N] [CLIENTS] [SECONDS]        (default 100000 50 60)
#
# Needs: python3, curl, wrk (Debian package `wrk`; installed when missing and apt can),
# ../shared/tools (or $ALZETTE_SHARED/tools).
set -euo pipefail
N=${1:-100000}
CLIENTS=${2:-50}
DURATION=${3:-60}
root=$(cd "$(dirname "$0")/.." && pwd)
shared=${ALZETTE_SHARED:-$root/../shared}
tools=$shared/tools
[ -f "$tools/hydra_serve.py" ] || { echo "needs $tools/hydra_serve.py (set ALZETTE_SHARED)"; exit 1; }
command -v wrk >/dev/null || { apt-get install -y -qq wrk >/dev/null || { echo "needs wrk"; exit 1; }; }
BENCH_DIR=${BENCH_DIR:-/tmp/alzette-load}
PORT=${PORT:-8921}
APORT=${APORT:-8922}
mkdir -p "$BENCH_DIR"
target=${CARGO_TARGET_DIR:-$root/target}

echo "== build"
(cd "$root" && cargo build --release -q)
bin=$target/release/alzette

cleanup() {
  [ -f "$BENCH_DIR/hydra.pid" ] && kill "$(cat "$BENCH_DIR/hydra.pid")" 2>/dev/null || true
  [ -n "${serve_pid:-}" ] && kill "$serve_pid" 2>/dev/null || true
}
trap cleanup EXIT

echo "== source: $N datasets in pages of 1000 on 127.0.0.1:$PORT"
rm -f "$BENCH_DIR/hydra.pid" "$BENCH_DIR/hydra.log"
python3 "$tools/hydra_serve.py" --port "$PORT" --n "$N" --page-size 1000 --pidfile "$BENCH_DIR/hydra.pid" 2>"$BENCH_DIR/hydra.log" &
until grep -q serving "$BENCH_DIR/hydra.log" 2>/dev/null; do sleep 1; done

cat > "$BENCH_DIR/harvest-sources.toml" <<EOF2
[server]
bind = "127.0.0.1:$APORT"
base_uri = "http://127.0.0.1:$APORT/"
query_timeout = "10s"
[store]
path = "store"
[harvest]
max_pages = 1000000
[[source]]
id = "base"
kind = "dcat"
url = "http://127.0.0.1:$PORT/catalog?page=1"
schedule = "0 3 1 1 *"
[[source]]
id = "load"
kind = "dcat"
url = "http://127.0.0.1:$PORT/catalog?page=1"
schedule = "0 3 1 1 *"
enabled = false
EOF2
rm -rf "$BENCH_DIR/store" "$BENCH_DIR/runlog"
echo "== first harvest (the catalogue the clients read)"
"$bin" --config "$BENCH_DIR/harvest-sources.toml" harvest base 2>/dev/null | grep '^run'
export ALZETTE_ADMIN_TOKEN=load-bench-admin-token-0123456789
"$bin" --config "$BENCH_DIR/harvest-sources.toml" serve 2>"$BENCH_DIR/serve.err" &
serve_pid=$!
api=http://127.0.0.1:$APORT
until curl -sf "$api/health" >/dev/null; do sleep 0.2; done
echo "== peer: the same load for ${DURATION}s with no harvest running"
wrk -t 2 -c "$CLIENTS" -d "${DURATION}s" --timeout 30s -s "$root/benches/load.lua" "$api" | tee "$BENCH_DIR/wrk-idle.out"
curl -sf -X POST -H "Authorization: Bearer $ALZETTE_ADMIN_TOKEN" "$api/api/admin/sources/load/run" >/dev/null
echo "== load: $CLIENTS clients for ${DURATION}s while the harvest writes"
wrk -t 2 -c "$CLIENTS" -d "${DURATION}s" --timeout 30s -s "$root/benches/load.lua" "$api" | tee "$BENCH_DIR/wrk.out"
records_at_end_of_load=$(curl -sf "$api/health" | python3 -c 'import json,sys; print(json.load(sys.stdin)["records"])')

echo "== waiting for the harvest to end"
outcome=
for _ in $(seq 1 1200); do
  outcome=$(curl -sf "$api/api/sources" | python3 -c '
import json, sys
s = [x for x in json.load(sys.stdin) if x["id"] == "load"][0]
r = s["last_run"]
if r is not None and r["outcome"] != "running":
    print(r["outcome"], s["records"], r["counts"]["added"])')
  [ -n "$outcome" ] && break
  sleep 0.5
done
kill "$serve_pid"; wait "$serve_pid" 2>/dev/null || true; serve_pid=
grep -q panicked "$BENCH_DIR/serve.err" && { echo "FAIL: the daemon panicked"; exit 1; }

python3 - "$N" "$CLIENTS" "$DURATION" "$records_at_end_of_load" "$outcome" "$BENCH_DIR/wrk-idle.out" "$BENCH_DIR/wrk.out" <<'EOF2'
import re, sys
n, clients, duration, during = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
outcome, records, added = sys.argv[5].split()[:3]
def result(path):
    line = [l for l in open(path) if l.startswith("RESULT")][0]
    return dict(re.findall(r"(\w+)=([^\s\]]+)", line))
idle, r = result(sys.argv[6]), result(sys.argv[7])
print()
print(f"| {clients} clients, {duration} s each | no harvest (peer) | while {n:,} datasets are harvested | ratio |")
print("|---|---:|---:|---:|")
print(f"| requests | {int(idle['requests']):,} ({float(idle['rps']):.0f}/s) | {int(r['requests']):,} ({float(r['rps']):.0f}/s) | {float(r['rps'])/float(idle['rps']):.2f} |")
print(f"| 200 / deliberate 503 / other / socket errors | {idle['ok']} / {idle['unavailable']} / {idle['other']} / {idle['socket_errors']} | {r['ok']} / {r['unavailable']} / {r['other']} / {r['socket_errors']} | |")
for k, label in [("p50_ms", "p50"), ("p90_ms", "p90"), ("p99_ms", "p99"), ("max_ms", "max")]:
    print(f"| latency {label} | {float(idle[k]):.0f} ms | {float(r[k]):.0f} ms | {float(r[k])/max(float(idle[k]), 0.001):.2f} |")
print(f"| records in the store when the load ended | | {during:,} | |")
print(f"| harvest outcome, records, added | | {outcome}, {int(records):,}, {int(added):,} | |")
failed = int(r["other"]) + int(r["socket_errors"]) + int(idle["other"]) + int(idle["socket_errors"])
# The generator adds data services to datasets: a run holds more records than datasets.
ok = failed == 0 and outcome == "ok" and int(records) >= n and int(added) == int(records)
print("PASS" if ok else "FAIL")
sys.exit(0 if ok else 1)
EOF2
