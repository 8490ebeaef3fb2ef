// The `generateAssistantResponse` call itself: one POST, the event stream handed back unread.
import type { Dispatcher } from 'undici';
import type { KiroCredentials } from './credentials';
import { apiBaseOf, type KiroHosts } from './endpoints';
import type { KiroHttp } from './http';
import { kiroChatHeaders } from './headers';

export interface KiroChatResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Dispatcher.ResponseData['body'];
}

export async function sendChat(
  http: KiroHttp,
  hosts: KiroHosts,
  credentials: KiroCredentials,
  requestJson: string,
  signal: AbortSignal,
): Promise<KiroChatResponse> {
  const base = apiBaseOf(hosts, credentials.profileArn);
  const res = await http.request(`${base}/generateAssistantResponse`, {
    method: 'POST',
    headers: kiroChatHeaders(credentials),
    body: requestJson,
    signal,
  });
  return { status: res.statusCode, headers: res.headers, body: res.body };
}
