import type { Server } from 'node:http';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeMattermost } from '../fakes/mattermost.js';
import { closeServer, listenOnLoopback, portOf } from '../fakes/http.js';
import { startCli, until } from '../helpers/cli.js';
import { useFakeServerSandbox, useLocalSandbox } from '../helpers/sandbox.js';

/**
 * SIGTERM (`kill`, `docker stop`, systemd) and Ctrl-C stop a run at its next step: one error
 * line, the program's lock released (a lock left by a container's hostname would block every
 * other host's runs for 6 hours), the health check told 128 + the signal's number, and the
 * next run finishes the job without sending anything twice.
 */

const INTERRUPTED = /^\[pairbot\] error: interrupted by (SIGTERM|SIGINT); nothing half-written — the next run finishes the job$/m;

function locksIn(dbPath: string): unknown[] {
  const db = new Database(dbPath, { readonly: true });
  try {
    return db.prepare('SELECT * FROM locks').all();
  } finally {
    db.close();
  }
}

describe('a stop signal during pair on Mattermost (built CLI, slow fake server)', () => {
  const box = useFakeServerSandbox(() => FakeMattermost.start());
  let monitor: Server | undefined;
  const pings: string[] = [];
  beforeEach(async () => {
    pings.length = 0;
    monitor = await listenOnLoopback(async (req, res) => {
      pings.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('OK');
    });
    box.env.PAIRBOT_HEALTHCHECK_URL = `http://127.0.0.1:${portOf(monitor, 'monitor')}/ping`;
  });
  afterEach(async () => {
    if (monitor) await closeServer(monitor);
  });

  it('SIGTERM once delivery started: exit 143, one error line, lock released, ping /143; a rerun sends the rest once', async () => {
    box.fake.addUsers(20, 'person');
    // Every post answers slowly, so the run is still delivering when the signal comes.
    box.fake.inject({ kind: 'latency', ms: 200 }, { method: 'POST', path: /^\/api\/v4\/posts$/, times: 1000 });
    const run = startCli(['pair', '--date', '2026-11-23', '--seed', '1'], { cwd: box.dir, env: box.env });
    await until(() => box.fake.botMessages().length >= 1, 'the first intro');
    run.child.kill('SIGTERM');
    const r = await run.done;
    expect(r.code, r.stderr).toBe(143);
    expect(r.stderr).toMatch(INTERRUPTED);
    expect(r.stderr.match(/\[pairbot\] error:/g)).toHaveLength(1);
    expect(locksIn(box.env.PAIRBOT_DB!)).toEqual([]);
    expect(pings).toEqual(['/ping/start', '/ping/143']);
    const sent = box.fake.botMessages().length;
    expect(sent).toBeLessThan(10);

    box.fake.clearFaults();
    const rerun = await box.pairbot('pair', '--json', '--date', '2026-11-23');
    expect(rerun.code, rerun.stderr).toBe(0);
    const report = JSON.parse(rerun.stdout) as { groups: { members: { id: string }[] }[] };
    expect(report.groups).toHaveLength(10);
    for (const g of report.groups) expect(box.fake.postsIn(box.fake.conversationOf(g.members.map((m) => m.id))!.id)).toHaveLength(1);
    expect(box.fake.botMessages()).toHaveLength(10);
  });

  it('SIGINT (Ctrl-C) while waiting out a rate limit stops at once: exit 130, lock released', async () => {
    box.fake.addUsers(4, 'person');
    box.fake.inject({ kind: 'rate-limit', waitSeconds: 60 }, { method: 'POST', path: /^\/api\/v4\/posts$/ });
    const run = startCli(['pair', '--date', '2026-11-23', '--seed', '1'], { cwd: box.dir, env: box.env });
    await until(() => box.fake.requestCount({ method: 'POST', path: /^\/api\/v4\/posts$/ }) >= 1, 'the rate-limited intro');
    const signalled = Date.now();
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.code, r.stderr).toBe(130);
    expect(Date.now() - signalled).toBeLessThan(10_000);
    expect(r.stderr).toMatch(INTERRUPTED);
    expect(locksIn(box.env.PAIRBOT_DB!)).toEqual([]);
    expect(pings).toEqual(['/ping/start', '/ping/130']);
  });
});

describe('a stop signal during pair on the local platform (built CLI)', () => {
  const box = useLocalSandbox();

  it('SIGTERM during a long delivery stops between pages: exit 143, lock released; a rerun delivers the rest once', async () => {
    box.writeRoster(Array.from({ length: 6000 }, (_, i) => `m${i}`));
    const run = startCli(['pair', '--date', '2026-11-23', '--seed', '1'], { cwd: box.dir, env: box.env });
    let stderr = '';
    run.child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    await until(() => /delivering: \d+ of/.test(stderr), 'delivery under way');
    run.child.kill('SIGTERM');
    const r = await run.done;
    expect(r.code, r.stderr).toBe(143);
    expect(r.stderr).toMatch(INTERRUPTED);
    expect(locksIn(box.env.PAIRBOT_DB!)).toEqual([]);

    const rerun = await box.pairbot('pair', '--date', '2026-11-23');
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stdout).toMatch(/delivered \d+ messages? an earlier run left pending/);
    // Every message sent once: as many bot posts in the local platform's state as messages in the outbox, all sent.
    const db = new Database(box.env.PAIRBOT_DB!, { readonly: true });
    const state = new Database(join(box.dir, 'data', 'local-state.db'), { readonly: true });
    try {
      const outbox = db.prepare("SELECT COUNT(*) AS n, SUM(status = 'sent') AS sent FROM outbox").get() as { n: number; sent: number };
      expect(outbox.sent).toBe(outbox.n);
      expect(state.prepare('SELECT COUNT(*) AS n FROM posts WHERE author IS NULL').get()).toEqual({ n: outbox.n });
    } finally {
      db.close();
      state.close();
    }
  });
});
