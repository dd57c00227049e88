#!/usr/bin/env bash
# SHACL validation speed and memory: Alzette's engine (`alzette validate`) against the peers on
# the same files with the same shapes, in the same run, each the whole process including parsing
# (wall and user+sys seconds, peak RSS, from /usr/bin/time). Data: ../shared/tools/gen_catalog.py
# --n N --broken 0.1 (Turtle, about 82 triples per dataset). Shapes: ../shared/tools/
# bench-shapes.ttl, the official DCAT-AP 3.0.1 shapes.ttl ("base") and shapes.ttl + range.ttl
# ("base+range"). Every tool must report the same number of results, or the script fails.
#
#   benches/shacl.sh [N ...]                      (default 10000)
#   PEERS_RUN="jena pyshacl shacl-engine pyrudof" benches/shacl.sh 10000
#
# pySHACL needs about a minute per 10k datasets and shape set; for 100k, run with
# PEERS_RUN=jena. Needs ../shared/tools (or $ALZETTE_SHARED/tools) and its peers-setup.sh (run
# by this script once), /usr/bin/time, python3, node.
set -euo pipefail
SIZES=${*:-10000}
PEERS_RUN=${PEERS_RUN:-jena pyshacl shacl-engine pyrudof}
root=$(cd "$(dirname "$0")/.." && pwd)
shared=${ALZETTE_SHARED:-$root/../shared}
tools=$shared/tools
semic=$shared/fixtures/shacl/dcat-ap-3.0.1
[ -d "$tools" ] || { echo "needs $tools (set ALZETTE_SHARED)"; exit 1; }
export PEERS=${PEERS:-/tmp/peers}
[ -x "$PEERS/venv/bin/python" ] && [ -d "$PEERS/node/node_modules/shacl-engine" ] || bash "$tools/peers-setup.sh" >/dev/null
work=${BENCH_DIR:-/tmp/alzette-shacl-bench}
mkdir -p "$work"
target=${CARGO_TARGET_DIR:-$root/target}
(cd "$root" && cargo build --release -q -p alzette)
bin=$target/release/alzette

# run NAME COMMAND...: prints "wall cpu rss_mb" and leaves the output in $work/out
run() {
  local name=$1; shift
  /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$@" >"$work/out" 2>"$work/err" || true
  read -r wall user sys rss < <(tail -n 1 "$work/time")
  printf '%s %.2f %.0f\n' "$wall" "$(echo "$user + $sys" | bc)" "$(echo "$rss / 1024" | bc)"
}

count() {
  case $1 in
    alzette) wc -l <"$work/out" ;;
    jena) grep -c "sh:ValidationResult" "$work/out" || true ;;
    *) python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])["results"])' "$work/out" ;;
  esac
}

# median NAME COMMAND...: run three times, print the run with the median wall time (Alzette
# takes about a second at 10k, where one run's noise on this machine is a third of that).
median() {
  local runs=()
  for _ in 1 2 3; do runs+=("$(run "$@")"); done
  printf '%s\n' "${runs[@]}" | sort -n | sed -n 2p
}

printf '| datasets | shapes | tool | wall s | cpu s | peak RSS MB | results | wall ÷ Alzette | cpu ÷ Alzette |\n|---:|---|---|---:|---:|---:|---:|---:|---:|\n'
for n in $SIZES; do
  data=$work/cat$n.ttl
  [ -f "$data" ] || python3 "$tools/gen_catalog.py" --n "$n" --broken 0.1 --format ttl --out "$work/cat$n" >/dev/null
  for set in bench base base+range; do
    case $set in
      bench) shapes=("$tools/bench-shapes.ttl") ;;
      base) shapes=("$semic/shapes.ttl") ;;
      base+range) cat "$semic/shapes.ttl" "$semic/range.ttl" >"$work/base+range.ttl"; shapes=("$work/base+range.ttl") ;;
    esac
    read -r wall cpu rss < <(median alzette "$bin" validate "$data" --shapes "${shapes[0]}" --format tsv)
    expected=$(count alzette)
    alz_wall=$wall alz_cpu=$cpu
    printf '| %s | %s | Alzette (median of 3) | %s | %s | %s | %s | 1 | 1 |\n' "$n" "$set" "$wall" "$cpu" "$rss" "$expected"
    for peer in $PEERS_RUN; do
      case $peer in
        jena) cmd=(bash "$tools/jena.sh" shacl validate --shapes "${shapes[0]}" --data "$data") ;;
        pyshacl) cmd=("$PEERS/venv/bin/python" "$tools/bench_py.py" pyshacl "${shapes[0]}" "$data") ;;
        pyrudof) cmd=("$PEERS/venv/bin/python" "$tools/bench_py.py" pyrudof "${shapes[0]}" "$data") ;;
        shacl-engine) cmd=(env SHACL_JS_MODULES="$PEERS/node/node_modules" node --max-old-space-size=16000 "$tools/shacl-js-validate.mjs" "${shapes[0]}" "$data" --engine shacl-engine) ;;
      esac
      read -r wall cpu rss < <(run "$peer" "${cmd[@]}")
      got=$(count "$peer" 2>/dev/null || echo "?")
      note=""
      [ "$got" = "$expected" ] || note=" (differs)"
      printf '| %s | %s | %s | %s | %s | %s | %s%s | %.1f | %.1f |\n' "$n" "$set" "$peer" "$wall" "$cpu" "$rss" "$got" "$note" "$(echo "$wall / $alz_wall" | bc -l)" "$(echo "$cpu / $alz_cpu" | bc -l)"
    done
  done
done
