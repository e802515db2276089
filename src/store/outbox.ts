import type { MessageKind, PostRef, Reaction } from '../core/types.js';
import { writeTransaction, type DB } from './db.js';

/**
 * Every outbox key is made here: a key makes enqueueing idempotent (the same key is stored
 * once, ever), so what a key holds decides what counts as "the same message".
 */
export const outboxKey = {
  /** A group's introduction. */
  intro: (groupId: number): string => `intro:${groupId}`,
  /** The first feedback ask of a group. */
  ask: (groupId: number): string => `${ASK_PREFIX}${groupId}`,
  /** A reminder of a group's feedback ask, one per day it is sent. */
  reminder: (groupId: number, day: string): string => `${ASK_PREFIX}${groupId}:reminder:${day}`,
  /** The opt-out announcement of a program's round. */
  optOut: (programId: number, period: string): string => `optout:${programId}:${period}`,
  /** A member told they sit out a round, or that nobody could be paired with them. */
  leftOut: (reason: string, roundId: number, userId: string): string => `${reason}:${roundId}:${userId}`,
  /** A member placed into a group by catch-up: the message to the group. */
  join: (groupId: number, userId: string): string => `join:${groupId}:${userId}`,
  /** The removal DM of a member's membership that began on `joinedOn`. */
  removal: (userId: string, joinedOn: string): string => `removal:${userId}:${joinedOn}`,
  /** The note to the reachable members of a message some recipients could not receive. */
  unreachableNote: (outboxId: number): string => `unreachable-note:${outboxId}`,
  /** The reply to a message a member wrote to the bot (inbox), keyed by the platform's message id. */
  inboxReply: (programId: number, messageId: string): string => `inbox-reply:${programId}:${messageId}`,
} as const;

/** Prefix of the feedback-ask keys (`ask:<group id>`), for queries that look for asked groups. */
export const ASK_PREFIX = 'ask:';

export interface OutboxMessage {
  id: number;
  kind: MessageKind;
  period: string | null;
  groupId: number | null;
  /** Recipients' user ids; empty for a post in the program channel. */
  recipients: string[];
  body: string;
  /** Recipients' own copies where they differ from `body` (sent when the recipient gets a message of their own). */
  ownBodies: Readonly<Record<string, string>> | null;
  reactions: Reaction[];
  status: 'pending' | 'sent' | 'failed';
  delivered: string[];
  unreachable: string[];
  attempts: number;
  lastError: string | null;
  createdAt: string;
  sentAt: string | null;
  /** When the first attempt to send it started (wall clock); null before any attempt. */
  sendStartedAt: string | null;
  /** A reply goes to the conversation the message came from (inbox), not to a DM or group. */
  conversationId: string | null;
  /** The platform message a reply answers. */
  replyTo: string | null;
  /** The thread a reply goes to, where threads live inside a conversation (Mattermost's root post). */
  threadId: string | null;
}

export interface NewMessage {
  programId: number;
  /** Makes enqueueing idempotent: the same key is stored once, ever. */
  dedupeKey: string;
  kind: MessageKind;
  period?: string;
  groupId?: number;
  recipients: readonly string[];
  body: string;
  ownBodies?: Readonly<Record<string, string>>;
  reactions?: readonly Reaction[];
  createdAt: string;
  conversationId?: string;
  replyTo?: string;
  threadId?: string;
}

/**
 * The outbox columns in the order `toMessage` reads them. Rows are read as arrays: a round's
 * delivery reads 50,000 of them at once, and better-sqlite3 builds an object per row slower
 * than the arrays.
 */
const MESSAGE_COLUMNS =
  'id, kind, period, group_id, recipients, body, own_bodies, reactions, status, delivered, unreachable, attempts, last_error, created_at, sent_at, send_started_at, conversation_id, reply_to, thread_id';

