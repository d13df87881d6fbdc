-- The status an order had when an after-sales request arrived, so a rejected request restores it.
ALTER TABLE orders ADD COLUMN IF NOT EXISTS status_before_after_sales text;
