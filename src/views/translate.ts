// The view models are pure (unit-tested without VS Code), so they cannot call `vscode.l10n.t`
// themselves: the host passes it in. Tests use `untranslated`, which only fills the `{0}` slots.

export type Translate = (message: string, ...args: Array<string | number | boolean>) => string;

export const untranslated: Translate = (message, ...args) =>
  message.replace(/\{(\d+)\}/g, (slot, index: string) => (Number(index) < args.length ? String(args[Number(index)]) : slot));

/** User-controlled text (labels, error reasons) must not inject links or formatting into a tooltip. */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>~]/g, (c) => `\\${c}`);
}
