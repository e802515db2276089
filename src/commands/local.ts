import type { Context } from '../context.js';
import { EXIT, UsageError } from '../errors.js';
import { listItem } from '../core/messages.js';
import { CHANNEL, LocalPlatform, normaliseEmoji } from '../platforms/local.js';

function localPlatform(ctx: Context): LocalPlatform {
  if (!(ctx.platform instanceof LocalPlatform)) {
    throw new UsageError(`local commands work only with PAIRBOT_PLATFORM=local (it is ${ctx.platform.kind})`);
  }
  return ctx.platform;
}

export async function localMessages(ctx: Context, options: { json?: boolean }): Promise<number> {
  const platform = localPlatform(ctx);
  const names = new Map(platform.allUsers().map((u) => [u.id, listItem(u.name)]));
  const posts = platform.state.posts();
  if (options.json) {
    ctx.print(JSON.stringify({ posts }, null, 2));
    return EXIT.ok;
  }
  if (posts.length === 0) {
    ctx.print('The bot has posted nothing yet.');
    return EXIT.ok;
  }
  const blocks = posts.map((p) => {
    const to = p.recipients.length === 0 ? 'channel' : `to ${p.recipients.map((id) => names.get(id) ?? id).join(', ')}`;
    const where =
      p.from === undefined
        ? to
        : `${names.get(p.from) ?? p.from} ${p.conversation.startsWith('dm:') ? 'to the bot' : p.conversation === CHANNEL ? 'in the channel' : `in the group (${to})`}`;
    const counts = new Map<string, string[]>();
    for (const r of p.reactions)
      counts.set(r.emoji, [...(counts.get(r.emoji) ?? []), r.userId === 'pairbot' ? 'bot' : (names.get(r.userId) ?? r.userId)]);
    const reactions = [...counts].map(([emoji, who]) => `:${emoji}: ${who.join(', ')}`).join('  ');
    return [`[${p.id}] ${where}`, ...p.text.split('\n').map((l) => `    ${l}`), ...(reactions ? [`    reactions: ${reactions}`] : [])].join(
      '\n',
    );
  });
  ctx.print(blocks.join('\n\n'));
  return EXIT.ok;
}

export async function localReact(ctx: Context, postId: string, who: string, emoji: string, options: { remove?: boolean }): Promise<number> {
  const platform = localPlatform(ctx);
  const name = normaliseEmoji(emoji);
  if (!name)
    throw new UsageError(`local react: unknown emoji ${JSON.stringify(emoji)} (use x / ❌, white_check_mark / ✅ or calendar / date / 📅)`);
  const user = await platform.findUser(who);
  if (!user) throw new UsageError(`local react: nobody called "${who}" in the roster`);
  const state = platform.state;
  const missing = (): UsageError => new UsageError(`local react: no post "${postId}" (\`pairbot local messages\` lists them)`);
  if (!state.findPost(postId)) throw missing();
  // One transaction: a `pair` writing beside it cannot slip in between the checks and the reaction.
  const changed = state.transaction(() => {
    const post = state.findPost(postId);
    if (!post) throw missing();
    // As on a real platform, only people in the post's conversation can see it, so only they can react.
    if (post.conversation === CHANNEL && state.isRemoved(user.id)) {
      throw new UsageError(
        `local react: ${user.name} is no longer in the channel, so cannot react on ${postId} (\`pairbot local rejoin ${user.id}\` puts them back)`,
      );
    }
    if (post.conversation !== CHANNEL && !post.recipients.includes(user.id)) {
      const to = post.recipients.map((id) => listItem(platform.allUsers().find((u) => u.id === id)?.name ?? id)).join(', ');
      throw new UsageError(`local react: ${user.name} is not in the conversation of ${postId} (it went to ${to}), so cannot react on it`);
    }
    return state.setReaction(post.id, user.id, name, !options.remove);
  });
  if (!changed)
    ctx.log.info(
      options.remove
        ? `${user.name} had not reacted :${name}: on ${postId}; nothing removed`
        : `${user.name} had already reacted :${name}: on ${postId}; nothing changed`,
    );
  else ctx.log.info(`${user.name} ${options.remove ? 'removed' : 'added'} :${name}: ${options.remove ? 'from' : 'on'} ${postId}`);
  return EXIT.ok;
}

export async function localRejoin(ctx: Context, who: string): Promise<number> {
  const platform = localPlatform(ctx);
  const user = await platform.findUser(who);
  if (!user) throw new UsageError(`local rejoin: nobody called "${who}" in the roster`);
  const wasOut = platform.state.setRemoved(user.id, false);
  ctx.log.info(
    wasOut
      ? `${user.name} is back in the local channel; the next pair welcomes them`
      : `${user.name} was not removed from the local channel`,
  );
  return EXIT.ok;
}

/** A member writes to the bot (a DM), or in the channel or a group conversation with `--in <post-id>`. */
export async function localSay(ctx: Context, who: string, text: string, options: { in?: string }): Promise<number> {
  const platform = localPlatform(ctx);
  const user = await platform.findUser(who);
  if (!user) throw new UsageError(`local say: nobody called "${who}" in the roster`);
  if (text.trim() === '') throw new UsageError('local say: nothing to say (give the text after the name)');
  let conversation = `dm:${user.id}`;
  let recipients = [user.id];
  if (options.in === CHANNEL) {
    conversation = CHANNEL;
    recipients = [];
  } else if (options.in !== undefined) {
    const post = platform.state.findPost(options.in);
    if (!post) throw new UsageError(`local say: no post "${options.in}" (\`pairbot local messages\` lists them)`);
    if (post.conversation !== CHANNEL && !post.recipients.includes(user.id)) {
      throw new UsageError(`local say: ${user.name} is not in the conversation of ${options.in}, so cannot write there`);
    }
    conversation = post.conversation;
    recipients = post.recipients;
  }
  const ref = platform.say(user.id, conversation, recipients, text, ctx.config.now);
  ctx.log.info(
    `${user.name} wrote ${ref.id} ${conversation.startsWith('dm:') ? 'to the bot' : conversation === CHANNEL ? 'in the channel' : 'in their group conversation'}; \`pairbot inbox\` reads it`,
  );
  return EXIT.ok;
}
