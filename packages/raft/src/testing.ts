// @qonnect/raft/testing — for tests and benchmarks only (the dependency check enforces it): the suite every
// Storage implementation must pass, real raft-kv process clusters, and a recorded concurrent KV workload.
export { runStorageSuite, type StorageSuiteOptions } from "./storage.suite.js";
export { type ClusterOptions, type ProcessCluster, startCluster } from "./testing/cluster.js";
export { runWorkload, startWorkload, type Workload, type WorkloadResult } from "./testing/history.js";
