import { describe, expect, it } from 'vitest';
import { buildReportModel, MAX_GRAPH_NODES } from '../../src/report/model.js';
import { renderReportPage } from '../../src/report/page.js';
import type { MeetingFacts, ReportFacts } from '../../src/store/report.js';

/** A hub who met each of `spokes` members once: more people than the graph draws. */
function starFacts(spokes: number): ReportFacts {
  const ids = Array.from({ length: spokes }, (_, i) => `s${String(i).padStart(4, '0')}`);
  const pairs = ids.map((b) => ({ a: 'hub', b, meetings: 1, last: '2026-11-23' }));
  const meetings: MeetingFacts = {
    total: pairs.length,
    perPerson: new Map([['hub', spokes], ...ids.map((id) => [id, 1] as const)]),
    pairCount: pairs.length,
    repeated: [],
    among: (people) => pairs.filter((p) => people.has(p.a) && people.has(p.b)),
  };
  return {
    rounds: [
      {
        round: '2026-W48',
        periodIndex: 0,
        formedOn: '2026-11-23',
        groups: spokes,
        paired: spokes + 1,
        excluded: { optedOut: 0, paused: 0, notDue: 0, satOut: 0, unpaired: 0 },
        outcomes: { met: 0, scheduled: 0, missed: 0, unanswered: 0 },
      },
    ],
    members: ['hub', ...ids].map((id) => ({ id, name: id, state: 'active', timezone: null, joinedOn: '2026-11-01', pauseUntil: null })),
    meetings,
    neverGrouped: [],
    missesInARow: new Map(),
  };
}

const settings = { program: 'default', platform: 'local', now: new Date('2026-12-01T12:00:00Z'), since: null, maxMisses: 3 };

describe('the who-met-whom graph of a large program', () => {
  it('says how many members and pairs are left out, and does not call them older pairs', async () => {
    const model = buildReportModel(starFacts(MAX_GRAPH_NODES + 2), settings);
    // The hub and the first 499 spokes are drawn; 3 spokes and their 3 pairs with the hub are not.
    expect(model.graph.nodes).toHaveLength(MAX_GRAPH_NODES);
    expect(model.graph.edges).toHaveLength(MAX_GRAPH_NODES - 1);
    expect(model.graph.omitted).toEqual({ nodes: 3, edges: 3, older: 0 });
    const html = await renderReportPage(model);
    expect(html).toContain(
      `Only the ${MAX_GRAPH_NODES} members who met most are drawn: 3 other members and 3 pairs with them are left out.`,
    );
    expect(html).not.toContain('older pair');
  });
});
