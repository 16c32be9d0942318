-- Shared by the bench scripts: fresh nonces made cheaply (a random 24-hex-character
-- prefix per wrk thread plus an 8-hex-character counter, so every request's nonce is new
-- and the load generator spends its CPU on sending, not on Lua), and a machine-readable
-- summary line at the end of a run.
local hex = "0123456789abcdef"
local prefix = nil
local counter = 0

function seed_nonces()
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
  local t = {}
  for i = 1, 24 do
    local n = math.random(1, 16)
    t[i] = hex:sub(n, n)
  end
  prefix = table.concat(t)
end

function nonce()
  counter = counter + 1
  return prefix .. string.format("%08x", counter % 4294967296)
end

function report(summary, latency)
  local seconds = summary.duration / 1e6
  local bad = summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT rps=%.0f p50_ms=%.3f p99_ms=%.3f requests=%d errors=%d\n",
    summary.requests / seconds, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests, bad))
end
