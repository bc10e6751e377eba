-- A draft save (POST of one section) by this thread's applicant: BENCH_SAVES entries are
-- "sessionid|csrftoken|application id|lock_version". A save succeeds with a redirect and raises the
-- application's lock_version by one; the next save sends the new one, as the reloaded page would.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
unexpected = 0
local session, csrf, pk, lock, n

function init(args)
  local f = fields(thread_item("BENCH_SAVES"))
  session, csrf, pk, lock = f[1], f[2], f[3], tonumber(f[4])
  n = 0
  wrk.headers["Cookie"] = "sessionid=" .. session .. "; csrftoken=" .. csrf
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
end

local function encode(text)
  return (string.gsub(text, "[^%w%-_%.~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

function request()
  n = n + 1
  local body = "csrfmiddlewaretoken=" .. csrf .. "&lock_version=" .. lock ..
    "&plan_goals=" .. encode("三年内形成覆盖重点产业的专利导航服务网络（第" .. n .. "稿）。") ..
    "&plan_demand=" .. encode("每年开展需求调研不少于10次。") ..
    "&plan_organisation=" .. encode("成立基地工作领导小组，制定管理办法。") ..
    "&plan_promotion=" .. encode("每年发布产业专利导航成果不少于2项。")
  return wrk.format("POST", "/applications/" .. pk .. "/sections/plan/", nil, body)
end

function response(status, headers, body)
  if status == 302 then
    lock = lock + 1
  else
    -- Refused as stale (a save of the previous run landed late): the refusal page shows the copy sent, so
    -- move on by one, as a user reloading the page would.
    unexpected = unexpected + 1
    lock = lock + 1
  end
end
