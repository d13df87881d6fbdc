/**
 * A scheduled CMS publish is a durable timer of the cms-page actor (decision 0031): it survives the node
 * going down before it is due, fires once on the node that comes back, and the public read (Redis cache
 * included) shows it without any further write. Real NATS, Postgres, Redis.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { HubNode } from "../hub-node.ts";
import {
  ApiClient,
  cleanupNamespace,
  requireServices,
  startTestNode,
  testNamespace,
  waitFor,
} from "./support/harness.ts";

const ns = testNamespace("cms-rs");
let node: HubNode | undefined;

beforeAll(async () => {
  await requireServices();
});

afterAll(async () => {
  await node?.stop().catch(() => undefined);
  await cleanupNamespace(ns);
});

async function start(): Promise<ApiClient> {
  node = await startTestNode(ns);
  const api = new ApiClient(node.app!);
  await api.login();
  return api;
}

const page = (title: string) => ({
  type: "home",
  title,
  components: [{ type: "rich_text", html: `<p>${title}</p>` }],
});

test("cms scheduled publish - survives a node restart before it is due, fires once, the public read follows", async () => {
  let api = await start();
  const slug = "home";
  for (const title of ["Home v1", "Home v2"]) {
    const res = await api.call("PUT", `/v1/cms/pages/${slug}`, page(title));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  }
  expect((await api.call("POST", `/v1/cms/pages/${slug}/publish`, { version: 1 })).status).toBe(200);
  const first = await api.call("GET", `/v1/content/pages/${slug}`, undefined, {}, false);
  expect(first.body, JSON.stringify(first.body)).toMatchObject({ version: 1 });

  const due = new Date(Date.now() + 2_500).toISOString();
  const scheduled = await api.call("POST", `/v1/cms/pages/${slug}/publish`, { version: 2, at: due });
  expect(scheduled.body, JSON.stringify(scheduled.body)).toMatchObject({
    published: 1,
    scheduled: { version: 2, at: due },
  });
  // Cached as v1 with its staleness time.
  expect((await api.call("GET", `/v1/content/pages/${slug}`, undefined, {}, false)).body).toMatchObject({
    version: 1,
  });

  // Down before it is due; it comes due while no node runs.
  await node!.stop();
  node = undefined;
  await waitFor(() => Date.now() > Date.parse(due) + 200, 10_000, "the scheduled time to pass");

  api = await start();
  await waitFor(
    async () =>
      (
        (await api.call("GET", `/v1/content/pages/${slug}`, undefined, {}, false)).body as {
          version?: number;
        }
      ).version === 2,
    60_000,
    "the scheduled publish to fire on the restarted node and show on the public read",
  );
  const versions = await api.call("GET", `/v1/cms/pages/${slug}/versions`);
  expect(versions.body, JSON.stringify(versions.body)).toMatchObject({ published: 2, scheduled: null });

  // Another restart: the timer is gone; a rollback to v1 then is not undone by any late firing.
  await node!.stop();
  api = await start();
  expect((await api.call("POST", `/v1/cms/pages/${slug}/rollback`, { version: 1 })).status).toBe(200);
  const after = await api.call("GET", `/v1/content/pages/${slug}`, undefined, {}, false);
  expect(after.body, JSON.stringify(after.body)).toMatchObject({ version: 1, title: "Home v1" });
  const list = (await api.call("GET", `/v1/cms/pages/${slug}/versions`)).body as {
    published: number;
    items: Array<{ version: number; publishedAt?: string }>;
  };
  expect(list.published, JSON.stringify(list)).toBe(1);
});

test("cms scheduled unpublish - survives a node restart before it is due, fires once, the public read is 404 after (cache included)", async () => {
  if (node) await node.stop();
  let api = await start();
  const slug = "campaign-end";
  expect((await api.call("PUT", `/v1/cms/pages/${slug}`, page("Campaign"))).status).toBe(200);
  expect((await api.call("POST", `/v1/cms/pages/${slug}/publish`, {})).status).toBe(200);
  const due = new Date(Date.now() + 2_500).toISOString();
  const scheduled = await api.call("POST", `/v1/cms/pages/${slug}/unpublish`, { at: due });
  expect(scheduled.body, JSON.stringify(scheduled.body)).toMatchObject({ published: 1, unpublishAt: due });
  // Still public until due (and cached, with the unpublish as its staleness time).
  const read = await api.call("GET", `/v1/content/pages/${slug}`, undefined, {}, false);
  expect(read.status, JSON.stringify(read.body)).toBe(200);
  expect(await node!.redis.get(`${ns}:cms:page:${slug}`)).not.toBeNull();

  await node!.stop();
  node = undefined;
  await waitFor(() => Date.now() > Date.parse(due) + 200, 10_000, "the scheduled time to pass");
  api = await start();
  await waitFor(
    async () => (await api.call("GET", `/v1/content/pages/${slug}`, undefined, {}, false)).status === 404,
    60_000,
    "the scheduled unpublish to fire on the restarted node and the public read to be 404",
  );
  const versions = await api.call("GET", `/v1/cms/pages/${slug}/versions`);
  expect(versions.body, JSON.stringify(versions.body)).toMatchObject({ published: null, unpublishAt: null });
  // Fired once: published again by hand, another restart does not unpublish it a second time.
  expect((await api.call("POST", `/v1/cms/pages/${slug}/publish`, {})).status).toBe(200);
  await node!.stop();
  api = await start();
  const after = await api.call("GET", `/v1/content/pages/${slug}`, undefined, {}, false);
  expect(after.status, JSON.stringify(after.body)).toBe(200);
  const unpublished = await node!
    .sql!`SELECT count(*)::int AS n FROM audit_log WHERE action = 'cms.page.unpublish'`;
  expect(unpublished[0]!.n).toBe(1);
});
