// The Responses adapter's own request and reply-head types, shared by its parser, renderers and handlers.
import type { Conversation } from '../../model';

/** How a Kiro tool name maps back to the client's tool: plain, inside a namespace, freeform or local shell. */
export interface ClientTool {
  kind: 'function' | 'custom' | 'local_shell';
  name: string;
  namespace?: string;
}

export interface ResponsesRequest extends Conversation {
  stream: boolean;
  store: boolean;
  previousResponseId?: string;
  /** The chain's first response (for chained requests). */
  rootId?: string;
  /** Kiro tool name → the tool the client declared. */
  clientTools: Map<string, ClientTool>;
  /** Request fields echoed back in the Response object. */
  echo: Record<string, unknown>;
}

export interface ResponseHead {
  id: string;
  model: string;
  /** Unix seconds. */
  createdAt: number;
  previousResponseId?: string;
  store: boolean;
  echo: Record<string, unknown>;
  clientTools: Map<string, ClientTool>;
}
