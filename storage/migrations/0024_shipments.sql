-- Logistics (issue 13 items 2, 4, 7): read models projected from the shipment actors' events, and the
-- simulated carriers' own data (what a real carrier keeps on its side: waybills issued from the
-- merchant's range by idempotency key, tracking events, injected faults).
CREATE TABLE IF NOT EXISTS shipments (
  shipment_id text PRIMARY KEY,
  order_id text NOT NULL,
  carrier text NOT NULL,
  waybill_no text NULL,
  status text NOT NULL,
  warehouse text NULL,
  to_region text NULL,
  province text NULL,
  route text NOT NULL,
  sla_hours double precision NOT NULL,
  promised_at timestamptz NOT NULL,
  late boolean NOT NULL DEFAULT false,
  on_time boolean NULL,
  fee bigint NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  delivered_at timestamptz NULL,
  version bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS shipments_order ON shipments (order_id);
CREATE INDEX IF NOT EXISTS shipments_status ON shipments (status, created_at DESC);
CREATE INDEX IF NOT EXISTS shipments_created ON shipments (created_at DESC, shipment_id DESC);

-- One row per distinct tracking event (duplicates never reach the log); received_at feeds events/minute.
CREATE TABLE IF NOT EXISTS shipment_tracking (
  shipment_id text NOT NULL,
  event_id text NOT NULL,
  kind text NOT NULL,
  occurred_at timestamptz NOT NULL,
  received_at timestamptz NOT NULL,
  carrier text NOT NULL,
  PRIMARY KEY (shipment_id, event_id)
);
CREATE INDEX IF NOT EXISTS shipment_tracking_received ON shipment_tracking (received_at);

-- After-sales compensation records opened by lost, damaged or refused parcels.
CREATE TABLE IF NOT EXISTS shipment_compensations (
  compensation_id text PRIMARY KEY,
  shipment_id text NOT NULL,
  order_id text NOT NULL,
  carrier text NOT NULL,
  reason text NOT NULL CHECK (reason IN ('lost', 'damaged', 'refused')),
  amount bigint NOT NULL,
  status text NOT NULL CHECK (status IN ('open', 'settled')),
  settled_amount bigint NULL,
  opened_at timestamptz NOT NULL,
  settled_at timestamptz NULL
);
CREATE INDEX IF NOT EXISTS shipment_compensations_open ON shipment_compensations (status, opened_at DESC);

-- The simulated carriers' side.
CREATE TABLE IF NOT EXISTS carrier_sim_waybills (
  carrier text NOT NULL,
  idempotency_key text NOT NULL,
  seq bigint NOT NULL,
  waybill_no text NOT NULL,
  order_ref text NOT NULL,
  request text NOT NULL,
  waybill jsonb NOT NULL,
  PRIMARY KEY (carrier, idempotency_key),
  UNIQUE (carrier, seq),
  UNIQUE (carrier, waybill_no)
);
CREATE TABLE IF NOT EXISTS carrier_sim_events (
  carrier text NOT NULL,
  waybill_no text NOT NULL,
  n bigserial,
  event jsonb NOT NULL,
  PRIMARY KEY (carrier, waybill_no, n)
);
CREATE TABLE IF NOT EXISTS carrier_sim_faults (
  carrier text PRIMARY KEY,
  fault text NOT NULL,
  remaining int NOT NULL
);
