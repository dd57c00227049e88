"""Validates saved OAI-PMH responses against the OAI-PMH 2.0 XML schema (lxml).

    python3 oai_schema.py OAI-PMH.xsd RESPONSE.xml...

Prints one line per invalid response with lxml's reasons, and a count; exits 1 if any is
invalid. The schema comes from the OAI's site by way of PyPI (`.ci/run` takes it from the
pyoai sdist, which ships it for its own tests).
"""
import sys

from lxml import etree

schema = etree.XMLSchema(etree.parse(sys.argv[1]))
invalid = 0
for path in sys.argv[2:]:
    doc = etree.parse(path)
    if not schema.validate(doc):
        invalid += 1
        reasons = "; ".join(f"line {e.line}: {e.message}" for e in schema.error_log)
        print(f"INVALID {path}: {reasons}")
print(f"{len(sys.argv) - 2 - invalid} of {len(sys.argv) - 2} responses valid")
sys.exit(1 if invalid else 0)
