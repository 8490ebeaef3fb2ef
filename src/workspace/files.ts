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
  const attempted: FileEdit[] = [];
  try {
    for (const edit of changing) {
      attempted.push(edit);
      await writeText(edit.path, edit.after, secretPaths.has(edit.path));
    }
  } catch (err) {
    const stuck = await rollBack(attempted);
    const outcome = stuck.length > 0 ? `could not put back ${stuck.join(', ')}` : 'nothing was changed';
    throw new Error(`${attempted[attempted.length - 1].path}: ${(err as Error).message}; ${outcome}.`);
  }
  return changing.map((e) => e.undo);
}

/**
 * A failed apply leaves no undo record, so it puts every file it touched back as the plan found
 * it (the failed write may have truncated its file). Returns the files it could not put back.
 */
async function rollBack(edits: FileEdit[]): Promise<string[]> {
  const stuck: string[] = [];
  for (const edit of edits) {
    try {
      const now = await readText(edit.path);
      if (now === edit.before) continue;
      if (edit.before === undefined) await fs.rm(edit.path);
      else await fs.writeFile(edit.path, edit.before, 'utf8');
    } catch {
      stuck.push(edit.path);
    }
  }
  return stuck;
}

export type UndoOutcome = 'restored' | 'deleted' | 'missing';

/** `changed` lists the keys left as they are because the user changed them. */
export async function undoFile(undo: FileUndo): Promise<{ outcome: UndoOutcome; changed: string[] }> {
  const text = await readText(undo.path);
  if (text === undefined) return { outcome: 'missing', changed: [] };
  const result = undoText(text, undo);
  if (result.text === null) {
    await fs.rm(undo.path);
    return { outcome: 'deleted', changed: result.changed };
  }
  if (result.text !== text) await fs.writeFile(undo.path, result.text, 'utf8');
  return { outcome: 'restored', changed: result.changed };
}
