// Public surface of @tessera/app-channel: the channel from a gateway into its app (HTTP, HTTPS,
// h2c, gRPC, gRPCs), app health checks and the start-up wait for the app port. Framework-free.
export { HttpAppChannel, appPath, verbOf } from './http-app-channel';
export type { HttpAppChannelOptions, HttpAppProtocol } from './http-app-channel';
export { GrpcAppChannel } from './grpc-app-channel';
export type { GrpcAppChannelOptions, GrpcAppProtocol, RawUnaryResult } from './grpc-app-channel';
export { AppHealthChecker } from './app-health-checker';
export type { AppHealthCheckOptions, HealthProbe, HealthListener } from './app-health-checker';
export { waitForApp, canConnect } from './wait-for-app';
export type { WaitForAppOptions } from './wait-for-app';
export { createAppChannel } from './create-app-channel';
export type { CreateAppChannelOptions, AppChannelProtocol, ConcreteAppChannel } from './create-app-channel';
export { Semaphore } from './semaphore';
