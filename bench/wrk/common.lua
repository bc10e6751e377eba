-- Shared by the benchmark's wrk scripts: one session per wrk thread (each thread keeps one connection, so
-- its requests run one after the other), and a machine-readable summary line at the end.
local function split(text, sep)
  local items = {}
  for item in string.gmatch(text or "", "([^" .. sep .. "]+)") do items[#items + 1] = item end
  return items
end

local threads, counter = {}, 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

function thread_item(name)
  -- The entry of env var `name` (entries separated by ";") that belongs to this thread.
  local items = split(os.getenv(name), ";")
  if #items == 0 then return nil end
  return items[(id - 1) % #items + 1]
end

function fields(item)
  return split(item, "|")
end

function done(summary, latency, requests)
  local other = 0
  for _, thread in ipairs(threads) do other = other + (thread:get("unexpected") or 0) end
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "seconds": %.3f, "rps": %.2f, "p50_ms": %.2f, "p95_ms": %.2f, "p99_ms": %.2f, ' ..
    '"socket_errors": %d, "http_errors": %d, "unexpected": %d}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    e.connect + e.read + e.write + e.timeout, e.status, other))
end
