-- POST /auth/validate with one prepared body: wrk sends it without running Lua per
-- request, as it does for /health, so the load generator costs the same on every row.
-- Its nonce was used by the seeding validate, so every request is a replay: the row
-- measures a replay's refusal (`replay_detected`: the app's checks and one nonce lookup,
-- no charge, no signature), not a login.
package.path = package.path .. ";" .. os.getenv("KW_BENCH_DIR") .. "/?.lua"
require("common")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = string.format(
  '{"appId":"%s","appSecret":"%s","licenseKey":"%s","hwid":"%s","nonce":"0123456789abcdef0123456789abcdef"}',
  os.getenv("KW_APP_ID"), os.getenv("KW_APP_SECRET"), os.getenv("KW_LICENSE"), os.getenv("KW_HWID"))
done = function(summary, latency, requests) report(summary, latency) end
