#!/usr/bin/env bash
# pycsw_serve.sh VENV RECORDS_DIR STATE_DIR PORT
#
# Serves every *.xml of RECORDS_DIR from a real pycsw 2.6 (CSW 2.0.2, ISO application profile)
# on http://127.0.0.1:PORT/csw, for tests/pycsw.rs: writes a configuration into STATE_DIR,
# loads the records into a fresh SQLite repository, starts gunicorn bound to 127.0.0.1 only
# (pid in STATE_DIR/gunicorn.pid) and returns once GetCapabilities answers. Prints the number
# of records loaded. VENV is a Python environment with pycsw and gunicorn (.ci/run makes one).
set -euo pipefail
venv=${1:?venv} records=${2:?records dir} state=${3:?state dir} port=${4:?port}
mkdir -p "$state"
state=$(cd "$state" && pwd)
records=$(cd "$records" && pwd)
cfg=$state/pycsw.cfg
cat > "$cfg" <<CFG
[server]
home=$state
url=http://127.0.0.1:$port/csw
mimetype=application/xml; charset=UTF-8
encoding=UTF-8
language=en-US
maxrecords=100
pretty_print=false
profiles=apiso

[manager]
transactions=false
allowed_ips=127.0.0.1

[metadata:main]
identification_title=Alzette test catalogue
identification_abstract=ISO 19139 records for Alzette's CSW harvest test
identification_keywords=test
identification_keywords_type=theme
identification_fees=None
identification_accessconstraints=None
provider_name=Alzette tests
provider_url=http://127.0.0.1/
contact_name=Alzette tests
contact_position=None
contact_address=None
contact_city=Luxembourg
contact_stateorprovince=LU
contact_postalcode=L-0000
contact_country=Luxembourg
contact_phone=None
contact_fax=None
contact_email=tests@example.org
contact_url=http://127.0.0.1/
contact_hours=None
contact_instructions=None
contact_role=pointOfContact

[repository]
database=sqlite:///$state/records.db
table=records

[metadata:inspire]
enabled=false
languages_supported=eng
default_language=eng
date=2026-01-01
gemet_keywords=Utility and governmental services
conformity_service=notEvaluated
contact_name=Alzette tests
contact_email=tests@example.org
temp_extent=2026-01-01/2026-12-31
CFG
rm -f "$state/records.db"
admin=$venv/bin/pycsw-admin.py
"$venv/bin/python" "$admin" -c setup_db -f "$cfg" > "$state/setup.log" 2>&1
"$venv/bin/python" "$admin" -l WARNING -c load_records -f "$cfg" -p "$records" -r > "$state/load.log" 2>&1 || true
"$venv/bin/python" -c "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from records').fetchone()[0])" "$state/records.db"
PYCSW_CONFIG=$cfg "$venv/bin/gunicorn" -b "127.0.0.1:$port" -w 2 --timeout 120 \
  --pid "$state/gunicorn.pid" --daemon \
  --access-logfile "$state/access.log" --error-logfile "$state/error.log" \
  pycsw.wsgi:application
for _ in $(seq 1 120); do
  if "$venv/bin/python" -c "import urllib.request, sys; urllib.request.urlopen(sys.argv[1], timeout=2)" \
      "http://127.0.0.1:$port/csw?service=CSW&version=2.0.2&request=GetCapabilities" 2>/dev/null; then
    exit 0
  fi
  sleep 0.5
done
echo "pycsw did not come up on 127.0.0.1:$port; see $state/error.log" >&2
exit 1
