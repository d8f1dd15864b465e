-- wrk script for bench/capacity.py: replays a prepared request mix (one request per line:
-- method, path, headers joined by "\31", body; fields separated by tabs), each thread from its own
-- offset, round and round.
local requests = {}
local counter = 0
local threads = {}

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
  end
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
  local a, b, c = 0, 0, 0
  for _, thread in ipairs(threads) do
    a, b, c = a + thread:get("ok"), b + thread:get("not_modified"), c + thread:get("other")
  end
  io.write(string.format("statuses: 2xx=%d 304=%d other=%d\n", a, b, c))
end
