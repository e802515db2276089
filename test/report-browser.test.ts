import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { fixtureExpectations, writeHistoryFixture } from './helpers/history-fixture.js';
import { useLocalSandbox } from './helpers/sandbox.js';

/** Debian's chromium (`.ci/run` installs it with apt-get when missing); PAIRBOT_CHROMIUM names another. */
const CHROMIUM = process.env.PAIRBOT_CHROMIUM ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available)
  process.stderr.write(`[report-browser] SKIPPED: no Chromium at ${CHROMIUM} (apt-get install chromium, or set PAIRBOT_CHROMIUM)\n`);

describe.skipIf(!available)('the report in a real browser (headless Chromium)', () => {
  const box = useLocalSandbox();

  it('renders without errors or requests, with one mark per fixture value, and is screenshotted', async () => {
    writeHistoryFixture(box.env.PAIRBOT_DB!);
    const out = join(box.dir, 'report.html');
    const made = await box.pairbot('report', '--out', out, '--date', '2026-12-01');
    expect(made.code, made.stderr).toBe(0);

    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
      const problems: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => (m.type() === 'error' || m.type() === 'warning') && problems.push(`console ${m.type()}: ${m.text()}`));
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      page.on('request', (r) => requests.push(r.url()));
      const url = pathToFileURL(out).href;
      await page.goto(url, { waitUntil: 'load' });

      expect(problems).toEqual([]);
      expect(requests, 'the page loads nothing but itself').toEqual([url]);
      const expected = fixtureExpectations();
      const count = (selector: string): Promise<number> => page.locator(selector).count();
      expect(await count('#participation g.mark-rect.role-mark path')).toBe(expected.participationSegments);
      expect(await count('#outcomes g.mark-rect.role-mark path')).toBe(expected.outcomeSegments);
      // One response-rate point per round whose groups were asked.
      expect(await count('#outcomes g.mark-symbol.role-mark path')).toBe(expected.askedRounds);
      expect(await count('#network svg.network circle')).toBe(expected.nodes);
      expect(await count('#network svg.network line')).toBe(expected.edges);
      // Hover text: every dot names its member.
      expect(await page.locator('#network circle title').first().textContent()).toMatch(/^alice: \d+ meetings$/);
      // Everything is laid out inside the page's width (nothing cut off to the right).
      const overflow = (await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')) as number;
      expect(overflow).toBeLessThanOrEqual(0);

      mkdirSync('test-results', { recursive: true });
      const shot = join('test-results', 'report.png');
      await page.screenshot({ path: shot, fullPage: true });
      expect(existsSync(shot)).toBe(true);
    } finally {
      await browser.close();
    }
  });
  it('never breaks a date in a table over two lines, even beside long names', async () => {
    // Two members with long names meet every round: a repeated pair whose name fills the row.
    writeFileSync(
      join(box.dir, 'roster.csv'),
      'id,name,timezone\nu1,Maximiliane Alexandra von Hohenberg-Wittelsbach,\nu2,Bartholomew Fitzwilliam Montgomery-Smythe,\n',
    );
    for (const date of ['2026-11-23', '2026-11-30']) expect((await box.pairbot('pair', '--date', date)).code).toBe(0);
    const out = join(box.dir, 'report.html');
    expect((await box.pairbot('report', '--out', out, '--date', '2026-12-01')).code).toBe(0);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
      await page.goto(pathToFileURL(out).href, { waitUntil: 'load' });
      // A cell's text that the browser laid out as more than one line box (2026-11- / 23).
      const broken = await page.evaluate(`Array.from(document.querySelectorAll('td'))
        .filter((td) => /^\\d{4}-\\d{2}-\\d{2}$/.test(td.textContent.trim()))
        .filter((td) => { const r = document.createRange(); r.selectNodeContents(td); return r.getClientRects().length > 1; })
        .map((td) => td.textContent.trim())`);
      expect(broken).toEqual([]);
      expect(await page.locator('#repeated-pairs td').count()).toBeGreaterThan(0);
    } finally {
      await browser.close();
    }
  });
});
