// state.redis against the shared state conformance suite (real Redis; skipped loudly when absent).
import { describeStateConformance } from '@tessera/conformance';
import { redisSkipReason, testRedisUrl } from '@tessera/testing';
import { createRedisStateStore } from './redis-state-store';

const url = new URL(testRedisUrl());

describeStateConformance(
  'state.redis',
  async () => {
    const store = createRedisStateStore({
      name: 'conformance',
      type: 'state.redis',
      version: 'v1',
      appId: 'conformance',
      properties: {
        redisHost: `${url.hostname || '127.0.0.1'}:${url.port || '6379'}`,
        ...(url.username ? { redisUsername: decodeURIComponent(url.username) } : {}),
        ...(url.password ? { redisPassword: decodeURIComponent(url.password) } : {}),
      },
    });
    await store.init();
    return store;
  },
  { skipReason: redisSkipReason(), features: ['ETAG', 'TRANSACTIONAL', 'TTL'], atomicTransactions: false },
);
