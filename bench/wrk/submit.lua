-- Submissions: BENCH_SUBMITS holds per thread (";"-separated) a list "sessionid:csrftoken:id,…" of applicants,
-- one complete draft each;
-- each thread submits its drafts one after another (each a real submission while the list lasts).
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
unexpected = 0
local sessions, csrfs, pks, next_index

function init(args)
  sessions, csrfs, pks = {}, {}, {}
  local items = {}
  for item in string.gmatch(thread_item("BENCH_SUBMITS"), "([^,]+)") do items[#items + 1] = item end
  for _, item in ipairs(items) do
    local f = {}
    for part in string.gmatch(item, "([^:]+)") do f[#f + 1] = part end
    sessions[#sessions + 1], csrfs[#csrfs + 1], pks[#pks + 1] = f[1], f[2], f[3]
  end
  next_index = 0
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
end

function request()
  next_index = next_index % #pks + 1
  -- Headers given here replace wrk.headers: the form's content type is named again.
  local headers = {["Cookie"] = "sessionid=" .. sessions[next_index] .. "; csrftoken=" .. csrfs[next_index],
                   ["Content-Type"] = "application/x-www-form-urlencoded"}
  return wrk.format("POST", "/applications/" .. pks[next_index] .. "/submit/", headers,
                    "csrfmiddlewaretoken=" .. csrfs[next_index])
end

function response(status, headers, body)
  if status ~= 302 then unexpected = unexpected + 1 end
end
