import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalPlatform, LocalStateFile } from '../../src/platforms/local.js';
import { runPlatformContract } from './contract.js';
import { tempDir } from '../helpers/tmp.js';

const EMOJI = { skip: 'x', missed: 'x', met: 'white_check_mark', scheduled: 'calendar' } as const;

runPlatformContract('local', async () => {
  const { dir, cleanup } = tempDir();
  const roster = join(dir, 'roster.csv');
  writeFileSync(roster, 'id,name,timezone\nu1,ana,Europe/Berlin\nu2,ben,\nu3,cy,UTC\nu4,dee,Asia/Tokyo\n');
  const state = new LocalStateFile(join(dir, 'state.json'));
  return {
    platform: new LocalPlatform(roster, state),
    memberIds: ['u1', 'u2', 'u3', 'u4'],
    firstMemberName: 'ana',
    react: async (post, userId, reaction) => {
      state.update((s) => s.posts.find((p) => p.id === post.id)!.reactions.push({ userId, emoji: EMOJI[reaction] }));
    },
    cleanup: async () => cleanup(),
  };
});
