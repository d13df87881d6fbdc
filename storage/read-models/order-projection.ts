import type { OrderEvent } from "../../actors/order/index.ts";
import type { PaymentEvent } from "../../actors/payment/index.ts";
import type { ProjectedBatch, ProjectionTx, ReadModelProjection } from "../projection.ts";

/**
 * Orders and payments lists, projected from their actors' events (guarded by version = stream sequence).
 *
 * A flush costs a handful of statements whatever its size: the hot events (placed, created, line
 * reserved, the status moves) go in statements of a fixed shape, one array per column, so each is
 * prepared once and a thousand orders cost what one does. The rest (refunds, after-sales, address
 * changes) keep their own statement. Every statement is issued without waiting for the one before:
 * postgres.js pipelines them on the transaction's connection in issue order, which keeps each entity's
 * events in log order (its k-th status move goes in the k-th round) at the cost of one round trip.
 */
export const orderProjection: ReadModelProjection = {
  name: "orders",
  orderSensitive: ["order", "payment"],
  async apply(tx: ProjectionTx, batches: ProjectedBatch[]) {
    const plan = new FlushPlan();
    for (const { seq, ref, batch } of batches) {
      if (ref.kind === "order") {
        for (const event of batch.ev as OrderEvent[]) plan.order(ref.id, seq, event);
      } else if (ref.kind === "payment") {
        for (const event of batch.ev as PaymentEvent[]) plan.payment(ref.id, seq, event);
      }
    }
    await Promise.all(plan.issue(tx));
  },
};

type Versioned<E> = { id: string; seq: number; event: E };

/** A flush's order and payment events, sorted into what can go in one statement. */
class FlushPlan {
  readonly #placed: Versioned<Extract<OrderEvent, { type: "placed" }>>[] = [];
  readonly #created: Versioned<Extract<PaymentEvent, { type: "created" }>>[] = [];
  /** Per order, every warehouse its lines were reserved in (a union: order and repeats do not matter). */
  readonly #reservedIn = new Map<string, Set<string>>();
  /** Per order and per payment, the events guarded by version, in log order. */
  readonly #orderMoves = new Map<string, Versioned<OrderEvent>[]>();
  readonly #paymentMoves = new Map<string, Versioned<PaymentEvent>[]>();

