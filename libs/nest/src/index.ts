// Public surface of @tessera/nest: the composition roots of the apps.
export { bootRuntime, bootStateSvc, processIo, STATE_SVC_DEFAULT_PORT } from './boot';
export type { BootIo } from './boot';
export { GatewayModule, EdgeServers } from './gateway.module';
export type { ListenInfo } from './gateway.module';
export { StateModule } from './state.module';
export { StateSvcModule, StateSvcServer } from './state-svc.module';
export { RuntimeBaseModule, loadComponents, embeddedComponents, BUILT_BLOCKS } from './resources.module';
export type { LoadedComponents } from './resources.module';
export { LifecycleService } from './lifecycle.service';
export { RUNTIME_CONFIG, LOGGER, RESOURCES, STATE_STORES } from './tokens';
export { TESSERA_VERSION } from './version';
export { bootApps } from './multi-app';
export type { MultiAppRuntime, MultiAppOptions, RunningApp } from './multi-app';
