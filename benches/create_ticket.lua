-- wrk script: every request opens a ticket through POST /api/v1/tickets.
-- The token comes from the environment (MEJA_BENCH_TOKEN).
local token = os.getenv("MEJA_BENCH_TOKEN")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. token
wrk.body = '{"kind":"incident","title":"SIMPUS tidak bisa login","description":"Sejak pagi muncul error 500 di halaman login puskesmas; sudah dicoba di dua komputer.","unit":"DINKES","service":"SIMPUS","impact":"medium","urgency":"high","requester":{"name":"Budi Santoso","email":"budi@example.com","phone":"081234567890"}}'

done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout
  io.write(string.format("RESULT requests=%d seconds=%.2f rate=%.0f errors=%d non2xx=%d p50_ms=%.2f p99_ms=%.2f max_ms=%.2f\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6), errors, summary.errors.status,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
