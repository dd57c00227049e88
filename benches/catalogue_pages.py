#!/usr/bin/env python3
"""A generated DCAT-AP catalogue of any size as Hydra pages on disk, and a server for them.

  catalogue_pages.py generate --n 1000000 --page-size 1000 --port 8911 --out DIR [--jobs 2]
  catalogue_pages.py serve --port 8911 --dir DIR [--pidfile F]

`generate` calls ../shared/tools/gen_catalog.py in parts of 100,000 datasets (the shared
hydra_serve.py holds the whole catalogue in memory, which for a million datasets does not fit
beside the harvest): part k is generate(100000, seed 42 + k) under the base
https://data.example.lu/part{k}/, so the parts share no IRI, each with its own 40 publishers
and its data services. Every page holds whole datasets (hydra_serve.closures) and a
hydra:PartialCollectionView with first/previous/next/last, and is written gzipped
(DIR/p{N}.ttl.gz: a tenth of the disk, which the store needs).

`serve` answers GET /catalog?page=N with that file as text/turtle, Content-Encoding gzip.
Standard library only, plus ../shared/tools (or $ALZETTE_SHARED/tools).
"""
import argparse
import gzip
import io
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

PART = 100_000
DCAT = "http://www.w3.org/ns/dcat#"
HYDRA = "http://www.w3.org/ns/hydra/core#"
DCT = "http://purl.org/dc/terms/"


def shared_tools():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    shared = os.environ.get("ALZETTE_SHARED", os.path.join(root, "..", "shared"))
    tools = os.path.join(shared, "tools")
    if not os.path.exists(os.path.join(tools, "gen_catalog.py")):
        sys.exit(f"needs {tools}/gen_catalog.py (set ALZETTE_SHARED)")
    sys.path.insert(0, tools)


def write_part(k, n, page_size, port, out):
    """Write the pages of part k; returns how many."""
    shared_tools()
    import gen_catalog as g
    import hydra_serve as hs

    size = min(PART, n - k * PART)
    T, _ = g.generate(size, 0.0, 42 + k, "https://data.example.lu/part%d/" % k, 0.1, False)
    items = hs.closures(T)
    del T
    rdf_type = g.IRI("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    base = "http://127.0.0.1:%d/catalog" % port
    cat = g.IRI(base)
    last = (n + page_size - 1) // page_size
    first_page = k * PART // page_size + 1

    def page_url(p):
        return g.IRI("%s?page=%d" % (base, p))

    written = 0
    for start in range(0, len(items), page_size):
        p = first_page + start // page_size
        view = page_url(p)
        T2 = {
            (cat, rdf_type, g.IRI(DCAT + "Catalog")),
            (cat, rdf_type, g.IRI(HYDRA + "Collection")),
            (cat, g.IRI(DCT + "title"), g.Lit("Generated catalogue", lang="en")),
            (cat, g.IRI(HYDRA + "totalItems"), g.Lit(str(n), dt="http://www.w3.org/2001/XMLSchema#integer")),
            (cat, g.IRI(HYDRA + "view"), view),
            (view, rdf_type, g.IRI(HYDRA + "PartialCollectionView")),
            (view, g.IRI(HYDRA + "first"), page_url(1)),
            (view, g.IRI(HYDRA + "last"), page_url(last)),
        }
        if p > 1:
            T2.add((view, g.IRI(HYDRA + "previous"), page_url(p - 1)))
        if p < last:
            T2.add((view, g.IRI(HYDRA + "next"), page_url(p + 1)))
        for d, acc in items[start:start + page_size]:
            T2.add((cat, g.IRI(DCAT + "dataset"), d))
            T2.update(acc)
        buf = io.StringIO()
        g.write_ttl(sorted(T2, key=lambda t: (str(t[0]), str(t[1]), str(t[2]))), buf)
        with open(os.path.join(out, "p%d.ttl.gz" % p), "wb") as f:
            f.write(gzip.compress(buf.getvalue().encode("utf-8"), compresslevel=6))
        written += 1
    return written


def generate(a):
    if a.n % PART and a.n > PART or PART % a.page_size:
        sys.exit(f"--n must be at most {PART:,} or a multiple of it, and --page-size divide {PART:,}")
    os.makedirs(a.out, exist_ok=True)
    parts = (a.n + PART - 1) // PART
    with ProcessPoolExecutor(max_workers=a.jobs) as pool:
        pages = sum(pool.map(write_part, range(parts), [a.n] * parts, [a.page_size] * parts,
                             [a.port] * parts, [a.out] * parts))
    print("%d pages in %s" % (pages, a.out), file=sys.stderr)


def serve(a):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            u = urlparse(self.path)
            try:
                n = int(parse_qs(u.query).get("page", ["1"])[0])
            except ValueError:
                self.send_error(400)
                return
            path = os.path.join(a.dir, "p%d.ttl.gz" % n)
            if u.path != "/catalog" or not os.path.exists(path):
                self.send_error(404)
                return
            with open(path, "rb") as f:
                body = f.read()
            self.send_response(200)
            self.send_header("Content-Type", "text/turtle; charset=utf-8")
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    srv = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    if a.pidfile:
        with open(a.pidfile, "w") as f:
            f.write(str(os.getpid()))
    print("serving %s" % a.dir, file=sys.stderr, flush=True)
    srv.serve_forever()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    gen = sub.add_parser("generate")
    gen.add_argument("--n", type=int, required=True)
    gen.add_argument("--page-size", type=int, default=1000)
    gen.add_argument("--port", type=int, required=True)
    gen.add_argument("--out", required=True)
    gen.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    srv = sub.add_parser("serve")
    srv.add_argument("--port", type=int, required=True)
    srv.add_argument("--dir", required=True)
    srv.add_argument("--pidfile")
    a = ap.parse_args()
    generate(a) if a.cmd == "generate" else serve(a)


if __name__ == "__main__":
    main()