  order(id: string, seq: number, event: OrderEvent): void {
    if (event.type === "placed") this.#placed.push({ id, seq, event });
    else if (event.type === "lineReserved") {
      const set = this.#reservedIn.get(id) ?? new Set<string>();
      for (const a of event.allocation) set.add(a.warehouse);
      this.#reservedIn.set(id, set);
    } else if (orderStatement(event) !== "none") push(this.#orderMoves, id, { id, seq, event });
  }

  payment(id: string, seq: number, event: PaymentEvent): void {
    if (event.type === "created") this.#created.push({ id, seq, event });
    else if (paymentStatement(event) !== "none") push(this.#paymentMoves, id, { id, seq, event });
  }

  /**
   * Issues every statement in an order that keeps each entity's events in log order. postgres.js sends a
   * query when it is first awaited, so each helper awaits its query at once (an async function): a query
   * merely created here would go out only in `Promise.all`, after statements issued later.
   */
  issue(tx: ProjectionTx): Promise<unknown>[] {
    const pending: Promise<unknown>[] = [];
    // An entity's first event creates its row, before anything that updates it.
    if (this.#placed.length > 0) pending.push(insertOrders(tx, this.#placed));
    if (this.#created.length > 0) pending.push(insertPayments(tx, this.#created));
    if (this.#reservedIn.size > 0) pending.push(addWarehouses(tx, this.#reservedIn));
    const rounds = Math.max(
      0,
      ...[...this.#orderMoves.values(), ...this.#paymentMoves.values()].map((m) => m.length),
    );
    for (let round = 0; round < rounds; round++) {
      const statusMoves: Versioned<OrderEvent>[] = [];
      for (const moves of this.#orderMoves.values()) {
        const move = moves[round];
        if (!move) continue;
        if (orderStatement(move.event) === "status") statusMoves.push(move);
        else pending.push(applyOrder(tx, move.id, move.seq, move.event));
      }
      if (statusMoves.length > 0) pending.push(moveOrders(tx, statusMoves));
      const paymentMoves: Versioned<PaymentEvent>[] = [];
      for (const moves of this.#paymentMoves.values()) {
        const move = moves[round];
        if (!move) continue;
        if (paymentStatement(move.event) === "status") paymentMoves.push(move);
        else pending.push(applyPayment(tx, move.id, move.seq, move.event));
      }
      if (paymentMoves.length > 0) pending.push(movePayments(tx, paymentMoves));
    }
    return pending;
  }
}

function push<E>(map: Map<string, Versioned<E>[]>, id: string, move: Versioned<E>): void {
  const list = map.get(id);
  if (list) list.push(move);
  else map.set(id, [move]);
}

const iso = (at: number | undefined) => new Date(at ?? Date.now()).toISOString();

/** `status`: a status move the set statement covers; `single`: its own statement; `none`: no change. */
function orderStatement(e: OrderEvent): "status" | "single" | "none" {
  if (e.type === "paid" || (STATUS_AFTER[e.type] && !SINGLE_ORDER_EVENTS.has(e.type))) return "status";
  if (e.type === "afterSalesDecided") return e.approved ? "none" : "single";
  return SINGLE_ORDER_EVENTS.has(e.type) ? "single" : "none";
}

const SINGLE_ORDER_EVENTS = new Set<OrderEvent["type"]>([
  "addressChanged",
  "refunded",
  "afterSalesRequested",
]);

function paymentStatement(e: PaymentEvent): "status" | "single" | "none" {
  if (e.type === "captured" || e.type === "failed") return "status";
  return e.type === "callbackRejected" || e.type === "refunded" ? "single" : "none";
}

async function insertOrders(tx: ProjectionTx, placed: Versioned<Extract<OrderEvent, { type: "placed" }>>[]) {
  const col = <T>(f: (p: Versioned<Extract<OrderEvent, { type: "placed" }>>) => T) => placed.map(f);
  await tx`INSERT INTO orders (order_id, user_id, status, channel, skus, items_amount, discount_amount, freight_amount,
      total_amount, created_at, updated_at, version, region, created_by)
    SELECT order_id, user_id, 'placing', channel, ARRAY(SELECT jsonb_array_elements_text(skus::jsonb)), items, discount,
      freight, total, at, at, version, region, created_by
    FROM unnest(${col((p) => p.id)}::text[], ${col((p) => p.event.userId)}::text[], ${col((p) => p.event.channel)}::text[],
      ${col((p) => JSON.stringify(p.event.lines.map((l) => l.sku)))}::text[], ${col((p) => p.event.amounts.items)}::bigint[],
      ${col((p) => p.event.amounts.discount)}::bigint[], ${col((p) => p.event.amounts.freight)}::bigint[],
      ${col((p) => p.event.amounts.total)}::bigint[], ${col((p) => iso(p.event.at))}::timestamptz[],
      ${col((p) => p.seq)}::bigint[], ${col((p) => p.event.address.region)}::text[], ${col((p) => p.event.by)}::text[])
      AS t(order_id, user_id, channel, skus, items, discount, freight, total, at, version, region, created_by)
    ON CONFLICT (order_id) DO NOTHING`;
}

async function insertPayments(
  tx: ProjectionTx,
  created: Versioned<Extract<PaymentEvent, { type: "created" }>>[],
) {
  const col = <T>(f: (p: Versioned<Extract<PaymentEvent, { type: "created" }>>) => T) => created.map(f);
  await tx`INSERT INTO payments (payment_id, order_id, user_id, channel, amount, status, created_at, updated_at, version)
    SELECT payment_id, order_id, user_id, channel, amount, 'created', at, at, version
    FROM unnest(${col((p) => p.id)}::text[], ${col((p) => p.event.orderId)}::text[], ${col((p) => p.event.userId)}::text[],
      ${col((p) => p.event.channel)}::text[], ${col((p) => p.event.amount)}::bigint[], ${col((p) => iso(p.event.at))}::timestamptz[],
      ${col((p) => p.seq)}::bigint[]) AS t(payment_id, order_id, user_id, channel, amount, at, version)
    ON CONFLICT (payment_id) DO NOTHING`;
}

/** The order's data-scope facts (decision 0033): the warehouses its stock is reserved in, as a union. */
async function addWarehouses(tx: ProjectionTx, reservedIn: Map<string, Set<string>>) {
  const ids = [...reservedIn.keys()];
  // A union: replaying the batch changes nothing, and it does not move `version` (status events do).
  await tx`UPDATE orders o SET warehouses = ARRAY(SELECT DISTINCT w FROM unnest(o.warehouses || r.wanted) w ORDER BY w)
    FROM (SELECT order_id, ARRAY(SELECT jsonb_array_elements_text(wanted::jsonb)) AS wanted
          FROM unnest(${ids}::text[], ${ids.map((id) => JSON.stringify([...(reservedIn.get(id) ?? [])]))}::text[])
            AS t(order_id, wanted)) r
    WHERE o.order_id = r.order_id AND NOT (o.warehouses @> r.wanted)`;
}

/**
 * One status move per order (a round): the generic ones, and `paid` with its payment facts (a row with a
 * `payment_id` is a payment; no boolean column, which postgres.js would type as a scalar).
 */
async function moveOrders(tx: ProjectionTx, moves: Versioned<OrderEvent>[]) {
  const paid = (m: Versioned<OrderEvent>) => (m.event.type === "paid" ? m.event : undefined);
  await tx`UPDATE orders o SET status = u.status,
      paid_amount = CASE WHEN u.payment_id IS NOT NULL THEN u.paid_amount ELSE o.paid_amount END,
      payment_id = CASE WHEN u.payment_id IS NOT NULL THEN u.payment_id ELSE o.payment_id END,
      paid_at = CASE WHEN u.payment_id IS NOT NULL THEN u.at ELSE o.paid_at END,
      updated_at = u.at, projected_at = clock_timestamp(), version = u.version
    FROM unnest(${moves.map((m) => m.id)}::text[],
      ${moves.map((m) => paid(m)?.status ?? (m.event.type === "paid" ? "awaiting_shipment" : (STATUS_AFTER[m.event.type] as string)))}::text[],
      ${moves.map((m) => paid(m)?.amount ?? 0)}::bigint[],
      ${moves.map((m) => paid(m)?.paymentId ?? null)}::text[],
      ${moves.map((m) => iso("at" in m.event ? m.event.at : undefined))}::timestamptz[], ${moves.map((m) => m.seq)}::bigint[])
      AS u(order_id, status, paid_amount, payment_id, at, version)
    WHERE o.order_id = u.order_id AND o.version < u.version`;
}

/** One status move per payment (a round): captured (with the channel's transaction id) or failed. */
async function movePayments(tx: ProjectionTx, moves: Versioned<PaymentEvent>[]) {
  await tx`UPDATE payments p SET status = u.status,
      channel_txn_id = CASE WHEN u.status = 'paid' THEN u.channel_txn_id ELSE p.channel_txn_id END,
      updated_at = u.at, version = u.version
    FROM unnest(${moves.map((m) => m.id)}::text[], ${moves.map((m) => (m.event.type === "captured" ? "paid" : "failed"))}::text[],
      ${moves.map((m) => (m.event.type === "captured" ? m.event.channelTxnId : null))}::text[],
      ${moves.map((m) => iso(m.event.at))}::timestamptz[], ${moves.map((m) => m.seq)}::bigint[])
      AS u(payment_id, status, channel_txn_id, at, version)
    WHERE p.payment_id = u.payment_id AND p.version < u.version`;
}

async function applyOrder(tx: ProjectionTx, orderId: string, seq: number, e: OrderEvent): Promise<void> {
  if (e.type === "placed") {
    await tx`INSERT INTO orders (order_id, user_id, status, channel, skus, items_amount, discount_amount, freight_amount,
        total_amount, created_at, updated_at, version, region, created_by)
      VALUES (${orderId}, ${e.userId}, 'placing', ${e.channel}, ${e.lines.map((l) => l.sku)}, ${e.amounts.items},
        ${e.amounts.discount}, ${e.amounts.freight}, ${e.amounts.total}, ${new Date(e.at)}, ${new Date(e.at)}, ${seq},
        ${e.address.region}, ${e.by})
      ON CONFLICT (order_id) DO NOTHING`;
    return;
  }
  // The order's data-scope facts (decision 0033): where its stock is reserved, where it is delivered.
  if (e.type === "lineReserved") {
    // A union: replaying the batch changes nothing, and it does not move `version` (status events do).
    const reservedIn = [...new Set(e.allocation.map((a) => a.warehouse))];
    await tx`UPDATE orders SET warehouses = ARRAY(SELECT DISTINCT w FROM unnest(warehouses || ${reservedIn}::text[]) w ORDER BY w)
      WHERE order_id = ${orderId} AND NOT (warehouses @> ${reservedIn}::text[])`;
    return;
  }
  if (e.type === "addressChanged") {
    await tx`UPDATE orders SET region = ${e.address.region} WHERE order_id = ${orderId} AND version <= ${seq}`;
    return;
  }
  const status = STATUS_AFTER[e.type];
  if (e.type === "paid") {
    await tx`UPDATE orders SET status = ${e.status ?? "awaiting_shipment"}, paid_amount = ${e.amount}, payment_id = ${e.paymentId},
      paid_at = ${new Date(e.at)}, updated_at = ${new Date(e.at)}, projected_at = clock_timestamp(), version = ${seq}
      WHERE order_id = ${orderId} AND version < ${seq}`;
  } else if (e.type === "refunded") {
    await tx`UPDATE orders SET refunded_amount = refunded_amount + ${e.amount},
      status = COALESCE(${e.status ?? null}::text, CASE WHEN status = 'return_requested' THEN 'returned' ELSE 'refunded' END),
      updated_at = ${new Date(e.at)}, version = ${seq} WHERE order_id = ${orderId} AND version < ${seq}`;
  } else if (e.type === "afterSalesRequested") {
    const requested = e.kind === "refund_only" ? "refund_requested" : "return_requested";
    await tx`UPDATE orders SET status_before_after_sales = status, status = ${requested}, updated_at = ${new Date(e.at)},
      projected_at = clock_timestamp(), version = ${seq} WHERE order_id = ${orderId} AND version < ${seq}`;
  } else if (e.type === "afterSalesDecided" && !e.approved) {
    await tx`UPDATE orders SET status = COALESCE(status_before_after_sales, status), updated_at = ${new Date(e.at)},
      projected_at = clock_timestamp(), version = ${seq} WHERE order_id = ${orderId} AND version < ${seq}`;
  } else if (status) {
    const at = "at" in e ? new Date(e.at) : new Date();
    await tx`UPDATE orders SET status = ${status}, updated_at = ${at}, projected_at = clock_timestamp(), version = ${seq}
      WHERE order_id = ${orderId} AND version < ${seq}`;
  }
}

const STATUS_AFTER: Partial<Record<OrderEvent["type"], string>> = {
  awaitingPayment: "pending_payment",
  placementFailed: "cancelled",
  cancelled: "cancelled",
  shipped: "shipped",
  delivered: "delivered",
  completed: "completed",
  groupFormed: "awaiting_shipment",
  depositPaid: "awaiting_balance",
  depositForfeited: "cancelled",
  groupFailed: "refund_requested",
};

async function applyPayment(
  tx: ProjectionTx,
  paymentId: string,
  seq: number,
  e: PaymentEvent,
): Promise<void> {
  const at = new Date(e.at ?? Date.now());
  if (e.type === "created") {
    await tx`INSERT INTO payments (payment_id, order_id, user_id, channel, amount, status, created_at, updated_at, version)
      VALUES (${paymentId}, ${e.orderId}, ${e.userId}, ${e.channel}, ${e.amount},
        'created', ${at}, ${at}, ${seq}) ON CONFLICT (payment_id) DO NOTHING`;
  } else if (e.type === "captured") {
    await tx`UPDATE payments SET status = 'paid', channel_txn_id = ${e.channelTxnId}, updated_at = ${at}, version = ${seq}
      WHERE payment_id = ${paymentId} AND version < ${seq}`;
  } else if (e.type === "failed") {
    await tx`UPDATE payments SET status = 'failed', updated_at = ${at}, version = ${seq} WHERE payment_id = ${paymentId} AND version < ${seq}`;
  } else if (e.type === "callbackRejected") {
    await tx`UPDATE payments SET rejected_callbacks = rejected_callbacks + 1, updated_at = ${at}, version = ${seq}
      WHERE payment_id = ${paymentId} AND version < ${seq}`;
  } else if (e.type === "refunded") {
    await tx`UPDATE payments SET refunded_amount = refunded_amount + ${e.amount},
      status = CASE WHEN refunded_amount + ${e.amount} >= amount THEN 'refunded' ELSE 'partially_refunded' END,
      updated_at = ${at}, version = ${seq} WHERE payment_id = ${paymentId} AND version < ${seq}`;
  }
}
