// Public surface of postgresql (being written).
export {};
