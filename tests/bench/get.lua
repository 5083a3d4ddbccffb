-- get.lua: GET the target path, with the bearer token from GH_TOKEN if set.
local token = os.getenv("GH_TOKEN")
if token and token ~= "" then
	wrk.headers["Authorization"] = "Bearer " .. token
end
dofile(os.getenv("GH_BENCH_DIR") .. "/report.lua")
