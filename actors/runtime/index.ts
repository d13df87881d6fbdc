export {
  ActorClient,
  type ActorClientOptions,
  type LocalActors,
  type SendOptions,
} from "./actor-client.ts";
export { ActorInstance, type InstanceHost, type InstanceOptions } from "./actor-instance.ts";
export {
  ActorNode,
  type ActorNodeOptions,
  clusterCoverage,
  defaultInstanceOptions,
  type LeaseBuckets,
  openLeaseBuckets,
} from "./actor-node.ts";
export { type ConnectionState, ConnectionWatch } from "./connection-watch.ts";
export { DeadlineError, withDeadline } from "./deadline.ts";
export {
  DomainError,
  type DomainErrorKind,
  type ErrorBody,
  type ErrorKind,
  errorFromBody,
  isRetryable,
  RuntimeError,
  type RuntimeErrorKind,
} from "./errors.ts";
export {
  type EventStore,
  type LoadedActor,
  type LoadOptions,
  StaleWriteError,
  StorageFullError,
  type TimerIndex,
} from "./event-store.ts";
export { idGenerator } from "./ids.ts";
export {
  type ActorKind,
  type AnyActorKind,
  type CommandMeta,
  type DecideContext,
  type Decision,
  defineKind,
  type Effect,
  type EffectService,
  type Resolution,
  type TimerRequest,
} from "./kind.ts";
export { createLogger, type Logger, type LoggerOptions, type LogLevel, silentLogger } from "./log.ts";
export { Counter, Gauge, Histogram, MetricsRegistry } from "./metrics.ts";
export {
  type ActorRef,
  actorKey,
  type CommandEnvelope,
  EFFECT_COMMAND,
  type LogBatch,
  type LoggedCommand,
  type LoggedEffect,
  type Reply,
  type SnapshotRecord,
  type StoredBatch,
  TIMER_COMMAND,
} from "./protocol.ts";
export {
  ACTOR_ID_MAX_LENGTH,
  ACTOR_ID_PATTERN,
  fnv1a32,
  idPattern,
  isValidActorId,
  KIND_PATTERN,
  Subjects,
  shardOf,
} from "./shard.ts";
export { ShardLeases } from "./shard-leases.ts";
export { WakeSchedule } from "./wake-schedule.ts";
