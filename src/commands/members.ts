import { existsSync } from 'node:fs';
import type { Context } from '../context.js';
import { EXIT } from '../errors.js';
import { listItem } from '../core/messages.js';
import { listMembers } from '../store/members.js';
import { syncRoster } from '../rounds.js';
import { summarise } from '../member-info.js';

export async function members(ctx: Context, options: { json?: boolean; acceptRoster?: boolean }): Promise<number> {
  // Before the first run the roster is still worth seeing, but a mistyped path must not pass for it.
  if (!existsSync(ctx.config.db))
    ctx.log.warn(
      `no database at ${ctx.config.db} yet: nothing is stored, so nobody shows a partner (check --db or PAIRBOT_DB if you expected history)`,
    );
  // The roster as it is now: newcomers appear, people who left show as left.
  await syncRoster(ctx, options);
  const rows = listMembers(ctx.db, ctx.program.id).map((m) => summarise(ctx, m));
  if (options.json) {
    ctx.print(JSON.stringify({ program: ctx.program.name, members: rows }, null, 2));
    return EXIT.ok;
  }
  if (rows.length === 0) {
    ctx.print(`Program "${ctx.program.name}" has no members: nobody is in the roster, channel or role.`);
    return EXIT.ok;
  }
  const table = [['NAME', 'ID', 'STATE', 'EVERY', 'PAUSED UNTIL', 'LAST PARTNER']];
  for (const r of rows) {
    table.push([
      r.name,
      r.id,
      r.paused ? 'paused' : r.state,
      r.frequency === 1 ? '1 round' : `${r.frequency} rounds`,
      // A pause that has ended (or of someone out of the program) is no pause: `paused` says, as member show's headline.
      r.paused ? r.pauseUntil! : '-',
      r.lastPartners.length ? `${r.lastPartners.map((p) => listItem(p.name)).join(', ')} (${r.lastGrouped})` : '-',
    ]);
  }
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  ctx.print(
    table
      .map((row) =>
        row
          .map((cell, i) => cell.padEnd(widths[i]!))
          .join('  ')
          .trimEnd(),
      )
      .join('\n'),
  );
  return EXIT.ok;
}
