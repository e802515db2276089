/** Raw-text checks shared by the files pairbot reads (roster, settings, icebreakers, templates). */

import { UsageError } from './errors.js';

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The file as UTF-8 text, a byte order mark (editors and spreadsheets save one) dropped. A file
 * in another encoding (Windows-1252 from a spreadsheet or an old editor) is refused with the
 * first line that is not UTF-8, `where` naming the file: read anyway, its text would be stored
 * and sent with replacement characters.
 */
export function utf8Text(where: string, bytes: Buffer, advice = 'save the file as UTF-8'): string {
  try {
    // The decoder drops a leading byte order mark.
    return UTF8.decode(bytes);
  } catch {
    let line = 1;
    for (let start = 0; start < bytes.length; line++) {
      const end = bytes.indexOf(10, start);
      const stop = end === -1 ? bytes.length : end;
      try {
        UTF8.decode(bytes.subarray(start, stop));
      } catch {
        break;
      }
      start = stop + 1;
    }
    throw new UsageError(`${where}: line ${line}: not UTF-8 text; ${advice}`);
  }
}

/** A key given again in the same JSON object: where, and where it was first given. */
export interface RepeatedKey {
  key: string;
  line: number;
  firstLine: number;
}

/**
 * The line on which each element of a top-level JSON array starts (none for a top-level
 * object), and for each element whose objects give a key twice, the first such key (under -1
 * for keys outside any element, as in a top-level object): JSON.parse silently keeps the last
 * value, and a reviver never sees the first. Keys compare as JSON.parse reads them
 * (`"te\u0061m"` is "team"). The text is known to parse.
 */
export function scanJson(text: string): { lines: number[]; repeatedKeys: Map<number, RepeatedKey> } {
  const lines: number[] = [];
  const repeatedKeys = new Map<number, RepeatedKey>();
  // One frame per open object (its keys so far, with their lines) or array (undefined).
  const open: (Map<string, number> | undefined)[] = [];
  let line = 1;
  let keyNext = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\n') line++;
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || ch === ':') continue;
    if (open.length === 1 && open[0] === undefined && ch !== ',' && ch !== ']') lines.push(line);
    if (ch === '"') {
      // JSON strings hold no raw line break, so the line count stays right.
      let end = i + 1;
      let escaped = false;
      for (; text[end] !== '"'; end++) {
        if (text[end] === '\\') {
          escaped = true;
          end++;
        }
      }
      const keys = open.at(-1);
      if (keyNext && keys) {
        const key = escaped ? (JSON.parse(text.slice(i, end + 1)) as string) : text.slice(i + 1, end);
        const firstLine = keys.get(key);
        const entry = lines.length - 1;
        if (firstLine !== undefined && !repeatedKeys.has(entry)) repeatedKeys.set(entry, { key, line, firstLine });
        if (firstLine === undefined) keys.set(key, line);
      }
      keyNext = false;
      i = end;
    } else if (ch === '{') {
      open.push(new Map());
      keyNext = true;
    } else if (ch === '[') open.push(undefined);
    else if (ch === '}' || ch === ']') {
      open.pop();
      keyNext = false;
    } else if (ch === ',') keyNext = open.at(-1) !== undefined;
    else {
      // A bare number, true, false or null: skip to its end.
      while (i + 1 < text.length && !/[\s,\]}]/.test(text[i + 1]!)) i++;
    }
  }
  return { lines, repeatedKeys };
}
