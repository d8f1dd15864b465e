-- wrk script for bench/overload.py: capacity.lua's request mix, open-loop per connection. Each
-- connection stands for a group of dashboards: it waits `delay` between requests, scaled by the
-- advice (Poll-Interval visible over its base) as the group's dashboards would poll more slowly.
-- args: mix file, base delay in ms, base visible interval in s.
local requests, kinds = {}, {}
local counter = 0
local threads = {}
local base_delay, base_visible = 100, 5
local factor = 1.0

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

local function split(s, sep)
  local out = {}
  for part in (s .. sep):gmatch("(.-)" .. sep) do table.insert(out, part) end
  return out
end

function init(args)
  for line in io.lines(args[1]) do
    local f = split(line, "\t")
    local headers = {}
    for _, h in ipairs(split(f[3], "\31")) do
      local name, value = h:match("^([^:]+):%s*(.*)$")
      if name then headers[name] = value end
    end
    local body = f[4] ~= "" and f[4] or nil
    table.insert(requests, wrk.format(f[1], f[2], headers, body))
    table.insert(kinds, f[1])
  end
  base_delay, base_visible = tonumber(args[2]), tonumber(args[3])
  counter = (id or 0) * 7919
end

function request()
  counter = counter + 1
  return requests[(counter % #requests) + 1]
end

function delay()
  -- the group's next request: polls slow down with the advice, writes keep their pace
  local kind = kinds[((counter + 1) % #requests) + 1]
  local d = base_delay * (kind == "GET" and factor or 1.0)
  return math.floor(d * (0.5 + math.random()))
end

answered, not_modified, shed, shed_without_retry, other = 0, 0, 0, 0, 0

function response(status, headers, body)
  local advice = headers["Poll-Interval"]
  if advice then
    local v = tonumber(advice:match("visible=(%d+)"))
    if v then factor = v / base_visible end
  end
  if status == 304 then not_modified = not_modified + 1
  elseif status >= 200 and status < 300 then answered = answered + 1
  elseif status == 503 or status == 429 then
    shed = shed + 1
    if not headers["Retry-After"] then shed_without_retry = shed_without_retry + 1 end
  else other = other + 1 end
end

function done(summary, latency, requests)
  local a, b, c, d, e = 0, 0, 0, 0, 0
  for _, t in ipairs(threads) do
    a, b = a + t:get("answered"), b + t:get("not_modified")
    c, d, e = c + t:get("shed"), d + t:get("shed_without_retry"), e + t:get("other")
  end
  io.write(string.format("statuses: 2xx=%d 304=%d shed=%d shed_without_retry_after=%d other=%d\n", a, b, c, d, e))
end
