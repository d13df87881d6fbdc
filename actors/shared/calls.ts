/**
 * A command to another actor, built by the callee's own typed builder (`inventory.reserve(sku, {...})`),
 * so a renamed or missing field fails `tsc` in the caller instead of failing validation in production.
 */
export interface ActorCall<C extends { type: string } = { type: string; [field: string]: unknown }> {
  to: { kind: string; id: string };
  cmd: C;
}

/** The fields of command `T` of the union `C`, without its `type`. */
export type CommandFields<C extends { type: string }, T extends C["type"]> = Omit<
  Extract<C, { type: T }>,
  "type"
>;

/**
 * Builders for the commands of one kind. `C` is the input type of the kind's command schema, so fields
 * with defaults stay optional for callers.
 *
 * @example
 * const build = commandBuilder<InventoryCommandInput>("sku");
 * export const reserve = build("reserve"); // reserve("SKU-1", { orderId: "O-1", qty: 2 })
 */
export function commandBuilder<C extends { type: string }>(kind: string) {
  return <T extends C["type"]>(type: T) =>
    (id: string, fields: CommandFields<C, T>): ActorCall<Extract<C, { type: T }>> => ({
      to: { kind, id },
      // `Omit<Extract<C, T>, "type"> & { type: T }` is `Extract<C, T>`, which TypeScript cannot prove generically.
      cmd: { ...fields, type } as unknown as Extract<C, { type: T }>,
    });
}
