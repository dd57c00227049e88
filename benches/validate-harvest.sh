#!/usr/bin/env bash
# Validation at harvest, record by record: a dry-run harvest (every record parsed, split,
# canonicalised, validated and scored; nothing written) of the Hydra pages benches/harvest.sh
# saved, with Alzette's four layers of shapes over the bundled vocabularies, against the same
# harvest without validation, in the same run. Prints wall time and peak RSS of each, for two
# sizes: memory that stays flat from the small to the large catalogue is what record-by-record
# validation promises.
#
#   benches/validate-harvest.sh DIR[:REPEAT] ...
#       (each DIR: a $BENCH_DIR of benches/harvest.sh, with pages/p1.ttl.gz …; REPEAT serves its
#       pages that many times over, as distinct datasets)
#
# e.g. after benches/harvest.sh 10000 1000 with BENCH_DIR=/tmp/alzette-bench10k and 100000 1000
# with BENCH_DIR=/tmp/alzette-bench:
#   benches/validate-harvest.sh /tmp/alzette-bench10k /tmp/alzette-bench /tmp/alzette-bench:10
# Needs python3 and /usr/bin/time.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
(cd "$root" && cargo build --release -q -p alzette)
bin=$target/release/alzette
work=$(mktemp -d)
trap 'kill $(cat "$work"/*.pid 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT

# Serves DIR/pages/pN.ttl.gz (uncompressed) at /catalog?page=N on the port the pages' Hydra links name; with
# REPEAT > 1, the pages again and again, each round's IRIs made unique (https://data.example.lu/
# becomes …/rK/) and the Hydra links renumbered, so that 100 saved pages stand for 100 × REPEAT.
serve_pages() {
  local dir=$1 port=$2 repeat=$3
  python3 - "$dir/pages" "$port" "$repeat" <<'EOF' &
import gzip, http.server, os, re, sys, urllib.parse
folder, port, repeat = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
files = len([f for f in os.listdir(folder) if re.fullmatch(r"p\d+\.ttl\.gz", f)])
total = files * repeat
link = re.compile(rb"(#(\w+)> )?<(http://127\.0\.0\.1:\d+/catalog\?page=)(\d+)>")
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
        try:
            n = int(q["page"][0])
            assert 1 <= n <= total
        except (KeyError, ValueError, AssertionError):
            self.send_response(404); self.end_headers(); return
        index, round_ = (n - 1) % files + 1, (n - 1) // files
        body = gzip.open(f"{folder}/p{index}.ttl.gz").read()
        if repeat > 1:
            if round_ > 0:
                body = body.replace(b"https://data.example.lu/", f"https://data.example.lu/r{round_}/".encode())
            def renumber(m):
                kind = (m.group(2) or b"").decode()
                page = {"next": n + 1, "previous": n - 1, "first": 1, "last": total}.get(kind, n)
                return (m.group(1) or b"") + b"<" + m.group(3) + str(page).encode() + b">"
            body = link.sub(renumber, body)
            body = re.sub(rb'totalItems> "\d+"', f'totalItems> "{total * 1000}"'.encode(), body)
            if index == files and n < total:
                view = f"<http://127.0.0.1:{port}/catalog?page={n}>".encode()
                nxt = f"<http://127.0.0.1:{port}/catalog?page={n + 1}>".encode()
                body += b"\n" + view + b" <http://www.w3.org/ns/hydra/core#next> " + nxt + b" .\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/turtle")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
EOF
  echo $! >"$work/$port.pid"
  sleep 1
}

first_match() { # FILE.gz REGEX: the first match's group 1
  python3 -c 'import gzip, re, sys; print(re.search(sys.argv[2].encode(), gzip.open(sys.argv[1]).read()).group(1).decode())' "$@"
}

printf '| datasets | validation | wall s | peak RSS MB | records |\n|---:|---|---:|---:|---:|\n'
for arg in "$@"; do
  dir=${arg%%:*}
  repeat=1
  [ "$arg" != "$dir" ] && repeat=${arg##*:}
  port=$(first_match "$dir/pages/p2.ttl.gz" '127\.0\.0\.1:(\d+)/catalog')
  serve_pages "$dir" "$port" "$repeat"
  n=$(( $(first_match "$dir/pages/p1.ttl.gz" 'totalItems> "(\d+)') * repeat ))
  for mode in off on; do
    conf=$work/$mode.toml
    {
      echo "[store]"; echo "path = \"$work/store-$mode\""
      echo "[harvest]"; echo "max_pages = 100000"
      if [ "$mode" = on ]; then
        echo "[validation]"
        echo "shapes = [\"$root/shapes/dcat-ap-3-base.ttl\", \"$root/shapes/dcat-ap-3-range.ttl\", \"$root/shapes/dcat-ap-3-recommended.ttl\", \"$root/shapes/dcat-ap-3-vocabularies.ttl\"]"
        echo "background = [\"eu\"]"
        echo "[[source]]"; echo "id = \"eu\""; echo "kind = \"vocabulary\""; echo "url = \"$root/examples/vocabularies\""; echo "schedule = \"0 1 * * *\""
      fi
      echo "[[source]]"; echo "id = \"big\""; echo "kind = \"dcat\""
      echo "url = \"http://127.0.0.1:$port/catalog?page=1\""; echo "schedule = \"0 1 * * *\""
    } >"$conf"
    [ "$mode" = on ] && "$bin" --config "$conf" harvest eu >/dev/null 2>&1
    /usr/bin/time -f "%e %M" -o "$work/time" "$bin" --config "$conf" harvest big --dry-run >"$work/out" 2>&1 || true
    read -r wall rss < <(tail -n 1 "$work/time")
    records=$(grep -o 'added [0-9]*' "$work/out" | head -1 | grep -o '[0-9]*' || echo "?")
    printf '| %s | %s | %s | %s | %s |\n' "$n" "$mode" "$wall" "$((rss / 1024))" "$records"
  done
  kill "$(cat "$work/$port.pid")" 2>/dev/null || true
done
