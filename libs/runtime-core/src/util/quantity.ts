// Sizes written as Kubernetes resource quantities, as daprd's --max-body-size and
// --read-buffer-size take them: a plain number of bytes ("4194304"), a binary suffix
// (Ki Mi Gi Ti Pi Ei, powers of 1024), a decimal suffix (k M G T P E, powers of 1000) or a
// decimal exponent ("4e6"). Fractions are allowed and rounded up to whole bytes. "4MB" is not a
// quantity (daprd refuses it too).

const SUFFIX: Readonly<Record<string, number>> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

const QUANTITY = /^\+?(\d+(?:\.\d*)?|\.\d+)(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?)$/;

export function quantityExpectation(got: string): string {
  return `expected a size such as 4Mi, 4M or 4194304, got "${got}"`;
}

/** Parses a size quantity into bytes, or returns undefined if it is not one. */
export function tryParseQuantity(input: string): number | undefined {
  const m = QUANTITY.exec(input.trim());
  if (m === null) return undefined;
  const base = Number(m[1]);
  const bytes = m[2] !== undefined ? base * 10 ** Number(m[2].slice(1)) : base * (SUFFIX[m[3] ?? ''] ?? NaN);
  return Number.isFinite(bytes) ? Math.ceil(bytes) : undefined;
}

/**
 * Parses a size quantity into bytes.
 * @throws Error whose message is `expected a size such as …, got "<input>"`.
 */
export function parseQuantity(input: string): number {
  const n = tryParseQuantity(input);
  if (n === undefined) throw new Error(quantityExpectation(input));
  return n;
}
