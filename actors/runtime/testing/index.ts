/** The runtime's test doubles (the second public face of `actors/runtime/`, for tests only). */
export {
  type HeldMessage,
  MemoryCluster,
  type MemoryClusterOptions,
  type WireMessage,
  type WirePhase,
} from "./memory-cluster.ts";
export { AppendGate, MemoryEventStore, MemoryTimerIndex } from "./memory-event-store.ts";
