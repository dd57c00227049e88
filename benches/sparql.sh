#!/usr/bin/env bash
# SPARQL throughput: the five analysts' queries of ../shared/tools/bench-queries against
# Alzette's /sparql and against the Oxigraph server (PyPI `oxigraph` 0.5.13, `serve-read-only`)
# opened on the very same store, in the same run. Both query the store's default graph: Alzette's
# published view, each triple once (docs/federation.md; before it, the peer ran with
# `--union-default-graph`, the bag of every record graph, as Alzette's default graph was). Each query runs for
# SECONDS with CLIENTS connections (wrk, POST), Oxigraph then Alzette, twice; throughput is the
# sum over both rounds. Both must give the same number of rows, and no request may fail.
#
#   benches/sparql.sh [SECONDS] [CLIENTS]        (default 15 4)
#
# REQUESTS=R instead runs each query R times per round and server, CLIENTS at a time, and
# divides by the wall time: for a large store, where one query takes seconds and wrk's fixed
# duration would cut off the requests in flight. A query that a server does not answer within
# TIMEOUT seconds (default 300) is reported as such for both and left out of the ratio.
# ONLY="q2 q3" runs only the queries whose names start so.
# Alzette runs with query_timeout and query_memory_limit raised to match the peer, which has
# neither.
#
# Uses the store that benches/harvest.sh leaves in $BENCH_DIR (run it first). Needs wrk,
# python3, curl, ../shared/tools (or $ALZETTE_SHARED/tools).
set -euo pipefail
SECONDS_EACH=${1:-15}
CLIENTS=${2:-4}
root=$(cd "$(dirname "$0")/.." && pwd)
shared=${ALZETTE_SHARED:-$root/../shared}
queries=$shared/tools/bench-queries
[ -d "$queries" ] || { echo "needs $queries (set ALZETTE_SHARED)"; exit 1; }
command -v wrk >/dev/null || { apt-get install -y -qq wrk >/dev/null || { echo "needs wrk"; exit 1; }; }
BENCH_DIR=${BENCH_DIR:-/tmp/alzette-bench}
[ -d "$BENCH_DIR/store" ] && [ -f "$BENCH_DIR/harvest-sources.toml" ] \
  || { echo "no store in $BENCH_DIR: run benches/harvest.sh first"; exit 1; }
[ -x "$BENCH_DIR/venv/bin/oxigraph" ] || { python3 -m venv "$BENCH_DIR/venv"; "$BENCH_DIR/venv/bin/pip" install -q oxigraph==0.5.13; }
APORT=$(sed -n 's/^bind = "127.0.0.1:\([0-9]*\)"/\1/p' "$BENCH_DIR/harvest-sources.toml")
OPORT=${OPORT:-8913}
REQUESTS=${REQUESTS:-}
TIMEOUT=${TIMEOUT:-300}
ONLY=${ONLY:-}
target=${CARGO_TARGET_DIR:-$root/target}

echo "== build"
(cd "$root" && cargo build --release -q)
bin=$target/release/alzette

cleanup() {
  [ -n "${serve_pid:-}" ] && kill "$serve_pid" 2>/dev/null || true
  [ -n "${oxi_pid:-}" ] && kill "$oxi_pid" 2>/dev/null || true
}
trap cleanup EXIT

# The peer has no time or memory limit per query: give Alzette room enough not to refuse.
sed "s/^\[server\]/[server]\nquery_timeout = \"${TIMEOUT}s\"\nquery_memory_limit = \"8GiB\"/" \
  "$BENCH_DIR/harvest-sources.toml" > "$BENCH_DIR/sparql-bench.toml"
"$bin" --config "$BENCH_DIR/sparql-bench.toml" serve 2>"$BENCH_DIR/serve-sparql.err" &
serve_pid=$!
until curl -sf "http://127.0.0.1:$APORT/health" >/dev/null; do sleep 0.2; done
records=$(curl -sf "http://127.0.0.1:$APORT/health" | python3 -c 'import json,sys; print(json.load(sys.stdin)["records"])')
start_oxigraph() {
  # Read-only beside Alzette's writable opening: nothing writes during the benchmark.
  "$BENCH_DIR/venv/bin/oxigraph" serve-read-only --location "$BENCH_DIR/store" \
    --bind "127.0.0.1:$OPORT" 2>>"$BENCH_DIR/oxigraph-serve.err" &
  oxi_pid=$!
  until curl -sf -o /dev/null "http://127.0.0.1:$OPORT/query?query=ASK%7B%7D"; do sleep 0.2; done
}
start_oxigraph
if [ -n "$REQUESTS" ]; then
  echo "== $records records; $CLIENTS clients, $REQUESTS requests per query, round and server, two rounds"
