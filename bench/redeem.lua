-- wrk script: POST /api/v1/login-tokens/redeem with a webshop key, each
-- request presenting a token value picked at random from a file (one value
-- per line, bench/cmd/pickvalues), so that requests spread over many rows.
-- Environment: BENCH_VALUES (the file), BENCH_KEY (the ltk_ key), and
-- BENCH_HOT=1 to present only the first value (every request on one row).
--   BENCH_VALUES=picked.txt BENCH_KEY=ltk_... wrk -t2 -c16 -d15s --latency -s bench/redeem.lua http://127.0.0.1:18080
local values = {}
local headers = {}
local n = 0

function init(args)
  for line in io.lines(os.getenv("BENCH_VALUES")) do
    if line ~= "" then
      n = n + 1
      values[n] = line
    end
  end
  if os.getenv("BENCH_HOT") == "1" then
    n = 1
  end
  headers["Authorization"] = "Bearer " .. os.getenv("BENCH_KEY")
  headers["Content-Type"] = "application/json"
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
end

function request()
  local v = values[math.random(n)]
  return wrk.format("POST", "/api/v1/login-tokens/redeem", headers, '{"token":"' .. v .. '"}')
end
