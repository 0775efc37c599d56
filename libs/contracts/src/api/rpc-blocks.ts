// Which building block each RPC of dapr.proto.runtime.v1.Dapr belongs to, keyed by the method
// name as it appears on the wire (`/dapr.proto.runtime.v1.Dapr/<Name>`). The gateway uses it to
// answer UNIMPLEMENTED with "X is part of the <block> building block, which this Tessera build
// does not serve yet". Keys must match the Dapr service in proto/.../dapr.proto exactly, in both
// directions (contracts.spec.ts checks it); deprecated Alpha1/Beta1 aliases are listed as well.
// ConverseAlpha1/2 are not in the service, so not here either.

const SERVICE_INVOCATION = 'service invocation';
const STATE = 'state management';
const PUBSUB = 'publish and subscribe';
const BINDINGS = 'bindings';
const SECRETS = 'secrets';
const ACTORS = 'actors';
const CONFIGURATION = 'configuration';
const LOCK = 'distributed lock';
const CRYPTO = 'cryptography';
const METADATA = 'metadata';
const WORKFLOWS = 'workflows';
const JOBS = 'jobs';
const SHUTDOWN = 'shutdown';

export const DAPR_RPC_BLOCKS: Readonly<Record<string, string>> = Object.freeze({
  InvokeService: SERVICE_INVOCATION,

  GetState: STATE,
  GetBulkState: STATE,
  SaveState: STATE,
  QueryStateAlpha1: STATE,
  DeleteState: STATE,
  DeleteBulkState: STATE,
  ExecuteStateTransaction: STATE,

  PublishEvent: PUBSUB,
  BulkPublishEventAlpha1: PUBSUB,
  BulkPublishEvent: PUBSUB,
  SubscribeTopicEventsAlpha1: PUBSUB,

  InvokeBinding: BINDINGS,

  GetSecret: SECRETS,
  GetBulkSecret: SECRETS,

  RegisterActorTimer: ACTORS,
  UnregisterActorTimer: ACTORS,
  RegisterActorReminder: ACTORS,
  UnregisterActorReminder: ACTORS,
  UnregisterActorRemindersByType: ACTORS,
  ListActorReminders: ACTORS,
  GetActorReminder: ACTORS,
  GetActorState: ACTORS,
  ExecuteActorStateTransaction: ACTORS,
  InvokeActor: ACTORS,
  SubscribeActorEventsAlpha1: ACTORS,

  GetConfigurationAlpha1: CONFIGURATION,
  GetConfiguration: CONFIGURATION,
  SubscribeConfigurationAlpha1: CONFIGURATION,
  SubscribeConfiguration: CONFIGURATION,
  UnsubscribeConfigurationAlpha1: CONFIGURATION,
  UnsubscribeConfiguration: CONFIGURATION,

  TryLockAlpha1: LOCK,
  UnlockAlpha1: LOCK,

  EncryptAlpha1: CRYPTO,
  DecryptAlpha1: CRYPTO,
  SubtleGetKeyAlpha1: CRYPTO,
  SubtleEncryptAlpha1: CRYPTO,
  SubtleDecryptAlpha1: CRYPTO,
  SubtleWrapKeyAlpha1: CRYPTO,
  SubtleUnwrapKeyAlpha1: CRYPTO,
  SubtleSignAlpha1: CRYPTO,
  SubtleVerifyAlpha1: CRYPTO,

  GetMetadata: METADATA,
  SetMetadata: METADATA,

  StartWorkflowAlpha1: WORKFLOWS,
  GetWorkflowAlpha1: WORKFLOWS,
  PurgeWorkflowAlpha1: WORKFLOWS,
  TerminateWorkflowAlpha1: WORKFLOWS,
  PauseWorkflowAlpha1: WORKFLOWS,
  ResumeWorkflowAlpha1: WORKFLOWS,
  RaiseEventWorkflowAlpha1: WORKFLOWS,
  StartWorkflowBeta1: WORKFLOWS,
  GetWorkflowBeta1: WORKFLOWS,
  PurgeWorkflowBeta1: WORKFLOWS,
  TerminateWorkflowBeta1: WORKFLOWS,
  PauseWorkflowBeta1: WORKFLOWS,
  ResumeWorkflowBeta1: WORKFLOWS,
  RaiseEventWorkflowBeta1: WORKFLOWS,

  Shutdown: SHUTDOWN,

  ScheduleJobAlpha1: JOBS,
  GetJobAlpha1: JOBS,
  DeleteJobAlpha1: JOBS,
  DeleteJobsByPrefixAlpha1: JOBS,
  ListJobsAlpha1: JOBS,
  ScheduleJob: JOBS,
  GetJob: JOBS,
  DeleteJob: JOBS,
  DeleteJobsByPrefix: JOBS,
  ListJobs: JOBS,
});
