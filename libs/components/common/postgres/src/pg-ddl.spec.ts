import { createIfAbsent, isCreateRace } from './pg-ddl';

const raced = (code: string): Error => Object.assign(new Error(`lost a create race (${code})`), { code });

describe('createIfAbsent', () => {
  it('knows the SQLSTATEs of a lost create race', () => {
    for (const code of ['23505', '42710', '42P07']) expect(isCreateRace(raced(code))).toBe(true);
    expect(isCreateRace(raced('42601'))).toBe(false);
    expect(isCreateRace(new Error('no code'))).toBe(false);
  });

  it('runs the statement again after a lost race, until it succeeds', async () => {
    const seen: string[] = [];
    let n = 0;
    const db = {
      query: async (sql: string): Promise<unknown> => {
        seen.push(sql);
        if (n++ < 2) throw raced(n === 1 ? '42710' : '23505');
        return {};
      },
    };
    await createIfAbsent(db, 'CREATE TABLE IF NOT EXISTS t (k text)');
    expect(seen).toHaveLength(3);
  });

  it('throws any other error at once, and a race lost five times', async () => {
    let calls = 0;
    const bad = { query: async (): Promise<unknown> => (calls++, Promise.reject(raced('42601'))) };
    await expect(createIfAbsent(bad, 'x')).rejects.toMatchObject({ code: '42601' });
    expect(calls).toBe(1);
    calls = 0;
    const losing = { query: async (): Promise<unknown> => (calls++, Promise.reject(raced('42P07'))) };
    await expect(createIfAbsent(losing, 'x')).rejects.toMatchObject({ code: '42P07' });
    expect(calls).toBe(5);
  });
});
