// The VS Code side's one way to undo what it set up (src/host/lifecycle.ts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { DisposableStore, disposeAll, listen, toDisposable } from '../../src/host/lifecycle';

describe('lifecycle', () => {
  it('listen subscribes, and its disposable unsubscribes exactly that listener', () => {
    const emitter = new EventEmitter<{ change: [number] }>();
    const seen: number[] = [];
    const other = () => undefined;
    emitter.on('change', other);
    const subscription = listen(emitter, 'change', (n) => seen.push(n));
    emitter.emit('change', 1);
    subscription.dispose();
    subscription.dispose();
    emitter.emit('change', 2);
    assert.deepEqual(seen, [1]);
    assert.deepEqual(emitter.listeners('change'), [other]);
  });

  it('toDisposable runs its undo once', () => {
    let runs = 0;
    const d = toDisposable(() => runs++);
    d.dispose();
    d.dispose();
    assert.equal(runs, 1);
  });

  it('disposeAll undoes last first, empties the list, and a throwing item does not keep the rest alive', () => {
    const order: string[] = [];
    const items = [
      toDisposable(() => order.push('a')),
      toDisposable(() => {
        order.push('b');
        throw new Error('b failed');
      }),
      toDisposable(() => order.push('c')),
    ];
    assert.throws(() => disposeAll(items), /b failed/);
    assert.deepEqual(order, ['c', 'b', 'a']);
    assert.equal(items.length, 0);
  });

  it('a disposed store disposes what is added afterwards at once', () => {
    const store = new DisposableStore();
    const order: string[] = [];
    store.add(toDisposable(() => order.push('first')));
    store.dispose();
    assert.equal(store.isDisposed, true);
    const late = store.add(toDisposable(() => order.push('late')));
    assert.deepEqual(order, ['first', 'late']);
    late.dispose();
    store.dispose();
    assert.deepEqual(order, ['first', 'late']);
  });
});
