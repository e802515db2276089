import { periodOfDate } from '../../src/core/periods.js';
import type { Answer } from '../../src/core/feedback.js';
import { openDatabase } from '../../src/store/db.js';
import { recordAnswer } from '../../src/store/feedback.js';
import { setPreference, syncMembers, updateMember } from '../../src/store/members.js';
import { enqueue } from '../../src/store/outbox.js';
import { ensureProgram } from '../../src/store/programs.js';
import { groupsOfRound, insertGroup, insertRound, type ExclusionReason } from '../../src/store/rounds.js';

/**
 * A small program history written through pairbot's own store functions:
 * four weekly rounds with every kind of exclusion and outcome, a meeting
 * recorded by hand, repeated pairs, an avoid, a kicked and a never-paired member.
 * The numbers the report and export must show are derived from this data.
 */
interface FixtureRound {
  date: string;
  groups: string[][];
  excluded: Partial<Record<ExclusionReason, string[]>>;
  asked: boolean;
  /** Per group, in order: reporter → answer. */
  answers: Record<string, Answer>[];
}

export const FIXTURE: {
  members: { id: string; name: string; timezone: string | undefined }[];
  rounds: FixtureRound[];
  manual: { date: string; members: string[] };
  kicked: string;
  late: { id: string; joinedOn: string };
  avoid: { from: string; of: string };
} = {
  members: [
    { id: 'u01', name: 'alice', timezone: 'Europe/Berlin' },
    { id: 'u02', name: 'bob', timezone: 'America/New_York' },
    { id: 'u03', name: 'carol', timezone: 'Europe/London' },
    { id: 'u04', name: 'dave', timezone: 'Asia/Kolkata' },
    { id: 'u05', name: 'Smith, "J"', timezone: undefined },
    { id: 'u06', name: 'frank', timezone: 'Europe/Berlin' },
    { id: 'u07', name: 'grace', timezone: 'Asia/Tokyo' },
    { id: 'u08', name: 'heidi', timezone: 'Australia/Sydney' },
  ],
  rounds: [
    {
      date: '2026-11-02',
      groups: [
        ['u01', 'u02'],
        ['u03', 'u04'],
        ['u05', 'u06', 'u07'],
      ],
      excluded: {},
      asked: true,
      answers: [{ u01: 'met' }, { u03: 'missed' }, {}],
    },
    {
      date: '2026-11-09',
      groups: [
        ['u01', 'u03'],
        ['u02', 'u04'],
      ],
      excluded: { optedOut: ['u05'], paused: ['u06'], notDue: ['u07'] },
      asked: true,
      answers: [{ u03: 'scheduled' }, { u02: 'missed' }],
    },
    {
      date: '2026-11-16',
      groups: [
        ['u01', 'u02'],
        ['u05', 'u06'],
      ],
      excluded: { satOut: ['u03'], optedOut: ['u04'], notDue: ['u07'] },
      asked: true,
      answers: [{ u01: 'met', u02: 'missed' }, { u05: 'missed' }],
    },
    {
      date: '2026-11-23',
      groups: [
        ['u01', 'u04'],
        ['u02', 'u03'],
        ['u05', 'u06'],
      ],
      excluded: {},
      asked: false,
      answers: [{}, {}, {}],
    },
  ],
  manual: { date: '2026-11-20', members: ['u01', 'u06'] },
  kicked: 'u07',
  /** u08 joined after the last round. */
  late: { id: 'u08', joinedOn: '2026-11-25' },
  avoid: { from: 'u03', of: 'u04' },
};

/** What the fixture's report must show, worked out from the data above. */
export function fixtureExpectations() {
  const reasons: ExclusionReason[] = ['optedOut', 'paused', 'satOut', 'notDue', 'unpaired'];
  const participationSegments = FIXTURE.rounds.reduce(
    (n, r) => n + (r.groups.length > 0 ? 1 : 0) + reasons.filter((k) => (r.excluded[k]?.length ?? 0) > 0).length,
    0,
  );
  const outcomeSegments = FIXTURE.rounds.reduce((n, r) => {
    if (!r.asked) return n;
    const outcomes = new Set(r.answers.map((a) => outcomeOf(Object.values(a))));
    return n + outcomes.size;
  }, 0);
  const pairs = new Map<string, number>();
  const allGroups = [...FIXTURE.rounds.flatMap((r) => r.groups), FIXTURE.manual.members];
  for (const g of allGroups) for (const a of g) for (const b of g) if (a < b) pairs.set(`${a}-${b}`, (pairs.get(`${a}-${b}`) ?? 0) + 1);
  const nodes = new Set(allGroups.flat());
  return {
    rounds: FIXTURE.rounds.length,
    askedRounds: FIXTURE.rounds.filter((r) => r.asked).length,
    participationSegments,
    outcomeSegments,
    nodes: nodes.size,
    edges: pairs.size,
    repeatedPairs: [...pairs].filter(([, n]) => n > 1).length,
  };
}

function outcomeOf(answers: Answer[]): string {
  if (answers.includes('met')) return 'met';
  if (answers.includes('scheduled')) return 'scheduled';
  if (answers.includes('missed')) return 'missed';
  return 'unanswered';
}

/** Writes the fixture into the database at `path` (program "default", local platform). */
export function writeHistoryFixture(path: string): void {
  const db = openDatabase(path);
  try {
    const program = ensureProgram(db, 'default', 'local', 'weekly', new Date('2026-11-01T09:00:00Z'));
    const everyone = FIXTURE.members
      .filter((m) => m.id !== FIXTURE.late.id)
      .map((m) => ({ id: m.id, name: m.name, ...(m.timezone ? { timezone: m.timezone } : {}) }));
    syncMembers(db, program.id, everyone, '2026-11-01');
    db.transaction(() => {
      for (const r of FIXTURE.rounds) {
        const period = periodOfDate(r.date, 'weekly');
        const createdAt = `${r.date}T09:00:00.000Z`;
        const exclusions = Object.entries(r.excluded).flatMap(([reason, ids]) =>
          (ids ?? []).map((userId) => ({ userId, reason: reason as ExclusionReason })),
        );
        const { roundId } = insertRound(db, {
          programId: program.id,
          period: period.key,
          periodIndex: period.index,
          seed: '7',
          formedOn: r.date,
          groups: r.groups,
          exclusions,
          createdAt,
        });
        const groups = groupsOfRound(db, roundId);
        groups.forEach((g, i) => {
          if (!r.asked) return;
          enqueue(db, {
            programId: program.id,
            dedupeKey: `ask:${g.id}`,
            kind: 'feedback-ask',
            period: period.key,
            groupId: g.id,
            recipients: g.memberIds,
            body: 'Did it happen?',
            createdAt,
          });
          for (const [reporter, answer] of Object.entries(r.answers[i]!))
            recordAnswer(db, g.id, reporter, answer, `${r.date}T18:00:00.000Z`);
        });
      }
      insertGroup(db, program.id, null, FIXTURE.manual.date, 'manual', FIXTURE.manual.members, `${FIXTURE.manual.date}T10:00:00.000Z`);
      updateMember(db, program.id, FIXTURE.kicked, { state: 'kicked' });
      setPreference(db, program.id, { userId: FIXTURE.avoid.from, otherId: FIXTURE.avoid.of, kind: 'avoid', createdOn: '2026-11-10' });
    })();
    syncMembers(
      db,
      program.id,
      FIXTURE.members.map((m) => ({ id: m.id, name: m.name, ...(m.timezone ? { timezone: m.timezone } : {}) })),
      FIXTURE.late.joinedOn,
    );
  } finally {
    db.close();
  }
}
