// The typed configuration API (spec/http-api.md 7, grpc-api.md 2.7). The gateway's HTTP and gRPC
// edges call it; the configuration block implements it in-process and the configuration transport
// client implements it over the wire (configuration-svc), so the edges cannot tell which one they
// hold. Requests and responses are the generated Dapr messages.
//
// Subscriptions are streams: subscribe() returns an AsyncIterable whose first item carries only
// the subscription id and whose next items carry the changed items, as SubscribeConfiguration does
// on the gRPC API. Whoever iterates owns the subscription: leaving the loop (break / return()) or
// aborting ctx.signal ends it and unsubscribes from the component. unsubscribe(id) ends it from
// elsewhere (the iteration then completes). A gateway delivers HTTP subscriptions to its app
// itself (AppConfigurationSubscriptions); the service behind the API never calls an app.
import type { CallContext } from '../call-context';
import type {
  GetConfigurationRequest,
  GetConfigurationResponse,
  SubscribeConfigurationRequest,
  SubscribeConfigurationResponse,
  UnsubscribeConfigurationRequest,
  UnsubscribeConfigurationResponse,
} from '../generated/dapr/proto/runtime/v1/configuration';
import type { RegisteredComponent } from './state.api';

export interface ConfigurationApi {
  /** The items of `keys` (empty = every item). Missing keys are simply absent. */
  get(req: GetConfigurationRequest, ctx: CallContext): Promise<GetConfigurationResponse>;
  /**
   * Subscribes to changes of `keys` (empty = every key). Nothing happens until iteration starts;
   * errors (unknown store, component refusal) are thrown by the first next(). The first item is
   * `{ id, items: {} }`; each later item is one change event of the component.
   */
  subscribe(req: SubscribeConfigurationRequest, ctx: CallContext): AsyncIterable<SubscribeConfigurationResponse>;
  /**
   * Ends the subscription `id` of `storeName` opened by the same app. `{ ok: false, message }`
   * when there is no such subscription or the component failed to end it; ApiErrors for an
   * unknown store.
   */
  unsubscribe(req: UnsubscribeConfigurationRequest, ctx: CallContext): Promise<UnsubscribeConfigurationResponse>;
  /** The configuration stores visible to `ctx.appId` (component scopes applied). */
  listComponents(ctx: CallContext): Promise<RegisteredComponent[]>;
}

/**
 * A gateway's subscriptions delivered to its app over the app channel (the HTTP API's
 * `GET /v1.0/configuration/{store}/subscribe`): each change is posted to the app as
 * `POST /configuration/{store}/{key}` with `{"id","items"}`.
 */
export interface AppConfigurationSubscriptions {
  /**
   * Opens a subscription and resolves with its id once the component accepted it. Rejects with
   * ERR_APP_CHANNEL_NIL when the gateway has no app channel, or with the API's errors.
   */
  subscribe(req: SubscribeConfigurationRequest, ctx: CallContext): Promise<string>;
  /**
   * Ends a subscription by the id the app was given (delivered ones), or passes the request to
   * ConfigurationApi.unsubscribe for any other id.
   */
  unsubscribe(req: UnsubscribeConfigurationRequest, ctx: CallContext): Promise<UnsubscribeConfigurationResponse>;
}

/** DI token for ConfigurationApi (Nest binds it to the block or to the remote client). */
export const CONFIGURATION_API = Symbol.for('tessera.ConfigurationApi');
/** DI token for the gateway's AppConfigurationSubscriptions. */
export const APP_CONFIGURATION_SUBSCRIPTIONS = Symbol.for('tessera.AppConfigurationSubscriptions');
