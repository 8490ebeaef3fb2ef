// Collects items and hands them over at most once per interval, so a burst of requests costs
// one webview message instead of hundreds.

export interface Batcher<T> {
  push(item: T): void;
  /** Drops what is pending (the page will get a full reset instead). */
  discard(): void;
  dispose(): void;
}

export function createBatcher<T>(flush: (items: T[]) => void, intervalMs: number): Batcher<T> {
  let pending: T[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  const fire = () => {
    timer = undefined;
    const items = pending;
    pending = [];
    if (items.length > 0) flush(items);
  };
  return {
    push(item) {
      pending.push(item);
      timer ??= setTimeout(fire, intervalMs);
    },
    discard() {
      pending = [];
    },
    dispose() {
      if (timer) clearTimeout(timer);
      timer = undefined;
      pending = [];
    },
  };
}
