// Public surface of pubsub (being written).
export {};
