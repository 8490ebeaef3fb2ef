// The plan in words, for the confirmation dialog. Secrets arrive already masked.
import type { FileEdit } from './plan';

export type Translate = (message: string, ...args: Array<string | number>) => string;

const oneLine = (value: string) => value.trim().split(/\r?\n/).join('  ');

export function describeEdits(edits: FileEdit[], showPath: (file: string) => string, t: Translate): string {
  const blocks: string[] = [];
  for (const edit of edits) {
    if (edit.changes.length === 0) continue;
    const title = edit.before === undefined ? t('{0} (new file)', showPath(edit.path)) : showPath(edit.path);
    const lines = [title];
    for (const c of edit.changes) {
      if (edit.format === 'gitignore') lines.push(`  + ${c.key}`);
      else if (c.action === 'add') lines.push(`  + ${c.key} = ${oneLine(c.value)}`);
      else lines.push(`  ~ ${c.key}: ${oneLine(c.previous ?? '')} → ${oneLine(c.value)}`);
      if (c.previousLost) lines.push(`    ${t('replaces a secret value; removing the configuration later deletes it instead of restoring it')}`);
    }
    blocks.push(lines.join('\n'));
  }
  return blocks.join('\n\n');
}

export function hasChanges(edits: FileEdit[]): boolean {
  return edits.some((e) => e.changes.length > 0);
}
