// Public surface of jetstream (being written).
export {};
