"""Real SPARQL clients against Alzette's endpoint: SPARQLWrapper and rdflib's SPARQLStore.

    python3 sparql_clients.py ENDPOINT EXPECTED_DATASETS

Prints what each client got; exits non-zero when a client fails or gets the wrong answer.
Run by tests/publish.rs (with the Python that .ci/run prepares).
"""
import sys

from SPARQLWrapper import JSON, XML, SPARQLWrapper
from rdflib import Graph, URIRef
from rdflib.plugins.stores.sparqlstore import SPARQLStore

endpoint, expected = sys.argv[1], int(sys.argv[2])
DCAT = "http://www.w3.org/ns/dcat#"
COUNT = f"SELECT (COUNT(DISTINCT ?d) AS ?n) WHERE {{ ?d a <{DCAT}Dataset> }}"

# SPARQLWrapper, GET and POST, JSON and XML results.
for method in ("GET", "POST"):
    for fmt in (JSON, XML):
        w = SPARQLWrapper(endpoint)
        w.setMethod(method)
        w.setQuery(COUNT)
        w.setReturnFormat(fmt)
        result = w.query().convert()
        if fmt == JSON:
            n = int(result["results"]["bindings"][0]["n"]["value"])
        else:
            n = int(result.getElementsByTagName("literal")[0].firstChild.data)
        assert n == expected, f"SPARQLWrapper {method} {fmt}: {n} != {expected}"
        print(f"SPARQLWrapper {method} {fmt}: {n} datasets")

w = SPARQLWrapper(endpoint)
w.setQuery(f"ASK {{ ?d a <{DCAT}Dataset> }}")
w.setReturnFormat(JSON)
assert w.query().convert()["boolean"] is True
print("SPARQLWrapper ASK: true")

w = SPARQLWrapper(endpoint)
w.setQuery(f"CONSTRUCT {{ ?d a <{DCAT}Dataset> }} WHERE {{ ?d a <{DCAT}Dataset> }}")
g = w.queryAndConvert()
assert len(g) == expected, f"SPARQLWrapper CONSTRUCT: {len(g)} triples"
print(f"SPARQLWrapper CONSTRUCT: {len(g)} triples")

# rdflib's SPARQLStore: a read-only graph backed by the endpoint.
store = SPARQLStore(endpoint, returnFormat="json")
graph = Graph(store=store)
rows = list(graph.query(f"SELECT DISTINCT ?d WHERE {{ ?d a <{DCAT}Dataset> }}"))
assert len(rows) == expected, f"SPARQLStore SELECT: {len(rows)}"
print(f"rdflib SPARQLStore SELECT: {len(rows)} datasets")
typed = list(graph.triples((None, URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), URIRef(DCAT + "Dataset"))))
assert len(typed) == expected, f"SPARQLStore triples(): {len(typed)}"
print(f"rdflib SPARQLStore triples(): {len(typed)}")
