// Public surface of http (being written).
export {};
