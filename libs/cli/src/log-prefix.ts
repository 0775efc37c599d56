// Prefixing the output of `tessera run` line by line, as dapr run does: `== APP == ` before the
// app's lines and `== TESSERA == ` before the runtime's; in a multi-app run `== APP - orders == `
// and `== TESSERA - orders == `, one colour per app. Colours only when the stream is a terminal
// and NO_COLOR is not set (no-color.org). Partial lines wait for their newline; the rest is
// flushed at the end.
import { StringDecoder } from 'node:string_decoder';
import { Writable } from 'node:stream';
import type { Env } from '@tessera/runtime-core';

/** Where lines go (process.stdout or a test collector). */
export interface OutStream {
  write(s: string): unknown;
  readonly isTTY?: boolean;
}

export function colourEnabled(stream: OutStream, env: Env): boolean {
  const noColor = env['NO_COLOR'];
  return stream.isTTY === true && (noColor === undefined || noColor === '');
}

/** ANSI foreground colours: blue and yellow (dapr's app and daprd colours), then per-app ones. */
export const BLUE = 34;
export const YELLOW = 33;
const PALETTE = [36, 35, 32, 33, 34, 91, 96, 95, 92, 93];

export function appColour(index: number): number {
  return PALETTE[index % PALETTE.length] as number;
}

export type Paint = (s: string) => string;

export function painter(colour: number, enabled: boolean): Paint {
  return enabled ? (s) => `\x1b[${colour}m${s}\x1b[39m` : (s) => s;
}

/** Splits a byte stream into lines and writes each with a prefix. */
export class LinePrefixer {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';

  constructor(
    private readonly out: OutStream,
    private readonly prefixOf: (line: string) => string,
  ) {}

  push(chunk: Buffer | string): void {
    const text = this.pending + (typeof chunk === 'string' ? chunk : this.decoder.write(chunk));
    const lines = text.split('\n');
    this.pending = lines.pop() as string;
    if (lines.length === 0) return;
    this.out.write(lines.map((l) => this.prefixOf(l) + l.replace(/\r$/, '') + '\n').join(''));
  }

  /** Writes a last line without its newline, if any. */
  end(): void {
    const rest = this.pending + this.decoder.end();
    this.pending = '';
    if (rest !== '') this.out.write(this.prefixOf(rest) + rest + '\n');
  }
}

/** A fixed prefix for every line. */
export function fixedPrefix(label: string, paint: Paint): (line: string) => string {
  const p = paint(label);
  return () => p;
}

const TEXT_APP_ID = /(?:^|\s)app_id=("(?:[^"\\]|\\.)*"|\S+)/;
const JSON_APP_ID = /"app_id":("(?:[^"\\]|\\.)*")/;

/** The app id in one runtime log line (text or JSON format), or '' if none. */
export function appIdOfLogLine(line: string): string {
  const m = JSON_APP_ID.exec(line) ?? TEXT_APP_ID.exec(line);
  if (m === null) return '';
  const v = m[1] as string;
  if (!v.startsWith('"')) return v;
  try {
    return String(JSON.parse(v));
  } catch {
    return '';
  }
}

/**
 * Prefixes for the runtime's lines in a multi-app run: `== TESSERA - <id> == ` in the app's
 * colour when the line names an app, `== TESSERA == ` otherwise.
 */
export function runtimePrefixes(apps: ReadonlyMap<string, Paint>, fallback: Paint): (line: string) => string {
  const cache = new Map<string, string>();
  const plain = fallback('== TESSERA == ');
  return (line) => {
    const id = appIdOfLogLine(line);
    const paint = id === '' ? undefined : apps.get(id);
    if (paint === undefined) return plain;
    let p = cache.get(id);
    if (p === undefined) {
      p = paint(`== TESSERA - ${id} == `);
      cache.set(id, p);
    }
    return p;
  };
}

/** A Writable (what the runtime's BootIo wants) that prefixes every line it receives. */
export function prefixingWritable(prefixer: LinePrefixer): Writable {
  return new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      prefixer.push(chunk);
      cb();
    },
    final(cb) {
      prefixer.end();
      cb();
    },
  });
}
