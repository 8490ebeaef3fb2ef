// Responses tool declarations and `tool_choice`: function tools (also inside namespaces),
// freeform custom tools and local_shell; Kiro has no namespaces, so names are flattened.
import type { ToolChoice, ToolSpec, WebSearchTool } from '../../model';
import { Fields, type Located } from '../fields';
import { functionToolSpec } from '../openai-shared';
import type { ClientTool } from './types';

/** Kiro has no namespaces: `crm` + `lookup` travels as `crm__lookup`. */
export function flatName(name: string, namespace?: string): string {
  return namespace ? `${namespace}__${name}` : name;
}

const LOCAL_SHELL_SCHEMA = {
  type: 'object',
  properties: {
    command: { type: 'array', items: { type: 'string' }, description: 'The command and its arguments, e.g. ["bash", "-lc", "ls"].' },
    workdir: { type: 'string', description: 'Working directory.' },
    timeout_ms: { type: 'number', description: 'Timeout in milliseconds.' },
  },
  required: ['command'],
};

/** Function tools (also inside namespaces), freeform custom tools and local_shell; hosted tools are dropped. */
export function parseTool(located: Located, clientTools: Map<string, ClientTool>, namespace?: string): ToolSpec[] {
  const tool = Fields.of(located);
  const type = tool.optionalString('type') ?? 'function';
  switch (type) {
    case 'function': {
      const name = tool.string('name');
      clientTools.set(flatName(name, namespace), { kind: 'function', name, namespace });
      return [functionToolSpec(tool, flatName(name, namespace))];
    }
    case 'custom': {
      const name = tool.string('name');
      clientTools.set(flatName(name, namespace), { kind: 'custom', name, namespace });
      const format = tool.optionalObject('format');
      const grammar = format?.optionalString('definition');
      const description = [tool.optionalString('description') ?? '', grammar ? `The input must follow this ${format?.optionalString('syntax') ?? ''} grammar:\n${grammar}` : '']
        .filter((s) => s)
        .join('\n\n');
      return [
        {
          name: flatName(name, namespace),
          description,
          inputSchema: { type: 'object', properties: { input: { type: 'string', description: 'The raw tool input.' } }, required: ['input'] },
        },
      ];
    }
    case 'namespace': {
      const ns = tool.string('name');
      return tool.optionalList('tools').flatMap((inner) => parseTool(inner, clientTools, ns));
    }
    case 'local_shell':
      clientTools.set('local_shell', { kind: 'local_shell', name: 'local_shell' });
      return [{ name: 'local_shell', description: 'Runs a shell command on the user\'s machine and returns its output.', inputSchema: LOCAL_SHELL_SCHEMA }];
    default:
      return []; // web_search, file_search, computer_use, mcp, image_generation…: hosted by OpenAI
  }
}

const SEARCH_TOOLS = /^web_search(_preview)?(_\d{4}_\d{2}_\d{2})?$/;

/**
 * OpenAI's hosted web search (`web_search`, `web_search_preview` and their dated versions) runs as
 * Kiro's web search; `filters.allowed_domains` limits it, a `tool_choice` naming it forces it.
 */
export function parseSearchTool(tools: Located[], choice: unknown): WebSearchTool | undefined {
  const tool = tools.map((item) => Fields.of(item)).find((t) => SEARCH_TOOLS.test(t.optionalString('type') ?? ''));
  if (!tool) return undefined;
  const allowed = tool.optionalObject('filters')?.optionalList('allowed_domains') ?? [];
  const allowedDomains = allowed.flatMap((d) => (typeof d.value === 'string' ? [d.value] : []));
  const forced = typeof choice === 'object' && choice !== null && SEARCH_TOOLS.test(String((choice as { type?: unknown }).type));
  return { ...(allowedDomains.length ? { allowedDomains } : {}), ...(forced ? { forced } : {}) };
}

export function parseToolChoice(located: Located): ToolChoice | undefined {
  const value = located.value;
  if (value === 'none' || value === 'auto') return { type: value };
  if (value === 'required') return { type: 'any' };
  if (typeof value === 'string') return undefined;
  const choice = Fields.of(located);
  const type = choice.optionalString('type');
  if (type === 'function' || type === 'custom') return { type: 'tool', name: flatName(choice.string('name'), choice.optionalString('namespace')) };
  if (type === 'allowed_tools') return choice.optionalString('mode') === 'required' ? { type: 'any' } : { type: 'auto' };
  return undefined; // a hosted tool: nothing to force
}

