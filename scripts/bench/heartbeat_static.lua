-- POST /auth/heartbeat with one prepared body (see validate_static.lua).
package.path = package.path .. ";" .. os.getenv("KW_BENCH_DIR") .. "/?.lua"
require("common")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = string.format(
  '{"appId":"%s","sessionToken":"%s","hwid":"%s","nonce":"0123456789abcdef0123456789abcdef"}',
  os.getenv("KW_APP_ID"), os.getenv("KW_TOKEN"), os.getenv("KW_HWID"))
done = function(summary, latency, requests) report(summary, latency) end
