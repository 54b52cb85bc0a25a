/** The delivery ports in memory, faithful to Kafka's semantics: for the engine's tests and the topology test driver. */
export { Activity } from './activity.js';
export { injectedFailure } from './faults.js';
export { InMemoryCluster, type InMemoryClusterOptions, type ProducedRecord } from './in-memory-cluster.js';
export { InMemoryGroup, type AssignmentStrategy, type GroupMemberCallbacks, type JoinOptions, type OffsetCommitEntry } from './in-memory-group.js';
export { InMemoryLog, type InMemoryLogOptions, type Isolation, type KeyPartitioner, type KeylessPartitioner, type LogTransaction, type ReadResult } from './in-memory-log.js';
export { InMemoryOutputSink, InMemoryTransactionalSink } from './in-memory-sinks.js';
export { InMemoryRecordSource, type InMemorySourceOptions } from './in-memory-source.js';
export { inMemoryTransport, type InMemoryStageTransport, type InMemoryTransportFaults, type InMemoryTransportOptions } from './in-memory-transport.js';
export { addTestMember, type TestMember, type TestMemberEvent, type TestMemberOptions } from './test-member.js';
