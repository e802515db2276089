import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { LocalPlatform, normaliseEmoji } from '../../src/platforms/local.js';
import { LocalStateStore } from '../../src/store/local-state.js';
import type { PostRef } from '../../src/platforms/types.js';
import { runPlatformContract } from './contract.js';
import { tempDir } from '../helpers/tmp.js';

const EMOJI = { cross: 'x', check: 'white_check_mark', calendar: 'calendar' } as const;

function localHarness(): { dir: string; roster: string; state: LocalStateStore; platform: LocalPlatform; cleanup: () => void } {
  const { dir, cleanup } = tempDir();
  const roster = join(dir, 'roster.csv');
  writeFileSync(roster, 'id,name,timezone\nu1,ana,Europe/Berlin\nu2,ben,\nu3,cy,UTC\nu4,dee,Asia/Tokyo\n');
  const state = new LocalStateStore(join(dir, 'state.db'));
  return { dir, roster, state, platform: new LocalPlatform(roster, state), cleanup };
}

/** Another process (a `local react`, say) holds the state file's write lock for a while. */
async function holdWriteLock(path: string, ms: number): Promise<void> {
  const script =
    "const db = new (require('better-sqlite3'))(process.argv[1]); db.exec('BEGIN IMMEDIATE'); console.log('locked'); setTimeout(() => { db.exec('COMMIT'); db.close(); }, Number(process.argv[2]));";
  const child = spawn(process.execPath, ['-e', script, path, String(ms)], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve, reject) => {
    child.stdout.once('data', resolve);
    child.once('error', reject);
  });
}

runPlatformContract('local', { unreachable: ['gone-from-roster'], transient: ['state-locked'] }, async () => {
  const { roster, state, platform, cleanup } = localHarness();
  return {
    platform,
    memberIds: ['u1', 'u2', 'u3', 'u4'],
    firstMemberName: 'ana',
    react: async (post, userId, token) => void state.setReaction(post.id, userId, EMOJI[token], true),
    makeUnreachable: async (userId) => {
      const lines = readFileSync(roster, 'utf8').split('\n');
      writeFileSync(roster, lines.filter((line) => !line.startsWith(`${userId},`)).join('\n'));
    },
    injectTransient: async () => {
      // The state file exists (a `pair` made it) before the other process takes its lock.
      state.setRemoved('nobody', false);
      await holdWriteLock(state.path, 300);
    },
    forgetKeys: () => {},
    cleanup: async () => cleanup(),
  };
});

it('local: a message sent again under the same key (a run killed before recording it) is not posted twice', async () => {
  const { dir, roster, platform, cleanup } = localHarness();
  try {
    const refs: PostRef[] = [];
    const message = { memberIds: ['u1', 'u2'], text: 'Meet your partner', key: 'outbox-1' };
    await platform.sendToGroup(message, new Set(), (_, post) => refs.push(post));
    await platform.close();
    // The next run: a fresh process, nothing recorded as delivered.
    const rerun = new LocalPlatform(roster, new LocalStateStore(join(dir, 'state.db')));
    await rerun.sendToGroup(message, new Set(), (_, post) => refs.push(post));
    const announcement = { text: 'React ❌ to skip', key: 'outbox-2' };
    const channel = [await rerun.postToChannel(announcement), await rerun.postToChannel(announcement)];
    expect(refs[1]).toEqual(refs[0]);
    expect(channel[1]).toEqual(channel[0]);
    expect(rerun.state.posts().map((p) => p.id)).toEqual([refs[0]!.id, channel[0]!.id]);
    await rerun.close();
  } finally {
    cleanup();
  }
});

it('local: a state file that cannot be written mid-run is a platform fault that stops the delivery, naming PAIRBOT_LOCAL_STATE', async () => {
  const { dir, roster, cleanup } = localHarness();
  try {
    // Checked usable when the run began; its folder then replaced by a file.
    const path = join(dir, 'state', 'local-state.db');
    writeFileSync(join(dir, 'state'), 'not a folder');
    const platform = new LocalPlatform(roster, new LocalStateStore(path, undefined, true));
    const sent = platform.sendToGroup({ memberIds: ['u1', 'u2'], text: 'Meet your partner', key: 'outbox-1' }, new Set(), () => {});
    // Not transient: the delivery stops, the round's messages stay pending (exit 3), never "unexpected failure".
    await expect(sent).rejects.toMatchObject({ name: 'PlatformError', transient: false });
    await expect(sent).rejects.toThrow(/the local state file .*local-state\.db cannot be written \(PAIRBOT_LOCAL_STATE: cannot use/);
    await platform.close();
  } finally {
    cleanup();
  }
});

it('local react takes each emoji by its character, its name, or the name Mattermost gives it (date for 📅)', () => {
  for (const [given, name] of [
    ['❌', 'x'],
    [':x:', 'x'],
    ['✅', 'white_check_mark'],
    ['📅', 'calendar'],
    ['calendar', 'calendar'],
    ['date', 'calendar'],
    [':date:', 'calendar'],
  ])
    expect(normaliseEmoji(given!), given).toBe(name);
  expect(normaliseEmoji('thumbsup')).toBeUndefined();
});
