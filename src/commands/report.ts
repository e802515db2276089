import { join, resolve } from 'node:path';
import { count } from '../core/messages.js';
import { isIsoDate, periodOfDate } from '../core/periods.js';
import { EXIT, UsageError } from '../errors.js';
import { isFolder, requireWritableOutput, writeFileAtomic } from '../files.js';
import type { ReadContext } from '../reader.js';
import { buildReportModel } from '../report/model.js';
import { renderReportPage } from '../report/page.js';
import { NO_MEETINGS, readReportFacts, type ReportFacts } from '../store/report.js';

export interface ReportOptions {
  out: string;
  since?: string;
}

/** Checks the flags before anything is opened. */
export function validateReport(options: { out?: string; since?: string }): ReportOptions {
  const out = options.out ?? './pairbot-report.html';
  if (out === '') throw new UsageError('--out: expected a file name, got an empty value');
  if (isFolder(out)) throw new UsageError(`--out: ${resolve(out)} is a folder; give a file name, e.g. ${join(out, 'pairbot-report.html')}`);
  requireWritableOutput('--out', out);
  if (options.since !== undefined && !isIsoDate(options.since))
    throw new UsageError(`--since: expected a date YYYY-MM-DD, got ${JSON.stringify(options.since)}`);
  return { out, ...(options.since !== undefined ? { since: options.since } : {}) };
}

const NO_FACTS: ReportFacts = { rounds: [], members: [], meetings: NO_MEETINGS, neverGrouped: [], missesInARow: new Map() };

/** `pairbot report`: one self-contained HTML page about the program (SPEC §8). */
export async function report(ctx: ReadContext, options: ReportOptions): Promise<number> {
  const since = options.since ? { date: options.since, periodIndex: periodOfDate(options.since, ctx.config.cadence).index } : undefined;
  const facts = ctx.program ? readReportFacts(ctx.db, ctx.program.id, since) : NO_FACTS;
  const model = buildReportModel(facts, {
    program: ctx.programName,
    platform: ctx.platformName,
    now: ctx.config.now,
    since: options.since ?? null,
    maxMisses: ctx.config.maxMisses,
  });
  const html = await renderReportPage(model);
  const out = resolve(options.out);
  writeFileAtomic(out, html);
  ctx.log.info(
    model.covered
      ? `wrote ${out}: ${count(model.totals.rounds, 'round')} (${model.covered.first}${model.covered.first !== model.covered.last ? ` to ${model.covered.last}` : ''}), ${count(model.totals.activeMembers, 'active member')}, ${Math.round(html.length / 1024)} KB`
      : `wrote ${out}: program "${model.program}" has no rounds ${model.since ? `from ${model.since} on` : 'yet'}, so the page says so`,
  );
  return EXIT.ok;
}
