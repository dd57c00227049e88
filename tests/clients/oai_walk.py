"""A real OAI-PMH client (Sickle, from PyPI) walks every record of Alzette's /oai.

    python3 oai_walk.py BASE_URL EXPECTED_RECORDS

Walks ListRecords (dcat_ap and oai_dc) and ListIdentifiers through their resumption tokens,
checks the counts, that every dcat_ap record holds RDF/XML, and GetRecord, Identify and ListSets.
"""
import sys

from sickle import Sickle

base, expected = sys.argv[1], int(sys.argv[2])
sickle = Sickle(base, max_retries=0)

identify = sickle.Identify()
assert identify.protocolVersion == "2.0", identify.protocolVersion
print(f"Identify: {identify.repositoryName}, deletedRecord {identify.deletedRecord}")

sets = [s.setSpec for s in sickle.ListSets()]
print(f"ListSets: {sets}")

for prefix in ("dcat_ap", "oai_dc"):
    records = list(sickle.ListRecords(metadataPrefix=prefix, ignore_deleted=True))
    identifiers = {r.header.identifier for r in records}
    assert len(records) == expected == len(identifiers), (prefix, len(records), len(identifiers))
    if prefix == "dcat_ap":
        for r in records:
            assert "RDF" in r.xml.find(".//{http://www.openarchives.org/OAI/2.0/}metadata")[0].tag, r.raw[:300]
    print(f"ListRecords {prefix}: {len(records)} records")

# Deletions (resources gone from the federation) are listed too; the live ones are counted.
all_headers = list(sickle.ListIdentifiers(metadataPrefix="dcat_ap"))
headers = [h for h in all_headers if not h.deleted]
assert len(headers) == expected, len(headers)
print(f"ListIdentifiers: {len(headers)} ({len(all_headers) - len(headers)} deleted)")

one = sickle.GetRecord(identifier=headers[0].identifier, metadataPrefix="oai_dc")
assert one.metadata.get("title"), one.raw[:300]
print(f"GetRecord oai_dc: {one.metadata['title'][0]}")
