// Wire-level checks of the generated Dapr contract: hand-computed protobuf bytes pin field
// numbers and wire types (a renumbered field breaks every SDK silently), the Dapr service
// definition must match DAPR_RPC_BLOCKS in both directions, and streaming flags must be right.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DAPR_RPC_BLOCKS } from './api/rpc-blocks';
import { DaprService } from './generated/dapr/proto/runtime/v1/dapr';
import {
  AppCallbackAlphaService,
  AppCallbackHealthCheckService,
  AppCallbackService,
  TopicEventBulkRequestEntry,
  TopicEventRequest,
  TopicEventResponse_TopicEventResponseStatus,
} from './generated/dapr/proto/runtime/v1/appcallback';
import { SaveStateRequest } from './generated/dapr/proto/runtime/v1/state';
import {
  ActorRuntime_ActorRuntimeStatus,
  GetMetadataResponse,
  PubsubSubscriptionType,
} from './generated/dapr/proto/runtime/v1/metadata';
import { RegisterActorReminderRequest } from './generated/dapr/proto/runtime/v1/actors';
import { SubscribeTopicEventsRequestAlpha1 } from './generated/dapr/proto/runtime/v1/pubsub';
import { UnlockResponse, UnlockResponse_Status } from './generated/dapr/proto/runtime/v1/lock';
import { EncryptRequest } from './generated/dapr/proto/runtime/v1/crypto';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const bytes = (...parts: (number | string)[]): string =>
  parts.map((p) => (typeof p === 'number' ? p.toString(16).padStart(2, '0') : Buffer.from(p).toString('hex'))).join('');

