import { DiscardPolicy, type JetStreamManager, RetentionPolicy, StorageType } from "@nats-io/jetstream";
import type { Subjects } from "../../actors/runtime/index.ts";

export interface StreamNames {
  events: string;
  snapshots: string;
  timers: string;
}

export function streamNames(namespace: string): StreamNames {
  const ns = namespace.replace(/\W/g, "_").toUpperCase();
  return { events: `${ns}_EVENTS`, snapshots: `${ns}_SNAPSHOTS`, timers: `${ns}_TIMERS` };
}

/**
 * Creates (or updates) the three streams. Events are the durable log (file storage, kept); snapshots
 * and the timer index keep only the newest message per subject and serve direct gets.
 *
 * `eventsMaxBytes` caps the event stream with discard-new: when it is reached JetStream refuses appends
 * ("maximum bytes exceeded") and never drops old events. The cap is what keeps the event log from eating
 * the space the lease buckets and snapshots need (JetStream reserves a stream's max_bytes at creation).
 * Only the size limit and the discard policy change on an existing stream: name, subjects, batch format
 * stay the public contract.
 */
export async function ensureStreams(
  jsm: JetStreamManager,
  subjects: Subjects,
  options: { duplicateWindowMs: number; eventsMaxBytes?: number },
): Promise<StreamNames> {
  const names = streamNames(subjects.namespace);
  const nanos = (ms: number) => ms * 1_000_000;
  await upsert(jsm, {
    name: names.events,
    subjects: [subjects.allEvents()],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    allow_direct: true,
    duplicate_window: nanos(options.duplicateWindowMs),
    num_replicas: 1,
    ...(options.eventsMaxBytes
      ? { max_bytes: options.eventsMaxBytes, discard: DiscardPolicy.New }
      : { max_bytes: -1, discard: DiscardPolicy.Old }),
  });
  await upsert(jsm, {
    name: names.snapshots,
    subjects: [subjects.allSnapshots()],
    storage: StorageType.File,
    max_msgs_per_subject: 1,
    allow_direct: true,
    num_replicas: 1,
  });
  await upsert(jsm, {
    name: names.timers,
    subjects: [subjects.allTimers()],
    storage: StorageType.File,
    max_msgs_per_subject: 1,
    allow_direct: true,
    num_replicas: 1,
  });
  return names;
}

type StreamConfig = Parameters<JetStreamManager["streams"]["add"]>[0];

async function upsert(jsm: JetStreamManager, config: StreamConfig): Promise<void> {
  try {
    await jsm.streams.info(config.name!);
    await jsm.streams.update(config.name!, config);
  } catch (error) {
    if (!String((error as Error).message).includes("not found")) throw error;
    await jsm.streams.add(config);
  }
}
