"""The Lua scripts the boards run in Redis (each runs atomically).

Scores are doubles in Redis and in Lua: every number here stays an integer below 2**53
(rules.py), and numbers handed back to Redis are formatted with '%.0f' (Lua's default
tostring keeps 14 digits only).
"""

RECORD_LUA = """
-- KEYS[1]: names hash, KEYS[2]: when hash (score id -> epoch ms). Then per period p (0-based),
--   at base = 2 + p * (3 + G): KEYS[base+1] the `all` board, KEYS[base+2] the game board's gate,
--   KEYS[base+3] the `all` board's gate, KEYS[base+4 .. base+3+G] every game's board (fixed order).
-- ARGV: member, username, value, G, index of this game among the G (-1: a game outside the
--   `all` sum, an `asc` one, given alone as G = 1: its board moves, the `all` board doesn't),
--   gate ms, epoch ms of the score, then per period: tie (rules.tie_for), expire-at unix time
--   (0: never, which marks the all-time period, whose ties are score ids).
local SHIFT = 8589934592  -- 2^33, rules.SHIFT
local TMAX = SHIFT - 1
local member = ARGV[1]
local value = tonumber(ARGV[3])
local G = tonumber(ARGV[4])
local gi = tonumber(ARGV[5])
local in_all = gi > 0
if not in_all then gi = -gi end
local gate_ms = ARGV[6]
local P = (#KEYS - 2) / (3 + G)
redis.call('HSET', KEYS[1], member, ARGV[2])
local out = {}
for p = 0, P - 1 do
  local base = 2 + p * (3 + G)
  local tie = tonumber(ARGV[8 + 2 * p])
  local expire_at = ARGV[9 + 2 * p]
  local gkey = KEYS[base + 3 + gi]
  local new = value * SHIFT + (TMAX - tie)
  local old = redis.call('ZSCORE', gkey, member)
  local improved, note_game, note_all = 0, 0, 0
  if (not old) or tonumber(old) < new then
    improved = 1
    redis.call('ZADD', gkey, string.format('%.0f', new), member)
    if expire_at == '0' then
      -- All-time ties are score ids: remember when that score was made, forget the one replaced.
      redis.call('HSET', KEYS[2], ARGV[8 + 2 * p], ARGV[7])
      if old then
        old = tonumber(old)
        local old_tie = TMAX - (old - math.floor(old / SHIFT) * SHIFT)
        if old_tie ~= tie then redis.call('HDEL', KEYS[2], string.format('%.0f', old_tie)) end
      end
    end
    local akey = KEYS[base + 1]
    if in_all then
      local total, latest = 0, 0
      for g = 1, G do
        local s = redis.call('ZSCORE', KEYS[base + 3 + g], member)
        if s then
          s = tonumber(s)
          local v = math.floor(s / SHIFT)
          local t = TMAX - (s - v * SHIFT)
          total = total + v
          if t > latest then latest = t end
        end
      end
      redis.call('ZADD', akey, string.format('%.0f', total * SHIFT + (TMAX - latest)), member)
      if expire_at ~= '0' then redis.call('EXPIREAT', akey, expire_at) end
      if redis.call('SET', KEYS[base + 3], '1', 'PX', gate_ms, 'NX') then note_all = 1 end
    end
    if expire_at ~= '0' then redis.call('EXPIREAT', gkey, expire_at) end
    if redis.call('SET', KEYS[base + 2], '1', 'PX', gate_ms, 'NX') then note_game = 1 end
  end
  local best = math.floor(tonumber(redis.call('ZSCORE', gkey, member)) / SHIFT)
  out[#out + 1] = {improved, redis.call('ZREVRANK', gkey, member), best, note_game, note_all}
end
return out
"""

