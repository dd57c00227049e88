-- wrk script for benches/sparql.sh: POSTs one query (form-encoded, from $QUERY_FILE) again and
-- again, and counts responses that are not 200.
local file = assert(io.open(os.getenv("QUERY_FILE"), "r"))
local query = file:read("*a")
file:close()
local function encode(s)
  return (s:gsub("[^%w%-_%.~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end
wrk.method = "POST"
wrk.body = "query=" .. encode(query)
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Accept"] = "application/sparql-results+json"

local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  failed = 0
end

function response(status, headers, body)
  if status ~= 200 then
    failed = failed + 1
  end
end

function done(summary, latency, requests)
  local n = 0
  for _, t in ipairs(threads) do
    n = n + t:get("failed")
  end
  io.write(string.format("RESULT requests=%d seconds=%.3f failed=%d socket_errors=%d p50_ms=%.1f\n",
    summary.requests, summary.duration / 1e6, n,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000))
end