type Row = [
  id: number,
  kind: MessageKind,
  period: string | null,
  groupId: number | null,
  recipients: string,
  body: string,
  ownBodies: string | null,
  reactions: string,
  status: OutboxMessage['status'],
  delivered: string,
  unreachable: string,
  attempts: number,
  lastError: string | null,
  createdAt: string,
  sentAt: string | null,
  sendStartedAt: string | null,
  conversationId: string | null,
  replyTo: string | null,
  threadId: string | null,
];

/** A JSON list column; most are empty (`[]`), which needs no parsing. */
const list = <T>(json: string): T[] => (json === '[]' ? [] : (JSON.parse(json) as T[]));

function toMessage(r: Row): OutboxMessage {
  return {
    id: r[0],
    kind: r[1],
    period: r[2],
    groupId: r[3],
    recipients: list<string>(r[4]),
    body: r[5],
    ownBodies: r[6] === null ? null : (JSON.parse(r[6]) as Record<string, string>),
    reactions: list<Reaction>(r[7]),
    status: r[8],
    delivered: list<string>(r[9]),
    unreachable: list<string>(r[10]),
    attempts: r[11],
    lastError: r[12],
    createdAt: r[13],
    sentAt: r[14],
    sendStartedAt: r[15],
    conversationId: r[16],
    replyTo: r[17],
    threadId: r[18],
  };
}

/** The program's messages that `where` selects (with `params` after the program id), oldest first; the first `limit` of them when given. */
function messagesWhere(db: DB, programId: number, where: string, params: unknown[] = [], limit = -1): OutboxMessage[] {
  const rows = db
    .prepare(`SELECT ${MESSAGE_COLUMNS} FROM outbox WHERE program_id = ? AND ${where} ORDER BY id LIMIT ?`)
    .raw()
    .all(programId, ...params, limit) as Row[];
  return rows.map(toMessage);
}

