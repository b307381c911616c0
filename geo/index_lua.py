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

SCRIPT = """
local PROF, POS = KEYS[1], KEYS[2]
local BASE = ARGV[1]
local BUCKET = tonumber(ARGV[2])
local KEEP = tonumber(ARGV[3])
local NOW = tonumber(ARGV[4])
local OP = ARGV[5]
local MAXLAT = %(maxlat)s

local function profile(rid)
  local v = redis.call('HGET', PROF, rid)
  if not v then return nil end
  local a, av, gs = string.match(v, '^(%%d)|(%%d)|(.*)$')
  local groups = {}
  for g in string.gmatch(gs, '[^,]+') do groups[#groups + 1] = g end
  return {active = a == '1', available = av == '1', groups = groups}
end

local function position(rid)
  local v = redis.call('HGET', POS, rid)
  if not v then return nil end
  local lat, lon, at = string.match(v, '^(%%S+) (%%S+) (%%S+)')
  return {lat = lat, lon = lon, at = tonumber(at), polar = math.abs(tonumber(lat)) > MAXLAT}
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
      redis.call('GEOADD', key, pos.lon, pos.lat, rid)
    end
    redis.call('EXPIREAT', key, expire_at)
  end
end

local unknown = {}
if OP == 'loc' then
  for i = 6, #ARGV, 5 do
    local rid, lat, lon, acc, at = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
    local prof = profile(rid)
    if not prof then
      unknown[#unknown + 1] = rid
    else
      local old = position(rid)
      if not old or old.at <= tonumber(at) then  -- an older fix arriving late never wins
        unlist(rid, prof, old)
        redis.call('HSET', POS, rid, lat .. ' ' .. lon .. ' ' .. at .. ' ' .. acc)
        list(rid, prof, position(rid))
      end
    end
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
""" % {"maxlat": repr(MAX_GEO_LAT)}
