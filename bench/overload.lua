-- wrk script for bench/overload.py: capacity.lua's request mix (bench/mix.lua), open-loop per
-- connection. Each connection stands for a group of dashboards: it waits between requests, its polls
-- slowing down as the advice (Poll-Interval visible over its base) says, its writes keeping their pace.
-- args: mix file, base delay in ms, base visible interval in s.
package.path = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "?.lua;" .. package.path
local mix = require("mix")
local requests, methods = {}, {}
local counter = 0
local base_delay, base_visible, factor = 100, 5, 1.0

setup = mix.setup

function init(args)
  requests, methods = mix.load(args[1])
  base_delay, base_visible = tonumber(args[2]), tonumber(args[3])
  counter = (id or 0) * 7919
end

function request()
  counter = counter + 1
  return requests[(counter % #requests) + 1]
end

function delay()
  local d = base_delay * (methods[((counter + 1) % #requests) + 1] == "GET" and factor or 1.0)
  return math.floor(d * (0.5 + math.random()))
end

answered, not_modified, shed, shed_without_retry, other = 0, 0, 0, 0, 0

function response(status, headers, body)
  local advice = headers["Poll-Interval"]
  local visible = advice and tonumber(advice:match("visible=(%d+)"))
  if visible then factor = visible / base_visible end
  if status == 304 then not_modified = not_modified + 1
  elseif status >= 200 and status < 300 then answered = answered + 1
  elseif status == 503 or status == 429 then
    shed = shed + 1
    if not headers["Retry-After"] then shed_without_retry = shed_without_retry + 1 end
  else other = other + 1 end
end

function done(summary, latency, requests)
  io.write(string.format("statuses: 2xx=%d 304=%d shed=%d shed_without_retry_after=%d other=%d\n",
                         mix.sum("answered"), mix.sum("not_modified"), mix.sum("shed"),
                         mix.sum("shed_without_retry"), mix.sum("other")))
end