describe('wire bytes', () => {
  it('SaveStateRequest with a StateItem carrying etag and metadata', () => {
    const msg: SaveStateRequest = {
      storeName: 's',
      states: [{ key: 'k', value: Buffer.from('v'), etag: { value: '1' }, metadata: { a: 'b' }, options: undefined }],
    };
    // StateItem: key=1 'k' | value=2 'v' | etag=3 {value=1 '1'} | metadata=4 entry{key=1 'a', value=2 'b'}
    const item = bytes(0x0a, 1, 'k', 0x12, 1, 'v', 0x1a, 3, 0x0a, 1, '1', 0x22, 6, 0x0a, 1, 'a', 0x12, 1, 'b');
    expect(item.length / 2).toBe(19);
    const expected = bytes(0x0a, 1, 's', 0x12, 19) + item;
    const encoded = SaveStateRequest.encode(msg).finish();
    expect(hex(encoded)).toBe(expected);

    const decoded = SaveStateRequest.decode(Buffer.from(expected, 'hex'));
    expect(decoded.storeName).toBe('s');
    expect(decoded.states).toHaveLength(1);
    const [state] = decoded.states;
    expect(state?.key).toBe('k');
    expect(Buffer.from(state?.value ?? []).toString()).toBe('v');
    expect(state?.etag).toEqual({ value: '1' });
    expect(state?.metadata).toEqual({ a: 'b' });
    expect(state?.options).toBeUndefined();
  });

  it('GetMetadataResponse uses field numbers 1..15', () => {
    const msg: GetMetadataResponse = {
      id: 'a',
      activeActorsCount: [{ type: '', count: 0 }],
      registeredComponents: [{ name: '', type: '', version: '', capabilities: [] }],
      extendedMetadata: { k: 'v' },
      subscriptions: [
        { pubsubName: '', topic: '', metadata: {}, rules: undefined, deadLetterTopic: '', type: PubsubSubscriptionType.UNKNOWN },
      ],
      httpEndpoints: [{ name: '' }],
      appConnectionProperties: { port: 0, protocol: '', channelAddress: '', maxConcurrency: 0, health: undefined },
      runtimeVersion: '1',
      enabledFeatures: ['f'],
      actorRuntime: { runtimeStatus: ActorRuntime_ActorRuntimeStatus.RUNNING, activeActors: [], hostReady: false, placement: '' },
      scheduler: { connectedAddresses: [] },
      workflows: { connectedWorkers: 3 },
      mcpServers: [{ name: '' }],
      workflowAccessPolicies: [{ name: '' }],
      resiliencies: [{ name: 'r' }],
    };
    // Every field is length-delimited, so its tag byte is (n << 3) | 2.
    const expected = bytes(
      0x0a, 1, 'a', //                       1 id
      0x12, 0, //                            2 active_actors_count
      0x1a, 0, //                            3 registered_components
      0x22, 6, 0x0a, 1, 'k', 0x12, 1, 'v', // 4 extended_metadata
      0x2a, 0, //                            5 subscriptions
      0x32, 0, //                            6 http_endpoints
      0x3a, 0, //                            7 app_connection_properties
      0x42, 1, '1', //                       8 runtime_version
      0x4a, 1, 'f', //                       9 enabled_features
      0x52, 2, 0x08, 2, //                   10 actor_runtime{runtime_status=RUNNING}
      0x5a, 0, //                            11 scheduler
      0x62, 2, 0x08, 3, //                   12 workflows{connected_workers=3}
      0x6a, 0, //                            13 mcp_servers
      0x72, 0, //                            14 workflow_access_policies
      0x7a, 3, 0x0a, 1, 'r', //              15 resiliencies{name='r'}
    );
    expect(hex(GetMetadataResponse.encode(msg).finish())).toBe(expected);

    const decoded = GetMetadataResponse.decode(Buffer.from(expected, 'hex'));
    expect(decoded).toEqual(msg);
  });

  it('TopicEventRequest carries topic in field 6 and data in field 7', () => {
    const event: TopicEventRequest = {
      id: '',
      source: '',
      type: '',
      specVersion: '',
      dataContentType: '',
      topic: 't',
      data: Buffer.from('d'),
      pubsubName: '',
      path: '',
      extensions: undefined,
    };
    const encoded = TopicEventRequest.encode(event).finish();
    expect(hex(encoded)).toBe(bytes(0x32, 1, 't', 0x3a, 1, 'd'));

    const decoded = TopicEventRequest.decode(Buffer.from(bytes(0x3a, 1, 'd', 0x32, 1, 't', 0x42, 1, 'p', 0x4a, 1, '/'), 'hex'));
    expect(decoded.topic).toBe('t');
    expect(Buffer.from(decoded.data).toString()).toBe('d');
    expect(decoded.pubsubName).toBe('p');
    expect(decoded.path).toBe('/');
  });

  it('RegisterActorReminderRequest keeps presence of overwrite=false (field 8)', () => {
    const reminder: RegisterActorReminderRequest = {
      actorType: 'T',
      actorId: '',
      name: '',
      dueTime: '',
      period: '',
      data: Buffer.alloc(0),
      ttl: '',
      overwrite: false,
    };
    const encoded = RegisterActorReminderRequest.encode(reminder).finish();
    expect(hex(encoded)).toBe(bytes(0x0a, 1, 'T', 0x40, 0));
    expect(RegisterActorReminderRequest.decode(Buffer.from(bytes(0x0a, 1, 'T'), 'hex')).overwrite).toBeUndefined();
  });

  it('oneofs decode to the right case', () => {
    // SubscribeTopicEventsRequestAlpha1.event_processed=2 { id=1 'x', status=2 { status=1 DROP } }
    const processed = SubscribeTopicEventsRequestAlpha1.decode(
      Buffer.from(bytes(0x12, 7, 0x0a, 1, 'x', 0x12, 2, 0x08, 2), 'hex'),
    );
    expect(processed.subscribeTopicEventsRequestType).toEqual({
      $case: 'eventProcessed',
      value: { id: 'x', status: { status: TopicEventResponse_TopicEventResponseStatus.DROP } },
    });

    // TopicEventBulkRequestEntry: entry_id=1 'e', bytes=2 'z'
    const entry = TopicEventBulkRequestEntry.decode(Buffer.from(bytes(0x0a, 1, 'e', 0x12, 1, 'z'), 'hex'));
    expect(entry.entryId).toBe('e');
    expect(entry.event?.$case).toBe('bytes');
  });

  it('enum and nested StreamPayload numbers', () => {
    expect(hex(UnlockResponse.encode({ status: UnlockResponse_Status.LOCK_BELONGS_TO_OTHERS }).finish())).toBe(bytes(0x08, 2));
    // EncryptRequest.payload=2 { data=1 'p', seq=2 1 }
    const enc = EncryptRequest.encode({ options: undefined, payload: { data: Buffer.from('p'), seq: 1 } }).finish();
    expect(hex(enc)).toBe(bytes(0x12, 5, 0x0a, 1, 'p', 0x10, 1));
  });
});

