-- Freight templates (issue 13 item 1, decision 0028): reference data read by every quote and order, so
-- an acknowledged write applies to the very next one. The routing decisions live on the order actors.
CREATE TABLE IF NOT EXISTS freight_templates (
  code text PRIMARY KEY,
  warehouse text NOT NULL,
  basis text NOT NULL CHECK (basis IN ('weight', 'volume', 'piece')),
  rules jsonb NOT NULL,
  free_over bigint NULL,
  excluded jsonb NOT NULL DEFAULT '[]',
  volumetric_divisor int NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS freight_templates_warehouse ON freight_templates (warehouse, code);
