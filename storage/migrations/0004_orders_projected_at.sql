-- When the projector wrote the row: with the event time it measures read-model lag per order.
ALTER TABLE orders ADD COLUMN IF NOT EXISTS projected_at timestamptz;
