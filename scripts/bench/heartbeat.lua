-- POST /auth/heartbeat with a fresh nonce each time, reusing one valid session token.
package.path = package.path .. ";" .. os.getenv("KW_BENCH_DIR") .. "/?.lua"
require("common")
local head = string.format('{"appId":"%s","sessionToken":"%s","hwid":"%s","nonce":"',
  os.getenv("KW_APP_ID"), os.getenv("KW_TOKEN"), os.getenv("KW_HWID"))
local headers = { ["Content-Type"] = "application/json" }
init = function(args) seed_nonces() end
request = function()
  return wrk.format("POST", "/auth/heartbeat", headers, head .. nonce() .. '"}')
end
done = function(summary, latency, requests) report(summary, latency) end
