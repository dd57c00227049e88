#!/usr/bin/env bash
# Harvest benchmark: a generated DCAT-AP catalogue (benches/catalogue_pages.py over
# ../shared/tools/gen_catalog.py, Hydra pages of 1,000, gzipped) harvested end to end by the
# release binary, then re-harvested unchanged; then catalogue pages and OAI-PMH parts, first
# against middle and last. Peers measured in the same run on the same pages: curl fetching every
# page (the floor: the source's own speed) and `oxigraph load` bulk-loading the same pages into a
# fresh RocksDB store (the same storage engine, without splitting, hashing or records).
#
#   benches/harvest.sh [N] [PAGE_SIZE]        (default 100000 1000)
#
# PEER_LOAD=0 leaves out `oxigraph load` (at 1,000,000 datasets its store, ~10 GB, does not fit
# beside Alzette's on this machine). The pages are generated once per N and PAGE_SIZE and kept
# in $BENCH_DIR/pages.
#
# Needs: python3, curl, /usr/bin/time (Debian package `time`), ../shared/tools (or
# $ALZETTE_SHARED/tools); installs the PyPI `oxigraph` CLI into $BENCH_DIR/venv.
set -euo pipefail
N=${1:-100000}
PAGE_SIZE=${2:-1000}
root=$(cd "$(dirname "$0")/.." && pwd)
shared=${ALZETTE_SHARED:-$root/../shared}
tools=$shared/tools
[ -f "$tools/gen_catalog.py" ] || { echo "needs $tools/gen_catalog.py (set ALZETTE_SHARED)"; exit 1; }
BENCH_DIR=${BENCH_DIR:-/tmp/alzette-bench}
PORT=${PORT:-8911}
PEER_LOAD=${PEER_LOAD:-1}
APORT=${APORT:-8912}
mkdir -p "$BENCH_DIR"
target=${CARGO_TARGET_DIR:-$root/target}

echo "== build"
(cd "$root" && cargo build --release -q)
bin=$target/release/alzette

if [ ! -x "$BENCH_DIR/venv/bin/oxigraph" ]; then
  python3 -m venv "$BENCH_DIR/venv"
  "$BENCH_DIR/venv/bin/pip" install -q oxigraph==0.5.13
fi

cleanup() {
  # The source is stopped (SIGSTOP) while pages are timed: continue it so that it can end.
  [ -f "$BENCH_DIR/source.pid" ] && kill -CONT "$(cat "$BENCH_DIR/source.pid")" 2>/dev/null || true
  [ -f "$BENCH_DIR/source.pid" ] && kill "$(cat "$BENCH_DIR/source.pid")" 2>/dev/null || true
  [ -n "${serve_pid:-}" ] && kill "$serve_pid" 2>/dev/null || true
}
trap cleanup EXIT

pages=$(( (N + PAGE_SIZE - 1) / PAGE_SIZE ))
if [ "$(cat "$BENCH_DIR/pages/made-for" 2>/dev/null)" != "$N $PAGE_SIZE $PORT" ]; then
  echo "== generating $N datasets in $pages pages"
  rm -rf "$BENCH_DIR/pages"
  ALZETTE_SHARED=$shared python3 "$root/benches/catalogue_pages.py" generate --n "$N" \
    --page-size "$PAGE_SIZE" --port "$PORT" --out "$BENCH_DIR/pages"
  echo "$N $PAGE_SIZE $PORT" > "$BENCH_DIR/pages/made-for"
fi
echo "== source: $N datasets in pages of $PAGE_SIZE on 127.0.0.1:$PORT"
rm -f "$BENCH_DIR/source.pid"
python3 "$root/benches/catalogue_pages.py" serve --port "$PORT" --dir "$BENCH_DIR/pages" \
  --pidfile "$BENCH_DIR/source.pid" 2>"$BENCH_DIR/source.log" &
