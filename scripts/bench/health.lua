package.path = package.path .. ";" .. os.getenv("KW_BENCH_DIR") .. "/?.lua"
require("common")
done = function(summary, latency, requests) report(summary, latency) end
