// Routes of building blocks this build does not serve yet: a clear 501 naming the block, instead
// of the catch-all's "no app id", so a user knows what is missing rather than what they did wrong.
import type { FastifyInstance } from 'fastify';
import { CommonErrors } from '@tessera/contracts';
import { sendError } from './reply';

const UNBUILT: ReadonlyArray<readonly [string, string]> = [
  ['/v1.0/actors/*', 'actors'],
  ['/v1.0/workflows/*', 'workflows'],
  ['/v1.0-alpha1/workflows/*', 'workflows'],
  ['/v1.0-beta1/workflows/*', 'workflows'],
  ['/v1.0/jobs/*', 'jobs'],
  ['/v1.0-alpha1/jobs/*', 'jobs'],
  ['/v1.0-alpha1/crypto/*', 'cryptography'],
  ['/v1.0-alpha1/subtlecrypto/*', 'cryptography'],
  ['/v1.0-alpha1/conversation/*', 'conversation'],
  ['/v1.0-alpha2/conversation/*', 'conversation'],
];

export function registerUnbuiltRoutes(app: FastifyInstance): void {
  for (const [path, block] of UNBUILT) {
    app.all(path, async (req, reply) => sendError(reply, CommonErrors.unimplemented(block, `${req.method} ${req.url.split('?')[0]}`)));
  }
}
