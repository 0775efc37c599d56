// Go durations for resources: the strict parser lives in @tessera/spi (one parser for the
// workspace); this file adds the error wording resource messages share.

import { tryParseGoDuration } from '@tessera/spi';

export { tryParseGoDuration };

/** Message fragment used by every caller that reports a bad duration. */
export function durationExpectation(got: string): string {
  return `expected a Go duration such as 5s, 1m30s or 500ms, got "${got}"`;
}

/**
 * Parses a Go duration into milliseconds (fractional below 1 ms).
 * @throws Error whose message is `expected a Go duration such as …, got "<input>"`, ready to be
 *   prefixed with the field name.
 */
export function parseGoDuration(input: string): number {
  const ms = tryParseGoDuration(input);
  if (ms === undefined) throw new Error(durationExpectation(input));
  return ms;
}
