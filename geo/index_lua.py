"""The server-side half of the live index: one Lua script that moves a responder between keys.

Every write (location, availability, profile, removal) takes the responder out of the GEO key it
is listed in, changes their record and lists them again where they now belong, atomically, so a
responder is in at most one time bucket per group and never in a key they should not be in.

Key layout (all under the trust's hash tag, so a trust's keys share one Redis Cluster slot):
  <base>prof                hash  responder -> "<active 0|1>|<available 0|1>|<group,group..>"
  <base>pos                 hash  responder -> "<lat> <lon> <at> <accuracy or ->" (exact, as sent)
  <base>g:<group>:<bucket>  GEO   available, active responders whose position falls in the bucket
  <base>p:<group>:<bucket>  set   the same, for positions beyond Redis GEO's +-85.05 degrees
A bucket key expires `retention` seconds after its bucket ends: stale positions leave on their own.
"""

from __future__ import annotations

MAX_GEO_LAT = 85.05112878  # Redis GEO (Web Mercator) refuses latitudes beyond this
# Redis GEO misses members and searches within a hair of +180 degrees: both move to -180, the same
# meridian (at most ~0.1 m away, inside the slack the searches allow for geohash rounding).
EAST_EDGE = 180 - 1e-6

_WRITE = """
local PROF, POS = KEYS[1], KEYS[2]
local BASE = ARGV[1]
local BUCKET = tonumber(ARGV[2])
local KEEP = tonumber(ARGV[3])
local NOW = tonumber(ARGV[4])
local OP = ARGV[5]

local function parse_profile(v)
  if not v then return nil end
  local a, av, gs = string.match(v, '^(%d)|(%d)|(.*)$')
  local groups = {}
  for g in string.gmatch(gs, '[^,]+') do groups[#groups + 1] = g end
  return {active = a == '1', available = av == '1', groups = groups}
end

local function profile(rid)
  return parse_profile(redis.call('HGET', PROF, rid))
end

local function parse_position(v)
  if not v then return nil end
  local lat, lon, at = string.match(v, '^(%S+) (%S+) (%S+)')
  return {lat = lat, lon = lon, at = tonumber(at), polar = math.abs(tonumber(lat)) > MAXLAT}
end

local function position(rid)
  return parse_position(redis.call('HGET', POS, rid))
end

local function listed(prof, pos)
  return prof and pos and prof.active and prof.available
end

local function unlist(rid, prof, pos)
  if not listed(prof, pos) then return end
  local b = math.floor(pos.at / BUCKET)
  for _, g in ipairs(prof.groups) do
    if pos.polar then
      redis.call('SREM', BASE .. 'p:' .. g .. ':' .. b, rid)
    else
      redis.call('ZREM', BASE .. 'g:' .. g .. ':' .. b, rid)
    end
  end
end

local function list(rid, prof, pos)
  if not listed(prof, pos) then return end
  local b = math.floor(pos.at / BUCKET)
  local expire_at = (b + 1) * BUCKET + KEEP
  if expire_at <= NOW then return end  -- too old to be searched by anyone
  for _, g in ipairs(prof.groups) do
    local key
    if pos.polar then
      key = BASE .. 'p:' .. g .. ':' .. b
      redis.call('SADD', key, rid)
    else
      key = BASE .. 'g:' .. g .. ':' .. b
      -- Redis GEO misses members filed at (or within a hair of) +180 degrees: file them at -180.
      redis.call('GEOADD', key, tonumber(pos.lon) >= EAST_EDGE and '-180' or pos.lon, pos.lat, rid)
    end
    redis.call('EXPIREAT', key, expire_at)
  end
end

local unknown = {}
if OP == 'loc' then
  -- A burst of positions, one "<id> <lat> <lon> <accuracy> <at>" argument each and at most one
  -- per responder (the client keeps the newest): read every record in two calls, then write each
  -- touched key once.
  local rids, rows = {}, {}
  for i = 6, #ARGV do
    local row = {string.match(ARGV[i], '^(%S+) (%S+) (%S+) (%S+) (%S+)$')}
    rows[#rows + 1] = row
    rids[#rids + 1] = row[1]
  end
  local profs = redis.call('HMGET', PROF, unpack(rids))
  local olds = redis.call('HMGET', POS, unpack(rids))
  local removals, additions, expiry, writes = {}, {}, {}, {}
  local function push(t, key, ...)
    local list = t[key]
    if not list then list = {}; t[key] = list end
    for _, v in ipairs({...}) do list[#list + 1] = v end
  end
  for j, rid in ipairs(rids) do
    local lat, lon, acc, at = rows[j][2], rows[j][3], rows[j][4], rows[j][5]
    local prof = parse_profile(profs[j])
    if not prof then
      unknown[#unknown + 1] = rid
    else
      local old = parse_position(olds[j])
      if not old or old.at <= tonumber(at) then  -- an older fix arriving late never wins
        if listed(prof, old) then
          local b = math.floor(old.at / BUCKET)
          for _, g in ipairs(prof.groups) do
            push(removals, (old.polar and 'p:' or 'g:') .. g .. ':' .. b, rid)
          end
        end
        writes[#writes + 1] = rid
        writes[#writes + 1] = lat .. ' ' .. lon .. ' ' .. at .. ' ' .. acc
        local polar = math.abs(tonumber(lat)) > MAXLAT
        local b = math.floor(tonumber(at) / BUCKET)
        local expire_at = (b + 1) * BUCKET + KEEP
        if prof.active and prof.available and expire_at > NOW then
          for _, g in ipairs(prof.groups) do
            local key = (polar and 'p:' or 'g:') .. g .. ':' .. b
            expiry[key] = expire_at
            if polar then
              push(additions, key, rid)
            else
              push(additions, key, tonumber(lon) >= EAST_EDGE and '-180' or lon, lat, rid)
            end
          end
        end
      end
    end
  end
  for key, members in pairs(removals) do
    redis.call(string.sub(key, 1, 1) == 'p' and 'SREM' or 'ZREM', BASE .. key, unpack(members))
  end
  if #writes > 0 then redis.call('HSET', POS, unpack(writes)) end
  for key, members in pairs(additions) do
    redis.call(string.sub(key, 1, 1) == 'p' and 'SADD' or 'GEOADD', BASE .. key, unpack(members))
    redis.call('EXPIREAT', BASE .. key, expiry[key])
  end
elseif OP == 'prof' then
  for i = 6, #ARGV, 4 do
    local rid, active, available, groups = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
    local old = profile(rid)
    local pos = position(rid)
    if available == '' then
      available = (old == nil or old.available) and '1' or '0'
    end
    unlist(rid, old, pos)
    redis.call('HSET', PROF, rid, active .. '|' .. available .. '|' .. groups)
    list(rid, profile(rid), pos)
  end
elseif OP == 'avail' then
  for i = 6, #ARGV, 2 do
    local rid, available = ARGV[i], ARGV[i + 1]
    local prof = profile(rid)
    if not prof then
      unknown[#unknown + 1] = rid
    else
      local pos = position(rid)
      unlist(rid, prof, pos)
      local v = redis.call('HGET', PROF, rid)
      redis.call('HSET', PROF, rid, string.sub(v, 1, 2) .. available .. string.sub(v, 4))
      list(rid, profile(rid), pos)
    end
  end
elseif OP == 'remove' then
  for i = 6, #ARGV do
    local rid = ARGV[i]
    unlist(rid, profile(rid), position(rid))
    redis.call('HDEL', PROF, rid)
    redis.call('HDEL', POS, rid)
  end
else
  return redis.error_reply('unknown index op ' .. OP)
end
return unknown
"""

