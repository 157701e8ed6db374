import NIORedis

/// The Lua scripts that make the cluster's decisions atomic in Redis.
///
/// Generations are microsecond timestamps from Redis's own clock plus the cluster's epoch × 10^12,
/// forced to grow per account. The epoch (``ClusterEpochStore``) is installed in Redis together with
/// the id of the Redis process that holds it; a Redis that restarted or was replaced by a replica has
/// another id, hands out no generation until a node installed a higher epoch, and then hands out
/// generations 11.6 days ahead of any before: newer than those of the sockets the nodes
/// re-register, even from a replica whose clock is behind and which lost the newest generations.
enum ClusterScripts {
    /// The epoch of this Redis process, `nil` when none was installed in it.
    private static let currentEpoch = """
        local function currentEpoch(prefix)
          local installed = redis.call('GET', prefix .. 'epoch')
          if not installed then return nil end
          local epoch, process = string.match(installed, '^(%d+)|(%x+)$')
          if process ~= string.match(redis.call('INFO', 'server'), 'run_id:(%x+)') then return nil end
          return tonumber(epoch)
        end
        """

    /// The one writer of a ``Supersession``'s encoding (documented there): `sent` may be `nil`.
    static let supersessionWire = """
        local function fmt(n) return string.format('%.0f', n) end
        local function supersession(uid, gen, reason, sent)
          return 'supersede|' .. uid .. '|' .. fmt(gen) .. '|' .. reason .. '|' .. (sent and fmt(sent) or '')
        end
        """

    /// Shared by the scripts that hand out a generation.
    private static let nextGeneration = currentEpoch + "\n" + supersessionWire + "\n" + """
        local function nextGeneration(epoch, key, reason)
          local t = redis.call('TIME')
          local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
          local last = tonumber(string.match(redis.call('GET', key) or '0', '^%d+'))
          local gen = now + epoch * 1000000000000
          if gen <= last then gen = last + 1 end
          redis.call('SET', key, fmt(gen) .. '|' .. reason, 'EX', 86400)
          return gen, math.floor(now / 1000)
        end
        local function noEpoch()
          return redis.error_reply('NOEPOCH this Redis has no generation epoch yet; a heartbeat installs it')
        end
        local function notifyOwner(prefix, presence, entry, ttl)
          if presence then
            local owner = string.match(presence, '^[^|]*|([^|]*)|')
            if owner then
              local inbox = prefix .. 'node:' .. owner .. ':inbox'
              redis.call('RPUSH', inbox, entry)
              redis.call('EXPIRE', inbox, ttl)
            end
          end
        end
        local function isLate(deadline)
          if deadline == 0 then return false end
          local t = redis.call('TIME')
          return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) > deadline
        end
        """

    /// Sockets take their accounts, several in one call (the sockets that connect together): for
    /// each, a new generation, the presence, the kick of every older socket (published, and queued
    /// in the previous owner node's inbox in case the message is lost).
    ///
    /// It also takes each account's pending `getmessage` request, if any, so a socket that opened
    /// while its client asked for its messages still gets them.
    ///
    /// A call that reaches Redis after its deadline (its caller gave up and closed the sockets) does
    /// nothing and answers a `LATE` error.
    ///
    /// KEYS: node users, then per account: presence, generation, user channel, delivery request.
    /// ARGV: prefix, node id, inbox ttl, deadline (Redis ms, 0 for none), then per account: user id,
    /// connection id. Returns per account {generation, 1 when another socket held the account,
    /// 1 when delivery was requested}, one after the other.
    static let claim = RedisScript(nextGeneration + "\n" + """
        if isLate(tonumber(ARGV[4])) then return redis.error_reply('LATE the claim came after its caller gave up') end
        local epoch = currentEpoch(ARGV[1])
        if not epoch then return noEpoch() end
        local claims = {}
        for i = 0, (#KEYS - 1) / 4 - 1 do
          local presence, generation, channel, request = KEYS[2 + i * 4], KEYS[3 + i * 4], KEYS[4 + i * 4], KEYS[5 + i * 4]
          local uid, connection = ARGV[5 + i * 2], ARGV[6 + i * 2]
          local gen, nowMs = nextGeneration(epoch, generation, 'kicked')
          local previous = redis.call('GET', presence)
          redis.call('SET', presence, fmt(gen) .. '|' .. ARGV[2] .. '|' .. connection .. '|' .. fmt(nowMs))
          redis.call('SADD', KEYS[1], uid)
          local kick = supersession(uid, gen, 'kicked', nowMs)
          redis.call('PUBLISH', channel, kick)
          if previous and string.match(previous, '^[^|]*|([^|]*)|') ~= ARGV[2] then
            notifyOwner(ARGV[1], previous, kick, ARGV[3])
          end
          local requested = redis.call('GETDEL', request)
          table.insert(claims, gen)
          table.insert(claims, previous and 1 or 0)
          table.insert(claims, requested and 1 or 0)
        end
        return claims
        """)

