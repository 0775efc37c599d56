// Public surface of kafka (being written).
export {};
