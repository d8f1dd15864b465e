-- The request mix shared by bench/capacity.lua and bench/overload.lua: one request per line of the
-- mix file (method, path, headers joined by "\31", body; fields separated by tabs).
local mix = {}

local function split(s, sep)
  local out = {}
  for part in (s .. sep):gmatch("(.-)" .. sep) do table.insert(out, part) end
  return out
end

-- The mix as wrk requests, and each one's method.
function mix.load(path)
  local requests, methods = {}, {}
  for line in io.lines(path) do
    local f = split(line, "\t")
    local headers = {}
    for _, h in ipairs(split(f[3], "\31")) do
      local name, value = h:match("^([^:]+):%s*(.*)$")
      if name then headers[name] = value end
    end
    table.insert(requests, wrk.format(f[1], f[2], headers, f[4] ~= "" and f[4] or nil))
    table.insert(methods, f[1])
  end
  return requests, methods
end

-- Each thread sets itself aside in setup(); done() sums a counter over them.
mix.threads = {}

function mix.setup(thread)
  thread:set("id", #mix.threads)
  table.insert(mix.threads, thread)
end

function mix.sum(name)
  local total = 0
  for _, t in ipairs(mix.threads) do total = total + t:get(name) end
  return total
end

return mix
