// The engine's Logger written to the one "Kiro Proxy" LogOutputChannel. The engine redacts
// before it logs; messages from the host go through `redact` too.
import * as vscode from 'vscode';
import { redact, type Logger } from '../proxy/logger';

export function createOutputLogger(channel: vscode.LogOutputChannel, component = 'host'): Logger {
  const tag = (m: string) => `[${component}] ${redact(m)}`;
  return {
    debug: (m) => channel.debug(tag(m)),
    info: (m) => channel.info(tag(m)),
    warn: (m) => channel.warn(tag(m)),
    error: (m) => channel.error(tag(m)),
  };
}
