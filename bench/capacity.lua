-- wrk script for bench/capacity.py: replays a prepared request mix (bench/mix.lua), closed-loop, each
-- thread from its own offset, round and round.
package.path = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "?.lua;" .. package.path
local mix = require("mix")
local requests = {}
local counter = 0

setup = mix.setup

function init(args)
  requests = mix.load(args[1])
  counter = (id or 0) * 7919
end

function request()
  counter = counter + 1
  return requests[(counter % #requests) + 1]
end

ok, not_modified, other = 0, 0, 0

function response(status, headers, body)
  if status == 304 then not_modified = not_modified + 1
  elseif status >= 200 and status < 300 then ok = ok + 1
  else other = other + 1 end
end

function done(summary, latency, requests)
  io.write(string.format("statuses: 2xx=%d 304=%d other=%d\n", mix.sum("ok"), mix.sum("not_modified"),
                         mix.sum("other")))
end
