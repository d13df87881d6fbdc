/** Bare actor nodes (no gateway, no Postgres) for runtime tests that bring their own actor kinds. */
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import {
  ActorNode,
  type AnyActorKind,
  defaultInstanceOptions,
  Subjects,
} from "../../actors/runtime/index.ts";
import { JetStreamEventStore, JetStreamTimerIndex } from "../../storage/jetstream/jetstream-event-store.ts";
import { ensureStreams } from "../../storage/jetstream/streams.ts";
import { NATS_URL } from "./harness.ts";

export interface BareNodeOptions {
  namespace: string;
  nodeId: string;
  kinds: AnyActorKind[];
  shardCount: number;
  leaseTtlMs: number;
  idleMs?: number;
  /** Connections are collected here so the test can close them in afterAll. */
  connections: NatsConnection[];
}

export async function startBareNode(o: BareNodeOptions): Promise<ActorNode> {
  const nc = await connect({ servers: NATS_URL });
  o.connections.push(nc);
  const subjects = new Subjects(o.namespace);
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  const streams = await ensureStreams(jsm, subjects, { duplicateWindowMs: 60_000 });
  const node = new ActorNode(
    nc,
    o.kinds,
    {
      store: new JetStreamEventStore(js, jsm, subjects, streams),
      timerIndex: new JetStreamTimerIndex(js, subjects, streams),
    },
    {
      namespace: o.namespace,
      nodeId: o.nodeId,
      shardCount: o.shardCount,
      leaseTtlMs: o.leaseTtlMs,
      idleMs: o.idleMs ?? 60_000,
      maxActive: 10_000,
      maxPending: 100_000,
      instance: defaultInstanceOptions,
    },
  );
  await node.start();
  return node;
}