/** Stores a message to send; returns false when its dedupe key was stored before. */
export function enqueue(db: DB, m: NewMessage): boolean {
  const info = db
    .prepare(
      // After the newest id and every deleted one (outbox_ids, migration 12): never one a deleted message had.
      `INSERT OR IGNORE INTO outbox (id, program_id, dedupe_key, kind, period, group_id, recipients, body, own_bodies, reactions, created_at, conversation_id, reply_to, thread_id)
       VALUES (MAX((SELECT next FROM outbox_ids), COALESCE((SELECT MAX(id) FROM outbox), 0) + 1), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(
      m.programId,
      m.dedupeKey,
      m.kind,
      m.period ?? null,
      m.groupId ?? null,
      JSON.stringify(m.recipients),
      m.body,
      m.ownBodies ? JSON.stringify(m.ownBodies) : null,
      JSON.stringify(m.reactions ?? []),
      m.createdAt,
      m.conversationId ?? null,
      m.replyTo ?? null,
      m.threadId ?? null,
    );
  return info.changes > 0;
}

export function findByKey(db: DB, dedupeKey: string): OutboxMessage | undefined {
  const row = db.prepare(`SELECT ${MESSAGE_COLUMNS} FROM outbox WHERE dedupe_key = ?`).raw().get(dedupeKey) as Row | undefined;
  return row && toMessage(row);
}

/** Up to `limit` pending messages with an id above `afterId`, oldest first: a round's delivery reads them a page at a time. */
export function pendingMessages(db: DB, programId: number, afterId: number, limit: number): OutboxMessage[] {
  return messagesWhere(db, programId, "status = 'pending' AND id > ?", [afterId], limit);
}

/** How many messages are pending with an id above `afterId`. */
export function countPending(db: DB, programId: number, afterId = 0): number {
  return db
    .prepare("SELECT COUNT(*) FROM outbox WHERE program_id = ? AND status = 'pending' AND id > ?")
    .pluck()
    .get(programId, afterId) as number;
}

export function messagesOfKind(db: DB, programId: number, kind: MessageKind): OutboxMessage[] {
  return messagesWhere(db, programId, 'kind = ?', [kind]);
}

/**
 * Records that a send attempt is about to start, before it starts; the earliest attempt is
 * kept, so a later run looks for what any unrecorded attempt may have posted.
 */
export function markSendStarted(db: DB, messageId: number, at: string): void {
  db.prepare('UPDATE outbox SET send_started_at = COALESCE(send_started_at, ?) WHERE id = ?').run(at, messageId);
}

/**
 * Records a delivered part at once, so a crash after it never sends that part again; the
 * bot's reactions are recorded as still to add on that post.
 */
export function recordDelivery(
  db: DB,
  messageId: number,
  memberIds: readonly string[],
  post: PostRef,
  reactions: readonly Reaction[] = [],
): void {
  writeTransaction(db, () => {
    const row = db.prepare('SELECT delivered FROM outbox WHERE id = ?').get(messageId) as { delivered: string };
    const delivered = new Set(JSON.parse(row.delivered) as string[]);
    for (const id of memberIds) delivered.add(id);
    db.prepare('UPDATE outbox SET delivered = ? WHERE id = ?').run(JSON.stringify([...delivered]), messageId);
    db.prepare(
      'INSERT INTO posts (outbox_id, platform_post_id, conversation_id, recipients, reactions_pending) VALUES (?, ?, ?, ?, ?)',
    ).run(messageId, post.id, post.conversationId, JSON.stringify(memberIds), JSON.stringify(reactions));
  });
}

/** A part of a message the platform delivered: the post it made and whom it reached. */
export interface DeliveredPart {
  memberIds: readonly string[];
  post: PostRef;
}

/**
 * Records a message as sent, with whom it could not reach and the parts of it delivered since
 * its row was read (`message.delivered`) that are not recorded yet (recordDelivery records
 * the others as they come): one statement for the message and one per post, the bot's
 * reactions still to add on each.
 */
export function recordSent(
  db: DB,
  message: Pick<OutboxMessage, 'id' | 'delivered' | 'reactions'>,
  parts: readonly DeliveredPart[],
  unreachable: readonly string[],
  at: string,
): void {
  const reactions = JSON.stringify(message.reactions);
  const insert = db.prepare(
    'INSERT INTO posts (outbox_id, platform_post_id, conversation_id, recipients, reactions_pending) VALUES (?, ?, ?, ?, ?)',
  );
  for (const { memberIds, post } of parts) insert.run(message.id, post.id, post.conversationId, JSON.stringify(memberIds), reactions);
  const delivered = parts.length === 0 ? null : JSON.stringify([...new Set([...message.delivered, ...parts.flatMap((p) => p.memberIds)])]);
  db.prepare(
    "UPDATE outbox SET status = 'sent', delivered = COALESCE(?, delivered), unreachable = ?, sent_at = ?, last_error = NULL WHERE id = ?",
  ).run(delivered, JSON.stringify(unreachable), at, message.id);
}

export function markAttemptFailed(db: DB, messageId: number, error: string, giveUp: boolean): void {
  db.prepare(`UPDATE outbox SET attempts = attempts + 1, last_error = ?, status = ? WHERE id = ?`).run(
    error,
    giveUp ? 'failed' : 'pending',
    messageId,
  );
}

export function postsOf(db: DB, messageId: number): (PostRef & { recipients: string[] })[] {
  const rows = db
    .prepare('SELECT platform_post_id AS id, conversation_id AS conversationId, recipients FROM posts WHERE outbox_id = ? ORDER BY id')
    .all(messageId) as { id: string; conversationId: string; recipients: string }[];
  return rows.map((r) => ({ id: r.id, conversationId: r.conversationId, recipients: JSON.parse(r.recipients) as string[] }));
}

/** Messages not delivered yet (pending) or given up on (failed), oldest first. */
export function undeliveredMessages(db: DB, programId: number): OutboxMessage[] {
  return messagesWhere(db, programId, "status <> 'sent'");
}

/** Members no message of a round could reach (DMs closed, account gone), as recorded when it was sent. */
export function unreachableInRound(db: DB, programId: number, period: string): string[] {
  const rows = db
    .prepare("SELECT unreachable FROM outbox WHERE program_id = ? AND period = ? AND unreachable <> '[]'")
    .all(programId, period) as { unreachable: string }[];
  return [...new Set(rows.flatMap((r) => JSON.parse(r.unreachable) as string[]))];
}

export function countByStatus(db: DB, programId: number): Record<OutboxMessage['status'], number> {
  const out = { pending: 0, sent: 0, failed: 0 };
  for (const r of db.prepare('SELECT status, COUNT(*) AS n FROM outbox WHERE program_id = ? GROUP BY status').all(programId) as {
    status: keyof typeof out;
    n: number;
  }[]) {
    out[r.status] = r.n;
  }
  return out;
}

export interface PostAwaitingReactions extends PostRef {
  /** The posts table's row id. */
  rowId: number;
  outboxId: number;
  kind: MessageKind;
  reactions: Reaction[];
}

/** Posts of the program whose bot reactions are not all added yet, oldest first. */
export function postsAwaitingReactions(db: DB, programId: number): PostAwaitingReactions[] {
  const rows = db
    .prepare(
      `SELECT p.id AS rowId, p.outbox_id AS outboxId, o.kind, p.platform_post_id AS id, p.conversation_id AS conversationId, p.reactions_pending AS reactions
       FROM posts p JOIN outbox o ON o.id = p.outbox_id
       WHERE o.program_id = ? AND p.reactions_pending <> '[]' ORDER BY p.id`,
    )
    .all(programId) as (Omit<PostAwaitingReactions, 'reactions'> & { reactions: string })[];
  return rows.map((r) => ({ ...r, reactions: JSON.parse(r.reactions) as Reaction[] }));
}

export function markReactionsAdded(db: DB, postRowId: number): void {
  db.prepare("UPDATE posts SET reactions_pending = '[]' WHERE id = ?").run(postRowId);
}

/**
 * Conversations the bot delivered to, with who was in them (inbox reads these on platforms that
 * cannot list them), when it last delivered there and when an inbox run last read them.
 */
export function deliveredConversations(
  db: DB,
  programId: number,
): { id: string; recipients: string[]; thread: boolean; deliveredAt: string; repliedAt?: string; checkedAt?: string }[] {
  const rows = db
    .prepare(
      `SELECT p.conversation_id AS id, o.recipients AS recipients, MAX(COALESCE(o.sent_at, o.created_at)) AS deliveredAt,
              MAX(CASE WHEN o.kind = 'inbox-reply' THEN COALESCE(o.sent_at, o.created_at) END) AS repliedAt,
              EXISTS (SELECT 1 FROM group_threads t WHERE t.thread_id = p.conversation_id) AS thread,
              (SELECT c.checked_at FROM inbox_cursors c WHERE c.program_id = o.program_id AND c.conversation_id = p.conversation_id) AS checkedAt
       FROM posts p JOIN outbox o ON o.id = p.outbox_id
       WHERE o.program_id = ? AND o.recipients != '[]' GROUP BY p.conversation_id`,
    )
    .all(programId) as {
    id: string;
    recipients: string;
    thread: number;
    deliveredAt: string;
    repliedAt: string | null;
    checkedAt: string | null;
  }[];
  return rows.map((r) => ({
    id: r.id,
    recipients: JSON.parse(r.recipients) as string[],
    thread: r.thread === 1,
    deliveredAt: r.deliveredAt,
    ...(r.repliedAt ? { repliedAt: r.repliedAt } : {}),
    ...(r.checkedAt ? { checkedAt: r.checkedAt } : {}),
  }));
}
