// A cheap AbortController for the per-request hot path. Node's AbortSignal is an EventTarget
// re-prototyped on creation: ~3–4 µs to make one and a few more per listener, and every
// request made two (client gone, upstream call). This one keeps what the proxy and undici use
// of a signal — `aborted`, `reason`, `throwIfAborted`, `onabort` and add/removeEventListener
// for 'abort' (undici accepts any object with addEventListener) — with EventTarget's rules:
// a listener added twice runs once, `once` listeners are removed when they run, listeners
// added after the abort never run, and a throwing listener does not stop the others.

type AbortListener = ((this: AbortSignal, event: Event) => unknown) | { handleEvent(event: Event): unknown };

interface Registered {
  listener: AbortListener;
  once: boolean;
}

class LightAbortSignal {
  aborted = false;
  private givenReason: unknown = undefined;
  onabort: ((this: AbortSignal, event: Event) => unknown) | null = null;
  private listeners: Registered[] | undefined;

  addEventListener(type: string, listener: AbortListener | null, options?: boolean | AddEventListenerOptions): void {
    if (type !== 'abort' || !listener || this.aborted) return;
    const list = (this.listeners ??= []);
    for (const r of list) if (r.listener === listener) return;
    list.push({ listener, once: typeof options === 'object' && options !== null && options.once === true });
  }

  removeEventListener(type: string, listener: AbortListener | null): void {
    const list = this.listeners;
    if (type !== 'abort' || !list) return;
    const i = list.findIndex((r) => r.listener === listener);
    if (i >= 0) list.splice(i, 1);
  }

  /**
   * The abort reason; without one given, an AbortError made when first read: a DOMException
   * captures a stack trace, and the server aborts every request's signal when it ends.
   */
  get reason(): unknown {
    if (this.aborted && this.givenReason === undefined) this.givenReason = new DOMException('This operation was aborted', 'AbortError');
    return this.givenReason;
  }

  throwIfAborted(): void {
    if (this.aborted) throw this.reason;
  }

  dispatchEvent(): boolean {
    throw new Error('LightAbortSignal does not dispatch events; call abort() on its controller');
  }

  /** @internal */
  fire(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.givenReason = reason;
    const list = this.listeners;
    this.listeners = undefined;
    if (!this.onabort && !list) return;
    const self = this as unknown as AbortSignal;
    const event = new Event('abort');
    const call = (fn: AbortListener) => {
      try {
        if (typeof fn === 'function') fn.call(self, event);
        else fn.handleEvent(event);
      } catch (err) {
        // Like EventTarget: reported as uncaught, the remaining listeners still run.
        process.nextTick(() => {
          throw err;
        });
      }
    };
    if (this.onabort) call(this.onabort);
    if (list) for (const r of list) call(r.listener);
  }
}

export class LightAbortController {
  private readonly light = new LightAbortSignal();

  /** Typed as AbortSignal: it has every member the proxy, the pool and undici use. */
  get signal(): AbortSignal {
    return this.light as unknown as AbortSignal;
  }

  abort(reason?: unknown): void {
    this.light.fire(reason);
  }
}

/**
 * Aborts `child` when `parent` aborts, or at once if it already has (a listener added to a
 * fired signal never runs). Returns the unlink, to call when `child`'s work is done.
 */
export function abortWith(parent: AbortSignal, child: LightAbortController): () => void {
  const onAbort = () => child.abort();
  parent.addEventListener('abort', onAbort, { once: true });
  if (parent.aborted) child.abort();
  return () => parent.removeEventListener('abort', onAbort);
}
