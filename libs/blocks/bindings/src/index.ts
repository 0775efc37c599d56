// Public surface of bindings (being written).
export {};
