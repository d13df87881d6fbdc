import type postgres from "postgres";

type Queryable = postgres.Sql | postgres.TransactionSql;

/** One flash-sale campaign's progress as the panel shows it (from the flash-sale module's read model). */
export interface FlashSaleFigures {
  campaignId: string;
  name: string;
  sku: string;
  status: string;
  allocated: number;
  sold: number;
  refused: number;
  /** Requests waiting in the campaign's admission queue; null when this build cannot tell. */
  queueLength: number | null;
}

/** Where the panel's flash-sale figures come from (the flash-sale module's queries), when it is built in. */
export type FlashSaleProgress = (sql: Queryable) => Promise<FlashSaleFigures[]>;

export interface PromotionsPanelData {
  /** Database time the figures were taken at: a client keeps the newest panel it has seen. */
  takenAt: string;
  coupons: {
    templates: number;
    activeTemplates: number;
    issued: number;
    claimed: number;
    pushed: number;
    used: number;
    /** Payable totals of paid orders that used a coupon, and the discount they got from coupons (fen). */
    gmv: number;
    discountCost: number;
    claimsLastMinute: number;
    redemptionsLastMinute: number;
    /** Claims and redemptions per minute over the last 30 minutes (only minutes with activity). */
    perMinute: Array<{ at: number; claims: number; redemptions: number }>;
    top: Array<{
      templateId: string;
      name: string;
      issued: number;
      totalQuantity: number;
      used: number;
      gmv: number;
    }>;
  };
  promotions: {
    active: number;
    /** Orders paid today (Asia/Shanghai) with a promotion or coupon discount, their GMV and discount. */
    ordersToday: number;
    gmvToday: number;
    discountToday: number;
  };
  /** null: this build has no flash-sale module (the panel says so). */
  flashSales: FlashSaleFigures[] | null;
}

const n = (v: unknown) => Number(v ?? 0);

/**
 * Flash-sale progress straight from the flash-sale module's read model (`flash_sales`, decision 0023) when
 * this database has it and no `FlashSaleProgress` is bound: campaigns live now or ended within the hour.
 * Read in a savepoint, so a table of another shape leaves the rest of the panel intact (then null).
 */
async function flashSalesFromReadModel(tx: Queryable): Promise<FlashSaleFigures[] | null> {
  const [table] = await tx`SELECT to_regclass('flash_sales') IS NOT NULL AS present`;
  if (!table?.present) return null;
  const read = async (q: Queryable) =>
    q`SELECT campaign_id, name, sku, allocated, sold, refused,
        CASE WHEN status IN ('allocating', 'failed', 'ended') THEN status
          WHEN ended_at IS NOT NULL OR now() >= ends_at THEN 'ended'
          WHEN now() < starts_at THEN 'scheduled' ELSE 'active' END AS live_status
      FROM flash_sales WHERE ended_at IS NULL OR ended_at > now() - interval '1 hour'
      ORDER BY starts_at DESC, campaign_id DESC LIMIT 20`;
  try {
    const rows = "savepoint" in tx ? await tx.savepoint((sp) => read(sp)) : await read(tx);
    return rows.map((r) => ({
      campaignId: r.campaign_id as string,
      name: r.name as string,
      sku: r.sku as string,
      status: r.live_status as string,
      allocated: n(r.allocated),
      sold: n(r.sold),
      refused: n(r.refused),
      queueLength: null,
    }));
  } catch {
    return null;
  }
}