# The constants go in as the script's first lines, so the rest stays plain Lua, patterns and all.
SCRIPT = f"local MAXLAT = {MAX_GEO_LAT!r}\nlocal EAST_EDGE = {EAST_EDGE!r}\n{_WRITE}"

# The read side: one call searches every key of a query in growing rings, reads the exact positions
# it needs and returns only the nearest few (plus near-ties), so the client parses tens of rows
# rather than every member of every ring. Distances here only choose; the client recomputes them.
SEARCH = """
local POS = KEYS[1]
local LAT, LON, QLAT = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
local OFFSET, RADIUS = tonumber(ARGV[4]), tonumber(ARGV[5])
local LIMIT, CUTOFF = tonumber(ARGV[6]), tonumber(ARGV[7])
local NGEO, NPOLAR = tonumber(ARGV[8]), tonumber(ARGV[9])
local RING, GROWTH = tonumber(ARGV[10]), tonumber(ARGV[11])
local SCALE, SLACK, MARGIN = tonumber(ARGV[12]), tonumber(ARGV[13]), tonumber(ARGV[14])
local MODE, QLON = ARGV[15], ARGV[16]
local G0 = 16                       -- ARGV[G0 + k] is the group of KEYS[1 + k]
local X0 = G0 + NGEO + NPOLAR       -- then the excluded ids
local exclude = {}
for i = X0 + 1, #ARGV do exclude[ARGV[i]] = true end

local R = 6371008.8
local RAD = math.pi / 180
local p1 = LAT * RAD
local cos1 = math.cos(p1)
local function dist(lat, lon)
  local p2 = lat * RAD
  local a = math.sin((p2 - p1) / 2) ^ 2 + cos1 * math.cos(p2) * math.sin((lon - LON) * RAD / 2) ^ 2
  return 2 * R * math.asin(math.min(1, math.sqrt(a)))
end

local seen = {}   -- id -> {d, lat, lon, groups} or false when not eligible
local order = {}
local function consider(rid, group)
  local c = seen[rid]
  if c == nil then
    c = false
    if not exclude[rid] then
      local v = redis.call('HGET', POS, rid)
      if v then
        local lat, lon, at = string.match(v, '^(%S+) (%S+) (%S+)')
        if tonumber(at) >= CUTOFF then
          c = {d = dist(tonumber(lat), tonumber(lon)), lat = lat, lon = lon, groups = {}, id = rid}
          order[#order + 1] = c
        end
      end
    end
    seen[rid] = c
  end
  if c then c.groups[group] = true end
end

if NPOLAR > 0 then
  for k = NGEO + 1, NGEO + NPOLAR do
    for _, rid in ipairs(redis.call('SMEMBERS', KEYS[1 + k])) do consider(rid, ARGV[G0 + k]) end
  end
end

local counts = {}
for k = 1, NGEO do counts[k] = LIMIT + 8 end
if MODE == 'count' then RING = RADIUS end

local function groups_of(c)
  local gs = {}
  for g in pairs(c.groups) do gs[#gs + 1] = g end
  table.sort(gs)
  return table.concat(gs, ',')
end

while true do
  local redis_r = (RING + OFFSET) * SCALE + SLACK
  local horizon = RING + MARGIN  -- the slack in redis_r covers this much beyond the ring
  local truncated = {}
  for k = 1, NGEO do
    local rows
    if MODE == 'count' then
      rows = redis.call('GEOSEARCH', KEYS[1 + k], 'FROMLONLAT', QLON, QLAT, 'BYRADIUS', redis_r, 'm', 'ASC', 'WITHDIST')
    else
      rows = redis.call('GEOSEARCH', KEYS[1 + k], 'FROMLONLAT', QLON, QLAT, 'BYRADIUS', redis_r, 'm', 'ASC',
                        'COUNT', counts[k], 'WITHDIST')
    end
    for _, row in ipairs(rows) do consider(row[1], ARGV[G0 + k]) end
    if MODE ~= 'count' and #rows >= counts[k] then
      truncated[#truncated + 1] = k
      local seen_to = (tonumber(rows[#rows][2]) - SLACK) / SCALE - OFFSET - MARGIN
      if seen_to < horizon then horizon = seen_to end
    end
  end
  local bound = math.min(horizon, RADIUS + MARGIN)
  local found = {}
  for _, c in ipairs(order) do
    if c.d <= bound then found[#found + 1] = c end
  end
  if MODE == 'count' then
    local out = {}
    for _, c in ipairs(found) do
      out[#out + 1] = c.id; out[#out + 1] = c.lat; out[#out + 1] = c.lon; out[#out + 1] = groups_of(c)
    end
    return out
  end
  table.sort(found, function(a, b) if a.d ~= b.d then return a.d < b.d end return a.id < b.id end)
  local enough = #found >= LIMIT and found[LIMIT].d + MARGIN < horizon
  if enough or (horizon >= RING and RING >= RADIUS) then
    local out = {}
    local last = found[math.min(LIMIT, #found)]
    for _, c in ipairs(found) do
      if #out >= 4 * LIMIT and c.d > last.d + MARGIN then break end
      out[#out + 1] = c.id; out[#out + 1] = c.lat; out[#out + 1] = c.lon; out[#out + 1] = groups_of(c)
    end
    return out
  end
  if horizon < RING then  -- a key was cut short by COUNT before the ring's edge: ask it for more
    for _, k in ipairs(truncated) do counts[k] = counts[k] * 2 end
  else
    RING = math.min(RADIUS, RING * GROWTH)
  end
end
"""
