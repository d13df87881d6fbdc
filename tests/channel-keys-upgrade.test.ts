import { afterAll, beforeAll, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { generateChannelKeys, UnionpayChannel } from "../actors/payment/channels/index.ts";
import type { HubNode } from "../hub-node.ts";
import { channelKeys } from "../node/channel-keys.ts";
import { SecretBox } from "../storage/secrets.ts";
import { cleanupNamespace, requireServices, startTestNode, testNamespace } from "./support/harness.ts";

const ns = testNamespace("chankeys");
let node: HubNode;

beforeAll(async () => {
  await requireServices();
  node = await startTestNode(ns, {}, { waitForShards: false });
});

afterAll(async () => {
  await node?.stop();
  await cleanupNamespace(ns);
});

test("channel keys - keys stored before UnionPay 5.1.0 get one CA chain, shared by every node, and the simulator sends 5.1.0", async () => {
  const box = new SecretBox(randomBytes(32));
  // As an older release stored them: no root/middle certificate, no signing certificate.
  const fresh = await generateChannelKeys();
  const { rootCert: _r, middleCert: _m, ...unionpay } = fresh.unionpay;
  const { certificate: _c, ...platform } = unionpay.platform;
  const old = { ...fresh, unionpay: { ...unionpay, platform } };
  await node.sql`DELETE FROM settings WHERE key = 'payment_channel_keys'`;
  await node.sql`INSERT INTO settings (key, value) VALUES ('payment_channel_keys', ${JSON.stringify(old)})`;

  // Two nodes starting together both upgrade; one chain wins and both use it.
  const [a, b] = await Promise.all([channelKeys(node.sql, box), channelKeys(node.sql, box)]);
  expect(a.unionpay.rootCert).toBeDefined();
  expect(b.unionpay.rootCert).toBe(a.unionpay.rootCert!);
  expect(a.unionpay.platform.serial).toBe(old.unionpay.platform.serial); // 5.0.0 certId unchanged
  const [row] = await node.sql`SELECT value FROM settings WHERE key = 'payment_channel_keys'`;
  expect(SecretBox.isSealed(row!.value as string)).toBe(true);
  expect(JSON.parse(box.open(row!.value as string)).unionpay.rootCert).toBe(a.unionpay.rootCert!);

  const channel = new UnionpayChannel(a.unionpay);
  const callback = channel.simulateCallback({ paymentId: "PAY20240501A1", amount: 1999 });
  const fields = new URLSearchParams(callback.body);
  expect(fields.get("version")).toBe("5.1.0");
  expect(fields.get("signPubKeyCert")).toBe(a.unionpay.platform.certificate!);
  expect(new UnionpayChannel(b.unionpay).verifyCallback(callback).amount).toBe(1999);
});
