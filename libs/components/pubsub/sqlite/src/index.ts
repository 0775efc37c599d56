// Public surface of sqlite (being written).
export {};
