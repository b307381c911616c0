"""The server-side half of the live index: a write script that moves responders between keys,
and a search script that ranks them.

Every write (location, availability, profile, removal) takes the responder out of the GEO key it
is listed in, changes their record and lists them again where they now belong, atomically, so a
responder is in at most one time bucket per group and never in a key they should not be in.

Key layout (all under the trust's hash tag, so a trust's keys share one Redis Cluster slot):
  <base>r                   hash  responder -> their one record (below)
  <base>g:<group>:<bucket>  GEO   available, active responders whose position falls in the bucket
  <base>p:<group>:<bucket>  set   the same, for positions beyond Redis GEO's +-85.05 degrees
A record is the profile and the position in one field, so a write reads and writes one field per
responder: "<active 0|1><available 0|1>", then "P" and the position as four little-endian doubles
(lat, lon, at, accuracy or NaN: exactly the floats sent, 32 bytes) or "-" when there is none yet,
then the groups, comma-separated. `<base>` names the layout (`geo.index.LAYOUT`): a new layout
gets a new name, and `ResponderIndex.adopt_previous_layouts` brings the last one's records over.
A bucket key expires `retention` seconds after its bucket ends: stale positions leave on their own.
Scripts name the trust's keys from `<base>` themselves (declaring only the hash): every key they
touch carries the same hash tag, so in a Redis Cluster they are on the node that owns the declared
ones.
"""

from __future__ import annotations

MAX_GEO_LAT = 85.05112878  # Redis GEO (Web Mercator) refuses latitudes beyond this
# Redis GEO misses members and searches within a hair of +180 degrees: both move to -180, the same
# meridian (at most ~0.1 m away, inside the slack the searches allow for geohash rounding).
EAST_EDGE = 180 - 1e-6

