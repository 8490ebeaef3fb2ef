// One way, on the VS Code side, to undo what was set up: everything that must be undone is a
// `Disposable` (VS Code's own are), an emitter subscription comes with its unsubscription, and
// a class that owns several keeps them in a `DisposableStore`. Plain Node (VS Code's Disposable is
// structural), so the views, the host services and their tests share it.
import type { EventEmitter } from 'node:events';

export interface Disposable {
  dispose(): unknown;
}

/** Wraps an undo function; it runs once, however often the result is disposed. */
export function toDisposable(undo: () => unknown): Disposable {
  let done = false;
  return {
    dispose: () => {
      if (done) return;
      done = true;
      undo();
    },
  };
}

/**
 * Disposes last-registered first (what was set up later may lean on what came before) and empties
 * the list. One that throws does not keep the others alive: the first error is rethrown after.
 */
export function disposeAll(items: Disposable[]): void {
  let failure: { error: unknown } | undefined;
  for (const item of items.splice(0).reverse()) {
    try {
      item.dispose();
    } catch (error) {
      failure ??= { error };
    }
  }
  if (failure) throw failure.error;
}

type Events<T> = Record<keyof T, unknown[]>;

/** `emitter.on(event, listener)`, with the matching `off` as its disposable: the pair cannot drift apart. */
export function listen<T extends Events<T>, K extends keyof T & string>(
  emitter: Pick<EventEmitter<T>, 'on' | 'off'>,
  event: K,
  listener: (...args: T[K]) => void,
): Disposable {
  // Node's typings make the generic key awkward to name here; the signature above keeps callers typed.
  const untyped = emitter as unknown as EventEmitter;
  untyped.on(event, listener as (...args: unknown[]) => void);
  return toDisposable(() => untyped.off(event, listener as (...args: unknown[]) => void));
}

/** What one owner set up; disposing it disposes them all, and anything added later at once. */
export class DisposableStore implements Disposable {
  private readonly items: Disposable[] = [];
  private disposed = false;

  add<D extends Disposable>(item: D): D {
    if (this.disposed) item.dispose();
    else this.items.push(item);
    return item;
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  dispose(): void {
    this.disposed = true;
    disposeAll(this.items);
  }
}
