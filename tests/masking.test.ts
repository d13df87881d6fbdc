/**
 * Masking policies (issue 14 item 6, decision 0037) at every door, on real services: for each field type
 * a caller without its permission sees it masked and one with it sees it unmasked, over HTTP, Socket.IO
 * and CSV exports, with one `pii.read` audit row per request (or subscription); the node's logger never
 * writes it unmasked. Order addresses carry phone and address (HTTP, export, sockets); supplier records
 * carry e-mail, phone, a bank account (bank card) and the legal representative's ID card (HTTP, export:
 * no supplier data is pushed on sockets).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { io, type Socket } from "socket.io-client";
import { type HubNode, startHubNode } from "../hub-node.ts";
import { nodeLogger } from "../node/logger.ts";
import { UserStore } from "../storage/users.ts";
import {
  ApiClient,
  cleanupNamespace,
  requireServices,
  startTestNode,
  testConfig,
  testNamespace,
  waitFor,
} from "./support/harness.ts";

const ns = testNamespace("masking");
let node: HubNode;
let admin: ApiClient;
let base: string;
const sockets: Socket[] = [];
const clients = new Map<string, ApiClient>();

const ADDRESS = { region: "Shanghai Pudong", detail: "88 Hidden Lane", phone: "13912345678", name: "Li Lei" };
const CONTACT = { name: "王五", phone: "13800001234", email: "wang.wu@example.com" };
const BANK = { bank: "ICBC", holder: "Mask Supply Ltd", accountNo: "6222021234567890123" };
const REPRESENTATIVE = { name: "赵六", idCard: "11010119900307123X" };

/** One user per permission set: `none` reads orders and suppliers without any personal data. */
const USERS: Record<string, string[]> = {
  none: ["order:read", "supplier:read"],
  phone: ["order:read", "supplier:read", "pii:phone"],
  address: ["order:read", "supplier:read", "pii:address"],
  email: ["order:read", "supplier:read", "pii:email"],
  bank: ["order:read", "supplier:read", "pii:bank_card"],
  id: ["order:read", "supplier:read", "pii:id_card"],
  broad: ["order:read", "supplier:read", "customer:pii", "supplier:contact"],
};
let orderId: string;

beforeAll(async () => {
  await requireServices();
  node = await startTestNode(ns, { ROLES: "gateway,actors,projector,realtime" }, { listen: true });
  base = `http://127.0.0.1:${node.server!.port}`;
  admin = new ApiClient(base);
  await admin.login();
  const users = new UserStore(node.sql);
  for (const [name, permissions] of Object.entries(USERS)) {
    await node.sql`INSERT INTO roles (name, permissions, description)
      VALUES (${`mask-${name}`}, ${permissions}, 'masking test') ON CONFLICT (name) DO NOTHING`;
    await users.create(`mask-${name}`, `mask-${name}-password`, [`mask-${name}`]);
    const client = new ApiClient(base);
    await client.login(`mask-${name}`, `mask-${name}-password`);
    clients.set(name, client);
  }
  await admin.call("PUT", "/v1/warehouses/WH-MASK", { name: "Mask", region: "east" });
  await admin.call(
    "POST",
    "/v1/inventory/MASK-1/receipts",
    { warehouse: "WH-MASK", qty: 100 },
    {
      "idempotency-key": "mask-stock",
    },
  );
  await admin.call("PUT", "/v1/skus/MASK-1/price", { listPrice: 1_000 });
  const supplier = await admin.call("PUT", "/v1/suppliers/SUP-MASK", {
    name: "Mask Supply",
    contact: CONTACT,
    bankAccount: BANK,
    legalRepresentative: REPRESENTATIVE,
  });
  expect(supplier.status, JSON.stringify(supplier.body)).toBe(200);
}, 60_000);

afterAll(async () => {
  for (const s of sockets) s.close();
  await node?.stop();
  await cleanupNamespace(ns);
});

const as = (name: string) => clients.get(name)!;

/** The `pii.read` rows of one request (its x-request-id) or one user. */
async function piiReads(filter: { requestId?: string; principal?: string }) {
  const rows = await node.sql<
    { principal: string; target: string; request_id: string; detail: { fields: string[] } }[]
  >`
    SELECT principal, target, request_id, detail FROM audit_log
    WHERE action = 'pii.read'
      AND (${filter.requestId ?? null}::text IS NULL OR request_id = ${filter.requestId ?? null})
      AND (${filter.principal ?? null}::text IS NULL OR principal = ${filter.principal ?? null})`;
  return rows.map((r) => ({ ...r }));
}