_WRITE = """
local REC = KEYS[1]
local BASE = ARGV[1]
local BUCKET = tonumber(ARGV[2])
local KEEP = tonumber(ARGV[3])
local NOW = tonumber(ARGV[4])
local OP = ARGV[5]

-- A record: flags, position, groups (see the module's docstring). Each distinct (flags, groups)
-- pair is parsed once per call: most responders share one of a few ("11" and "volunteers").
local function split(v)  -- flags, the packed position (or nil), the groups
  if string.byte(v, 3) == 80 then return string.sub(v, 1, 2), string.sub(v, 4, 35), string.sub(v, 36) end
  return string.sub(v, 1, 2), nil, string.sub(v, 4)
end
local parsed = {}  -- groups -> flags -> the parsed profile: most responders share one of a few
local function profile(flags, groups)
  local by_flags = parsed[groups]
  if by_flags == nil then by_flags = {}; parsed[groups] = by_flags end
  local p = by_flags[flags]
  if p == nil then
    local gs = {}
    for g in string.gmatch(groups, '[^,]+') do gs[#gs + 1] = g end
    p = {listed = flags == '11', groups = gs}
    by_flags[flags] = p
  end
  return p
end

-- Writes are gathered per key and sent as one command per touched key (a call of a thousand rows
-- costs a handful of commands, not several per row): removals first, then additions.
local removals, additions, expiry = {}, {}, {}
local function remove_from(key, rid)
  local list = removals[key]
  if not list then list = {}; removals[key] = list end
  list[#list + 1] = rid
end
local function add_to(key, rid, lat, lon, expire_at)
  local list = additions[key]
  if not list then list = {}; additions[key] = list end
  if string.byte(key, 1) == 112 then  -- 'p': a set
    list[#list + 1] = rid
  else
    -- Redis GEO misses members filed at (or within a hair of) +180 degrees: file them at -180.
    list[#list + 1] = lon >= EAST_EDGE and '-180' or lon
    list[#list + 1] = lat
    list[#list + 1] = rid
  end
  expiry[key] = expire_at
end
local function unlist_at(rid, prof, lat, at)  -- where the responder is listed by (lat, at)
  if not prof.listed then return end
  local b = math.floor(at / BUCKET)
  local kind = math.abs(lat) > MAXLAT and 'p:' or 'g:'
  for _, g in ipairs(prof.groups) do remove_from(kind .. g .. ':' .. b, rid) end
end
local function unlist(rid, prof, pos)  -- pos: the packed position the responder is listed by
  if not (pos and prof.listed) then return end
  local lat, _, at = struct.unpack('<ddd', pos)
  unlist_at(rid, prof, lat, at)
end
local function list(rid, prof, lat, lon, at, now)  -- false when too old to list as of `now`
  if not prof.listed then return true end
  local b = math.floor(at / BUCKET)
  local expire_at = (b + 1) * BUCKET + KEEP
  if expire_at <= (now or NOW) then return false end  -- too old to be searched by anyone
  local kind = math.abs(lat) > MAXLAT and 'p:' or 'g:'
  for _, g in ipairs(prof.groups) do add_to(kind .. g .. ':' .. b, rid, lat, lon, expire_at) end
  return true
end
local function flush()
  for key, members in pairs(removals) do
    for i = 1, #members, 1000 do
      redis.call(string.byte(key, 1) == 112 and 'SREM' or 'ZREM', BASE .. key, unpack(members, i, math.min(#members, i + 999)))
    end
  end
  for key, members in pairs(additions) do
    local step = string.byte(key, 1) == 112 and 1000 or 999
    for i = 1, #members, step do
      redis.call(string.byte(key, 1) == 112 and 'SADD' or 'GEOADD', BASE .. key, unpack(members, i, math.min(#members, i + step - 1)))
    end
    redis.call('EXPIREAT', BASE .. key, expiry[key])
  end
  removals, additions, expiry = {}, {}, {}
end
local function moved(olat, oat, lat, at)  -- another bucket, or across Redis GEO's reach
  return math.floor(oat / BUCKET) ~= math.floor(at / BUCKET) or (math.abs(olat) > MAXLAT) ~= (math.abs(lat) > MAXLAT)
end

local unknown = {}
if OP == 'loc' then
  -- A burst of positions: the ids in one argument, a line each and at most one per responder (the
  -- client keeps the newest), and their positions packed in the next, 32 bytes each, in order.
  local rids = {}
  for rid in string.gmatch(ARGV[6], '%S+') do rids[#rids + 1] = rid end
  local packed = ARGV[7]
  local olds = redis.call('HMGET', REC, unpack(rids))
  local writes, w = {}, 0
  for j, rid in ipairs(rids) do
    local v = olds[j]
    if not v then
      unknown[#unknown + 1] = rid
    else
      local o = 32 * j - 31
      local lat, lon, at = struct.unpack('<ddd', packed, o)
      local had = string.byte(v, 3) == 80  -- the old position is read in place, not copied out
      local olat, olon, oat
      if had then olat, olon, oat = struct.unpack('<ddd', v, 4) end
      if not had or oat <= at then  -- an older fix arriving late never wins
        local flags, groups = string.sub(v, 1, 2), string.sub(v, had and 36 or 4)
        local prof = profile(flags, groups)
        -- A move within the same bucket needs no removal: GEOADD moves the member in its keys.
        if had and moved(olat, oat, lat, at) then
          unlist_at(rid, prof, olat, oat)
        end
        writes[w + 1] = rid
        writes[w + 2] = flags .. 'P' .. string.sub(packed, o, o + 31) .. groups
        w = w + 2
        list(rid, prof, lat, lon, at)
      end
    end
  end
  flush()
  if #writes > 0 then redis.call('HSET', REC, unpack(writes)) end
elseif OP == 'prof' then
  -- Profiles in one argument, a line "<id> <active> <available, or nothing to keep it> <groups>"
  -- each: a responder leaves the keys of the record they had and joins those of the new one
  -- (nothing moves when the record is unchanged).
  -- The client sends each responder once per call (the later of two rows is what it keeps).
  local rids, act, avl, grs, n = {}, {}, {}, {}, 0
  for rid, active, available, groups in string.gmatch(ARGV[6], '(%S+) (%d) (%d?) (%S*)') do
    n = n + 1
    rids[n], act[n], avl[n], grs[n] = rid, active, available, groups
  end
  local olds = redis.call('HMGET', REC, unpack(rids))
  local writes, w = {}, 0
  for j = 1, n do
    local old, available, gs = olds[j], avl[j], grs[j]
    if not old then  -- new here: no position yet, nothing listed
      writes[w + 1] = rids[j]
      writes[w + 2] = act[j] .. (available == '' and '1' or available) .. '-' .. gs
      w = w + 2
    else
      local flags, pos, groups = split(old)
      if available == '' then available = string.sub(flags, 2, 2) end
      local f = act[j] .. available
      if f ~= flags or gs ~= groups then
        writes[w + 1] = rids[j]
        writes[w + 2] = f .. (pos and ('P' .. pos) or '-') .. gs
        w = w + 2
        if pos then
          unlist(rids[j], profile(flags, groups), pos)
          local lat, lon, t = struct.unpack('<ddd', pos)
          list(rids[j], profile(f, gs), lat, lon, t)
        end
      end
    end
  end
  flush()
  if #writes > 0 then redis.call('HSET', REC, unpack(writes)) end
elseif OP == 'load' then
  -- Profiles and first positions in one pass, each record read and written once, ending exactly as
  -- 'prof' then 'loc' would. ARGV[6]: a line "<id> <active or -> <available or nothing> <groups>"
  -- per responder ('-': no profile in this load, only a position); ARGV[7]: a byte per line, 'P'
  -- when a position follows; ARGV[8]: those positions packed, 32 bytes each, in order; ARGV[9]:
  -- the time 'loc' would list them as of (the newest fix of the whole load; NOW is the profiles').
  local rids, act, avl, grs, n = {}, {}, {}, {}, 0
  for rid, active, available, groups in string.gmatch(ARGV[6], '(%S+) ([%d-]) (%d?) (%S*)') do
    n = n + 1
    rids[n], act[n], avl[n], grs[n] = rid, active, available, groups
  end
  local has, packed, LOCNOW = ARGV[7], ARGV[8], tonumber(ARGV[9])
  local olds = redis.call('HMGET', REC, unpack(rids))
  local writes, w, k = {}, 0, 0
  for j = 1, n do
    local rid, old, fix = rids[j], olds[j], string.byte(has, j) == 80
    local o
    if fix then k = k + 1; o = 32 * k - 31 end
    if not old and act[j] == '-' then
      if fix then unknown[#unknown + 1] = rid end
    else
      local flags, pos, groups = '', nil, nil
      if old then flags, pos, groups = split(old) end
      local f, gs = flags, groups
      if act[j] ~= '-' then
        local available = avl[j]
        if available == '' then available = old and string.sub(flags, 2, 2) or '1' end
        f, gs = act[j] .. available, grs[j]
      end
      local changed = f ~= flags or gs ~= groups
      local lat, lon, at, olat, olon, oat
      if pos then olat, olon, oat = struct.unpack('<ddd', pos) end
      if fix then lat, lon, at = struct.unpack('<ddd', packed, o) end
      local won = fix and (not pos or oat <= at)  -- an older fix arriving late never wins
      if won or changed then
        writes[w + 1] = rid
        writes[w + 2] = f .. (won and ('P' .. string.sub(packed, o, o + 31)) or (pos and ('P' .. pos) or '-')) .. gs
        w = w + 2
      end
      if won then
        local prof = profile(f, gs)
        if pos and (changed or moved(olat, oat, lat, at)) then unlist_at(rid, profile(flags, groups), olat, oat) end
        if not list(rid, prof, lat, lon, at, LOCNOW) and pos and changed and not moved(olat, oat, lat, at) then
          list(rid, prof, olat, olon, oat)  -- as 'prof' left it: 'loc' could not replace it in its key
        end
      elseif changed and pos then
        unlist_at(rid, profile(flags, groups), olat, oat)
        list(rid, profile(f, gs), olat, olon, oat)
      end
    end
  end
  flush()
  if #writes > 0 then redis.call('HSET', REC, unpack(writes)) end
elseif OP == 'avail' then
  for i = 6, #ARGV, 2 do
    local rid, available = ARGV[i], ARGV[i + 1]
    local v = redis.call('HGET', REC, rid)
    if not v then
      unknown[#unknown + 1] = rid
    else
      local flags, pos, groups = split(v)
      local f = string.sub(flags, 1, 1) .. available
      redis.call('HSET', REC, rid, f .. string.sub(v, 3))
      if pos then
        unlist(rid, profile(flags, groups), pos)
        local lat, lon, t = struct.unpack('<ddd', pos)
        list(rid, profile(f, groups), lat, lon, t)
        flush()
      end
    end
  end
elseif OP == 'remove' then
  for i = 6, #ARGV do
    local rid = ARGV[i]
    local v = redis.call('HGET', REC, rid)
    if v then
      local flags, pos, groups = split(v)
      unlist(rid, profile(flags, groups), pos)
      flush()
      redis.call('HDEL', REC, rid)
    end
  end
else
  return redis.error_reply('unknown index op ' .. OP)
end
return unknown
"""

