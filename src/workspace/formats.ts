// One adapter per file format, so the planner treats `.env`, JSON, TOML and .gitignore alike:
// read a key's value, keep its source for undo, set it, and put the source back.
import { getEnvLine, getEnvValue, restoreEnvLine, setEnvValue } from './dotenv';
import { addIgnoreLine, isIgnored, removeIgnoreLine } from './gitignore';
import { getJsonRaw, getJsonValue, parseJsonObject, restoreJsonValue, setJsonValue } from './jsonSettings';
import { eolOf } from './lines';
import {
  assertEditableToml,
  assertParsesAsToml,
  isToml,
  getTomlTable,
  getTomlTopLevel,
  getTomlTopLevelValue,
  restoreTomlTable,
  restoreTomlTopLevel,
  setTomlTable,
  setTomlTopLevel,
} from './toml';

export type FileFormat = 'json' | 'dotenv' | 'toml' | 'gitignore';

/** What an undo needs for one key. `previous` is the old source text; it is never kept for secrets. */
export interface UndoEntry {
  key: string;
  /**
   * Hash of the value we wrote (it may be the API key): undo touches the key only while it still
   * holds that value. Absent in records of 0.1.0 builds before it existed: undone unconditionally, as then.
   */
  written?: string;
  previous?: string;
  /** A value was there but was secret, so undo removes ours instead of restoring it. */
  previousSecret?: true;
  /** We added a blank line before an appended TOML table. */
  gap?: true;
}

export interface FormatAdapter {
  /** Throws when the file cannot be edited safely (broken JSON, a table written inline). */
  check(text: string, keys: string[]): void;
  /** The value as a client reads it, to decide whether anything changes. */
  current(text: string, key: string): string | undefined;
  /** The source text undo puts back. */
  raw(text: string, key: string): string | undefined;
  set(text: string, key: string, value: string): { text: string; gap?: boolean };
  restore(text: string, entry: Omit<UndoEntry, 'written'>): string;
  isEmpty(text: string): boolean;
}

const normalizeEol = (text: string | undefined) => text?.replace(/\r\n/g, '\n');

/** TOML keys in brackets (`[model_providers.kiro]`) name a whole table; the value is the rendered table. */
const tableName = (key: string) => (key.startsWith('[') ? key.slice(1, -1) : undefined);

const json: FormatAdapter = {
  check: (text) => void parseJsonObject(text),
  current(text, key) {
    const value = getJsonValue(text, key);
    return value === undefined ? undefined : typeof value === 'string' ? value : JSON.stringify(value);
  },
  raw: (text, key) => getJsonRaw(text, key),
  set: (text, key, value) => ({ text: setJsonValue(text, key, value) }),
  restore: (text, entry) => restoreJsonValue(text, entry.key, entry.previous),
  isEmpty: (text) => text.trim() === '' || /^\{\s*\}$/.test(text.trim()),
};

const dotenv: FormatAdapter = {
  check() {},
  current: getEnvValue,
  raw: getEnvLine,
  set: (text, key, value) => ({ text: setEnvValue(text, key, value) }),
  restore: (text, entry) => restoreEnvLine(text, entry.key, entry.previous),
  isEmpty: (text) => text.trim() === '',
};

/** The line edits below are checked by a real TOML reader: a file that would no longer parse is never written. */
const toml: FormatAdapter = {
  check(text, keys) {
    assertParsesAsToml(text, 'The file as it is');
    for (const table of keys.map(tableName)) if (table) assertEditableToml(text, table);
  },
  current(text, key) {
    const table = tableName(key);
    return table ? normalizeEol(getTomlTable(text, table)) : getTomlTopLevelValue(text, key);
  },
  raw(text, key) {
    const table = tableName(key);
    return table ? getTomlTable(text, table) : getTomlTopLevel(text, key);
  },
  set(text, key, value) {
    const table = tableName(key);
    const result = table ? setTomlTable(text, table, value.replace(/\n/g, eolOf(text))) : { text: setTomlTopLevel(text, key, value) };
    assertParsesAsToml(result.text, `The file with ${key} set`);
    return result;
  },
  restore(text, entry) {
    const table = tableName(entry.key);
    const out = table ? restoreTomlTable(text, table, entry.previous, entry.gap === true) : restoreTomlTopLevel(text, entry.key, entry.previous);
    // Undo must not break a file that reads today; one the user already broke is theirs to fix.
    if (isToml(text)) assertParsesAsToml(out, `The file with ${entry.key} put back`);
    return out;
  },
  isEmpty: (text) => text.trim() === '',
};

/** Keys are paths to ignore; a path already ignored counts as set. */
const gitignore: FormatAdapter = {
  check() {},
  current: (text, key) => (isIgnored(text, key) ? key : undefined),
  raw: () => undefined,
  set: (text, key) => ({ text: addIgnoreLine(text, key) }),
  restore: (text, entry) => removeIgnoreLine(text, entry.key),
  isEmpty: (text) => text.trim() === '',
};

export const adapters: Record<FileFormat, FormatAdapter> = { json, dotenv, toml, gitignore };
