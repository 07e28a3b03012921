-- The load run's mix (bench/load.py starts gunicorn and wrk with the variables below):
-- clinicians' dashboard views and the API flag list (session cookie) and patients' report
-- submissions (API token).
-- Every answer that is not 2xx counts as an error (a redirect to the login page would mean the
-- session was lost); wrk's own socket errors and timeouts are added in done().

local cookie = "sessionid=" .. os.getenv("BENCH_SESSION")
local token = "Token " .. os.getenv("BENCH_TOKEN")
local course = os.getenv("BENCH_COURSE")
local report_url = os.getenv("BENCH_REPORT_URL")
local body = os.getenv("BENCH_REPORT_BODY")

local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

function init(args)
   bad = 0
   posts = 0
   mix = {}
   local function add(weight, req)
      for _ = 1, weight do table.insert(mix, req) end
   end
   local page = { Cookie = cookie }
   add(35, wrk.format("GET", "/clinician/", page))
   add(15, wrk.format("GET", "/clinician/courses/" .. course .. "/", page))
   add(10, wrk.format("GET", "/clinician/courses/" .. course .. "/charts/timeline.svg", page))
   add(5, wrk.format("GET", "/clinician/patients/", page))
   add(5, wrk.format("GET", "/clinician/not-reported/", page))
   add(5, wrk.format("GET", "/api/v1/flags/", page))  -- first page of the API flag list
   add(5, wrk.format("GET", "/api/v1/courses/?limit=50", page))  -- a page of the course list
   add(25, wrk.format("POST", report_url,
      { Authorization = token, ["Content-Type"] = "application/json" }, body))
end

function request()
   return mix[math.random(#mix)]
end

function response(status, headers, body)
   if status < 200 or status >= 300 then
      bad = bad + 1
   end
end

function done(summary, latency, requests)
   local not_2xx = 0
   for _, thread in ipairs(threads) do
      not_2xx = not_2xx + thread:get("bad")
   end
   local e = summary.errors
   io.write(string.format(
      '{"requests": %d, "seconds": %.2f, "rps": %.1f, "p50_ms": %.2f, "p90_ms": %.2f, ' ..
      '"p99_ms": %.2f, "max_ms": %.2f, "not_2xx": %d, "connect_errors": %d, ' ..
      '"read_errors": %d, "write_errors": %d, "timeouts": %d}\n',
      summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
      latency:percentile(50) / 1000, latency:percentile(90) / 1000,
      latency:percentile(99) / 1000, latency.max / 1000, not_2xx,
      e.connect, e.read, e.write, e.timeout))
end
