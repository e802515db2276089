import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { createLocalPlatform } from './local.js';
import type { ChatPlatform } from './types.js';
import { UsageError } from '../errors.js';

/** Builds the configured platform adapter; nothing connects until `connect()`. */
export async function createPlatform(config: Config, log: Logger): Promise<ChatPlatform> {
  switch (config.platform) {
    case 'local':
      return createLocalPlatform(config);
    case 'mattermost':
    case 'discord':
      log.debug(`platform ${config.platform} requested`);
      throw new UsageError(`PAIRBOT_PLATFORM: ${config.platform} is not available in this version of pairbot (use local)`);
  }
}
