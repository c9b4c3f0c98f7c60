// The item on `webhook.deliveries` is a contract between the match stage, the scheduler and the
// delivery stages: it lives in shared/ (services never import each other).
export * from '../shared/delivery-item.js';
