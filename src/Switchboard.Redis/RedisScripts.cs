namespace Switchboard.Redis;

/// <summary>
/// The Lua scripts behind the registry. Each runs atomically in Redis, so an entry, the id index, the node's set and
/// the liveness check never disagree, and a sweep cannot interleave with a heartbeat that brings a node back.
/// StackExchange.Redis sends them with EVALSHA once Redis knows them.
/// </summary>
internal static class RedisScripts
{
    /// <summary>
    /// KEYS: hash, connections, node set, nodes. ARGV: id, node, connectedAt, lastActiveAt, sourceIp, hasUserAgent (0/1), userAgent.
    /// Replaces the entry as a whole, so adding it again (re-registration) never duplicates anything.
    /// </summary>
    public const string Add = """
        redis.call('DEL', KEYS[1])
        if ARGV[6] == '1' then
          redis.call('HSET', KEYS[1], 'node', ARGV[2], 'connectedAt', ARGV[3], 'lastActiveAt', ARGV[4], 'sourceIp', ARGV[5], 'userAgent', ARGV[7])
        else
          redis.call('HSET', KEYS[1], 'node', ARGV[2], 'connectedAt', ARGV[3], 'lastActiveAt', ARGV[4], 'sourceIp', ARGV[5])
        end
        redis.call('ZADD', KEYS[2], 0, ARGV[1])
        redis.call('SADD', KEYS[3], ARGV[1])
        redis.call('SADD', KEYS[4], ARGV[2])
        return 1
        """;

    /// <summary>KEYS: hash, connections. ARGV: id, prefix.</summary>
    public const string Remove = """
        local node = redis.call('HGET', KEYS[1], 'node')
        redis.call('DEL', KEYS[1])
        redis.call('ZREM', KEYS[2], ARGV[1])
        if node then redis.call('SREM', ARGV[2] .. 'node:' .. node .. ':connections', ARGV[1]) end
        return 1
        """;

    /// <summary>
    /// KEYS: hash. ARGV: prefix. Returns node, connectedAt, lastActiveAt, sourceIp, userAgent; nil when the id is
    /// unknown or its node is dead (its liveness key expired), even before a sweep has purged it.
    /// </summary>
    public const string Get = """
        local v = redis.call('HMGET', KEYS[1], 'node', 'connectedAt', 'lastActiveAt', 'sourceIp', 'userAgent')
        if not v[1] then return false end
        if redis.call('EXISTS', ARGV[1] .. 'alive:' .. v[1]) == 0 then return false end
        return v
        """;

    /// <summary>
    /// KEYS: connections. ARGV: prefix, after ('' for the start), count. Returns 7 values per id in id order: id, node,
    /// connectedAt, lastActiveAt, sourceIp, userAgent, live (1/0). Ids whose entry vanished or whose node is dead
    /// come back with live 0, so paging by id stays exact while they are left out.
    /// </summary>
    public const string List = """
        local min = '-'
        if ARGV[2] ~= '' then min = '(' .. ARGV[2] end
        local ids = redis.call('ZRANGEBYLEX', KEYS[1], min, '+', 'LIMIT', 0, tonumber(ARGV[3]))
        local out = {}
        local alive = {}
        for _, id in ipairs(ids) do
          local v = redis.call('HMGET', ARGV[1] .. 'connection:' .. id, 'node', 'connectedAt', 'lastActiveAt', 'sourceIp', 'userAgent')
          local live = 0
          if v[1] then
            local a = alive[v[1]]
            if a == nil then
              a = redis.call('EXISTS', ARGV[1] .. 'alive:' .. v[1])
              alive[v[1]] = a
            end
            live = a
          end
          out[#out + 1] = id
          for i = 1, 5 do out[#out + 1] = v[i] end
          out[#out + 1] = live
        end
        return out
        """;