# Rows of a read: member, score, username ('' if unknown), epoch ms of the score whose id is the
# tie on all-time boards ('' on period boards, whose ties are times already, or if unknown).
_EMIT_ROWS = """
local SHIFT = 8589934592
local TMAX = SHIFT - 1
local function emit(out, rows, by_id)
  for i = 1, #rows, 2 do
    out[#out + 1] = rows[i]
    out[#out + 1] = rows[i + 1]
    out[#out + 1] = redis.call('HGET', KEYS[2], rows[i]) or ''
    if by_id then
      local s = tonumber(rows[i + 1])
      local tie = TMAX - (s - math.floor(s / SHIFT) * SHIFT)
      out[#out + 1] = redis.call('HGET', KEYS[3], string.format('%.0f', tie)) or ''
    else
      out[#out + 1] = ''
    end
  end
  return out
end
"""

WINDOW_LUA = (
    _EMIT_ROWS
    + """
-- KEYS: board, names, when. ARGV: start, end (0-based, inclusive), 'i' if ties are score ids.
-- -> {total, start, then 4 values per row (see emit)}
local rows = redis.call('ZREVRANGE', KEYS[1], ARGV[1], ARGV[2], 'WITHSCORES')
return emit({redis.call('ZCARD', KEYS[1]), tonumber(ARGV[1])}, rows, ARGV[3] == 'i')
"""
)

AROUND_LUA = (
    _EMIT_ROWS
    + """
-- KEYS: board, names, when. ARGV: member, radius, 'i' if ties are score ids.
-- -> like WINDOW, or {total, -1} when the member is not on the board.
local r = redis.call('ZREVRANK', KEYS[1], ARGV[1])
local total = redis.call('ZCARD', KEYS[1])
if not r then return {total, -1} end
local radius = tonumber(ARGV[2])
local s = r - radius
if s < 0 then s = 0 end
return emit({total, s}, redis.call('ZREVRANGE', KEYS[1], s, r + radius, 'WITHSCORES'), ARGV[3] == 'i')
"""
)

SQUAD_LUA = """
-- KEYS: board, names, when. ARGV[1]: 'i' if ties are score ids; ARGV[2..]: members (user ids).
-- -> 5 values per member that is on the board, in ARGV order: member, score, 0-based rank on
--    the board, username ('' if unknown), epoch ms of the all-time tie's score ('' as in emit).
-- One ZMSCORE for all the members, then ZREVRANK for those present: O(m log n), no scan.
local SHIFT = 8589934592
local TMAX = SHIFT - 1
local out = {}
if #ARGV < 2 then return out end
local members = {}
for i = 2, #ARGV do members[i - 1] = ARGV[i] end
local scores = redis.call('ZMSCORE', KEYS[1], unpack(members))
for i = 1, #members do
  local s = scores[i]
  if s then
    local m = members[i]
    out[#out + 1] = m
    out[#out + 1] = s
    out[#out + 1] = redis.call('ZREVRANK', KEYS[1], m)
    out[#out + 1] = redis.call('HGET', KEYS[2], m) or ''
    if ARGV[1] == 'i' then
      local n = tonumber(s)
      local tie = TMAX - (n - math.floor(n / SHIFT) * SHIFT)
      out[#out + 1] = redis.call('HGET', KEYS[3], string.format('%.0f', tie)) or ''
    else
      out[#out + 1] = ''
    end
  end
end
return out
"""

# Loads many entries per command: ARGV[1] is "score member score member ...". Much cheaper than
# ZADD with a million arguments packed one by one by the client.
ZADD_BLOB_LUA = """
local args, n = {}, 0
for token in string.gmatch(ARGV[1], '%S+') do
  n = n + 1
  args[n] = token
  if n == 4000 then
    redis.call('ZADD', KEYS[1], unpack(args, 1, n))
    n = 0
  end
end
if n > 0 then redis.call('ZADD', KEYS[1], unpack(args, 1, n)) end
return 1
"""
# Same for hashes (names, dates): ARGV[1] is "field\nvalue\nfield\nvalue\n" (usernames have no
# control characters).
HSET_BLOB_LUA = """
local args, n = {}, 0
for token in string.gmatch(ARGV[1], '([^\\n]*)\\n') do
  n = n + 1
  args[n] = token
  if n == 4000 then
    redis.call('HSET', KEYS[1], unpack(args, 1, n))
    n = 0
  end
end
if n > 0 then redis.call('HSET', KEYS[1], unpack(args, 1, n)) end
return 1
"""
