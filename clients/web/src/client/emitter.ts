/** A handler for one event: receives that event's payload. */
export type Handler<T> = (payload: T) => void;

/** Removes the handler it was returned for. Calling it twice is harmless. */
export type Unsubscribe = () => void;

/**
 * A tiny typed event emitter. `Events` maps each event name to its payload type
 * (use `undefined` for events without a payload).
 *
 * A handler that throws does not stop the other handlers; the error is reported
 * through `onHandlerError` (default: `console.error`).
 */
export class TypedEmitter<Events extends object> {
  private readonly handlers = new Map<keyof Events, Set<Handler<never>>>();

  constructor(
    private readonly onHandlerError: (error: unknown, event: keyof Events) => void = (error, event) =>
      console.error(`switchboard: a '${String(event)}' handler threw`, error),
  ) {}

  /** Subscribe to `event`; returns a function that unsubscribes. */
  on<K extends keyof Events>(event: K, handler: Handler<Events[K]>): Unsubscribe {
    let set = this.handlers.get(event);
    if (!set) {
      set = new Set();
      this.handlers.set(event, set);
    }
    set.add(handler as Handler<never>);
    return () => {
      this.handlers.get(event)?.delete(handler as Handler<never>);
    };
  }

  /** Subscribe for a single delivery of `event`. */
  once<K extends keyof Events>(event: K, handler: Handler<Events[K]>): Unsubscribe {
    const off = this.on(event, (payload) => {
      off();
      handler(payload);
    });
    return off;
  }

  /** Number of handlers currently subscribed to `event`. */
  listenerCount(event: keyof Events): number {
    return this.handlers.get(event)?.size ?? 0;
  }

  /** Remove every handler of every event. */
  removeAll(): void {
    this.handlers.clear();
  }

  protected emit<K extends keyof Events>(event: K, payload: Events[K]): void {
    const set = this.handlers.get(event);
    if (!set || set.size === 0) return;
    // Copy so handlers may (un)subscribe while we iterate.
    for (const handler of [...set] as Handler<Events[K]>[]) {
      try {
        handler(payload);
      } catch (error) {
        this.onHandlerError(error, event);
      }
    }
  }
}
