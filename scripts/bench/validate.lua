-- POST /auth/validate with a fresh nonce each time (same license and HWID: already bound).
package.path = package.path .. ";" .. os.getenv("KW_BENCH_DIR") .. "/?.lua"
require("common")
local head = string.format('{"appId":"%s","appSecret":"%s","licenseKey":"%s","hwid":"%s","nonce":"',
  os.getenv("KW_APP_ID"), os.getenv("KW_APP_SECRET"), os.getenv("KW_LICENSE"), os.getenv("KW_HWID"))
local headers = { ["Content-Type"] = "application/json" }
init = function(args) seed_nonces() end
request = function()
  return wrk.format("POST", "/auth/validate", headers, head .. nonce() .. '"}')
end
done = function(summary, latency, requests) report(summary, latency) end
