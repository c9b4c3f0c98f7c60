// The client now lives behind the Kafka port (services/shared/kafka/); kept for the services' main.ts files.
export { createKafkaClient } from './kafka/kafkajs-adapter.js';
