// The `generateAssistantResponse` call itself: one POST, the event stream handed back unread.
// On the kiro.dev hosts it is AWS JSON 1.0 at the root with the runtime target (§11.4 style 2);
// the body is the same on both families: the builder always puts the profileArn at the root and
// the system text into history, never a top-level `systemPrompt` (refused on runtime., §11.4).
import type { KiroCredentials } from './credentials';
import { kiroUrls, withEndpointFallback, type KiroFamily, type KiroHosts } from './endpoints';
import type { KiroHttp } from './http';
import { kiroHeaders } from './headers';
import type { ResponseBody, ResponseHeaders } from './response-body';

export interface KiroChatResponse {
  status: number;
  headers: ResponseHeaders;
  /** The event stream of a 200 answer; unread. */
  body: ResponseBody;
  /** The body of any other answer (Kiro's error envelope), read already. */
  text?: string;
  /** The host family that answered. */
  family: KiroFamily;
}

export async function sendChat(
  http: KiroHttp,
  hosts: KiroHosts,
  credentials: KiroCredentials,
  /** The request's JSON, encoded (see ./request-bytes). */
  request: Buffer,
  signal: AbortSignal,
): Promise<KiroChatResponse> {
  return withEndpointFallback(
    hosts,
    credentials.machineId,
    credentials,
    async (family) => {
      const target = kiroUrls(hosts, credentials, 'chat', family);
      const res = await http.request(target.url, {
        method: 'POST',
        headers: Object.assign(kiroHeaders(credentials, family, { kiroVersion: hosts.kiroVersion() }), target.headers),
        body: request,
        signal,
      });
      // Error bodies are small, and whether to fall back depends on what they say.
      const text = res.statusCode === 200 ? undefined : await res.body.text().catch(() => '');
      return { status: res.statusCode, headers: res.headers, body: res.body, family, ...(text === undefined ? {} : { text }) };
    },
  );
}
