// DDL that several processes may run at once on a fresh database (components starting together).
// PostgreSQL's `CREATE ... IF NOT EXISTS` is not race-free: two creators can both pass the
// existence check, and the loser fails on the catalog's unique index (23505), as "type ... already
// exists" (42710, the table's row type) or "relation ... already exists" (42P07). Once the winner
// has committed, running the statement again finds the object and succeeds.

/** SQLSTATEs a concurrent creator of the same object makes the loser see. */
const CREATE_RACE: ReadonlySet<string> = new Set(['23505', '42710', '42P07']);

export function isCreateRace(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && CREATE_RACE.has(code);
}

/**
 * Runs a `CREATE ... IF NOT EXISTS` statement, again (after 20, 40, 80, 160 ms) while it loses a
 * race with another creator; any other error, or a fifth loss, is thrown.
 */
export async function createIfAbsent(db: { query(sql: string): Promise<unknown> }, sql: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await db.query(sql);
      return;
    } catch (e) {
      if (!isCreateRace(e) || attempt >= 4) throw e;
      await new Promise((r) => setTimeout(r, 20 * 2 ** attempt));
    }
  }
}
