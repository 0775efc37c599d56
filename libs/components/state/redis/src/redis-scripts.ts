// Dapr's Redis state layout (components.md 5.1) and the Lua scripts that keep it. Each state key is
// a hash {data, version[, first-write]}; `version` is bumped with HINCRBY on every write and is the
// ETag. The scripts are ours, written from the spec; what must stay identical to Dapr is the data
// they leave behind, so that a Dapr sidecar and Tessera can share one database.
//
// ETag rules enforced by the write script (the first match decides):
//   1. ETag given: it must equal the stored `version`; a missing key is a mismatch.
//   2. no ETag, `first-write` concurrency: the key must not exist.
//   3. no ETag, the record was created with first-write (hash field `first-write`): mismatch, as in
//      Dapr - such a record can only be changed with its ETag.
//   4. otherwise last-write-wins.
// A plain string value under the key (the pre-hash layout) counts as an existing record without
// a version; a successful write replaces it with the hash layout.
// Failures are error replies starting with ETAG_MISMATCH_REPLY; nothing is written then.

export const FIELD_DATA = 'data';
export const FIELD_VERSION = 'version';
export const FIELD_FIRST_WRITE = 'first-write';

export const ETAG_MISMATCH_REPLY = 'TESSERA_ETAG_MISMATCH';

/**
 * KEYS[1] key; ARGV[1] ETag ('' = none); ARGV[2] value bytes; ARGV[3] '1' = first-write
 * concurrency; ARGV[4] TTL seconds ('' = leave as is, > 0 = EXPIRE, <= 0 = PERSIST).
 * Returns the new version.
 */
export const SET_SCRIPT = `
local key = KEYS[1]
local kind = redis.call('TYPE', key).ok
local version = false
if kind == 'hash' then
  version = redis.call('HGET', key, '${FIELD_VERSION}')
  if version and not tonumber(version) then
    return redis.error_reply('ERR hash field ${FIELD_VERSION} of ' .. key .. ' is not an integer')
  end
end
if ARGV[1] ~= '' then
  if version ~= ARGV[1] then
    return redis.error_reply('${ETAG_MISMATCH_REPLY} etag does not match for key ' .. key)
  end
elseif kind ~= 'none' then
  if ARGV[3] == '1' then
    return redis.error_reply('${ETAG_MISMATCH_REPLY} first-write: key ' .. key .. ' already exists')
  end
  if version and redis.call('HEXISTS', key, '${FIELD_FIRST_WRITE}') == 1 then
    return redis.error_reply('${ETAG_MISMATCH_REPLY} key ' .. key .. ' was written with first-write and needs its etag')
  end
end
if kind ~= 'hash' and kind ~= 'none' then
  redis.call('DEL', key)
end
if ARGV[3] == '1' then
  redis.call('HSET', key, '${FIELD_DATA}', ARGV[2], '${FIELD_FIRST_WRITE}', 0)
else
  redis.call('HSET', key, '${FIELD_DATA}', ARGV[2])
end
local newVersion = redis.call('HINCRBY', key, '${FIELD_VERSION}', 1)
if ARGV[4] ~= '' then
  local ttl = tonumber(ARGV[4])
  if ttl > 0 then
    redis.call('EXPIRE', key, ttl)
  else
    redis.call('PERSIST', key)
  end
end
return newVersion
`;

/**
 * KEYS[1] key; ARGV[1] ETag ('' = none). Without an ETag the key is deleted unconditionally (also
 * a missing key); with one, the stored version must equal it. Returns the number of keys removed.
 */
export const DELETE_SCRIPT = `
local key = KEYS[1]
if ARGV[1] == '' then
  return redis.call('DEL', key)
end
local version = false
if redis.call('TYPE', key).ok == 'hash' then
  version = redis.call('HGET', key, '${FIELD_VERSION}')
end
if version ~= ARGV[1] then
  return redis.error_reply('${ETAG_MISMATCH_REPLY} etag does not match for key ' .. key)
end
return redis.call('DEL', key)
`;