else
  echo "== $records records; $CLIENTS clients, ${SECONDS_EACH}s per query and server, two rounds"
fi

rows() { # URL FILE: rows of the JSON result, "none" without an answer within TIMEOUT
  curl -sf --max-time "$TIMEOUT" -X POST --data-urlencode "query@$2" -H 'Accept: application/sparql-results+json' "$1" \
    | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["results"]["bindings"]))' 2>/dev/null || echo none
}
run() { # URL FILE: "requests seconds failed socket_errors"
  [ -n "$REQUESTS" ] && { run_count "$@"; return; }
  QUERY_FILE=$2 wrk -t2 -c"$CLIENTS" -d"${SECONDS_EACH}s" --timeout 60s -s "$root/benches/sparql.lua" "$1" \
    | sed -n 's/^RESULT requests=\([0-9]*\) seconds=\([0-9.]*\) failed=\([0-9]*\) socket_errors=\([0-9]*\).*/\1 \2 \3 \4/p'
}

run_count() { # URL FILE: REQUESTS requests, CLIENTS at a time: "requests seconds failed 0"
  python3 - "$1" "$2" "$CLIENTS" "$REQUESTS" "$TIMEOUT" <<'PY'
import sys, threading, time, urllib.parse, urllib.request
url, query_file, clients, requests, timeout = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
body = urllib.parse.urlencode({"query": open(query_file).read()}).encode()
headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/sparql-results+json"}
lock, left, failed = threading.Lock(), [requests], [0]
def client():
    while True:
        with lock:
            if not left[0]:
                return
            left[0] -= 1
        try:
            with urllib.request.urlopen(urllib.request.Request(url, body, headers), timeout=timeout) as r:
                r.read()
        except Exception:
            with lock:
                failed[0] += 1
start = time.time()
threads = [threading.Thread(target=client) for _ in range(clients)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(requests, time.time() - start, failed[0], 0)
PY
}

echo "| query | rows | Oxigraph (peer) q/s | Alzette q/s | ratio |"
echo "|---|---:|---:|---:|---:|"
worst=
for q in "$queries"/*.rq; do
  name=$(basename "$q" .rq)
  if [ -n "$ONLY" ]; then
    wanted=
    for prefix in $ONLY; do case $name in "$prefix"*) wanted=1 ;; esac; done
    [ -n "$wanted" ] || continue
  fi
  ro=$(rows "http://127.0.0.1:$OPORT/query" "$q")
  if [ "$ro" = none ]; then
    # The Oxigraph server has no query timeout: it would go on evaluating the abandoned query,
    # taking a core from what is measured next.
    kill "$oxi_pid"; wait "$oxi_pid" 2>/dev/null || true
    start_oxigraph
  fi
  ra=$(rows "http://127.0.0.1:$APORT/sparql" "$q")
  if [ "$ro" = none ] || [ "$ra" = none ]; then
    echo "| $name | — | $([ "$ro" = none ] && echo "no answer in ${TIMEOUT} s" || echo "$ro rows") | $([ "$ra" = none ] && echo "no answer in ${TIMEOUT} s" || echo "$ra rows") | — |"
    continue
  fi
  [ "$ro" = "$ra" ] || { echo "$name: Oxigraph gives $ro rows, Alzette $ra"; exit 1; }
  on=0; os=0; an=0; as=0
  for _ in 1 2; do
    read -r n s f e < <(run "http://127.0.0.1:$OPORT/query" "$q")
    [ "$f" = 0 ] && [ "$e" = 0 ] || { echo "$name: Oxigraph failed $f requests ($e socket errors)"; exit 1; }
    on=$((on + n)); os=$(python3 -c "print($os + $s)")
    read -r n s f e < <(run "http://127.0.0.1:$APORT/sparql" "$q")
    [ "$f" = 0 ] && [ "$e" = 0 ] || { echo "$name: Alzette failed $f requests ($e socket errors)"; exit 1; }
    an=$((an + n)); as=$(python3 -c "print($as + $s)")
  done
  line=$(python3 -c "o=$on/$os; a=$an/$as; print(f'| {\"$name\"} | $ra | {o:.3g} | {a:.3g} | {a/o:.2f} |')")
  echo "$line"
  worst=$(python3 -c "r=($an/$as)/($on/$os); w='$worst'; print(min(r, float(w)) if w else r)")
done
echo "RESULT worst_ratio=$([ -n "$worst" ] && python3 -c "print(round($worst, 2))" || echo none)"
