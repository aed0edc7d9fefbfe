/**
 * Abort signals of one request (or one attempt) that follow a parent signal, with ONE listener on
 * the parent however many children it has at once. A pass shares one signal with thousands of
 * requests; each request needs a signal of its own for what listens while it waits (retry
 * back-off, Retry-After sleeps, the per-attempt timeout), and `AbortSignal.any` costs tens of
 * microseconds per call where this costs one controller (docs/design/performance.md).
 */
export class SignalFanout {
  readonly #children = new WeakMap<AbortSignal, Set<AbortController>>();

  /** A controller aborted (with the parent's reason) when the parent aborts. Release it when done. */
  child(parent: AbortSignal | undefined): AbortController {
    const ctl = new AbortController();
    if (parent === undefined) return ctl;
    if (parent.aborted) {
      ctl.abort(parent.reason);
      return ctl;
    }
    let set = this.#children.get(parent);
    if (set === undefined) {
      const children = new Set<AbortController>();
      set = children;
      this.#children.set(parent, children);
      parent.addEventListener(
        'abort',
        () => {
          this.#children.delete(parent);
          for (const c of children) c.abort(parent.reason);
        },
        { once: true },
      );
    }
    set.add(ctl);
    return ctl;
  }

  /** The child no longer follows its parent. */
  release(parent: AbortSignal | undefined, child: AbortController): void {
    if (parent !== undefined) this.#children.get(parent)?.delete(child);
  }
}
