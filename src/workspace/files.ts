// The file system side of client configuration: read the targets, write a confirmed plan, undo it.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { mergeTargets, planFile, undoText, type FileEdit, type FileTarget, type FileUndo } from './plan';

export async function readText(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** New files that will hold a key are created readable by the user only. */
async function writeText(file: string, text: string, secret: boolean): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, text, { encoding: 'utf8', mode: secret ? 0o600 : 0o644 });
}

export async function planTargets(targets: FileTarget[]): Promise<FileEdit[]> {
  const edits: FileEdit[] = [];
  for (const target of mergeTargets(targets)) {
    const before = await readText(target.path);
    try {
      edits.push(planFile(target, before));
    } catch (err) {
      throw new Error(`${target.path}: ${(err as Error).message}`);
    }
  }
  return edits;
}

/** Writes the edits that change something; refuses if a file changed since the plan was shown. */
export async function applyFileEdits(edits: FileEdit[], secretPaths: ReadonlySet<string>): Promise<FileUndo[]> {
  const changing = edits.filter((e) => e.changes.length > 0);
  for (const edit of changing) {
    if ((await readText(edit.path)) !== edit.before) throw new Error(`${edit.path} changed since the plan was made; nothing was written.`);
  }
  for (const edit of changing) await writeText(edit.path, edit.after, secretPaths.has(edit.path));
  return changing.map((e) => e.undo);
}

export type UndoOutcome = 'restored' | 'deleted' | 'missing';

export async function undoFile(undo: FileUndo): Promise<UndoOutcome> {
  const text = await readText(undo.path);
  if (text === undefined) return 'missing';
  const result = undoText(text, undo);
  if (result === null) {
    await fs.rm(undo.path);
    return 'deleted';
  }
  if (result !== text) await fs.writeFile(undo.path, result, 'utf8');
  return 'restored';
}