    /// A login, logout or disable: every socket of the account older than now closes with `reason`,
    /// and every node forgets the account's cached session.
    ///
    /// One that reaches Redis after its deadline does nothing and answers a `LATE` error: landing
    /// after a newer socket's claim, it would kick the new device.
    ///
    /// KEYS: presence, generation, user channel, sessions channel. ARGV: prefix, user id, reason,
    /// inbox ttl, deadline (Redis ms, 0 for none). Returns the generation.
    static let supersede = RedisScript(nextGeneration + "\n" + """
        if isLate(tonumber(ARGV[5])) then return redis.error_reply('LATE the supersede came after its caller gave up') end
        local epoch = currentEpoch(ARGV[1])
        if not epoch then return noEpoch() end
        local gen, nowMs = nextGeneration(epoch, KEYS[2], ARGV[3])
        redis.call('PUBLISH', KEYS[4], ARGV[2])
        local kick = supersession(ARGV[2], gen, ARGV[3], nowMs)
        redis.call('PUBLISH', KEYS[3], kick)
        notifyOwner(ARGV[1], redis.call('GET', KEYS[1]), kick, ARGV[4])
        return gen
        """)

    /// A `getmessage`: remember the request for a minute (the socket may still be connecting) and
    /// nudge the node holding the socket.
    ///
    /// KEYS: delivery request, user channel. ARGV: the `deliver` event.
    static let requestDelivery = RedisScript("""
        redis.call('SET', KEYS[1], '1', 'EX', 60)
        redis.call('PUBLISH', KEYS[2], ARGV[1])
        return 1
        """)

    /// A socket ended: its presence goes only if it still names this generation — or, for a claim
    /// whose answer never came (so its generation is unknown), this node and connection — so a
    /// newer socket's entry stays; the node forgets the account unless a newer socket here owns it.
    ///
    /// KEYS: presence, node users. ARGV: generation (empty for a claim), node id, user id,
    /// connection id (empty for a generation). Returns 1 when removed.
    static let release = RedisScript("""
        local current = redis.call('GET', KEYS[1])
        if current then
          local gen, owner, connection = string.match(current, '^([^|]*)|([^|]*)|([^|]*)|')
          if (ARGV[1] ~= '' and gen == ARGV[1]) or (ARGV[4] ~= '' and owner == ARGV[2] and connection == ARGV[4]) then
            redis.call('DEL', KEYS[1])
            redis.call('SREM', KEYS[2], ARGV[3])
            return 1
          end
          if owner == ARGV[2] then return 0 end
        end
        redis.call('SREM', KEYS[2], ARGV[3])
        return 0
        """)

    /// One heartbeat: the node's card (with its TTL), its place in the registry, and the
    /// supersessions queued for it. O(1) commands whatever the node's number of sockets.
    ///
    /// KEYS: node card, nodes, inbox. ARGV: node id, card JSON, ttl seconds, prefix.
    /// Returns {card existed before (0/1), inbox entries (``Supersession``s), now in ms, 1 when this Redis
    /// has an epoch}.
    static let heartbeat = RedisScript(currentEpoch + "\n" + """
        local existed = redis.call('EXISTS', KEYS[1])
        redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
        local t = redis.call('TIME')
        local nowMs = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        redis.call('ZADD', KEYS[2], nowMs, ARGV[1])
        local inbox = redis.call('LRANGE', KEYS[3], 0, -1)
        redis.call('DEL', KEYS[3])
        return {existed, inbox, nowMs, currentEpoch(ARGV[4]) and 1 or 0}
        """)