    /// <summary>
    /// KEYS: touched hashes. ARGV: their lastActiveAt (Unix ms). Only existing entries are touched (a touch of a
    /// removed connection must not resurrect a partial entry), and only forwards.
    /// </summary>
    public const string Touch = """
        for i, key in ipairs(KEYS) do
          local current = redis.call('HGET', key, 'lastActiveAt')
          if current and tonumber(current) < tonumber(ARGV[i]) then
            redis.call('HSET', key, 'lastActiveAt', ARGV[i])
          end
        end
        return 1
        """;

    /// <summary>
    /// KEYS: alive key, nodes. ARGV: node, ttl ms. Renews the node's liveness; returns 0 when the key was gone
    /// (first start, Redis restarted empty, or the node was declared dead), which tells the node to re-register
    /// everything it holds.
    /// </summary>
    public const string Heartbeat = """
        local existed = redis.call('EXISTS', KEYS[1])
        redis.call('SET', KEYS[1], '1', 'PX', ARGV[2])
        redis.call('SADD', KEYS[2], ARGV[1])
        return existed
        """;

    /// <summary>
    /// KEYS: nodes, connections. ARGV: prefix, batch, now (Unix ms). Purges up to <c>batch</c> entries per dead node (a
    /// node in <c>nodes</c> without a liveness key), appending each to the outbox <c>lost</c> (JSON: id, connectedAt,
    /// sourceIp, userAgent, lostAt) in the same step, so only the sweep that purges an entry owes its
    /// <c>$disconnect</c>; gives back to the outbox what the dead node had taken from it and not completed; forgets a
    /// dead node once it holds nothing. Returns purged count and 1 when more is left. Idempotent: every node runs it,
    /// in any order.
    /// </summary>
    public const string Sweep = """
        local purged = 0
        local more = 0
        local lost = ARGV[1] .. 'lost'
        for _, node in ipairs(redis.call('SMEMBERS', KEYS[1])) do
          if redis.call('EXISTS', ARGV[1] .. 'alive:' .. node) == 0 then
            local set = ARGV[1] .. 'node:' .. node .. ':connections'
            for _, id in ipairs(redis.call('SPOP', set, tonumber(ARGV[2]))) do
              local hash = ARGV[1] .. 'connection:' .. id
              local v = redis.call('HMGET', hash, 'node', 'connectedAt', 'sourceIp', 'userAgent')
              if v[1] == node then
                local entry = { id = id, connectedAt = v[2], sourceIp = v[3], lostAt = ARGV[3] }
                if v[4] then entry.userAgent = v[4] end
                redis.call('LPUSH', lost, cjson.encode(entry))
                redis.call('DEL', hash)
                redis.call('ZREM', KEYS[2], id)
                purged = purged + 1
              end
            end
            local taken = ARGV[1] .. 'node:' .. node .. ':lost'
            local given = redis.call('RPOP', taken)
            while given do
              redis.call('RPUSH', lost, given)
              given = redis.call('RPOP', taken)
            end
            if redis.call('SCARD', set) == 0 then redis.call('SREM', KEYS[1], node) else more = 1 end
          end
        end
        return { purged, more }
        """;

    /// <summary>
    /// KEYS: alive key, lost, the node's taken list. ARGV: limit. Moves up to <c>limit</c> entries from the outbox's
    /// tail (the sweep pushes new entries at its head and gives taken ones back at its tail, so those go first) to the
    /// node's taken list and returns them (RPOPLPUSH, not LMOVE: Redis 5 has no LMOVE); nothing while the node is not alive (a node declared dead must not take
    /// what its sweep has already given back).
    /// </summary>
    public const string TakeLost = """
        if redis.call('EXISTS', KEYS[1]) == 0 then return {} end
        local out = {}
        for i = 1, tonumber(ARGV[1]) do
          local entry = redis.call('RPOPLPUSH', KEYS[2], KEYS[3])
          if not entry then break end
          out[#out + 1] = entry
        end
        return out
        """;
}
