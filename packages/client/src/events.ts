/**
 * A small typed event emitter. Listeners run synchronously in registration order; a
 * throwing listener is isolated so one broken subscriber cannot stall the session.
 */
import type { ClientEvent, ClientEventMap, ClientEventType, Unsubscribe } from './api.js';

type AnyListener = (event: ClientEvent) => void;

export class EventHub {
  private readonly typed = new Map<ClientEventType, Set<(event: never) => void>>();
  private readonly all = new Set<AnyListener>();

  on<K extends ClientEventType>(type: K, listener: (event: ClientEventMap[K]) => void): Unsubscribe {
    let set = this.typed.get(type);
    if (set === undefined) this.typed.set(type, (set = new Set()));
    set.add(listener as (event: never) => void);
    return () => {
      set.delete(listener as (event: never) => void);
    };
  }

  onEvent(listener: AnyListener): Unsubscribe {
    this.all.add(listener);
    return () => {
      this.all.delete(listener);
    };
  }

  emit<K extends ClientEventType>(type: K, payload: ClientEventMap[K]): void {
    for (const listener of [...(this.typed.get(type) ?? [])]) {
      try {
        (listener as (event: ClientEventMap[K]) => void)(payload);
      } catch {
        // A subscriber's bug must not break delivery to the others or the session.
      }
    }
    if (this.all.size === 0) return;
    const event = { type, ...payload } as unknown as ClientEvent;
    for (const listener of [...this.all]) {
      try {
        listener(event);
      } catch {
        // As above.
      }
    }
  }
}
