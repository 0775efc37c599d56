// Public surface of rabbitmq (being written).
export {};
