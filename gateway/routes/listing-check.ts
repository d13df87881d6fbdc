import type { Context } from "hono";
import type { ListingView } from "../../actors/product/index.ts";
import type { GatewayKit } from "../app.ts";
import type { Catalogue } from "../ports.ts";
import { ProblemError } from "../problem.ts";

/**
 * Refuses an order line whose SKU belongs to a product that is not on sale (409 `not-on-sale`, field
 * `lines.N.sku`). SKUs of no product are not checked (today's behaviour). Cheap: one query for
 * sku → SPU, then one actor read per distinct SPU, in parallel (the actor, so a publish just
 * acknowledged counts).
 */
export async function requireOnSale(
  kit: GatewayKit,
  c: Context,
  catalogue: Pick<Catalogue, "spuOfSkus">,
  skus: string[],
): Promise<void> {
  const spuOf = await catalogue.spuOfSkus(skus);
  if (spuOf.size === 0) return;
  const spus = [...new Set(spuOf.values())];
  const listings = await Promise.all(spus.map((spu) => kit.read<ListingView>(c, "product", spu)));
  const status = new Map(spus.map((spu, i) => [spu, listings[i]?.status]));
  for (const [i, sku] of skus.entries()) {
    const spu = spuOf.get(sku);
    if (spu === undefined || status.get(spu) === "on_sale") continue;
    throw new ProblemError(409, "not-on-sale", `SKU ${sku} belongs to product ${spu}, which is not on sale`, {
      field: `lines.${i}.sku`,
      spuCode: spu,
      status: status.get(spu),
    });
  }
}
