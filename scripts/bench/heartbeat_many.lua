-- POST /auth/heartbeat round-robin over the sessions of many licenses (one per line of
-- KW_TOKENS_FILE, written by seed_sessions.py), as many devices beating would: the
-- requests are formatted once at start, so wrk runs no string work per request.
package.path = package.path .. ";" .. os.getenv("KW_BENCH_DIR") .. "/?.lua"
require("common")
local requests = {}
local next_request = 0
init = function(args)
  local headers = { ["Content-Type"] = "application/json" }
  for token in io.lines(os.getenv("KW_TOKENS_FILE")) do
    local body = string.format(
      '{"appId":"%s","sessionToken":"%s","hwid":"%s","nonce":"0123456789abcdef0123456789abcdef"}',
      os.getenv("KW_APP_ID"), token, os.getenv("KW_HWID"))
    requests[#requests + 1] = wrk.format("POST", "/auth/heartbeat", headers, body)
  end
  -- Threads start at different sessions.
  next_request = math.random(0, #requests - 1)
end
request = function()
  next_request = next_request % #requests + 1
  return requests[next_request]
end
done = function(summary, latency, requests) report(summary, latency) end
