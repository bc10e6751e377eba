-- GET one page, anonymous or signed in with this thread's session: BENCH_SESSIONS entries are
-- "sessionid|csrftoken", separated by ";".
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
unexpected = 0

function init(args)
  local item = thread_item("BENCH_SESSIONS")
  if item then
    local f = fields(item)
    wrk.headers["Cookie"] = "sessionid=" .. f[1] .. "; csrftoken=" .. f[2]
  end
end

function response(status, headers, body)
  if status ~= 200 then unexpected = unexpected + 1 end
end