/** The promotions panel's figures: coupon effect and activity, live promotions, GMV they drove, flash sales. */
export async function promotionsPanel(
  tx: Queryable,
  flashSales?: FlashSaleProgress,
): Promise<PromotionsPanelData> {
  const [now] = await tx`SELECT now()::timestamptz AS at`;
  const takenAt = now ? (now.at as Date).toISOString() : new Date().toISOString();
  const [totals] = await tx`SELECT count(*)::int AS templates,
      count(*) FILTER (WHERE ended_at IS NULL AND valid_from <= now() AND valid_to > now())::int AS active,
      COALESCE(sum(issued), 0)::bigint AS issued, COALESCE(sum(claimed), 0)::bigint AS claimed,
      COALESCE(sum(pushed), 0)::bigint AS pushed, COALESCE(sum(used), 0)::bigint AS used,
      COALESCE(sum(gmv), 0)::bigint AS gmv, COALESCE(sum(discount_cost), 0)::bigint AS discount_cost
    FROM coupon_templates`;
  const minutes = await tx`
    WITH c AS (SELECT (floor(extract(epoch FROM issued_at) / 60) * 60000)::bigint AS at, count(*)::int AS claims
        FROM coupons WHERE source = 'claim' AND issued_at >= now() - interval '30 minutes' GROUP BY 1),
      r AS (SELECT (floor(extract(epoch FROM used_at) / 60) * 60000)::bigint AS at, count(*)::int AS redemptions
        FROM coupons WHERE used_at >= now() - interval '30 minutes' GROUP BY 1)
    SELECT COALESCE(c.at, r.at) AS at, COALESCE(c.claims, 0) AS claims, COALESCE(r.redemptions, 0) AS redemptions
    FROM c FULL JOIN r ON r.at = c.at ORDER BY 1`;
  const [lastMinute] = await tx`SELECT
      count(*) FILTER (WHERE source = 'claim' AND issued_at >= now() - interval '1 minute')::int AS claims,
      count(*) FILTER (WHERE used_at >= now() - interval '1 minute')::int AS redemptions
    FROM coupons WHERE issued_at >= now() - interval '1 minute' OR used_at >= now() - interval '1 minute'`;
  const top = await tx`SELECT template_id, name, issued, total_quantity, used, gmv FROM coupon_templates
    ORDER BY (ended_at IS NULL) DESC, issued DESC, created_at DESC LIMIT 8`;
  const [promotions] = await tx`SELECT count(*)::int AS active FROM promotions
    WHERE ended_at IS NULL AND starts_at <= now() AND ends_at > now()`;
  const [driven] = await tx`SELECT count(*)::int AS orders, COALESCE(sum(paid_amount), 0)::bigint AS gmv,
      COALESCE(sum(discount_amount), 0)::bigint AS discount
    FROM orders WHERE discount_amount > 0 AND paid_at IS NOT NULL
      AND paid_at >= date_trunc('day', now() AT TIME ZONE 'Asia/Shanghai') AT TIME ZONE 'Asia/Shanghai'
      -- Paid orders were placed at most a day before payment (the payment timeout is far shorter): the
      -- created_at index bounds the scan, as on the orders panel.
      AND created_at >= (date_trunc('day', now() AT TIME ZONE 'Asia/Shanghai') AT TIME ZONE 'Asia/Shanghai') - interval '1 day'`;
  return {
    takenAt,
    coupons: {
      templates: n(totals?.templates),
      activeTemplates: n(totals?.active),
      issued: n(totals?.issued),
      claimed: n(totals?.claimed),
      pushed: n(totals?.pushed),
      used: n(totals?.used),
      gmv: n(totals?.gmv),
      discountCost: n(totals?.discount_cost),
      claimsLastMinute: n(lastMinute?.claims),
      redemptionsLastMinute: n(lastMinute?.redemptions),
      perMinute: minutes.map((r) => ({ at: n(r.at), claims: n(r.claims), redemptions: n(r.redemptions) })),
      top: top.map((r) => ({
        templateId: r.template_id as string,
        name: r.name as string,
        issued: n(r.issued),
        totalQuantity: n(r.total_quantity),
        used: n(r.used),
        gmv: n(r.gmv),
      })),
    },
    promotions: {
      active: n(promotions?.active),
      ordersToday: n(driven?.orders),
      gmvToday: n(driven?.gmv),
      discountToday: n(driven?.discount),
    },
    flashSales: flashSales ? await flashSales(tx) : await flashSalesFromReadModel(tx),
  };
}
