// What each client needs, as file targets: Claude Code, OpenAI SDK clients, Codex CLI, Gemini CLI.
// Paths are absolute; gitignore keys are relative to the workspace root.
import * as path from 'node:path';
import { renderTomlTable } from './toml';
import type { Assignment, FileTarget } from './plan';

export interface ProxyAccess {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  baseUrl: string;
  apiKey?: string;
}

/** Clients refuse to start (or sign in elsewhere) without a key; the proxy ignores it when none is required. */
export const PLACEHOLDER_KEY = 'kiro-proxy';
/** The variable Codex reads the key from (`env_key`); Codex loads it from `~/.codex/.env`. */
export const CODEX_KEY_VARIABLE = 'KIRO_PROXY_API_KEY';
export const CODEX_PROVIDER = 'kiro';

export const clientPaths = {
  claudeWorkspace: (root: string) => path.join(root, '.claude', 'settings.local.json'),
  claudeUser: (home: string) => path.join(home, '.claude', 'settings.json'),
  workspaceEnv: (root: string) => path.join(root, '.env'),
  gitignore: (root: string) => path.join(root, '.gitignore'),
  codexConfig: (home: string) => path.join(home, '.codex', 'config.toml'),
  codexEnv: (home: string) => path.join(home, '.codex', '.env'),
};

const trimSlash = (url: string) => url.replace(/\/+$/, '');

export interface ClaudeModels {
  main: string;
  smallFast: string;
}

export function claudeCodeTarget(settingsPath: string, access: ProxyAccess, models?: ClaudeModels): FileTarget {
  const assignments: Assignment[] = [
    { key: 'env.ANTHROPIC_BASE_URL', value: trimSlash(access.baseUrl) },
    // Without a token Claude Code asks for a login, or sends the user's claude.ai token to the proxy.
    { key: 'env.ANTHROPIC_AUTH_TOKEN', value: access.apiKey ?? PLACEHOLDER_KEY, secret: access.apiKey !== undefined },
  ];
  if (models) {
    assignments.push({ key: 'env.ANTHROPIC_MODEL', value: models.main }, { key: 'env.ANTHROPIC_SMALL_FAST_MODEL', value: models.smallFast });
  }
  return { path: settingsPath, format: 'json', assignments };
}

export function openAIEnvTarget(envPath: string, access: ProxyAccess): FileTarget {
  return {
    path: envPath,
    format: 'dotenv',
    assignments: [
      { key: 'OPENAI_BASE_URL', value: `${trimSlash(access.baseUrl)}/v1` },
      { key: 'OPENAI_API_KEY', value: access.apiKey ?? PLACEHOLDER_KEY, secret: access.apiKey !== undefined },
    ],
  };
}

export function geminiEnvTarget(envPath: string, access: ProxyAccess): FileTarget {
  return {
    path: envPath,
    format: 'dotenv',
    assignments: [
      { key: 'GOOGLE_GEMINI_BASE_URL', value: trimSlash(access.baseUrl) },
      { key: 'GEMINI_API_KEY', value: access.apiKey ?? PLACEHOLDER_KEY, secret: access.apiKey !== undefined },
    ],
  };
}

/** `defaultModel` also makes the provider Codex's default (`model_provider` + `model`). */
export function codexTargets(home: string, access: ProxyAccess, defaultModel?: string): FileTarget[] {
  const table: Array<[string, string]> = [
    ['name', 'Kiro Proxy'],
    ['base_url', `${trimSlash(access.baseUrl)}/v1`],
    ['wire_api', 'responses'],
  ];
  if (access.apiKey) table.push(['env_key', CODEX_KEY_VARIABLE]);
  const config: Assignment[] = [];
  if (defaultModel) config.push({ key: 'model_provider', value: CODEX_PROVIDER }, { key: 'model', value: defaultModel });
  const tableName = `model_providers.${CODEX_PROVIDER}`;
  config.push({ key: `[${tableName}]`, value: renderTomlTable(tableName, table) });
  const targets: FileTarget[] = [{ path: clientPaths.codexConfig(home), format: 'toml', assignments: config }];
  if (access.apiKey) {
    targets.push({ path: clientPaths.codexEnv(home), format: 'dotenv', assignments: [{ key: CODEX_KEY_VARIABLE, value: access.apiKey, secret: true }] });
  }
  return targets;
}

/** Keeps files that hold the API key out of git. `files` are absolute paths inside `root`. */
export function gitignoreTarget(root: string, files: string[]): FileTarget {
  const relative = files.map((f) => path.relative(root, f).split(path.sep).join('/')).filter((f) => f && !f.startsWith('..'));
  return { path: clientPaths.gitignore(root), format: 'gitignore', assignments: relative.map((f) => ({ key: f, value: f })) };
}