# The constants go in as the script's first lines, so the rest stays plain Lua, patterns and all.
SCRIPT = f"local MAXLAT = {MAX_GEO_LAT!r}\nlocal EAST_EDGE = {EAST_EDGE!r}\n{_WRITE}"

# Redis measures on a 6,372,797.56 m sphere (ours is 6,371,008.8 m: 1.00028x) from a position
# rounded to its geohash cell (< 0.5 m): these bound Redis's distance from ours, both ways.
REDIS_SCALE = 1.0003
REDIS_SLACK_M = 1.0
FIRST_RING_M = 250.0
RING_GROWTH = 4.0
TIE_MARGIN_M = 1e-3  # the script's distances may differ from ours in the last bits: it returns near-ties too

# The read side: one call searches every key of a query in growing rings and returns only the
# nearest few (plus anyone who might tie with them), so the client parses tens of rows rather than
# every member of every ring. It ranks by Redis's own distances (WITHDIST), each widened into the
# bounds our distance can lie in, and reads exact positions only for what it returns, and times
# only for members of the oldest bucket (the only one that can hold positions older than the
# cutoff). The client recomputes every distance with `geo.distance.haversine_m`.
_SEARCH = """
local REC = KEYS[1]
local BASE = ARGV[1]
local QLON, QLAT = ARGV[2], ARGV[3]            -- where Redis searches from (see geo.index)
local OFFSET, RADIUS = tonumber(ARGV[4]), tonumber(ARGV[5])
local LIMIT, CUTOFF = tonumber(ARGV[6]), tonumber(ARGV[7])
local OLDEST, NEWEST, BUCKET = tonumber(ARGV[8]), tonumber(ARGV[9]), tonumber(ARGV[10])
local POLAR, MODE = ARGV[11] == '1', ARGV[12]
local LAT, LON = tonumber(ARGV[13]), tonumber(ARGV[14])
local NG = tonumber(ARGV[15])
local G0 = 15                                   -- ARGV[G0 + 1 .. G0 + NG]: groups, then excluded ids
local exclude = {}
for i = G0 + NG + 1, #ARGV do exclude[ARGV[i]] = true end

-- Every member of a bucket that starts after the cutoff is fresh (by a millisecond, for rounding).
local keys, kgroup, whole = {}, {}, {}
for gi = 1, NG do
  local g = ARGV[G0 + gi]
  for b = OLDEST, NEWEST do
    local k = #keys + 1
    keys[k], kgroup[k], whole[k] = BASE .. 'g:' .. g .. ':' .. b, g, b * BUCKET >= CUTOFF + 0.001
  end
end

-- Candidates live in parallel arrays indexed 1..n (a table per candidate cost more than the rest of
-- the work on it): id, groups, the bounds our distance lies in, and the exact record once read.
local n = 0
local ids, grp, lo, hi, rec = {}, {}, {}, {}, {}
local fresh = {}      -- index -> true once known to be fresh enough
local seen = {}       -- id -> index, or false (excluded, or too old)
local more = {}       -- index -> set of its groups, for the few found in several groups' keys
local pend, np = {}, 0  -- indices whose time must be read before they count

local function regroup(c, g)  -- a candidate found again in another group's key
  local m = more[c]
  if not m then m = {[grp[c]] = true}; more[c] = m end
  if not m[g] then m[g] = true; grp[c] = grp[c] .. ',' .. g end
end

local function read(list, count)  -- the record of each index in list[1..count] (false: gone, or no position)
  for i = 1, count, 1000 do
    local ks, j = {}, 0
    for x = i, math.min(count, i + 999) do j = j + 1; ks[j] = ids[list[x]] end
    local vs = redis.call('HMGET', REC, unpack(ks))
    for x = 1, j do
      local v = vs[x]
      rec[list[i + x - 1]] = v and string.byte(v, 3) == 80 and v
    end
  end
end

local function resolve()  -- read the times of the pending: fresh ones count, the rest are dropped
  if np == 0 then return end
  read(pend, np)
  for x = 1, np do
    local c = pend[x]
    local v = rec[c]
    if v and struct.unpack('<d', v, 20) >= CUTOFF then  -- the time, after flags and 'P', lat, lon
      fresh[c] = true
    else
      seen[ids[c]] = false
    end
  end
  pend, np = {}, 0
end

local function reply(list, count)
  local need, m = {}, 0
  for x = 1, count do if rec[list[x]] == nil then m = m + 1; need[m] = list[x] end end
  if m > 0 then read(need, m) end
  local out, o = {}, 0
  for x = 1, count do
    local c = list[x]
    local v = rec[c]
    if v then out[o + 1] = ids[c]; out[o + 2] = v; out[o + 3] = grp[c]; o = o + 3 end
  end
  return out
end

-- Every member of key k within Redis's radius r (no distances): all of them are candidates.
local function gather_all(k, r)
  local g, known = kgroup[k], whole[k]
  local rows = redis.call('GEOSEARCH', keys[k], 'FROMLONLAT', QLON, QLAT, 'BYRADIUS', r, 'm')
  for i = 1, #rows do
    local rid = rows[i]
    local c = seen[rid]
    if c == nil then
      if exclude[rid] then seen[rid] = false
      else
        n = n + 1; seen[rid] = n; ids[n] = rid; grp[n] = g
        if known then fresh[n] = true else np = np + 1; pend[np] = n end
      end
    elseif c and grp[c] ~= g then regroup(c, g) end
  end
end

if POLAR then  -- beyond Redis GEO's reach: every member, with its exact distance
  local R, RAD = 6371008.8, math.pi / 180
  local p1 = LAT * RAD
  local polar, npol = {}, 0
  for gi = 1, NG do
    local g = ARGV[G0 + gi]
    for b = OLDEST, NEWEST do
      local rows = redis.call('SMEMBERS', BASE .. 'p:' .. g .. ':' .. b)
      for i = 1, #rows do
        local rid = rows[i]
        local c = seen[rid]
        if c == nil then
          if exclude[rid] then seen[rid] = false
          else
            n = n + 1; seen[rid] = n; ids[n] = rid; grp[n] = g
            npol = npol + 1; polar[npol] = n
          end
        elseif c and grp[c] ~= g then regroup(c, g) end
      end
    end
  end
  read(polar, npol)
  for x = 1, npol do
    local c = polar[x]
    local v = rec[c]
    local plat, plon, at
    if v then plat, plon, at = struct.unpack('<ddd', v, 4) end
    if v and at >= CUTOFF then
      local p2 = plat * RAD
      local a = math.sin((p2 - p1) / 2) ^ 2 + math.cos(p1) * math.cos(p2) * math.sin((plon - LON) * RAD / 2) ^ 2
      local d = 2 * R * math.asin(math.min(1, math.sqrt(a)))
      lo[c], hi[c] = d - MARGIN, d + MARGIN
      fresh[c] = true
    else
      seen[ids[c]] = false
    end
  end
end

if MODE == 'count' then  -- everyone within the radius: one full search of each key
  local redis_r = (RADIUS + OFFSET) * SCALE + SLACK
  for k = 1, #keys do gather_all(k, redis_r) end
  resolve()
  local list, m = {}, 0
  for c = 1, n do if fresh[c] then m = m + 1; list[m] = c end end
  return reply(list, m)
end

local counts, reach, todo = {}, {}, {}
for k = 1, #keys do counts[k] = LIMIT + 8; todo[k] = k end
local ring = math.min(RADIUS, FIRST_RING)
while true do
  local redis_r = (ring + OFFSET) * SCALE + SLACK
  for _, k in ipairs(todo) do
    local rows = redis.call('GEOSEARCH', keys[k], 'FROMLONLAT', QLON, QLAT, 'BYRADIUS', redis_r, 'm', 'ASC',
                            'COUNT', counts[k], 'WITHDIST')
    local g, known = kgroup[k], whole[k]
    local nrows = #rows
    for i = 1, nrows do
      local row = rows[i]
      local rid = row[1]
      local c = seen[rid]
      if c == nil then
        if exclude[rid] then seen[rid] = false
        else
          local dr = tonumber(row[2])
          n = n + 1; seen[rid] = n; ids[n] = rid; grp[n] = g
          lo[n], hi[n] = (dr - SLACK) / SCALE - OFFSET, dr + SLACK + OFFSET
          if known then fresh[n] = true else np = np + 1; pend[np] = n end
        end
      elseif c and grp[c] ~= g then regroup(c, g) end
    end
    reach[k] = ring + MARGIN  -- everyone of this key within this (our distance) has been seen...
    if nrows >= counts[k] then  -- ...unless COUNT cut it short before the ring's edge
      local seen_to = (tonumber(rows[nrows][2]) - SLACK) / SCALE - OFFSET - MARGIN
      if seen_to < reach[k] then reach[k] = seen_to end
    end
  end
  local horizon, truncated = ring + MARGIN, {}
  for k = 1, #keys do
    if reach[k] < ring + MARGIN then truncated[#truncated + 1] = k end
    if reach[k] < horizon then horizon = reach[k] end
  end
  resolve()
  local his, nh = {}, 0
  for c = 1, n do if fresh[c] then nh = nh + 1; his[nh] = hi[c] end end
  table.sort(his)
  local enough = his[LIMIT]  -- LIMIT candidates are at most this far: nobody farther can be in the answer
  if (enough and enough + MARGIN < horizon) or (horizon >= ring and ring >= RADIUS) then
    local bound = math.min(enough or RADIUS, RADIUS) + MARGIN
    local list, m = {}, 0
    for c = 1, n do if fresh[c] and lo[c] <= bound then m = m + 1; list[m] = c end end
    return reply(list, m)
  end
  if #truncated > 0 then  -- keys cut short by COUNT before the ring's edge: ask just them for more
    for _, k in ipairs(truncated) do counts[k] = counts[k] * 2 end
    todo = truncated
  else
    -- A wider ring, sized by how many it found so far (its area grows with the square): wide
    -- enough to hold LIMIT at this density, at most GROWTH times as wide.
    local inside = 0
    while his[inside + 1] and his[inside + 1] <= ring do inside = inside + 1 end
    local factor = inside > 0 and math.sqrt(LIMIT / inside) * 1.2 or GROWTH
    ring = math.min(RADIUS, ring * math.max(1.25, math.min(GROWTH, factor)))
    todo = {}
    for k = 1, #keys do todo[k] = k end
  end
end
"""

SEARCH = (
    f"local SCALE, SLACK, MARGIN = {REDIS_SCALE!r}, {REDIS_SLACK_M!r}, {TIE_MARGIN_M!r}\n"
    f"local FIRST_RING, GROWTH = {FIRST_RING_M!r}, {RING_GROWTH!r}\n{_SEARCH}"
)