source_pid=$!
until grep -q serving "$BENCH_DIR/source.log" 2>/dev/null; do
  kill -0 "$source_pid" 2>/dev/null || { cat "$BENCH_DIR/source.log"; exit 1; }
  sleep 0.2
done

seconds() { python3 -c 'import time; print(time.time())'; }

echo "== peer: curl fetching all $pages pages"
t0=$(seconds)
for p in $(seq 1 "$pages"); do curl -sf --compressed "http://127.0.0.1:$PORT/catalog?page=$p" -o /dev/null; done
t1=$(seconds)
curl_s=$(python3 -c "print(round($t1-$t0,2))")

oxi_s=0; oxi_kb=0; triples=0
if [ "$PEER_LOAD" = 1 ]; then
  echo "== peer: oxigraph load of the same pages"
  rm -rf "$BENCH_DIR/oxi"
  /usr/bin/time -f "%e %M" -o "$BENCH_DIR/oxi.time" "$BENCH_DIR/venv/bin/oxigraph" load --location "$BENCH_DIR/oxi" --file "$BENCH_DIR"/pages/*.ttl.gz >/dev/null 2>&1
  read -r oxi_s oxi_kb < "$BENCH_DIR/oxi.time"
  triples=$("$BENCH_DIR/venv/bin/oxigraph" query --location "$BENCH_DIR/oxi" --query 'SELECT (COUNT(*) AS ?n) { ?s ?p ?o }' --results-format tsv | tail -1 | tr -dc '0-9')
fi

cat > "$BENCH_DIR/harvest-sources.toml" <<EOF
[server]
bind = "127.0.0.1:$APORT"
base_uri = "http://127.0.0.1:$APORT/"
[store]
path = "store"
[harvest]
max_pages = 1000000
[[source]]
id = "bench"
kind = "dcat"
url = "http://127.0.0.1:$PORT/catalog?page=1"
schedule = "0 3 1 1 *"
EOF
rm -rf "$BENCH_DIR/store" "$BENCH_DIR/runlog"

run() { # label
  /usr/bin/time -f "%e %M" -o "$BENCH_DIR/$1.time" "$bin" --config "$BENCH_DIR/harvest-sources.toml" harvest bench >"$BENCH_DIR/$1.out" 2>"$BENCH_DIR/$1.err" || true
  read -r s kb < "$BENCH_DIR/$1.time"
  echo "$s $kb"
}
echo "== alzette harvest (first)"
read -r first_s first_kb < <(run first)
grep '^run' "$BENCH_DIR/first.out"
# The run's own time (records stored and visible), without RocksDB finishing its compaction
# when the process closes the store.
first_run_s=$(grep -o 'ok in [0-9.]*s' "$BENCH_DIR/first.out" | tr -dc '0-9.')
echo "== alzette harvest (unchanged)"
read -r again_s again_kb < <(run again)
grep '^run' "$BENCH_DIR/again.out"

echo "== catalogue page 1 vs last page"
"$bin" --config "$BENCH_DIR/harvest-sources.toml" serve 2>"$BENCH_DIR/serve.err" &
serve_pid=$!
until curl -sf "http://127.0.0.1:$APORT/health" >/dev/null; do sleep 0.2; done
kill -STOP "$(cat "$BENCH_DIR/source.pid")" 2>/dev/null || true
last=$(( (N + 99) / 100 ))
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
page_time() {
  for _ in $(seq 1 21); do curl -s -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$APORT/catalog?page=$1&pageSize=100"; done | median
}
p1=$(page_time 1)
pmid=$(page_time $(( last / 2 )))
plast=$(page_time "$last")

# OAI-PMH: ListRecords parts of 100 at the start, middle and end of the list. The tokens are
# collected by walking ListIdentifiers (headers only) once.
oai_tokens=$(python3 - "http://127.0.0.1:$APORT/oai" <<'PY'
import re, sys, urllib.parse, urllib.request
base = sys.argv[1]
query, tokens = "verb=ListIdentifiers&metadataPrefix=dcat_ap", [""]
while True:
    xml = urllib.request.urlopen(f"{base}?{query}").read().decode()
    m = re.search(r"<resumptionToken>([^<]+)</resumptionToken>", xml)
    if not m:
        break
    token = m.group(1).replace("&amp;", "&")
    tokens.append(token)
    query = "verb=ListIdentifiers&resumptionToken=" + urllib.parse.quote(token, safe="")
# The last full part: the very last may hold a handful of records.
print(len(tokens), urllib.parse.quote(tokens[len(tokens) // 2], safe=""), urllib.parse.quote(tokens[-2], safe=""))
PY
)
read -r oai_parts oai_mid oai_last <<< "$oai_tokens"
oai_time() {
  for _ in $(seq 1 21); do curl -s -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$APORT/oai?$1"; done | median
}
o1=$(oai_time "verb=ListRecords&metadataPrefix=dcat_ap")
omid=$(oai_time "verb=ListRecords&resumptionToken=$oai_mid")
olast=$(oai_time "verb=ListRecords&resumptionToken=$oai_last")
kill "$serve_pid"; wait "$serve_pid" 2>/dev/null || true; serve_pid=

python3 - "$N" "$pages" "$triples" "$curl_s" "$oxi_s" "$oxi_kb" "$first_s" "$first_kb" "$again_s" "$again_kb" "$p1" "$pmid" "$plast" "$first_run_s" "$o1" "$omid" "$olast" "$oai_parts" <<'EOF'
import sys
n, pages, triples = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
curl_s, oxi_s, oxi_kb, first_s, first_kb, again_s, again_kb = map(float, sys.argv[4:11])
p1, pmid, plast, first_run_s, o1, omid, olast = map(float, sys.argv[11:18])
oai_parts = int(sys.argv[18])
print()
triples_text = f", {triples:,} triples" if triples else ""
print(f"| measure ({n:,} datasets, {pages} pages{triples_text}) | value | ratio |")
print("|---|---:|---:|")
print(f"| curl, fetch every page | {curl_s:.1f} s | 1.00 |")
if oxi_s:
    print(f"| oxigraph load (PyPI 0.5.13), same pages | {oxi_s:.1f} s, {oxi_kb/1024:.0f} MB | {oxi_s/curl_s:.2f} × curl |")
vs_load = lambda s: f"{s/oxi_s:.2f} × oxigraph load" if oxi_s else f"{s/curl_s:.1f} × curl"
print(f"| alzette harvest, first: the run | {first_run_s:.1f} s = {n/first_run_s:,.0f} datasets/s | {vs_load(first_run_s)} |")
print(f"| alzette harvest, first: the process, closing the store included | {first_s:.1f} s = {n/first_s:,.0f} datasets/s, peak RSS {first_kb/1024:.0f} MB | {vs_load(first_s)} |")
print(f"| alzette harvest, unchanged | {again_s:.1f} s = {n/again_s:,.0f} datasets/s, peak RSS {again_kb/1024:.0f} MB | first / unchanged = {first_s/again_s:.1f} |")
print(f"| catalogue page 1 (pageSize 100, median of 21) | {p1*1000:.1f} ms | 1.00 |")
print(f"| catalogue middle page | {pmid*1000:.1f} ms | {pmid/p1:.2f} × page 1 |")
print(f"| catalogue last page | {plast*1000:.1f} ms | {plast/p1:.2f} × page 1 |")
print(f"| OAI-PMH ListRecords dcat_ap, first part of 100 (of {oai_parts}, median of 21) | {o1*1000:.1f} ms | 1.00 |")
print(f"| OAI-PMH middle part | {omid*1000:.1f} ms | {omid/o1:.2f} × first |")
print(f"| OAI-PMH last full part | {olast*1000:.1f} ms | {olast/o1:.2f} × first |")
EOF
