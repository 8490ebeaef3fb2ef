// Edits of JSON-with-comments settings files through jsonc-parser: only the value we set changes,
// comments, key order and the file's own indentation are kept.
import { applyEdits, findNodeAtLocation, getNodeValue, modify, parseTree, type FormattingOptions, type Node, type ParseError } from 'jsonc-parser';

/** A dotted key such as `env.ANTHROPIC_BASE_URL`; our keys never contain dots themselves. */
type JsonPath = string[];

export function jsonPath(key: string): JsonPath {
  return key.split('.');
}

/** jsonc-parser refuses a byte order mark; a space in its place keeps every offset, and the file keeps its mark. */
function withoutBom(text: string): string {
  return text.replace(/^\uFEFF/, ' ');
}

/** Throws on syntax errors: rewriting a broken file could lose what the user meant. */
export function parseJsonObject(text: string): Node | undefined {
  if (text.trim() === '') return undefined;
  const errors: ParseError[] = [];
  const root = parseTree(withoutBom(text), errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length > 0 || root?.type !== 'object') {
    throw new Error('not a valid JSON object; fix it first, nothing was changed');
  }
  return root;
}

/** Follows the file's indentation (first indented key) and line ends. */
function formattingOf(text: string): FormattingOptions {
  const indent = /^([ \t]+)"/m.exec(text)?.[1];
  const insertSpaces = !indent || indent[0] === ' ';
  return { insertSpaces, tabSize: insertSpaces && indent ? indent.length : 2, eol: text.includes('\r\n') ? '\r\n' : '\n' };
}

/** The value's source text, kept verbatim so an undo restores it byte for byte. */
export function getJsonRaw(text: string, key: string): string | undefined {
  const root = parseJsonObject(text);
  const node = root && findNodeAtLocation(root, jsonPath(key));
  return node ? text.slice(node.offset, node.offset + node.length) : undefined;
}

export function getJsonValue(text: string, key: string): unknown {
  const root = parseJsonObject(text);
  const node = root && findNodeAtLocation(root, jsonPath(key));
  return node ? getNodeValue(node) : undefined;
}

export function setJsonValue(text: string, key: string, value: unknown): string {
  const base = text.trim() === '' ? `{}${formattingOf(text).eol}` : text;
  return applyEdits(base, modify(withoutBom(base), jsonPath(key), value, { formattingOptions: formattingOf(base) }));
}

export function removeJsonValue(text: string, key: string): string {
  return applyEdits(text, modify(withoutBom(text), jsonPath(key), undefined, { formattingOptions: formattingOf(text) }));
}

/** Splices the old source text back in place, or removes our key when it was absent. */
export function restoreJsonValue(text: string, key: string, previousRaw: string | undefined): string {
  if (previousRaw === undefined) return removeJsonValue(text, key);
  const root = parseJsonObject(text);
  const node = root && findNodeAtLocation(root, jsonPath(key));
  if (node) return text.slice(0, node.offset) + previousRaw + text.slice(node.offset + node.length);
  return setJsonValue(text, key, JSON.parse(previousRaw));
}
