#!/usr/bin/env bash
# Two builds of Alzette harvesting the same generated catalogue in the same run, alternately:
# the first harvest into a fresh store, then the unchanged re-harvest, ROUNDS times each, the
# builds taking turns (A B, B A, A B, ...) so that the machine's noise falls on both. Prints
# each build's median and the ratio B / A. For "a change costs no speed": A is the build before
# the change (e.g. a `git worktree` of the previous commit, built with `cargo build --release`),
# B the build after.
#
#   benches/harvest-compare.sh A_BINARY B_BINARY [N] [PAGE_SIZE] [ROUNDS]   (default 100000 1000 3)
#
# The pages and their server are those of benches/harvest.sh (benches/catalogue_pages.py, kept
# in $BENCH_DIR/pages). Needs python3, /usr/bin/time (Debian package `time`), ../shared/tools
# (or $ALZETTE_SHARED/tools).
set -euo pipefail
A=$(realpath "$1")
B=$(realpath "$2")
N=${3:-100000}
PAGE_SIZE=${4:-1000}
ROUNDS=${5:-3}
root=$(cd "$(dirname "$0")/.." && pwd)
shared=${ALZETTE_SHARED:-$root/../shared}
BENCH_DIR=${BENCH_DIR:-/tmp/alzette-bench}
PORT=${PORT:-8911}
APORT=${APORT:-8912}
mkdir -p "$BENCH_DIR"

cleanup() {
  [ -f "$BENCH_DIR/source.pid" ] && kill "$(cat "$BENCH_DIR/source.pid")" 2>/dev/null || true
}
trap cleanup EXIT

if [ "$(cat "$BENCH_DIR/pages/made-for" 2>/dev/null)" != "$N $PAGE_SIZE $PORT" ]; then
  echo "== generating $N datasets in pages of $PAGE_SIZE"
  rm -rf "$BENCH_DIR/pages"
  ALZETTE_SHARED=$shared python3 "$root/benches/catalogue_pages.py" generate --n "$N" \
    --page-size "$PAGE_SIZE" --port "$PORT" --out "$BENCH_DIR/pages"
  echo "$N $PAGE_SIZE $PORT" > "$BENCH_DIR/pages/made-for"
fi
rm -f "$BENCH_DIR/source.pid"
python3 "$root/benches/catalogue_pages.py" serve --port "$PORT" --dir "$BENCH_DIR/pages" \
  --pidfile "$BENCH_DIR/source.pid" 2>"$BENCH_DIR/source.log" &
until grep -q serving "$BENCH_DIR/source.log" 2>/dev/null; do sleep 0.2; done

config=$BENCH_DIR/compare-sources.toml
cat > "$config" <<EOF
[server]
bind = "127.0.0.1:$APORT"
base_uri = "http://127.0.0.1:$APORT/"
[store]
path = "compare-store"
runlog = "compare-runlog"
[harvest]
max_pages = 1000000
[[source]]
id = "bench"
kind = "dcat"
url = "http://127.0.0.1:$PORT/catalog?page=1"
schedule = "0 3 1 1 *"
EOF

# One build's first and unchanged harvests: "first_run_s first_process_s first_kb again_s
# store_kb" (the store's size on disk after both).
harvest_pair() { # binary label
  rm -rf "$BENCH_DIR/compare-store" "$BENCH_DIR/compare-runlog"
  local json=0
  "$1" harvest --help 2>/dev/null | grep -q -- '--format' && json=1
  if [ "$json" = 1 ]; then
    /usr/bin/time -f "%e %M" -o "$BENCH_DIR/$2.time" "$1" --config "$config" harvest bench \
      --format json >"$BENCH_DIR/$2.out" 2>"$BENCH_DIR/$2.err" || true
  else
    /usr/bin/time -f "%e %M" -o "$BENCH_DIR/$2.time" "$1" --config "$config" harvest bench \
      >"$BENCH_DIR/$2.out" 2>"$BENCH_DIR/$2.err" || true
  fi
  read -r s kb < "$BENCH_DIR/$2.time"
  # The run's own time (records stored and visible): from the run's JSON, or for a build
  # before `--format json`, its summary line ("ok in 48.9s").
  local run_s
  if [ "$json" = 1 ]; then
    run_s=$(python3 -c '
import json, sys
from datetime import datetime
r = json.load(open(sys.argv[1]))["run"]
p = lambda t: datetime.fromisoformat(t.replace("Z", "+00:00"))
print(round((p(r["ended"]) - p(r["started"])).total_seconds(), 2))' "$BENCH_DIR/$2.out")
  else
    run_s=$(grep -o 'ok in [0-9.]*s' "$BENCH_DIR/$2.out" | tr -dc '0-9.')
  fi
  /usr/bin/time -f "%e" -o "$BENCH_DIR/$2-again.time" "$1" --config "$config" harvest bench \
    >/dev/null 2>&1 || true
  read -r again_s < "$BENCH_DIR/$2-again.time"
  local store_kb
  store_kb=$(du -sk "$BENCH_DIR/compare-store" | cut -f1)
  echo "$run_s $s $kb $again_s $store_kb"
}

results=$BENCH_DIR/compare.tsv
: > "$results"
for round in $(seq 1 "$ROUNDS"); do
  if [ $((round % 2)) = 1 ]; then order="A B"; else order="B A"; fi
  for which in $order; do
    bin=$A; [ "$which" = B ] && bin=$B
    line=$(harvest_pair "$bin" "$which$round")
    echo "round $round $which: $line"
    echo "$which $line" >> "$results"
  done
done

python3 - "$results" "$N" "$A" "$B" <<'EOF'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
n, a_bin, b_bin = int(sys.argv[2]), sys.argv[3], sys.argv[4]
med = lambda which, i: statistics.median(float(r[i]) for r in rows if r[0] == which)
print()
print(f"A = {a_bin}\nB = {b_bin}\n")
print(f"| measure ({n:,} datasets, median of {sum(r[0] == 'A' for r in rows)}) | A | B | B / A |")
print("|---|---:|---:|---:|")
for label, i, unit in [("first harvest: the run", 1, "s"), ("first harvest: the process", 2, "s"),
                       ("first harvest: peak RSS", 3, "MB"), ("unchanged re-harvest: the process", 4, "s"),
                       ("the store on disk after both", 5, "MB")]:
    if any(len(r) <= i for r in rows):
        continue
    a, b = med("A", i), med("B", i)
    if unit == "MB":
        a, b = a / 1024, b / 1024
    print(f"| {label} | {a:.1f} {unit} | {b:.1f} {unit} | {b / a:.3f} |")
print(f"| first harvest: datasets/s (the run) | {n / med('A', 1):,.0f} | {n / med('B', 1):,.0f} | {med('A', 1) / med('B', 1):.3f} |")
EOF
