// Public surface of @tessera/bindings-cron: the `bindings.cron` v1 factory (input only).
export { createCronBinding } from './cron-binding';
export { parseCronSchedule, nextFireTime } from './cron-schedule';
export type { CronSchedule } from './cron-schedule';
