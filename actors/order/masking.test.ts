import { expect, test } from "bun:test";
import { maskOrder, maskOrderEvents } from "./index.ts";

const address = { region: "Shanghai", detail: "1 Road", phone: "13800001234", name: "Han Meimei" };

test("masking - without the permission, name, phone and street are hidden and the region stays", () => {
  expect(maskOrder({ orderId: "O1", address }, false).address).toEqual({
    region: "Shanghai",
    name: "H*",
    phone: "*******1234",
    detail: "***",
  });
  expect(maskOrder({ orderId: "O1", address }, true).address).toEqual(address);
  expect(maskOrder({ orderId: "O1", address: null }, false).address).toBeNull();
});

test("masking - order events carrying an address are masked, the others pass untouched", () => {
  const events = [
    { type: "placed", address, lines: [] },
    { type: "paid", amount: 1 },
    { type: "addressChanged", address },
  ];
  const masked = maskOrderEvents(events, false);
  expect(JSON.stringify(masked)).not.toContain("13800001234");
  expect(JSON.stringify(masked)).not.toContain("1 Road");
  expect(masked[1]).toBe(events[1]!);
  expect(maskOrderEvents(events, true)).toBe(events);
});

test("masking - an address of an unexpected shape is withheld, never passed through", () => {
  expect(maskOrder({ address: { phone: "13800001234" } }, false).address).toBeNull();
});
