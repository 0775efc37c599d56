import { once } from 'node:events';
import { spawn } from 'node:child_process';
import {
  mqttSkipReason,
  natsJetStreamSkipReason,
  postgresAvailable,
  postgresSkipReason,
  rabbitMqSkipReason,
  redisAvailable,
  redisSkipReason,
  tcpSkipReason,
  urlHostPort,
} from './backend-reachability';

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
    const reasons = [redisSkipReason(), postgresSkipReason(), rabbitMqSkipReason(), mqttSkipReason(), natsJetStreamSkipReason()];
    expect(Date.now() - started).toBeLessThan(20_000);
    for (const r of reasons) if (r !== undefined) console.warn(`probe: ${r}`);
  });
});

// The probes block this process (spawnSync), so a server that must answer runs in a child.
const GREETER = `
const greeting = process.argv[1];
const server = require('node:net').createServer((s) => { s.on('error', () => {}); if (greeting) s.write(greeting); });
server.listen(0, '127.0.0.1', () => process.stdout.write(String(server.address().port) + '\\n'));
`;

/** A loopback server in a child process that greets every connection with `greeting` (or says nothing). */
async function listen(greeting = ''): Promise<{ port: number; close: () => Promise<void> }> {
  const child = spawn(process.execPath, ['-e', GREETER, greeting], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(child.stdout, 'data')) as [Buffer];
  return {
    port: Number(line.toString('utf8').trim()),
    close: async () => {
      const exited = once(child, 'exit');
      child.kill();
      await exited;
    },
  };
}

describe('broker TCP probes', () => {
  it('answers undefined when something accepts the connection, a reason with the hint when nothing does', async () => {
    const srv = await listen();
    try {
      expect(tcpSkipReason('thing', '127.0.0.1', srv.port)).toBeUndefined();
    } finally {
      await srv.close();
    }
    expect(tcpSkipReason('thing', '127.0.0.1', 1, 'set THING_URL')).toMatch(/^thing unreachable at 127\.0\.0\.1:1 \(.+\); set THING_URL$/);
    expect(rabbitMqSkipReason('amqp://guest:guest@127.0.0.1:1')).toMatch(/^rabbitmq unreachable at 127\.0\.0\.1:1 .*RABBITMQ_URL/);
    expect(mqttSkipReason('tcp://127.0.0.1:1')).toMatch(/^mqtt broker unreachable at 127\.0\.0\.1:1 .*MQTT_URL/);
  });

  it('wants a NATS INFO line announcing JetStream', async () => {
    const plain = await listen('HELLO\r\n');
    const noJs = await listen('INFO {"server_id":"x","jetstream":false}\r\n');
    const js = await listen('INFO {"server_id":"x","jetstream": true}\r\n');
    try {
      expect(natsJetStreamSkipReason(`nats://127.0.0.1:${plain.port}`)).toMatch(/not a NATS server.*NATS_URL/);
      expect(natsJetStreamSkipReason(`nats://127.0.0.1:${noJs.port}`)).toMatch(/JetStream is not enabled/);
      expect(natsJetStreamSkipReason(`nats://127.0.0.1:${js.port}`)).toBeUndefined();
    } finally {
      await Promise.all([plain.close(), noJs.close(), js.close()]);
    }
  });

  it('reads host and port from broker URLs', () => {
    expect(urlHostPort('amqp://u:p@rabbit:5673/vhost', 5672)).toEqual({ host: 'rabbit', port: 5673 });
    expect(urlHostPort('tcp://[::1]', 1883)).toEqual({ host: '::1', port: 1883 });
  });
});
