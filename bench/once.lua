-- once.lua: request every path of a file once, then stop (a cache warm-up or fill).
--
--   wrk -t1 -c16 -d300s -s bench/once.lua http://127.0.0.1:8080 -- paths.txt [gzip]
--
-- Use one wrk thread (-t1): the thread walks the whole file in order. Once every path has
-- been sent, connections that come free repeat the last path (a cache hit) until as many
-- answers as paths have arrived. Then the script prints its result and ends wrk at once
-- (os.exit: wrk's own stop would still sleep out -d, which is only an upper bound here).
-- Answers arrive out of order across connections, so up to (connections - 1) of the last
-- paths may still be in flight at the exit: negligible against thousands of paths.
-- With a second argument "gzip" every request carries Accept-Encoding: gzip.
-- Result line: "ONCE_RESULT {json}" with the answers by status class; when -d runs out
-- first, done() prints "ONCE_RESULT" with complete=false and wrk's error counts instead.

local requests, n, sent, answered
local by_class = {0, 0, 0, 0, 0}  -- 1xx .. 5xx answers

function init(args)
  local file = args[1] or "paths.txt"
  local headers = nil
  if args[2] == "gzip" then
    headers = {["Accept-Encoding"] = "gzip"}
  end
  requests = {}
  for path in io.lines(file) do
    if path ~= "" then
      requests[#requests + 1] = wrk.format("GET", path, headers)
    end
  end
  n = #requests
  assert(n > 0, "no paths in " .. file)
  sent, answered = 0, 0
end

function request()
  sent = sent + 1
  if sent <= n then
    return requests[sent]
  end
  return requests[n]
end

function response(status, _, _)
  answered = answered + 1
  local class = math.floor(status / 100)
  if class >= 1 and class <= 5 then
    by_class[class] = by_class[class] + 1
  end
  if answered >= n then
    io.write(string.format(
      'ONCE_RESULT {"complete":true,"paths":%d,"requests":%d,' ..
      '"s2xx":%d,"s3xx":%d,"s4xx":%d,"s5xx":%d}\n',
      n, answered, by_class[2], by_class[3], by_class[4], by_class[5]))
    io.stdout:flush()
    os.exit(0)
  end
end

function done(summary, _, _)
  local e = summary.errors
  io.write(string.format(
    'ONCE_RESULT {"complete":false,"requests":%d,"duration_us":%d,"non2xx3xx":%d,' ..
    '"connect":%d,"read":%d,"write":%d,"timeout":%d}\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout))
end
