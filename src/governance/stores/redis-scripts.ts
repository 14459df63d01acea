/**
 * Lua scripts of the Redis counter store; each runs atomically on the server, which
 * is what keeps budgets exact across gateway processes. Conventions:
 * - time comes in ARGV (the caller's clock), never from Redis TIME;
 * - money is integer nano-USD moved with HINCRBY on strings from ARGV, so no Lua
 *   float ever formats it;
 * - a budget counter is a hash {s: window start, e: window end, sp: spent, r: reserved};
 * - KEYS[1] is the lease zset (id → expiry), KEYS[2] the lease hash (id → JSON of what
 *   to give back, or SETTLED once settled: a settlement sent again is charged once);
 * - the last key holds the store's clock: the latest `now` any call brought.
 */

const COMMON = `
local now = tonumber(ARGV[1])

local function return_lease(id, data)
  local d = cjson.decode(data)
  for _, b in ipairs(d.b) do
    -- a reservation belongs to the window it was made in
    if redis.call('HGET', b[1], 's') == b[2] then redis.call('HINCRBY', b[1], 'r', '-' .. b[3]) end
  end
  for _, s in ipairs(d.s) do redis.call('ZREM', s, id) end
  redis.call('HDEL', KEYS[2], id)
  redis.call('ZREM', KEYS[1], id)
end

local SETTLED = 'settled'

-- The store's clock, moved on to \`now\`. A settlement kept through an outage and sent
-- late carries the \`now\` it was made at; the clock says when Redis took it.
local function clock()
  local key = KEYS[#KEYS]
  local t = tonumber(redis.call('GET', key) or 0)
  if now <= t then return t end
  redis.call('SET', key, string.format('%d', now))
  return now
end

local function expire_leases()
  local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, 100)
  for _, id in ipairs(ids) do
    local data = redis.call('HGET', KEYS[2], id)
    if data and data ~= SETTLED then return_lease(id, data)
    else
      redis.call('HDEL', KEYS[2], id)
      redis.call('ZREM', KEYS[1], id)
    end
  end
end

-- the open window of a budget counter, or nil
local function current(key)
  local h = redis.call('HMGET', key, 's', 'e', 'sp', 'r')
  if h[2] and now < tonumber(h[2]) then return h end
  return nil
end

local function open(key, s, e)
  local h = current(key)
  if not h then
    redis.call('HSET', key, 's', s, 'e', e, 'sp', '0', 'r', '0')
    h = { s, e, '0', '0' }
  end
  -- garbage collection only (real time); expiry logic uses e
  redis.call('PEXPIRE', key, string.format('%d', math.max(tonumber(h[2]) - now, 0) + 86400000))
  return h
end

local function set_tat(key, tat)
  redis.call('SET', key, string.format('%.3f', tat), 'PX', string.format('%d', math.ceil(tat - now) + 1000))
end
`;

/**
 * KEYS: leases, lease hash, budgets(nb), windows(nw), slots(ns), clock
 * ARGV: now, id, leaseMs, nb, nw, ns, budgets (start, end, limit, amount, block) × nb,
 *       windows (emission, burst, cost) × nw, slots (limit) × ns
 * Returns {'ok', spent, reserved, end, ... (× nb), tat ... (× nw)} |
 *         {'budget', i, spent, reserved, end, tat ... (× nw)} |
 *         {'window', i, retryAfterMs, tat ... (× nw)} | {'slot', i, tat ... (× nw)}:
 * each window's TAT after this admission, or, refused, as it stands (strings, with the
 * fraction a Lua number reply would drop).
 */
export const ADMIT = `${COMMON}
local id = ARGV[2]
local expiry = string.format('%d', now + tonumber(ARGV[3]))
local nb, nw, ns = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local bk, wk, sk = 2, 2 + nb, 2 + nb + nw
local bp, wp, sp = 6, 6 + nb * 5, 6 + nb * 5 + nw * 3

clock()
expire_leases()

-- Every window as it stands and after this request: a refusal reports the first.
local before, tats = {}, {}
local full, wait = nil, 0
for i = 1, nw do
  local p = wp + (i - 1) * 3
  local emission, burst, cost = tonumber(ARGV[p + 1]), tonumber(ARGV[p + 2]), tonumber(ARGV[p + 3])
  local tat = tonumber(redis.call('GET', KEYS[wk + i]) or now)
  if tat < now then tat = now end
  local new = tat + cost * emission
  if not full and new - now > burst then
    full = i
    wait = math.ceil(new - burst - now)
  end
  before[i] = string.format('%.3f', tat)
  tats[i] = new
end
local function refused(out)
  for i = 1, nw do table.insert(out, before[i]) end
  return out
end

for i = 1, ns do
  local key = KEYS[sk + i]
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  if redis.call('ZCARD', key) >= tonumber(ARGV[sp + i]) then return refused({ 'slot', i - 1 }) end
end

if full then return refused({ 'window', full - 1, wait }) end

for i = 1, nb do
  local p = bp + (i - 1) * 5
  if ARGV[p + 5] == '1' then
    local h = current(KEYS[bk + i])
    local spent = h and tonumber(h[3]) or 0
    local reserved = h and tonumber(h[4]) or 0
    if spent + reserved + tonumber(ARGV[p + 4]) > tonumber(ARGV[p + 3]) then
      return refused({ 'budget', i - 1, spent, reserved, h and tonumber(h[2]) or 0 })
    end
  end
end

local out = { 'ok' }
local lease_b, lease_s = {}, {}
for i = 1, nb do
  local p = bp + (i - 1) * 5
  local key, amount = KEYS[bk + i], ARGV[p + 4]
  local h = open(key, ARGV[p + 1], ARGV[p + 2])
  local reserved = redis.call('HINCRBY', key, 'r', amount)
  if amount ~= '0' then table.insert(lease_b, { key, h[1], amount }) end
  table.insert(out, tonumber(h[3]))
  table.insert(out, reserved)
  table.insert(out, tonumber(h[2]))
end
for i = 1, nw do
  set_tat(KEYS[wk + i], tats[i])
  table.insert(out, string.format('%.3f', tats[i]))
end
for i = 1, ns do
  local key = KEYS[sk + i]
  redis.call('ZADD', key, expiry, id)
  redis.call('PEXPIRE', key, ARGV[3])
  table.insert(lease_s, key)
end
redis.call('ZADD', KEYS[1], expiry, id)
redis.call('HSET', KEYS[2], id, cjson.encode({ b = lease_b, s = lease_s }))
return out
`;