    /// Installs an epoch just bumped in PostgreSQL, with this Redis process's id, unless a higher one
    /// is installed already (several nodes bump at once).
    ///
    /// ARGV: prefix, epoch. Returns the epoch in force.
    static let installEpoch = RedisScript(currentEpoch + "\n" + """
        local current = currentEpoch(ARGV[1])
        local epoch = tonumber(ARGV[2])
        if current and current >= epoch then return current end
        local process = string.match(redis.call('INFO', 'server'), 'run_id:(%x+)')
        redis.call('SET', ARGV[1] .. 'epoch', ARGV[2] .. '|' .. process)
        return epoch
        """)

    /// After Redis lost its data: put back the presence of the sockets this node holds, unless a
    /// newer generation took the account meanwhile — a socket elsewhere (the presence), or a login,
    /// logout or disable (the account's generation key, which keeps the reason). Those sockets are
    /// superseded while the node was away, and the node must close them: their entries come back.
    ///
    /// KEYS: node users. ARGV: prefix, node id, then (user id, generation, connection id, since ms)…
    /// Returns a ``Supersession`` (with no `sent`) for every socket that was superseded.
    static let restore = RedisScript(supersessionWire + "\n" + """
        local superseded = {}
        for i = 3, #ARGV, 4 do
          local uid, gen = ARGV[i], tonumber(ARGV[i + 1])
          local key = ARGV[1] .. 'presence:' .. uid
          local genKey = ARGV[1] .. 'gen:' .. uid
          local current = redis.call('GET', key)
          local currentGen = current and tonumber(string.match(current, '^([^|]*)|')) or 0
          local last = redis.call('GET', genKey) or '0'
          local lastGen = tonumber(string.match(last, '^%d+'))
          if currentGen > gen then
            table.insert(superseded, supersession(uid, currentGen, 'kicked'))
          elseif lastGen > gen then
            table.insert(superseded, supersession(uid, lastGen, string.match(last, '|(.*)$') or 'kicked'))
          else
            redis.call('SET', key, ARGV[i + 1] .. '|' .. ARGV[2] .. '|' .. ARGV[i + 2] .. '|' .. ARGV[i + 3])
            redis.call('SADD', KEYS[1], uid)
            if lastGen < gen then redis.call('SET', genKey, ARGV[i + 1] .. '|kicked', 'EX', 86400) end
          end
        end
        return superseded
        """)

    /// A node that starts under the id of one that died (a restart after SIGKILL, a pod keeping its
    /// name) clears what that process left: the presence entries naming the id from before this
    /// process started. Reaping never would, since a node with that id is alive again.
    ///
    /// KEYS: node users. ARGV: prefix, node id, this process's start in Redis ms.
    /// Returns the entries cleared.
    static let clearPreviousProcess = RedisScript("""
        local cleared = 0
        for _, uid in ipairs(redis.call('SMEMBERS', KEYS[1])) do
          local key = ARGV[1] .. 'presence:' .. uid
          local current = redis.call('GET', key)
          local owner, since = nil, nil
          if current then owner, since = string.match(current, '^[^|]*|([^|]*)|[^|]*|(%d+)$') end
          if owner ~= ARGV[2] then
            redis.call('SREM', KEYS[1], uid)
          elseif tonumber(since) < tonumber(ARGV[3]) then
            redis.call('DEL', key)
            redis.call('SREM', KEYS[1], uid)
            cleared = cleared + 1
          end
        end
        return cleared
        """)

    /// Clears a batch of a dead node's presence entries (only those still naming it), and the node
    /// itself once none are left. Refuses (-1) while the node's card still exists.
    ///
    /// ARGV: prefix, dead node id, batch size. Returns the entries looked at, or -1.
    static let reap = RedisScript("""
        local prefix, dead = ARGV[1], ARGV[2]
        if redis.call('EXISTS', prefix .. 'node:' .. dead) == 1 then return -1 end
        local users = prefix .. 'node:' .. dead .. ':users'
        local uids = redis.call('SPOP', users, tonumber(ARGV[3]))
        for _, uid in ipairs(uids) do
          local key = prefix .. 'presence:' .. uid
          local current = redis.call('GET', key)
          if current and string.match(current, '^[^|]*|([^|]*)|') == dead then redis.call('DEL', key) end
        end
        if redis.call('SCARD', users) == 0 then
          redis.call('ZREM', prefix .. 'nodes', dead)
          redis.call('DEL', prefix .. 'node:' .. dead .. ':inbox')
        end
        return #uids
        """)
}
