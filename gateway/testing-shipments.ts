import { carrierCatalogue } from "../actors/carrier/index.ts";
import type { CarrierDesk, ShipmentReadModel } from "./shipment-ports.ts";

/** Carriers for route tests of other areas: the catalogue, every webhook refused, no simulator. */
export function fakeCarrierDesk(): CarrierDesk {
  return {
    list: async () => (await carrierCatalogue().list()).map((c) => ({ ...c, circuit: "closed" as const })),
    verifyWebhook: () => "no carrier keys in this fake",
    simulate: async () => {
      throw new Error("no carrier simulator in this fake");
    },
    setFault: async () => undefined,
  };
}

/** A shipments read model with no records. */
export function emptyShipments(): ShipmentReadModel {
  return { compensations: async () => [] };
}
