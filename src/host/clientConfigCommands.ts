// VS Code side of client configuration: asks where and what, shows the plan, writes it, keeps the
// undo record in globalState (secret-free by construction, see src/workspace/plan.ts) and undoes it.
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  claudeCodeTarget,
  clientPaths,
  codexTargets,
  geminiEnvTarget,
  gitignoreTarget,
  openAIEnvTarget,
  type ClaudeModels,
  type ProxyAccess,
} from '../workspace/clients';
import { applyFileEdits, planTargets, readText, undoFile } from '../workspace/files';
import { mergeUndo, type FileTarget, type FileUndo } from '../workspace/plan';
import { describeEdits, hasChanges } from '../workspace/summary';

export interface ProxyEndpoint {
  baseUrl(): string | undefined;
  apiKey(): Promise<string | undefined>;
}

const UNDO_STATE_KEY = 'kiro.clientConfig.undo';
const t = vscode.l10n.t;

export function registerClientConfigCommands(context: vscode.ExtensionContext, proxy: ProxyEndpoint): vscode.Disposable[] {
  const undoStore = {
    get: () => context.globalState.get<FileUndo[]>(UNDO_STATE_KEY, []),
    set: (records: FileUndo[]) => context.globalState.update(UNDO_STATE_KEY, records),
  };
  const guarded = (name: string, run: () => Promise<void>) =>
    vscode.commands.registerCommand(name, async () => {
      if (!(await requireTrust())) return;
      try {
        await run();
      } catch (err) {
        void vscode.window.showErrorMessage(t('Kiro: {0}', (err as Error).message));
      }
    });
  return [
    guarded('kiro.configureClaudeCode', () => configureClaudeCode(proxy, undoStore)),
    guarded('kiro.configureOpenAI', () => configureOpenAIClients(proxy, undoStore)),
    guarded('kiro.removeClientConfig', () => removeClientConfig(undoStore)),
  ];
}

interface UndoStore {
  get(): FileUndo[];
  set(records: FileUndo[]): Thenable<void>;
}

/** Writing config files on behalf of a cloned repo is exactly what restricted mode exists to prevent. */
async function requireTrust(): Promise<boolean> {
  if (vscode.workspace.isTrusted) return true;
  const manage = t('Manage Workspace Trust');
  const choice = await vscode.window.showWarningMessage(t('Kiro: client configuration writes files, so it only runs in a trusted workspace.'), manage);
  if (choice === manage) await vscode.commands.executeCommand('workbench.trust.manage');
  return false;
}

async function proxyAccess(proxy: ProxyEndpoint): Promise<ProxyAccess | undefined> {
  const baseUrl = proxy.baseUrl();
  if (!baseUrl) {
    void vscode.window.showWarningMessage(t('Kiro: start the proxy first; its address goes into the client configuration.'));
    return undefined;
  }
  return { baseUrl, apiKey: await proxy.apiKey() };
}

/** Workspace files need a local folder; we write with Node's fs, not through virtual file systems. */
async function workspaceRoot(): Promise<string | undefined> {
  const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file');
  if (folders.length <= 1) return folders[0]?.uri.fsPath;
  return (await vscode.window.showWorkspaceFolderPick({ placeHolder: t('Which folder should the configuration go to?') }))?.uri.fsPath;
}

function displayPath(file: string, root: string | undefined): string {
  if (root && !path.relative(root, file).startsWith('..')) return path.relative(root, file);
  const home = os.homedir();
  return file.startsWith(home + path.sep) ? `~${path.sep}${path.relative(home, file)}` : file;
}

/** Only ignore files in a folder that is (or may become) a git repository. */
async function gitignoreTargets(root: string, files: string[]): Promise<FileTarget[]> {
  const target = gitignoreTarget(root, files);
  if (target.assignments.length === 0) return [];
  const hasGitignore = (await readText(target.path)) !== undefined;
  const isRepo = hasGitignore || (await vscode.workspace.fs.stat(vscode.Uri.file(path.join(root, '.git'))).then(() => true, () => false));
  return isRepo ? [target] : [];
}

/** Shows the plan in a modal and writes it when confirmed. Returns false when nothing was written. */
async function confirmAndApply(targets: FileTarget[], secretFiles: string[], root: string | undefined, store: UndoStore): Promise<boolean> {
  const edits = await planTargets(targets);
  if (!hasChanges(edits)) {
    void vscode.window.showInformationMessage(t('Kiro: already configured, nothing to change.'));
    return false;
  }
  const apply = t('Apply');
  const detail = describeEdits(edits, (f) => displayPath(f, root), t);
  const choice = await vscode.window.showInformationMessage(t('Kiro: write this client configuration?'), { modal: true, detail }, apply);
  if (choice !== apply) return false;
  const undo = await applyFileEdits(edits, new Set(secretFiles));
  await store.set(mergeUndo(store.get(), undo));
  return true;
}