describe('Dapr service definition', () => {
  const methods = Object.values(DaprService).map((m) => ({
    name: m.path.slice(m.path.lastIndexOf('/') + 1),
    path: m.path as string,
    requestStream: m.requestStream as boolean,
    responseStream: m.responseStream as boolean,
  }));

  it('is served under /dapr.proto.runtime.v1.Dapr/', () => {
    for (const m of methods) expect(m.path).toBe(`/dapr.proto.runtime.v1.Dapr/${m.name}`);
  });

  it('has exactly the methods listed in DAPR_RPC_BLOCKS', () => {
    expect(methods.map((m) => m.name).sort()).toEqual(Object.keys(DAPR_RPC_BLOCKS).sort());
  });

  it('maps every method to a known building block', () => {
    const blocks = new Set([
      'service invocation', 'state management', 'publish and subscribe', 'bindings', 'secrets', 'actors',
      'configuration', 'distributed lock', 'cryptography', 'metadata', 'workflows', 'jobs', 'shutdown',
    ]);
    for (const [rpc, block] of Object.entries(DAPR_RPC_BLOCKS)) expect([rpc, blocks.has(block)]).toEqual([rpc, true]);
    expect(DAPR_RPC_BLOCKS['PublishEvent']).toBe('publish and subscribe');
    expect(DAPR_RPC_BLOCKS['TryLockAlpha1']).toBe('distributed lock');
    expect(Object.isFrozen(DAPR_RPC_BLOCKS)).toBe(true);
  });

  it('marks streaming RPCs and only those', () => {
    const bidi = ['SubscribeTopicEventsAlpha1', 'SubscribeActorEventsAlpha1', 'EncryptAlpha1', 'DecryptAlpha1'];
    const serverStream = ['SubscribeConfiguration', 'SubscribeConfigurationAlpha1'];
    for (const m of methods) {
      const kind = bidi.includes(m.name) ? [true, true] : serverStream.includes(m.name) ? [false, true] : [false, false];
      expect([m.name, m.requestStream, m.responseStream]).toEqual([m.name, ...kind]);
    }
  });
});

describe('app callback service definitions', () => {
  const paths = (svc: Record<string, { path: string }>): string[] => Object.values(svc).map((m) => m.path).sort();

  it('lists the RPCs the runtime calls on a gRPC app', () => {
    const p = '/dapr.proto.runtime.v1.';
    expect(paths(AppCallbackService)).toEqual(
      ['OnInvoke', 'ListTopicSubscriptions', 'OnTopicEvent', 'ListInputBindings', 'OnBindingEvent', 'OnBulkTopicEvent', 'OnJobEvent']
        .map((n) => `${p}AppCallback/${n}`)
        .sort(),
    );
    expect(paths(AppCallbackHealthCheckService)).toEqual([`${p}AppCallbackHealthCheck/HealthCheck`]);
    expect(paths(AppCallbackAlphaService)).toEqual(
      [`${p}AppCallbackAlpha/OnBulkTopicEventAlpha1`, `${p}AppCallbackAlpha/OnJobEventAlpha1`],
    );
  });
});

// ts-proto emits no JSON methods (outputJsonMethods=false), so explicit json_names live only in the
// .proto sources; the HTTP edge renders proto-JSON from them. Guard the ones the spec names.
describe('explicit json_name in the .proto sources', () => {
  const dir = join(__dirname, '../proto/dapr/proto/runtime/v1');
  const field = (file: string, message: string, name: string): string | undefined => {
    const src = readFileSync(join(dir, file), 'utf8');
    const body = new RegExp(`message ${message} \\{([\\s\\S]*?)\\n\\}`).exec(src)?.[1] ?? '';
    return new RegExp(`\\b${name} = \\d+ \\[[^\\]]*json_name = "([^"]+)"`).exec(body)?.[1];
  };

  it.each([
    ['metadata.proto', 'GetMetadataResponse', 'active_actors_count', 'actors'],
    ['metadata.proto', 'GetMetadataResponse', 'registered_components', 'components'],
    ['metadata.proto', 'GetMetadataResponse', 'extended_metadata', 'extended'],
    ['metadata.proto', 'PubsubSubscription', 'pubsub_name', 'pubsubname'],
    ['actors.proto', 'GetActorReminderRequest', 'actor_id', 'actorID'],
    ['actors.proto', 'GetActorReminderResponse', 'actor_id', 'actorID'],
    ['actors.proto', 'ActorReminder', 'actor_id', 'actorID'],
    ['actors.proto', 'RegisterActorReminderRequest', 'failure_policy', 'failure_policy'],
    ['workflow.proto', 'StartWorkflowRequest', 'instance_id', 'instanceID'],
    ['workflow.proto', 'StartWorkflowRequest', 'app_id', 'appID'],
    ['workflow.proto', 'GetWorkflowResponse', 'instance_id', 'instanceID'],
  ])('%s %s.%s -> %s', (file, message, name, json) => {
    expect(field(file, message, name)).toBe(json);
  });
});
