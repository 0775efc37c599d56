// The circuit-breaker `trip` expression: Dapr evaluates a CEL program over the breaker's counts
// whenever a request fails in the closed state. Tessera accepts the subset people write:
// comparisons (> >= < <= == !=) of the five counters with integers, joined by && and ||, with
// parentheses. Anything else is rejected when the resource loads, never at call time.
// Compiles once to a closure; evaluation allocates nothing.

/** gobreaker's counts, as Dapr exposes them to the expression. */
export interface BreakerCounts {
  readonly requests: number;
  readonly totalSuccesses: number;
  readonly totalFailures: number;
  readonly consecutiveSuccesses: number;
  readonly consecutiveFailures: number;
}

export type TripPredicate = (counts: BreakerCounts) => boolean;

export const TRIP_VARIABLES: readonly (keyof BreakerCounts)[] = [
  'consecutiveFailures',
  'consecutiveSuccesses',
  'totalFailures',
  'totalSuccesses',
  'requests',
];

/** What a trip expression may contain, for error messages. */
export const TRIP_GRAMMAR =
  `comparisons (>, >=, <, <=, ==, !=) of ${TRIP_VARIABLES.join(', ')} with integers, joined by && and || (parentheses allowed)`;

/** Thrown by compileTripExpression; `message` says what is wrong and where (1-based column). */
export class TripExpressionError extends Error {
  override readonly name = 'TripExpressionError';
}

type Token =
  | { readonly t: 'ident'; readonly v: string; readonly at: number }
  | { readonly t: 'int'; readonly v: number; readonly at: number }
  | { readonly t: 'op'; readonly v: string; readonly at: number }
  | { readonly t: 'end'; readonly at: number };

const CMP_OPS = new Set(['>', '>=', '<', '<=', '==', '!=']);
const OPS = ['>=', '<=', '==', '!=', '&&', '||', '>', '<', '(', ')', '-'];

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i] as string;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    const ident = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
    if (ident) {
      out.push({ t: 'ident', v: ident[0], at: i + 1 });
      i += ident[0].length;
      continue;
    }
    const num = /^\d+/.exec(src.slice(i));
    if (num) {
      if (/^[A-Za-z_.]/.test(src.slice(i + num[0].length))) {
        throw new TripExpressionError(`unsupported number "${src.slice(i).split(/\s/)[0]}" at column ${i + 1}; only integers are supported`);
      }
      out.push({ t: 'int', v: Number(num[0]), at: i + 1 });
      i += num[0].length;
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (op === undefined) throw new TripExpressionError(`unexpected character "${c}" at column ${i + 1}`);
    out.push({ t: 'op', v: op, at: i + 1 });
    i += op.length;
  }
  out.push({ t: 'end', at: src.length + 1 });
  return out;
}

type Operand = (c: BreakerCounts) => number;

/**
 * Compiles a trip expression.
 * @throws TripExpressionError naming the problem and its column.
 */
export function compileTripExpression(src: string): TripPredicate {
  const tokens = tokenize(src);
  let pos = 0;
  const peek = (): Token => tokens[pos] as Token;
  const next = (): Token => tokens[pos++] as Token;
  const shown = (t: Token): string => (t.t === 'end' ? 'the end of the expression' : `"${String(t.v)}" at column ${t.at}`);

  const operand = (): Operand => {
    const t = next();
    if (t.t === 'ident') {
      const name = TRIP_VARIABLES.find((v) => v === t.v);
      if (name === undefined) {
        throw new TripExpressionError(`unknown name "${t.v}" at column ${t.at}; expected one of ${TRIP_VARIABLES.join(', ')}`);
      }
      return (c) => c[name];
    }
    if (t.t === 'int') return () => t.v;
    if (t.t === 'op' && t.v === '-' && peek().t === 'int') {
      const n = -(next() as { v: number }).v;
      return () => n;
    }
    throw new TripExpressionError(`expected a counter name or an integer, got ${shown(t)}`);
  };

  const comparison = (): TripPredicate => {
    const left = operand();
    const t = next();
    if (t.t !== 'op' || !CMP_OPS.has(t.v)) {
      throw new TripExpressionError(`expected a comparison operator (>, >=, <, <=, ==, !=), got ${shown(t)}`);
    }
    const right = operand();
    switch (t.v) {
      case '>': return (c) => left(c) > right(c);
      case '>=': return (c) => left(c) >= right(c);
      case '<': return (c) => left(c) < right(c);
      case '<=': return (c) => left(c) <= right(c);
      case '==': return (c) => left(c) === right(c);
      default: return (c) => left(c) !== right(c);
    }
  };

  const primary = (): TripPredicate => {
    const t = peek();
    if (t.t === 'op' && t.v === '(') {
      next();
      const inner = or();
      const close = next();
      if (close.t !== 'op' || close.v !== ')') throw new TripExpressionError(`expected ")", got ${shown(close)}`);
      return inner;
    }
    return comparison();
  };

  const and = (): TripPredicate => {
    let left = primary();
    while (peek().t === 'op' && (peek() as { v: string }).v === '&&') {
      next();
      const l = left;
      const r = primary();
      left = (c) => l(c) && r(c);
    }
    return left;
  };

  function or(): TripPredicate {
    let left = and();
    while (peek().t === 'op' && (peek() as { v: string }).v === '||') {
      next();
      const l = left;
      const r = and();
      left = (c) => l(c) || r(c);
    }
    return left;
  }

  if (peek().t === 'end') throw new TripExpressionError('the expression is empty');
  const result = or();
  const rest = peek();
  if (rest.t !== 'end') throw new TripExpressionError(`unexpected ${shown(rest)}; expected && or || between comparisons`);
  return result;
}
