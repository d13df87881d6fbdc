import type { PresaleCampaign } from "./commands.ts";

/**
 * THE presale arithmetic (定金膨胀), per order of `qty` units: the buyer pays `deposit × qty` now and
 * `(price − depositValue) × qty` in the balance window; the expansion (`depositValue − deposit`) × qty is
 * the order's discount, so `total = items − discount = deposit + balance`.
 */
export function presaleAmounts(c: Pick<PresaleCampaign, "price" | "deposit" | "depositValue">, qty: number) {
  const items = c.price * qty;
  const deposit = c.deposit * qty;
  const balance = (c.price - c.depositValue) * qty;
  const discount = (c.depositValue - c.deposit) * qty;
  return { items, discount, total: items - discount, deposit, balance };
}

export function presalePhase(
  c: Pick<PresaleCampaign, "startsAt" | "endsAt" | "balanceFrom" | "balanceTo">,
  now: number,
): "scheduled" | "deposits" | "waiting" | "balance" | "ended" {
  if (now < c.startsAt) return "scheduled";
  if (now < c.endsAt) return now >= c.balanceFrom && now < c.balanceTo ? "balance" : "deposits";
  if (now < c.balanceFrom) return "waiting";
  return now < c.balanceTo ? "balance" : "ended";
}
