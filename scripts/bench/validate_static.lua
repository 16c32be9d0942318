-- POST /auth/validate with one prepared body: wrk sends it without running Lua per
-- request, as it does for /health, so the load generator costs the same on every row.
-- The server's work does not depend on the nonce being new (nonces guard the client).
package.path = package.path .. ";" .. os.getenv("KW_BENCH_DIR") .. "/?.lua"
require("common")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = string.format(
  '{"appId":"%s","appSecret":"%s","licenseKey":"%s","hwid":"%s","nonce":"0123456789abcdef0123456789abcdef"}',
  os.getenv("KW_APP_ID"), os.getenv("KW_APP_SECRET"), os.getenv("KW_LICENSE"), os.getenv("KW_HWID"))
done = function(summary, latency, requests) report(summary, latency) end
