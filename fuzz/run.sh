#!/usr/bin/env bash
# Runs every fuzz target for a bounded time; exits non-zero if one crashed (the input is kept in
# fuzz/artifacts/TARGET/). Usage: fuzz/run.sh [SECONDS_PER_TARGET (default 60)] [TARGET...]
#
# Needs cargo-fuzz (installed from crates.io when missing) and a nightly compiler: a nightly
# toolchain when rustup has one, else the stable one with RUSTC_BOOTSTRAP=1 (cargo-fuzz passes
# -Z flags for the sanitizer).
set -euo pipefail
seconds=${1:-60}
shift || true
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
cd "$here"

command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  toolchain=(+nightly)
else
  toolchain=()
  export RUSTC_BOOTSTRAP=1
fi
export CARGO_TARGET_DIR=${ALZETTE_FUZZ_TARGET:-/var/cache/alzette/fuzz-target}

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cargo "${toolchain[@]}" fuzz list)
fi

# Seeds: the project's own examples and corpus, so that runs start from real pages.
seed() {
  local dir="corpus/$1"; shift
  mkdir -p "$dir"
  for f in "$@"; do
    if [ -f "$f" ]; then cp "$f" "$dir/seed-$(basename "$f")"; fi
  done
}
seed config "$repo/harvest-sources.toml" "$repo"/tests/*.toml
seed schedule
printf '0 3 * * *' > corpus/schedule/seed-daily
printf '0 0 3 * * Mon-Fri' > corpus/schedule/seed-weekdays
seed dcat_page "$repo"/examples/*.ttl "$repo"/examples/paged/* "$repo"/tests/hostile/*.rdf "$repo"/tests/hostile/*.jsonld "$repo"/tests/hostile/*.ttl
seed iso_mapping "$repo"/examples/iso19139/*.xml
seed guarded_document "$repo"/examples/vocabularies/* "$repo"/shapes/*.ttl "$repo"/tests/hostile/*.rdf
seed csw_response
{
  printf '<csw:GetRecordsResponse xmlns:csw="http://www.opengis.net/cat/csw/2.0.2"><csw:SearchResults numberOfRecordsMatched="9" numberOfRecordsReturned="1" nextRecord="2">'
  sed '1d' "$repo/examples/iso19139/service-hydro-wms.xml"
  printf '</csw:SearchResults></csw:GetRecordsResponse>'
} > corpus/csw_response/seed-page
printf '<ows:ExceptionReport xmlns:ows="http://www.opengis.net/ows"><ows:Exception exceptionCode="x"><ows:ExceptionText>t</ows:ExceptionText></ows:Exception></ows:ExceptionReport>' > corpus/csw_response/seed-exception
seed canonical
printf '_:a <http://e.org/p> _:b .\n_:b <http://e.org/p> _:a .\n<http://e.org/d> <http://e.org/q> _:a .\n' > corpus/canonical/seed-ring
seed syntax
printf 'text/turtle; charset=utf-8' > corpus/syntax/seed-ct
seed oai_request
printf 'verb=ListRecords&metadataPrefix=dcat_ap&from=2026-01-01&until=2026-12-31&set=alpha' > corpus/oai_request/seed-list
printf 'verb=ListIdentifiers&resumptionToken=v1~dcat_ap~alpha~~~1790000000000000~alpha~00ff' > corpus/oai_request/seed-token

failed=()
for t in "${targets[@]}"; do
  echo "== $t: ${seconds}s"
  # -rss_limit_mb and -timeout make a memory blow-up or a hang a finding, not a stuck run.
  if ! cargo "${toolchain[@]}" fuzz run "$t" -- \
      -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
      2> >(tee "/tmp/alzette-fuzz-$t.log" | grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|==[0-9]+==|SUMMARY|Done)' >&2); then
    failed+=("$t")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "crashed: ${failed[*]} (inputs in fuzz/artifacts/)" >&2
  exit 1
fi
echo "no crash in ${#targets[@]} targets × ${seconds}s"
