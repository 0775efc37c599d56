// NATS subject rules the component needs: does one subject pattern cover another (to keep a
// stream's subject list free of overlaps when topics are added), and durable consumer names.
import { createHash } from 'node:crypto';

/**
 * True when every subject matched by `b` is also matched by `a`. Tokens are `.`-separated; `*`
 * matches one token, `>` (last token) one or more.
 */
export function subjectCovers(a: string, b: string): boolean {
  const at = a.split('.');
  const bt = b.split('.');
  for (let i = 0; i < at.length; i++) {
    const x = at[i] as string;
    if (x === '>') return bt.length > i;
    if (i >= bt.length) return false;
    const y = bt[i] as string;
    if (y === '>') return false;
    if (x === '*') continue;
    if (y === '*' || x !== y) return false;
  }
  return at.length === bt.length;
}

/** The stream subjects with `topic` added: unchanged when already covered, covered ones replaced. */
export function withSubject(subjects: readonly string[], topic: string): string[] | undefined {
  if (subjects.some((s) => subjectCovers(s, topic))) return undefined;
  return [...subjects.filter((s) => !subjectCovers(topic, s)), topic];
}

/** Any subject of the list covers `topic`. */
export function captured(subjects: readonly string[], topic: string): boolean {
  return subjects.some((s) => subjectCovers(s, topic));
}

const MAX_NAME = 200;

/**
 * Durable consumer name for a group on a topic: `<group>-<topic>` with characters consumer names
 * may not hold (`.`, `*`, `>`, whitespace, path separators) replaced by `_`; when anything was
 * replaced or the name is long, a short hash of the exact pair keeps distinct pairs apart.
 */
export function durableConsumerName(group: string, topic: string): string {
  const plain = `${group}-${topic}`;
  const safe = plain.replace(/[\s.*>/\\]/g, '_');
  if (safe === plain && safe.length <= MAX_NAME) return safe;
  const hash = createHash('sha256').update(group).update('\0').update(topic).digest('hex').slice(0, 10);
  return `${safe.slice(0, MAX_NAME - 11)}-${hash}`;
}

/** Stream name derived from the component name when `streamName` is not set. */
export function defaultStreamName(componentName: string): string {
  const safe = componentName.replace(/[\s.*>/\\]/g, '_');
  return safe === '' ? 'tessera' : safe;
}
