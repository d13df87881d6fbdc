-- The stock read model applies each movement once, keyed by its ledger row (seq, idx), so a parked
-- event retried after later ones still moves the stock. Safety stock is a level, not a delta: it keeps
-- the sequence of the change that set it, and an older change never overrides a newer one.
ALTER TABLE inventory_stock ADD COLUMN IF NOT EXISTS safety_version bigint NOT NULL DEFAULT 0;
