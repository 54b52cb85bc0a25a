export { TopologyTestDriver } from './topology-test-driver.js';
export type { TestInput, TestOutput, TopologyTestDriverOptions } from './topology-test-driver.js';
export { ManualClock } from './manual-clock.js';
export { InMemorySchemaRegistry } from './in-memory-schema-registry.js';
