// Public surface of mqtt3 (being written).
export {};
