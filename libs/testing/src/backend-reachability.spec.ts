import { postgresAvailable, postgresSkipReason, redisAvailable, redisSkipReason } from './backend-reachability';

// Port 1 on loopback: nothing listens there, so the probe must report a reason, not hang.
describe('backend reachability probes', () => {
  it('reports an unreachable Redis with a reason (sync and async)', async () => {
    const sync = redisSkipReason('redis://127.0.0.1:1');
    expect(sync).toMatch(/^redis unreachable at redis:\/\/127\.0\.0\.1:1 .*REDIS_URL/);
    expect(await redisAvailable('redis://127.0.0.1:1')).toMatch(/^redis unreachable/);
  });

  it('reports an unreachable Postgres and hides the password', async () => {
    const sync = postgresSkipReason('postgres://u:secret@127.0.0.1:1/db');
    expect(sync).toMatch(/^postgres unreachable at postgres:\/\/u:\*\*\*@127\.0\.0\.1:1\/db/);
    expect(sync).not.toContain('secret');
    expect(await postgresAvailable('postgres://u:secret@127.0.0.1:1/db')).toMatch(/^postgres unreachable/);
  });

  it('answers within the probe timeout for the configured backends', () => {
    const started = Date.now();
    const reasons = [redisSkipReason(), postgresSkipReason()];
    expect(Date.now() - started).toBeLessThan(8000);
    for (const r of reasons) if (r !== undefined) console.warn(`probe: ${r}`);
  });
});
