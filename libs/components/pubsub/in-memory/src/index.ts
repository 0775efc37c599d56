// Public surface of in-memory (being written).
export {};
