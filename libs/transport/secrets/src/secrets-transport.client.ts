// SecretsApi over the internal framed transport: what the gateway holds in split mode instead of
// the secrets block. It fails exactly as the block would (the server sends every ApiError field
// back), and its own failures read like the block's: ERR_SECRET_GET, httpStatus 500, gRPC
// UNAVAILABLE, "…: secrets-svc at host:port is unreachable: <reason>", retryable. Connection
// handling (one TCP connection, reconnect with backoff, deadlines and aborts) is
// @tessera/transport-core's FramedClient.
import type {
  CallContext,
  GetBulkSecretRequest,
  GetBulkSecretResponse,
  GetSecretRequest,
  GetSecretResponse,
  RegisteredComponent,
  SecretsApi,
} from '@tessera/contracts';
import { FramedClient } from '@tessera/transport-core';
import type { FramedClientOptions } from '@tessera/transport-core';
import { LIST_COMPONENTS_REQUEST, SECRETS_METHODS, SECRETS_SERVICE } from './secrets-methods';

export type SecretsTransportClientOptions = FramedClientOptions;

export class SecretsTransportClient implements SecretsApi {
  private readonly t: FramedClient;

  constructor(
    readonly address: string,
    opts: SecretsTransportClientOptions = {},
  ) {
    this.t = new FramedClient(address, SECRETS_SERVICE, opts);
  }

  getSecret(req: GetSecretRequest, ctx: CallContext): Promise<GetSecretResponse> {
    return this.t.call(SECRETS_METHODS.getSecret, req, ctx);
  }

  getBulkSecret(req: GetBulkSecretRequest, ctx: CallContext): Promise<GetBulkSecretResponse> {
    return this.t.call(SECRETS_METHODS.getBulkSecret, req, ctx);
  }

  async listComponents(ctx: CallContext): Promise<RegisteredComponent[]> {
    return (await this.t.call(SECRETS_METHODS.listComponents, LIST_COMPONENTS_REQUEST, ctx)).components;
  }

  /** Opens the connection now; rejects with an UNAVAILABLE ApiError when secrets-svc cannot be reached. */
  connect(): Promise<void> {
    return this.t.connect();
  }

  /** Fails calls in flight and closes the connection; later calls fail at once. */
  close(): Promise<void> {
    return this.t.close();
  }
}