async function placeOrder(key: string, address = ADDRESS): Promise<string> {
  const placed = await admin.call(
    "POST",
    "/v1/orders",
    { userId: "mask-buyer", lines: [{ sku: "MASK-1", qty: 1 }], address },
    { "idempotency-key": key },
  );
  expect(placed.status, JSON.stringify(placed.body)).toBe(201);
  return (placed.body as { orderId: string }).orderId;
}

test("masking - HTTP: phone and address of an order per field type, audited once per request", async () => {
  orderId = await placeOrder("mask-http");
  const read = async (who: string) => {
    const res = await as(who).call("GET", `/v1/orders/${orderId}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return {
      address: (res.body as { address: typeof ADDRESS }).address,
      requestId: res.headers.get("x-request-id")!,
    };
  };
  const none = await read("none");
  expect(none.address).toEqual({
    region: "Shanghai Pudong",
    detail: "***",
    name: "L*",
    phone: "139****5678",
  });
  expect(await piiReads({ requestId: none.requestId })).toEqual([]);

  const phone = await read("phone");
  expect(phone.address).toEqual({
    region: "Shanghai Pudong",
    detail: "***",
    name: "L*",
    phone: "13912345678",
  });
  const phoneRows = await piiReads({ requestId: phone.requestId });
  expect(phoneRows, JSON.stringify(phoneRows)).toHaveLength(1);
  expect(phoneRows[0]).toMatchObject({ principal: "mask-phone", target: `order/${orderId}` });
  expect(phoneRows[0]!.detail.fields).toEqual(["phone"]);

  const address = await read("address");
  expect(address.address).toEqual({ ...ADDRESS, phone: "139****5678" });
  expect((await piiReads({ requestId: address.requestId }))[0]?.detail.fields).toEqual(["address"]);

  // customer:pii keeps its meaning: every customer field it unmasked before.
  const broad = await read("broad");
  expect(broad.address).toEqual(ADDRESS);
  expect((await piiReads({ requestId: broad.requestId }))[0]?.detail.fields).toEqual(["phone", "address"]);
});

test("masking - HTTP: a supplier's e-mail, phone, bank card and ID card per field type, audited", async () => {
  const read = async (who: string) => {
    const res = await as(who).call("GET", "/v1/suppliers/SUP-MASK");
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const body = res.body as {
      contact: typeof CONTACT;
      bankAccount: typeof BANK;
      legalRepresentative: typeof REPRESENTATIVE;
    };
    return { ...body, requestId: res.headers.get("x-request-id")! };
  };
  const none = await read("none");
  expect(none.contact).toEqual({ name: "王*", phone: "138****1234", email: "w***@example.com" });
  expect(none.bankAccount).toEqual({ ...BANK, accountNo: "***************0123" });
  expect(none.legalRepresentative).toEqual({ name: "赵六", idCard: "110***********123X" });
  expect(await piiReads({ requestId: none.requestId })).toEqual([]);

  const email = await read("email");
  expect(email.contact).toEqual({ name: "王*", phone: "138****1234", email: CONTACT.email });
  expect(email.bankAccount.accountNo).toBe("***************0123");
  const emailRows = await piiReads({ requestId: email.requestId });
  expect(emailRows, JSON.stringify(emailRows)).toHaveLength(1);
  expect(emailRows[0]).toMatchObject({ principal: "mask-email", target: "supplier/SUP-MASK" });
  expect(emailRows[0]!.detail.fields).toEqual(["email"]);

  const bank = await read("bank");
  expect(bank.bankAccount).toEqual(BANK);
  expect(bank.contact.email).toBe("w***@example.com");
  expect((await piiReads({ requestId: bank.requestId }))[0]?.detail.fields).toEqual(["bank_card"]);

  const id = await read("id");
  expect(id.legalRepresentative).toEqual(REPRESENTATIVE);
  expect(id.bankAccount.accountNo).toBe("***************0123");
  expect((await piiReads({ requestId: id.requestId }))[0]?.detail.fields).toEqual(["id_card"]);

  // supplier:contact keeps its meaning (the contact person), and is no licence for the bank account.
  const broad = await read("broad");
  expect(broad.contact).toEqual(CONTACT);
  expect(broad.bankAccount.accountNo).toBe("***************0123");
});

test("masking - exports: orders and suppliers CSV masked per field type, one audit row per export", async () => {
  const csv = async (who: string, path: string) => {
    const res = await as(who).call("GET", path);
    expect(res.status, String(res.body)).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/csv");
    return { text: String(res.body), requestId: res.headers.get("x-request-id")! };
  };
  const orders = "/v1/orders/export?userId=mask-buyer";
  await waitFor(
    async () => (await csv("none", orders)).text.includes(orderId),
    10_000,
    "the order in the read model",
  );
  const none = await csv("none", orders);
  expect(none.text).toContain("L*,139****5678,Shanghai Pudong,***");
  expect(none.text).not.toContain("13912345678");
  expect(none.text).not.toContain("Hidden Lane");
  expect(await piiReads({ requestId: none.requestId })).toEqual([]);
  const phone = await csv("phone", orders);
  expect(phone.text).toContain("L*,13912345678,Shanghai Pudong,***");
  const phoneRows = await piiReads({ requestId: phone.requestId });
  expect(phoneRows, JSON.stringify(phoneRows)).toHaveLength(1);
  expect(phoneRows[0]!.detail).toMatchObject({ fields: ["phone"] });
  const address = await csv("address", orders);
  expect(address.text).toContain("Li Lei,139****5678,Shanghai Pudong,88 Hidden Lane");
  expect((await piiReads({ requestId: address.requestId }))[0]?.detail.fields).toEqual(["address"]);

  const suppliers = "/v1/suppliers/export";
  await waitFor(
    async () => (await csv("none", suppliers)).text.includes("SUP-MASK"),
    10_000,
    "the supplier listed",
  );
  const noneS = await csv("none", suppliers);
  expect(noneS.text).toContain(
    "王*,138****1234,w***@example.com,ICBC,Mask Supply Ltd,***************0123,赵六,110***********123X",
  );
  expect(await piiReads({ requestId: noneS.requestId })).toEqual([]);
  const email = await csv("email", suppliers);
  expect(email.text).toContain(`王*,138****1234,${CONTACT.email},ICBC,Mask Supply Ltd,***************0123`);
  expect((await piiReads({ requestId: email.requestId }))[0]?.detail.fields).toEqual(["email"]);
  const bank = await csv("bank", suppliers);
  expect(bank.text).toContain(`w***@example.com,ICBC,Mask Supply Ltd,${BANK.accountNo}`);
  const bankRows = await piiReads({ requestId: bank.requestId });
  expect(bankRows, JSON.stringify(bankRows)).toHaveLength(1);
  expect(bankRows[0]).toMatchObject({ target: "supplier/SUP-MASK", detail: { fields: ["bank_card"] } });
  const id = await csv("id", suppliers);
  expect(id.text).toContain(`***************0123,赵六,${REPRESENTATIVE.idCard}`);
  expect((await piiReads({ requestId: id.requestId }))[0]?.detail.fields).toEqual(["id_card"]);
});

test("masking - sockets: dashboard and entity-room pushes masked per field type; an unmasking subscription is audited", async () => {
  type Message = { entityId: string; events: Array<{ type: string; address?: typeof ADDRESS }> };
  const listen = async (who: string) => {
    const socket = io(base, {
      auth: { token: as(who).token },
      transports: ["websocket"],
      reconnection: false,
    });
    sockets.push(socket);
    const seen: Message[] = [];
    socket.on("event", (m: Message) => seen.push(m));
    await new Promise<void>((resolve) => socket.on("connect", () => resolve()));
    const ack = await new Promise<{ ok: boolean }>((resolve) =>
      socket.emit("subscribe", { dashboard: "orders" }, resolve),
    );
    expect(ack.ok).toBe(true);
    return seen;
  };
  const seenBy = {
    none: await listen("none"),
    phone: await listen("phone"),
    address: await listen("address"),
  };
  const secret = { ...ADDRESS, phone: "13700009999", detail: "9 Socket Street" };
  const live = await placeOrder("mask-socket", secret);
  const placedIn = (seen: Message[]) =>
    seen.find((m) => m.entityId === live)?.events.find((e) => e.type === "placed")?.address;
  await waitFor(
    () => Object.values(seenBy).every((seen) => placedIn(seen) !== undefined),
    10_000,
    "the placed order on every socket",
  );
  expect(placedIn(seenBy.none)).toEqual({
    region: secret.region,
    detail: "***",
    name: "L*",
    phone: "137****9999",
  });
  expect(placedIn(seenBy.phone)).toEqual({
    region: secret.region,
    detail: "***",
    name: "L*",
    phone: secret.phone,
  });
  expect(placedIn(seenBy.address)).toEqual({ ...secret, phone: "137****9999" });
  // One row per subscription that can unmask (not per message); none for the caller who sees nothing.
  const phoneRows = (await piiReads({ principal: "mask-phone" })).filter(
    (r) => r.target === "dashboard/orders",
  );
  expect(phoneRows, JSON.stringify(phoneRows)).toHaveLength(1);
  expect(phoneRows[0]!.detail.fields).toEqual(["phone"]);
  const addressRows = (await piiReads({ principal: "mask-address" })).filter(
    (r) => r.target === "dashboard/orders",
  );
  expect(addressRows[0]?.detail.fields).toEqual(["address"]);
  expect((await piiReads({ principal: "mask-none" })).length).toBe(0);

  // An entity room (one order watched): the same policy per view, and one row per watch.
  const watch = async (who: string) => {
    const socket = io(base, {
      auth: { token: as(who).token },
      transports: ["websocket"],
      reconnection: false,
    });
    sockets.push(socket);
    const seen: Message[] = [];
    socket.on("entity", (m: Message) => seen.push(m));
    await new Promise<void>((resolve) => socket.on("connect", () => resolve()));
    const ack = await new Promise<{ ok: boolean }>((resolve) =>
      socket.emit("watch", { entity: `order/${live}` }, resolve),
    );
    expect(ack.ok).toBe(true);
    return seen;
  };
  const watchedBy = { none: await watch("none"), phone: await watch("phone") };
  const moved = { ...secret, phone: "13600002222", detail: "2 Watch Road" };
  const changed = await admin.call("PUT", `/v1/orders/${live}/address`, { address: moved });
  expect(changed.status, JSON.stringify(changed.body)).toBe(200);
  const changedIn = (seen: Message[]) =>
    seen.flatMap((m) => m.events).find((e) => e.type === "addressChanged")?.address;
  await waitFor(
    () => Object.values(watchedBy).every((seen) => changedIn(seen) !== undefined),
    10_000,
    "the address change on both watches",
  );
  expect(changedIn(watchedBy.none)).toEqual({
    region: moved.region,
    detail: "***",
    name: "L*",
    phone: "136****2222",
  });
  expect(changedIn(watchedBy.phone)).toEqual({
    region: moved.region,
    detail: "***",
    name: "L*",
    phone: moved.phone,
  });
  const watchRows = (await piiReads({ principal: "mask-phone" })).filter((r) => r.target === `order/${live}`);
  expect(watchRows, JSON.stringify(watchRows)).toHaveLength(1);
  expect(watchRows[0]!.detail.fields).toEqual(["phone"]);
  expect((await piiReads({ principal: "mask-none" })).length).toBe(0);
});

test("masking - logs: the node's logger writes no phone, address, e-mail, ID card or bank card unmasked", () => {
  const lines: string[] = [];
  const log = nodeLogger("debug", { node: "n-mask" }, (line) => lines.push(line)).child({ area: "test" });
  log.warn("carrier refused the receiver 13912345678 (wang.wu@example.com)", {
    order: { orderId: "O1", address: ADDRESS },
    supplier: { contact: CONTACT, bankAccount: BANK, legalRepresentative: REPRESENTATIVE },
    verification: { idCard: "110101199003071234" },
    error: new Error("payout to 6222 0212 3456 7890 123 for ID 11010119900307123X failed"),
  });
  const text = lines.join("");
  for (const secret of [
    "13912345678",
    "88 Hidden Lane",
    "Li Lei",
    "wang.wu@example.com",
    "13800001234",
    "6222021234567890123",
    "6222 0212 3456 7890 123",
    "110101199003071234",
    "11010119900307123X",
  ])
    expect(text, `the log line ${text} holds ${secret}`).not.toContain(secret);
  const line = JSON.parse(lines[0]!) as Record<string, unknown>;
  expect(line).toMatchObject({ level: "warn", node: "n-mask", area: "test" });
  expect(JSON.stringify(line.order)).toContain("139****5678");
  expect(JSON.stringify(line.supplier)).toContain("***************0123");
  expect(JSON.stringify(line.supplier)).toContain("110***********123X");
  expect(JSON.stringify(line.verification)).toContain("110***********1234");
});

test("masking - logs: a node's own logger (as main.ts starts it) writes request paths with the phone masked", async () => {
  // Member ids are often phone numbers: the HTTP debug line names the path. The node builds its own
  // logger here (no test logger passed), exactly as `main.ts` does; its stderr is captured.
  const captured: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array) => {
    captured.push(typeof chunk === "string" ? chunk : new TextDecoder().decode(chunk));
    return true;
  }) as typeof process.stderr.write;
  let gateway: HubNode | undefined;
  try {
    gateway = await startHubNode(testConfig(ns, { ROLES: "gateway", LOG_LEVEL: "debug" }), {
      listen: false,
    });
    const api = new ApiClient(gateway.app!);
    api.token = as("none").token;
    await api.call("GET", "/v1/members/13912345678");
    await waitFor(
      () => captured.some((l) => l.includes('"msg":"http"') && l.includes("/v1/members/")),
      10_000,
      "the request logged",
    );
  } finally {
    process.stderr.write = write;
    await gateway?.stop();
  }
  const line = captured.find((l) => l.includes("/v1/members/"))!;
  expect(line, line).toContain("/v1/members/139****5678");
  expect(captured.join(""), "no captured line holds the phone").not.toContain("13912345678");
});
