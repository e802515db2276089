import { mkdirSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ping, pingUrl } from '../../src/healthcheck.js';
import { closeServer, listenOnLoopback, portOf } from '../fakes/http.js';
import { useLocalSandbox } from '../helpers/sandbox.js';

/** A monitoring service on 127.0.0.1 that records what it is sent and answers `status`. */
function useMonitor() {
  const monitor = { server: undefined as Server | undefined, paths: [] as string[], status: 200, hang: false, base: '' };
  beforeEach(async () => {
    monitor.paths = [];
    monitor.status = 200;
    monitor.hang = false;
    monitor.server = await listenOnLoopback(async (req, res) => {
      monitor.paths.push(req.url ?? '');
      if (monitor.hang) return;
      res.writeHead(monitor.status, { 'content-type': 'text/plain' });
      res.end('OK');
    });
    monitor.base = `http://127.0.0.1:${portOf(monitor.server, 'monitor')}`;
  });
  afterEach(async () => {
    if (monitor.server) await closeServer(monitor.server);
  });
  return monitor;
}

describe('PAIRBOT_HEALTHCHECK_URL (built CLI against a loopback monitor)', () => {
  const box = useLocalSandbox();
  const monitor = useMonitor();

  it('pings /start, then the bare URL on exit 0, with {command} filled in', async () => {
    box.env.PAIRBOT_HEALTHCHECK_URL = `${monitor.base}/ping/abc-{command}`;
    const r = await box.pairbot('pair', '--date', '2026-11-23');
    expect(r.code, r.stderr).toBe(0);
    expect(monitor.paths).toEqual(['/ping/abc-pair/start', '/ping/abc-pair']);
    const optout = await box.pairbot('optout', '--date', '2026-11-28');
    expect(optout.code, optout.stderr).toBe(0);
    expect(monitor.paths.slice(2)).toEqual(['/ping/abc-optout/start', '/ping/abc-optout']);
    // inbox runs every few minutes: its own check, so it never hides a dead weekly pair.
    const inbox = await box.pairbot('inbox', '--date', '2026-11-28');
    expect(inbox.code, inbox.stderr).toBe(0);
    expect(monitor.paths.slice(4)).toEqual(['/ping/abc-inbox/start', '/ping/abc-inbox']);
  });

  it('keeps a query string after the suffix and names catch-up apart from pair', async () => {
    box.env.PAIRBOT_HEALTHCHECK_URL = `${monitor.base}/ping/{command}?rid=7`;
    expect((await box.pairbot('pair', '--date', '2026-11-23')).code).toBe(0);
    expect((await box.pairbot('pair', '--catch-up', '--date', '2026-11-24')).code).toBe(0);
    expect(monitor.paths).toEqual(['/ping/pair/start?rid=7', '/ping/pair?rid=7', '/ping/catch-up/start?rid=7', '/ping/catch-up?rid=7']);
  });

  it('does not ping for a dry run or a command that only shows', async () => {
    expect((await box.pairbot('pair', '--date', '2026-11-16')).code).toBe(0);
    box.env.PAIRBOT_HEALTHCHECK_URL = `${monitor.base}/ping`;
    expect((await box.pairbot('pair', '--dry-run', '--date', '2026-11-23')).code).toBe(0);
    expect((await box.pairbot('status')).code).toBe(0);
    expect(monitor.paths).toEqual([]);
  });

  it('a run refused for a bad setting pings URL/2', async () => {
    box.env.PAIRBOT_HEALTHCHECK_URL = `${monitor.base}/ping`;
    box.env.PAIRBOT_CADENCE = 'fortnightly';
    const r = await box.pairbot('pair');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/PAIRBOT_CADENCE/);
    expect(monitor.paths.at(-1)).toBe('/ping/2');
  });

  describe('a run refused for its settings pings URL/2 whenever the URL itself could be read', () => {
    it('URL in the environment, --config naming a missing file', async () => {
      box.env.PAIRBOT_HEALTHCHECK_URL = `${monitor.base}/ping`;
      const r = await box.pairbot('--config', '/nonexist.json', 'pair');
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/PAIRBOT_CONFIG: cannot read config file \/nonexist\.json/);
      expect(monitor.paths).toEqual(['/ping/start', '/ping/2']);
    });

    it('URL in .env beside an unknown key', async () => {
      writeFileSync(join(box.dir, '.env'), `PAIRBOT_HEALTHCHECK_URL=${monitor.base}/ping\nPAIRBOT_CADNCE=daily\n`);
      const r = await box.pairbot('pair');
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/unknown setting "PAIRBOT_CADNCE"/);
      expect(monitor.paths).toEqual(['/ping/start', '/ping/2']);
    });

    it('URL in the config file beside an unknown key', async () => {
      writeFileSync(join(box.dir, 'c.json'), JSON.stringify({ PAIRBOT_HEALTHCHECK_URL: `${monitor.base}/ping`, PAIRBOT_GROUPSIZE: '3' }));
      box.env.PAIRBOT_CONFIG = 'c.json';
      const r = await box.pairbot('pair');
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/unknown setting "PAIRBOT_GROUPSIZE"/);
      expect(monitor.paths).toEqual(['/ping/start', '/ping/2']);
    });

    it('URL in the environment, .env unreadable', async () => {
      box.env.PAIRBOT_HEALTHCHECK_URL = `${monitor.base}/ping`;
      mkdirSync(join(box.dir, '.env'));
      const r = await box.pairbot('pair');
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/\.env: cannot read/);
      expect(monitor.paths).toEqual(['/ping/start', '/ping/2']);
    });

    it('the readable source that wins: the environment over .env, never an invalid URL', async () => {
      writeFileSync(join(box.dir, '.env'), `PAIRBOT_HEALTHCHECK_URL=${monitor.base}/from-dotenv\nPAIRBOT_CADNCE=daily\n`);
      box.env.PAIRBOT_HEALTHCHECK_URL = `${monitor.base}/from-env`;
      expect((await box.pairbot('pair')).code).toBe(2);
      expect(monitor.paths).toEqual(['/from-env/start', '/from-env/2']);
      // The URL that would be used is itself bad: nothing is pinged, not even .env's.
      box.env.PAIRBOT_HEALTHCHECK_URL = 'ftp://monitor.example/x';
      expect((await box.pairbot('pair')).code).toBe(2);
      expect(monitor.paths).toHaveLength(2);
    });
  });

  it('a usage error found by the command (a bad --seed) pings URL/2 too', async () => {
    box.env.PAIRBOT_HEALTHCHECK_URL = `${monitor.base}/ping`;
    const r = await box.pairbot('pair', '--seed', 'abc');
    expect(r.code).toBe(2);
    expect(monitor.paths).toEqual(['/ping/start', '/ping/2']);
  });

  it('a failed ping is logged without the URL and never changes the exit code', async () => {
    box.env.PAIRBOT_HEALTHCHECK_URL = `${monitor.base}/secret-uuid-1234`;
    monitor.status = 500;
    const r = await box.pairbot('pair', '--quiet', '--date', '2026-11-23');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/health-check ping \(pair start\) failed: HTTP 500/);
    expect(r.stderr).not.toMatch(/secret-uuid-1234|127\.0\.0\.1/);

    // Nothing listening at all: refused, logged, exit code unchanged.
    const port = portOf(monitor.server, 'monitor');
    await closeServer(monitor.server!);
    monitor.server = undefined;
    box.env.PAIRBOT_HEALTHCHECK_URL = `http://127.0.0.1:${port}/secret-uuid-1234`;
    const again = await box.pairbot('pair', '--date', '2026-11-23');
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/health-check ping \(pair done\) failed: ECONNREFUSED/);
    expect(again.stderr).not.toMatch(/secret-uuid-1234|127\.0\.0\.1/);
  });

  it('a URL that is not http(s) is exit 2 naming the variable, never echoing the value', async () => {
    box.env.PAIRBOT_HEALTHCHECK_URL = 'ftp://monitor.example/secret-uuid-1234';
    const r = await box.pairbot('pair', '--dry-run');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/PAIRBOT_HEALTHCHECK_URL: expected an http\(s\) URL/);
    expect(r.stderr).not.toMatch(/secret-uuid-1234/);
  });
  it('a URL holding credentials is exit 2 naming the variable, never echoing the value, and is not pinged', async () => {
    // fetch refuses such a URL ("Request cannot be constructed from a URL that includes credentials"): every ping would fail.
    box.env.PAIRBOT_HEALTHCHECK_URL = `${monitor.base.replace('//', '//user:pw-secret-1234@')}/ping`;
    const r = await box.pairbot('pair', '--date', '2026-11-23');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/PAIRBOT_HEALTHCHECK_URL: expected an http\(s\) URL without user:password@/);
    expect(r.stderr).not.toMatch(/pw-secret-1234|user:pw/);
    expect(monitor.paths).toEqual([]);
  });
});

describe('ping', () => {
  const monitor = useMonitor();

  it('gives up on a monitor that never answers, and says so', async () => {
    monitor.hang = true;
    const warnings: string[] = [];
    // A short limit keeps the test quick; the CLI uses PING_TIMEOUT_MS (5 s).
    const ok = await ping(`${monitor.base}/slow`, 'pair start', (m) => warnings.push(m), 1500);
    expect(ok).toBe(false);
    expect(warnings).toEqual(['health-check ping (pair start) failed: no answer within 1.5 s; the run itself is unaffected']);
  });

  it('builds /start and /<code> URLs on the path, keeping the query', () => {
    expect(pingUrl('https://hc-ping.com/key/pairbot-{command}?create=1', 'collect-feedback', 'start')).toBe(
      'https://hc-ping.com/key/pairbot-collect-feedback/start?create=1',
    );
    expect(pingUrl('https://hc-ping.com/uuid/', 'pair', 0)).toBe('https://hc-ping.com/uuid/');
    expect(pingUrl('https://hc-ping.com/uuid', 'pair', 3)).toBe('https://hc-ping.com/uuid/3');
  });
});
