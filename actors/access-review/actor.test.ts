import { describe, expect, test } from "bun:test";
import {
  accessReviewHandlers,
  applyAccessReviewEvent,
  initialAccessReview,
  onAccessReviewEffect,
  onAccessReviewTimer,
} from "./actor.ts";

const ctx = (now: number) => ({ id: "ar-1", now, meta: { by: "system:job" } });
const counts = { items: 3, confirmed: 1, revoked: 0, expiredRevoked: 2, expiredKept: 0, pending: 0 };

describe("access-review actor", () => {
  test("open arms the deadline once; a repeat changes nothing, another deadline is a conflict", () => {
    const opened = accessReviewHandlers.open(
      initialAccessReview(),
      { type: "open", deadline: 5_000, onExpiry: "revoke" },
      ctx(1_000),
    );
    expect(opened.timers?.set?.[0]).toMatchObject({ name: "deadline", at: 5_000 });
    const s = applyAccessReviewEvent(initialAccessReview(), opened.events[0]!);
    const again = accessReviewHandlers.open(
      s,
      { type: "open", deadline: 5_000, onExpiry: "revoke" },
      ctx(2_000),
    );
    expect(again.events).toEqual([]);
    expect(() =>
      accessReviewHandlers.open(s, { type: "open", deadline: 9_000, onExpiry: "revoke" }, ctx(2_000)),
    ).toThrow("already open");
  });

  test("the deadline asks the closer once and records its counts", () => {
    let s = applyAccessReviewEvent(initialAccessReview(), {
      type: "opened",
      deadline: 5_000,
      onExpiry: "keep",
      at: 1_000,
      by: "system:job",
    });
    const fired = onAccessReviewTimer(s, { name: "deadline" }, ctx(5_001));
    expect(fired.effects).toEqual([
      {
        key: "close",
        to: { kind: "access-review-closer", id: "ar-1" },
        cmd: { type: "close", onExpiry: "keep" },
      },
    ]);
    s = applyAccessReviewEvent(s, fired.events[0]!);
    // A second fire (it cannot happen, but a stray timer must not close twice) does nothing.
    expect(onAccessReviewTimer(s, { name: "deadline" }, ctx(5_002)).events).toEqual([]);
    const closed = onAccessReviewEffect(s, { key: "close", reply: { ok: true, value: counts } }, ctx(5_100));
    expect(closed.events[0]).toMatchObject({ type: "closed", counts });
    s = applyAccessReviewEvent(s, closed.events[0]!);
    expect(s).toMatchObject({ status: "closed", counts });
  });
});
