-- report.lua: wrk's done() hook, shared by every target: one machine-readable
-- line that run.sh turns into the table.
function done(summary, latency, requests)
	local e = summary.errors
	io.write(string.format("GH_RESULT rps=%.1f p99_ms=%.2f requests=%d errors=%d non2xx=%d\n",
		summary.requests / (summary.duration / 1e6),
		latency:percentile(99) / 1000.0,
		summary.requests,
		e.connect + e.read + e.write + e.timeout,
		e.status))
end