async function configureClaudeCode(proxy: ProxyEndpoint, store: UndoStore): Promise<void> {
  const access = await proxyAccess(proxy);
  if (!access) return;
  const root = await workspaceRoot();
  const scopes = [
    ...(root ? [{ label: t('This workspace'), description: '.claude/settings.local.json', file: clientPaths.claudeWorkspace(root) }] : []),
    { label: t('All projects (user settings)'), description: '~/.claude/settings.json', file: clientPaths.claudeUser(os.homedir()) },
  ];
  const scope = await vscode.window.showQuickPick(scopes, { placeHolder: t('Where should Claude Code be pointed at the Kiro proxy?') });
  if (!scope) return;
  const modelChoices: Array<vscode.QuickPickItem & { models?: ClaudeModels }> = [
    { label: t('Keep Claude Code’s model choice'), description: t('the proxy maps Claude model names to Kiro') },
    { label: 'claude-sonnet-4.5 + claude-haiku-4.5', models: { main: 'claude-sonnet-4.5', smallFast: 'claude-haiku-4.5' } },
    { label: 'claude-opus-4.5 + claude-haiku-4.5', models: { main: 'claude-opus-4.5', smallFast: 'claude-haiku-4.5' } },
  ];
  const model = await vscode.window.showQuickPick(modelChoices, { placeHolder: t('Also set ANTHROPIC_MODEL and ANTHROPIC_SMALL_FAST_MODEL?') });
  if (!model) return;
  const targets = [claudeCodeTarget(scope.file, access, model.models), ...(root ? await gitignoreTargets(root, [scope.file]) : [])];
  if (await confirmAndApply(targets, access.apiKey ? [scope.file] : [], root, store)) {
    void vscode.window.showInformationMessage(t('Kiro: Claude Code will use the proxy in new sessions.'));
  }
}

type OpenAIClient = 'openai' | 'gemini' | 'codex';

async function configureOpenAIClients(proxy: ProxyEndpoint, store: UndoStore): Promise<void> {
  const access = await proxyAccess(proxy);
  if (!access) return;
  const root = await workspaceRoot();
  const clients: Array<vscode.QuickPickItem & { client: OpenAIClient }> = [
    ...(root
      ? [
          { label: t('OpenAI SDKs and clients'), description: '.env: OPENAI_BASE_URL, OPENAI_API_KEY', client: 'openai' as const, picked: true },
          { label: 'Gemini CLI', description: '.env: GOOGLE_GEMINI_BASE_URL, GEMINI_API_KEY', client: 'gemini' as const },
        ]
      : []),
    { label: 'Codex CLI', description: '~/.codex/config.toml: [model_providers.kiro]', client: 'codex' as const, picked: !root },
  ];
  const picked = await vscode.window.showQuickPick(clients, { canPickMany: true, placeHolder: t('Which clients should use the Kiro proxy?') });
  if (!picked || picked.length === 0) return;
  const chosen = new Set(picked.map((p) => p.client));
  const targets: FileTarget[] = [];
  const secretFiles: string[] = [];
  if (root && (chosen.has('openai') || chosen.has('gemini'))) {
    const envFile = clientPaths.workspaceEnv(root);
    if (chosen.has('openai')) targets.push(openAIEnvTarget(envFile, access));
    if (chosen.has('gemini')) targets.push(geminiEnvTarget(envFile, access));
    targets.push(...(await gitignoreTargets(root, [envFile])));
    if (access.apiKey) secretFiles.push(envFile);
  }
  if (chosen.has('codex')) {
    const makeDefault = t('Yes, make Kiro the default provider');
    const answer = await vscode.window.showQuickPick([makeDefault, t('No, only add the provider')], {
      placeHolder: t('Set model_provider = "kiro" in Codex?'),
    });
    if (!answer) return;
    targets.push(...codexTargets(os.homedir(), access, answer === makeDefault ? 'claude-sonnet-4.5' : undefined));
    secretFiles.push(clientPaths.codexEnv(os.homedir()));
  }
  if (await confirmAndApply(targets, secretFiles, root, store)) {
    void vscode.window.showInformationMessage(t('Kiro: clients configured. Restart running clients to pick it up.'));
  }
}

async function removeClientConfig(store: UndoStore): Promise<void> {
  const records = store.get();
  if (records.length === 0) {
    void vscode.window.showInformationMessage(t('Kiro: no client configuration to remove.'));
    return;
  }
  const root = await workspaceRoot();
  const items = records.map((record) => ({ label: displayPath(record.path, root), description: record.entries.map((e) => e.key).join(', '), picked: true, record }));
  const picked = await vscode.window.showQuickPick(items, { canPickMany: true, placeHolder: t('Undo what Kiro wrote to these files') });
  if (!picked || picked.length === 0) return;
  const done = new Set<FileUndo>();
  const failures: string[] = [];
  const kept: string[] = [];
  for (const { record, label } of picked) {
    try {
      const { changed } = await undoFile(record);
      if (changed.length > 0) kept.push(`${label}: ${changed.join(', ')}`);
      done.add(record);
    } catch (err) {
      failures.push(`${label}: ${(err as Error).message}`);
    }
  }
  // What the user changed is theirs now, so its record goes too.
  await store.set(records.filter((r) => !done.has(r)));
  if (failures.length > 0) void vscode.window.showErrorMessage(t('Kiro: could not undo {0}', failures.join('; ')));
  if (kept.length > 0) {
    void vscode.window.showWarningMessage(t('Kiro: removed the client configuration but kept what changed since Kiro wrote it: {0}', kept.join('; ')));
  } else if (failures.length === 0) {
    void vscode.window.showInformationMessage(
      done.size === 1 ? t('Kiro: removed the client configuration from 1 file.') : t('Kiro: removed the client configuration from {0} files.', done.size),
    );
  }
}
