import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { createLocalPlatform } from './local.js';
import type { ChatPlatform } from './types.js';

/** Builds the configured platform adapter; nothing connects until `connect()`. */
/** `writes`: the run may write and send (not a dry run nor a reader). */
export async function createPlatform(config: Config, log: Logger, writes = false): Promise<ChatPlatform> {
  switch (config.platform) {
    case 'local':
      return createLocalPlatform(config, writes);
    case 'mattermost': {
      const { createMattermostPlatform } = await import('./mattermost.js');
      return createMattermostPlatform(config, log);
    }
    case 'discord': {
      const { createDiscordPlatform } = await import('./discord.js');
      return createDiscordPlatform(config, log);
    }
  }
}
