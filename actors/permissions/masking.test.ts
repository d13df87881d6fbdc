import { expect, test } from "bun:test";
import {
  BROAD_PII_PERMISSIONS,
  isCatalogued,
  maskBankCard,
  maskEmail,
  maskedView,
  maskIdCard,
  maskPhone,
  maskPii,
  PII_PERMISSIONS,
  piiView,
  redactForLog,
  redactText,
  unmaskedFields,
  viewKey,
} from "./index.ts";

const holds =
  (...permissions: string[]) =>
  (p: string) =>
    permissions.includes(p);

test("masking - one masker per field type", () => {
  expect(maskPhone("13812345678")).toBe("138****5678");
  expect(maskPhone("+86 138-1234-5678")).toBe("861****5678");
  expect(maskPhone("138****5678")).toBe("138****5678");
  expect(maskPhone("12345")).toBe("*2345");
  expect(maskEmail("li.lei@example.com")).toBe("l***@example.com");
  expect(maskEmail("nobody")).toBe("***");
  expect(maskIdCard("110101199003071234")).toBe("110***********1234");
  expect(maskIdCard("11010119900307123X")).toBe("110***********123X");
  expect(maskBankCard("6222 0212 3456 7890")).toBe("************7890");
  expect(maskBankCard("123")).toBe("****");
});

test("masking - a view shows a type with its pii permission; broad permissions keep their meaning", () => {
  expect([...piiView(holds("pii:phone"), "customer").fields]).toEqual(["phone"]);
  expect([...piiView(holds("customer:pii"), "customer").fields].sort()).toEqual([
    "address",
    "email",
    "phone",
  ]);
  // customer:pii is about customers: it unmasks nothing of a supplier's.
  expect([...piiView(holds("customer:pii"), "supplier").fields]).toEqual([]);
  const supplier = piiView(holds("supplier:contact"), "supplier");
  expect([...supplier.fields].sort()).toEqual(["email", "phone"]);
  expect(supplier.contactName).toBe(true);
  // ID and bank cards only by their own permission.
  expect(piiView(holds("customer:pii", "supplier:contact"), "supplier").fields.has("bank_card")).toBe(false);
  expect(viewKey(maskedView("customer"))).toBe("none");
  expect(viewKey(piiView(holds("pii:email", "pii:phone"), "customer"))).toBe("phone+email");
});

const order = {
  orderId: "O1",
  address: { region: "Shanghai Pudong", detail: "1 Century Ave", name: "Li Lei", phone: "13812345678" },
  events: [{ type: "placed", address: { region: "R", detail: "D", name: "N", phone: "13900001111" } }],
};

test("masking - maskPii masks by member name at any depth, per type, and shares unchanged values", () => {
  const masked = maskPii(order, maskedView("customer"));
  expect(masked.address).toEqual({
    region: "Shanghai Pudong",
    detail: "***",
    name: "L*",
    phone: "138****5678",
  });
  expect(masked.events[0]?.address.phone).toBe("139****1111");
  const phoneOnly = maskPii(order, piiView(holds("pii:phone"), "customer"));
  expect(phoneOnly.address).toEqual({
    region: "Shanghai Pudong",
    detail: "***",
    name: "L*",
    phone: "13812345678",
  });
  const addressOnly = maskPii(order, piiView(holds("pii:address"), "customer"));
  expect(addressOnly.address).toEqual({ ...order.address, phone: "138****5678" });
  expect(maskPii(order, piiView(holds("customer:pii"), "customer"))).toBe(order);
  const untouched = { orderId: "O2", lines: [{ sku: "A" }] };
  expect(maskPii(untouched, maskedView("customer"))).toBe(untouched);
  // A number or an object where a string belongs is withheld, never passed through.
  expect(maskPii({ phone: 13812345678 } as { phone: unknown }, maskedView("customer"))).toEqual({
    phone: null,
  });
  const hostile = JSON.parse('{"__proto__": {"phone": "13812345678"}}');
  expect(JSON.stringify(maskPii(hostile, maskedView("customer")))).toBe(
    '{"__proto__":{"phone":"138****5678"}}',
  );
});

test("masking - supplier contact, bank account and ID card", () => {
  const supplier = {
    code: "S1",
    contact: { name: "王五", phone: "13800001234", email: "wang@example.com" },
    bankAccount: { bank: "ICBC", holder: "S1 Ltd", accountNo: "6222021234567890123" },
    legalRepresentative: { idCard: "110101199003071234" },
  };
  const none = maskPii(supplier, maskedView("supplier"));
  expect(none.contact).toEqual({ name: "王*", phone: "138****1234", email: "w***@example.com" });
  expect(none.bankAccount).toEqual({ bank: "ICBC", holder: "S1 Ltd", accountNo: "***************0123" });
  expect(none.legalRepresentative.idCard).toBe("110***********1234");
  const view = piiView(holds("supplier:contact", "pii:bank_card"), "supplier");
  expect(unmaskedFields(supplier, view)).toEqual(["phone", "bank_card", "email"]);
  expect(maskPii(supplier, view).legalRepresentative.idCard).toBe("110***********1234");
  expect(unmaskedFields(order, piiView(holds("pii:address"), "customer"))).toEqual(["address"]);
  expect(unmaskedFields(order, maskedView("customer"))).toEqual([]);
});

test("masking - log redaction masks PII members by name and PII-looking values in free text", () => {
  const line = redactForLog({
    msg: "carrier refused 13812345678, contact li.lei@example.com",
    order,
    error: new Error("card 6222 0212 3456 7890 / id 110101199003071234"),
  });
  const text = JSON.stringify(line);
  for (const secret of [
    "13812345678",
    "li.lei@example.com",
    "6222 0212 3456 7890",
    "110101199003071234",
    "1 Century Ave",
    "13900001111",
  ])
    expect(text).not.toContain(secret);
  expect(text).toContain("138****5678");
  expect(text).toContain("110***********1234");
  expect(text).toContain("************7890");
  // Ordinary figures survive: order ids, amounts, timestamps.
  expect(redactText("order O123 paid 19900 at 1732950000000")).toBe("order O123 paid 19900 at 1732950000000");
});

test("masking - every permission the policy checks is in the catalogue", () => {
  const named = [
    ...Object.values(PII_PERMISSIONS),
    ...Object.values(BROAD_PII_PERMISSIONS).map((b) => b.permission),
  ];
  expect(named.filter((p) => !isCatalogued(p))).toEqual([]);
  expect(named).toContain("pii:id_card");
});
