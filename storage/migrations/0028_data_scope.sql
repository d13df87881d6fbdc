-- Data scope (decision 0033): a role's grant may be limited to warehouses, regions, sales channels,
-- suppliers or what the user created. NULL: not limited.
ALTER TABLE roles ADD COLUMN IF NOT EXISTS scope jsonb NULL;

-- What an order is, for scoped lists (decision 0033): the warehouses its lines were reserved in, the
-- delivery address's region and who placed it. Projected from the order events; rows projected before
-- this migration keep the defaults (in no warehouse or region), so a scoped list leaves them out
-- (fail closed) while single reads, which ask the order actor, stay exact.
ALTER TABLE orders ADD COLUMN IF NOT EXISTS warehouses text[] NOT NULL DEFAULT '{}';
ALTER TABLE orders ADD COLUMN IF NOT EXISTS region text NULL;
ALTER TABLE orders ADD COLUMN IF NOT EXISTS created_by text NULL;
CREATE INDEX IF NOT EXISTS orders_warehouses ON orders USING gin (warehouses);
CREATE INDEX IF NOT EXISTS orders_region ON orders (region, created_at DESC);
CREATE INDEX IF NOT EXISTS orders_channel ON orders (channel, created_at DESC);
