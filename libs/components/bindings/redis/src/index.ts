// Public surface of redis (being written).
export {};
