-- sessions.lua: POST /sso/api/init-session + POST /sso/api/get-session
-- pairs.  Each thread keeps the session ids its init-session answers
-- returned and redeems each exactly once with get-session; a request is a
-- redemption when one is waiting, else a new init-session.
local f = io.open(os.getenv("GH_TOKENS"))
local t = f:read("*a")
f:close()
local function field(name)
	return t:match('"' .. name .. '"%s*:%s*"([^"]*)"')
end
local id, access, refresh = field("id_token"), field("access_token"), field("refresh_token")
local app, channel = os.getenv("GH_APP"), os.getenv("GH_CHANNEL")
local init_body = string.format(
	'{"application_id":"%s","channel_id":"%s","id_token":"%s","access_token":"%s","refresh_token":"%s"}',
	app, channel, id, access, refresh)
local pending = {}

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

function request()
	local sid = table.remove(pending)
	if sid then
		return wrk.format("POST", "/sso/api/get-session", nil,
			string.format('{"session_id":"%s","application_id":"%s"}', sid, app))
	end
	-- wrk.format uses the table given instead of wrk.headers, not merged.
	return wrk.format("POST", "/sso/api/init-session",
		{["Content-Type"] = "application/json",
		 ["Authorization"] = "Bearer " .. id}, init_body)
end

function response(status, headers, body)
	local sid = body:match('"session_id"%s*:%s*"([^"]+)"')
	if sid and status == 201 then
		table.insert(pending, sid)
	end
end

dofile(os.getenv("GH_BENCH_DIR") .. "/report.lua")
