-- wrk script for benches/load.sh: each request is a catalogue page or one of the analysts'
-- SPARQL queries, picked at random; statuses are counted per thread and summed at the end.
local queries = {
  "SELECT (COUNT(*) AS ?n) WHERE { ?d a <http://www.w3.org/ns/dcat#Dataset> }",
  "SELECT ?d ?t WHERE { ?d a <http://www.w3.org/ns/dcat#Dataset> ; <http://purl.org/dc/terms/title> ?t } LIMIT 20",
  "SELECT ?p (COUNT(?d) AS ?n) WHERE { ?d <http://purl.org/dc/terms/publisher> ?p } GROUP BY ?p ORDER BY DESC(?n) LIMIT 10",
  "ASK { ?d a <http://www.w3.org/ns/dcat#DataService> }",
}
local function encode(s)
  return (s:gsub("[^%w%-_%.~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end
local encoded = {}
for i, q in ipairs(queries) do encoded[i] = encode(q) end

local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  ok, unavailable, other, other_statuses = 0, 0, 0, ""
  math.randomseed(os.time() + math.random(1000000))
end

function request()
  if math.random() < 0.5 then
    local page = math.random(1, 1000)
    return wrk.format("GET", "/catalog?page=" .. page .. "&pageSize=100", { ["Accept"] = "text/turtle" })
  end
  local q = encoded[math.random(1, #encoded)]
  return wrk.format("GET", "/sparql?query=" .. q, { ["Accept"] = "application/sparql-results+json" })
end

function response(status, headers, body)
  if status == 200 then
    ok = ok + 1
  elseif status == 503 then
    unavailable = unavailable + 1
  else
    other = other + 1
    if #other_statuses < 200 then other_statuses = other_statuses .. status .. " " end
  end
end

function done(summary, latency, requests)
  local o, u, x, xs = 0, 0, 0, ""
  for _, t in ipairs(threads) do
    o = o + t:get("ok")
    u = u + t:get("unavailable")
    x = x + t:get("other")
    xs = xs .. t:get("other_statuses")
  end
  io.write(string.format("RESULT requests=%d ok=%d unavailable=%d other=%d socket_errors=%d p50_ms=%.1f p90_ms=%.1f p99_ms=%.1f max_ms=%.1f rps=%.1f other_statuses=[%s]\n",
    summary.requests, o, u, x,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, summary.requests / (summary.duration / 1e6), xs))
end
