// Public surface of cron (being written).
export {};