/**
 * KEYS: leases, lease hash, charged budgets(nc), adjusted windows(na), clock
 * ARGV: now, id, nc, na, charges (start, end, amount) × nc, adjusts (emission, delta) × na,
 *       how long the settlement is remembered (ms)
 * Returns {spent, reserved, end} per charged budget; the same (without charging again)
 * for a settlement of an id already settled, or for a charge made before the open window
 * started.
 */
export const SETTLE = `${COMMON}
local id = ARGV[2]
local nc, na = tonumber(ARGV[3]), tonumber(ARGV[4])
local ck, ak = 2, 2 + nc
local cp, ap = 4, 4 + nc * 3
local taken = clock()

local data = redis.call('HGET', KEYS[2], id)
if data == SETTLED then
  -- Sent again (the reply to the first went missing, a timeout): charged once.
  local out = {}
  for i = 1, nc do
    local h = redis.call('HMGET', KEYS[ck + i], 'sp', 'r', 'e')
    table.insert(out, tonumber(h[1] or 0))
    table.insert(out, tonumber(h[2] or 0))
    table.insert(out, tonumber(h[3] or 0))
  end
  return out
end
if data then return_lease(id, data) end
expire_leases()
-- Remembered a while from when Redis took it (not from \`now\`, old for a settlement sent
-- late), so that one sent again is not charged twice.
redis.call('HSET', KEYS[2], id, SETTLED)
redis.call('ZADD', KEYS[1], string.format('%d', taken + tonumber(ARGV[5 + nc * 3 + na * 2])), id)

local out = {}
for i = 1, nc do
  local p = cp + (i - 1) * 3
  local key = KEYS[ck + i]
  local h = current(key)
  if h and now < tonumber(h[1]) then
    -- Spent before the open window started (sent late, after an outage): it belongs to
    -- a window that has ended since, not to this one.
    table.insert(out, tonumber(h[3]))
    table.insert(out, tonumber(h[4]))
    table.insert(out, tonumber(h[2]))
  else
    h = open(key, ARGV[p + 1], ARGV[p + 2])
    table.insert(out, redis.call('HINCRBY', key, 'sp', ARGV[p + 3]))
    table.insert(out, tonumber(redis.call('HGET', key, 'r')))
    table.insert(out, tonumber(h[2]))
  end
end
for i = 1, na do
  local p = ap + (i - 1) * 2
  local key = KEYS[ak + i]
  local tat = tonumber(redis.call('GET', key) or now)
  if tat < now then tat = now end
  tat = tat + tonumber(ARGV[p + 2]) * tonumber(ARGV[p + 1])
  if tat < now then tat = now end
  set_tat(key, tat)
end
return out
`;

/**
 * KEYS: leases, lease hash, clock
 * ARGV: now, leaseMs, ids...
 * Moves the expiry of each lease still open (held, not settled, not expired) to now +
 * leaseMs, with its slots, and keeps its slot keys alive as long. Returns 0.
 */
export const RENEW = `${COMMON}
local lease_ms = tonumber(ARGV[2])
local expiry = string.format('%d', now + lease_ms)
for i = 3, #ARGV do
  local id = ARGV[i]
  local data = redis.call('HGET', KEYS[2], id)
  if data and data ~= SETTLED and tonumber(redis.call('ZSCORE', KEYS[1], id) or 0) > now then
    redis.call('ZADD', KEYS[1], expiry, id)
    for _, s in ipairs(cjson.decode(data).s) do
      redis.call('ZADD', s, 'XX', expiry, id)
      if redis.call('PTTL', s) < lease_ms then redis.call('PEXPIRE', s, lease_ms) end
    end
  end
end
return 0
`;

/**
 * The reads of a peek in one call (one command instead of one per key; it writes nothing).
 * KEYS: budgets(nb), windows(nw), slots(ns)
 * ARGV: now, nb, nw, ns
 * Returns per budget {spent, reserved, end} of its open window ({0, 0, 0} when none), per
 * window its stored TAT (nil when none; a string, as it is stored with a fraction), per slot
 * its open leases.
 */
export const PEEK = `
local now = tonumber(ARGV[1])
local nb, nw, ns = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local out = {}
for i = 1, nb do
  local h = redis.call('HMGET', KEYS[i], 'e', 'sp', 'r')
  if h[1] and now < tonumber(h[1]) then
    out[#out + 1] = h[2]
    out[#out + 1] = h[3]
    out[#out + 1] = h[1]
  else
    out[#out + 1] = 0
    out[#out + 1] = 0
    out[#out + 1] = 0
  end
end
for i = 1, nw do
  out[#out + 1] = redis.call('GET', KEYS[nb + i])
end
for i = 1, ns do
  out[#out + 1] = redis.call('ZCOUNT', KEYS[nb + nw + i], '(' .. ARGV[1], '+inf')
end
return out
`;
