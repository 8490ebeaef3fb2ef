// Plans, applies and undoes client configuration on file texts. Pure: the caller reads and
// writes the files. A plan says what changes (for the user to confirm) and carries the undo
// record, which holds no secrets: a secret we replace is removed on undo, not restored, and what
// we wrote is kept only as a hash. Undo leaves every key the user changed after we wrote it.
import { createHash } from 'node:crypto';
import { adapters, type FileFormat, type UndoEntry } from './formats';
import { jsonPath } from './jsonSettings';
import { isSecretName } from './secrets';

export interface Assignment {
  key: string;
  value: string;
  secret?: boolean;
}

export interface FileTarget {
  path: string;
  format: FileFormat;
  assignments: Assignment[];
}

export interface FileUndo {
  path: string;
  format: FileFormat;
  /** The file did not exist: undo deletes it when nothing else is left in it. */
  createdFile: boolean;
  /** We terminated a last line that had no line end. */
  addedFinalEol: boolean;
  /** JSON objects we created to hold our keys (`env`), removed on undo when empty. */
  createdContainers: string[];
  entries: UndoEntry[];
}

export interface ChangeLine {
  key: string;
  action: 'add' | 'replace';
  /** Shown to the user; secrets masked. */
  value: string;
  previous?: string;
  /** The replaced value is secret and cannot be restored by undo. */
  previousLost?: boolean;
}

export interface FileEdit {
  path: string;
  format: FileFormat;
  before: string | undefined;
  after: string;
  changes: ChangeLine[];
  undo: FileUndo;
}

export const SECRET_MASK = '••••••••';

/** Tells whether a value is still ours without keeping it: the API key is long and random, so its hash gives nothing away. */
function fingerprint(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

function looksSecret(key: string, raw: string): boolean {
  if (isSecretName(key)) return true;
  // A whole TOML table is secret when any of its keys is (Codex's `experimental_bearer_token`).
  return key.startsWith('[') && raw.split(/\r?\n/).some((line) => isSecretName(line.split('=')[0].trim()));
}

/** Folds several targets on one file (OpenAI and Gemini both write `.env`) into one. */
export function mergeTargets(targets: FileTarget[]): FileTarget[] {
  const byPath = new Map<string, FileTarget>();
  for (const t of targets) {
    const existing = byPath.get(t.path);
    if (!existing) byPath.set(t.path, { ...t, assignments: [...t.assignments] });
    else for (const a of t.assignments) if (!existing.assignments.some((e) => e.key === a.key)) existing.assignments.push(a);
  }
  return [...byPath.values()];
}

/** Computes the new text of one file. Throws when the file cannot be edited safely. */
export function planFile(target: FileTarget, before: string | undefined): FileEdit {
  const adapter = adapters[target.format];
  let text = before ?? '';
  adapter.check(text, target.assignments.map((a) => a.key));
  const changes: ChangeLine[] = [];
  const entries: UndoEntry[] = [];
  const createdContainers: string[] = [];
  for (const { key, value, secret } of target.assignments) {
    const current = adapter.current(text, key);
    if (current === value) continue;
    const raw = adapter.raw(text, key);
    const previousSecret = raw !== undefined && looksSecret(key, raw);
    if (target.format === 'json') {
      const parents = jsonPath(key).slice(0, -1);
      for (let i = 1; i <= parents.length; i++) {
        const parent = parents.slice(0, i).join('.');
        if (adapter.raw(text, parent) === undefined && !createdContainers.includes(parent)) createdContainers.push(parent);
      }
    }
    const result = adapter.set(text, key, value);
    text = result.text;
    entries.push({
      key,
      written: fingerprint(value),
      ...(raw !== undefined && !previousSecret ? { previous: raw } : {}),
      ...(previousSecret ? { previousSecret: true as const } : {}),
      ...(result.gap ? { gap: true as const } : {}),
    });
    changes.push({
      key,
      action: current === undefined ? 'add' : 'replace',
      value: secret ? SECRET_MASK : value,
      ...(current !== undefined ? { previous: previousSecret ? SECRET_MASK : current } : {}),
      ...(previousSecret ? { previousLost: true } : {}),
    });
  }
  const addedFinalEol = before !== undefined && before !== '' && !/\n$/.test(before) && /\n$/.test(text);
  return {
    path: target.path,
    format: target.format,
    before,
    after: text,
    changes,
    undo: { path: target.path, format: target.format, createdFile: before === undefined, addedFinalEol, createdContainers, entries },
  };
}

export interface UndoResult {
  /** The file's text after the undo, or null when the file should be deleted. */
  text: string | null;
  /** Keys left as they are because the user changed them after we wrote them. */
  changed: string[];
}

/** Undoes each key that still holds the value we wrote. */
export function undoText(text: string, undo: FileUndo): UndoResult {
  const adapter = adapters[undo.format];
  let out = text;
  const changed: string[] = [];
  for (const entry of [...undo.entries].reverse()) {
    const current = adapter.current(out, entry.key);
    if (current !== undefined && (entry.written === undefined || fingerprint(current) === entry.written)) out = adapter.restore(out, entry);
    // A key the user removed, with no old value to put back, needs no undo and no mention.
    else if (current !== undefined || entry.previous !== undefined) changed.unshift(entry.key);
  }
  for (const container of [...undo.createdContainers].reverse()) {
    if (adapter.current(out, container) === '{}') out = adapter.restore(out, { key: container });
  }
  // The final line end belongs to the lines we appended, unless the user kept some of them.
  if (undo.addedFinalEol && changed.length === 0) out = out.replace(/\r?\n$/, '');
  return { text: undo.createdFile && adapter.isEmpty(out) ? null : out, changed };
}

/**
 * Adds a new undo record to the stored ones. The oldest record of a key wins: it holds the value
 * from before we ever touched the file, which a repeated configure must not overwrite with ours.
 * Only the hash of what we wrote is taken from the new record.
 */
export function mergeUndo(stored: FileUndo[], fresh: FileUndo[]): FileUndo[] {
  const out = stored.map((u) => ({ ...u, entries: [...u.entries], createdContainers: [...u.createdContainers] }));
  for (const f of fresh) {
    const existing = out.find((u) => u.path === f.path);
    if (!existing) {
      if (f.entries.length > 0) out.push(f);
      continue;
    }
    for (const e of f.entries) {
      const index = existing.entries.findIndex((x) => x.key === e.key);
      // Undo checks the key against what we wrote last.
      if (index >= 0) existing.entries[index] = { ...existing.entries[index], written: e.written };
      else existing.entries.push(e);
    }
    for (const c of f.createdContainers) if (!existing.createdContainers.includes(c)) existing.createdContainers.push(c);
  }
  return out;
}
