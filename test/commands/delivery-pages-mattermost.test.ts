import { expect, it } from 'vitest';
import { FakeMattermost } from '../fakes/mattermost.js';
import { useFakeServerSandbox } from '../helpers/sandbox.js';
import type { PairReport } from '../../src/commands/pair.js';

/**
 * Delivery reads pending messages a page of 500 at a time (src/delivery.ts). A platform
 * that keeps failing stops the run after 3 transient failures wherever they fall — here
 * across the end of the first page — and every message not sent, on either page, stays
 * pending for the next run, which sends each exactly once.
 */

// 1,052 groups: more than two pages of pending intros, and more than a page of them left when the run stops.
const HUMANS = 2_104;
const GROUPS = HUMANS / 2;
// The posts that succeed before the server starts failing: the failures are intros 499 and 500 (page 1) and 501 (page 2).
const SENT_FIRST = 498;

const box = useFakeServerSandbox(() => FakeMattermost.start({ teamName: 'community', channelName: 'coffee-pairs' }));

it('stops after 3 transient failures across a page boundary, leaves the rest of every page pending, and the rerun sends each once', async () => {
  const humans = box.fake.addUsers(HUMANS, 'person');
  const posts = { method: 'POST', path: /^\/api\/v4\/posts$/ };
  box.fake.inject({ kind: 'latency', ms: 0 }, { ...posts, times: SENT_FIRST });
  box.fake.inject({ kind: 'status', status: 503 }, { ...posts, times: 1_000 });

  const first = await box.pairbot('pair', '--date', '2026-11-23', '--seed', '7');
  expect(first.code, first.stderr).toBe(3);
  expect(box.fake.botMessages()).toHaveLength(SENT_FIRST);
  expect(first.stderr).toContain(`delivered ${SENT_FIRST} messages, ${GROUPS - SENT_FIRST} still pending (the next run retries)`);

  const status = await box.pairbot('status', '--json', '--date', '2026-11-24');
  expect(status.code, status.stderr).toBe(0);
  const report = JSON.parse(status.stdout);
  expect(report.deliveries.pending).toBe(GROUPS - SENT_FIRST);
  // Only the three that failed were tried: the run stopped there, not at the end of a page.
  const attempts = (report.undelivered as { attempts: number }[]).map((u) => u.attempts);
  expect(attempts).toHaveLength(GROUPS - SENT_FIRST);
  expect(attempts.filter((a) => a === 1)).toHaveLength(3);
  expect(attempts.filter((a) => a !== 0 && a !== 1)).toEqual([]);

  box.fake.clearFaults();
  const rerun = await box.pairbot('pair', '--json', '--date', '2026-11-23', '--seed', '7');
  expect(rerun.code, rerun.stderr).toBe(0);
  const round = JSON.parse(rerun.stdout) as PairReport;
  expect(round.groups).toHaveLength(GROUPS);
  expect(box.fake.botMessages()).toHaveLength(GROUPS);
  for (const g of round.groups) expect(box.fake.postsIn(box.fake.conversationOf(g.members.map((m) => m.id))!.id)).toHaveLength(1);
  expect(new Set(round.groups.flatMap((g) => g.members.map((m) => m.id)))).toEqual(new Set(humans.map((u) => u.id)));
});
