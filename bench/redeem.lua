-- wrk script: POST /api/v1/login-tokens/redeem with a webshop key, as a
-- shop's back end sends it: {"token": V, "clientIp": A}, V a token value
-- picked at random from a file (one value per line, bench/cmd/pickvalues),
-- so that requests spread over many rows, and A the end user's address,
-- a random public IPv4 address (three requests in four) or IPv6 address
-- in 2000::/3 (one in four), a different one on every request, so the
-- failure limit tracks a new network almost every time, as under a crowd.
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

-- ipv4 is a random unicast address outside 0/8, 10/8, 127/8 and 224/3.
local function ipv4()
  local a
  repeat
    a = math.random(1, 223)
  until a ~= 10 and a ~= 127
  return string.format("%d.%d.%d.%d", a, math.random(0, 255), math.random(0, 255), math.random(1, 254))
end

-- ipv6 is a random global unicast address (2000::/3), a /64 and an
-- interface identifier.
local function ipv6()
  return string.format("%x:%x:%x:%x:%x:%x:%x:%x", math.random(0x2000, 0x3fff), math.random(0, 0xffff),
    math.random(0, 0xffff), math.random(0, 0xffff), math.random(0, 0xffff), math.random(0, 0xffff),
    math.random(0, 0xffff), math.random(1, 0xffff))
end

function request()
  local v = values[math.random(n)]
  local ip
  if math.random(4) == 4 then ip = ipv6() else ip = ipv4() end
  return wrk.format("POST", "/api/v1/login-tokens/redeem", headers, '{"token":"' .. v .. '","clientIp":"' .. ip .. '"}')
end
