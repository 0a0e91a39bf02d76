/**
 * Observable records: `observe(value, onChange)` returns a proxy of a plain JSON-like value
 * (objects and arrays, nested) that calls onChange once per microtask in which anything in
 * it was set or deleted. The deploy records are mutated in place by many steps (rollout,
 * destroy, resumption, healing); observing them makes every such change an event without
 * each step having to remember to publish it.
 *
 * Contract: reading, JSON.stringify and spreading behave as on the plain value; values
 * assigned into it are stored unwrapped (the proxy never nests proxies in the target).
 */

const TARGET = Symbol("observe.target");

type Obj = Record<PropertyKey, unknown>;

function unwrap<T>(v: T): T {
  return v !== null && typeof v === "object" && (v as Obj)[TARGET] ? ((v as Obj)[TARGET] as T) : v;
}

export function observe<T extends object>(value: T, onChange: () => void): T {
  let scheduled = false;
  const notify = () => {
    if (scheduled) return;
    scheduled = true;
    queueMicrotask(() => {
      scheduled = false;
      try {
        onChange();
      } catch {}
    });
  };
  const proxies = new WeakMap<object, object>();
  const wrap = (target: object): object => {
    let p = proxies.get(target);
    if (p) return p;
    p = new Proxy(target, {
      get(t, key, receiver) {
        if (key === TARGET) return t;
        const v = Reflect.get(t, key, receiver);
        return v !== null && typeof v === "object" ? wrap(v) : v;
      },
      set(t, key, v) {
        const plain = unwrap(v);
        if ((t as Obj)[key] === plain && key !== "length") return true;
        (t as Obj)[key] = plain;
        notify();
        return true;
      },
      deleteProperty(t, key) {
        if (!(key in t)) return true;
        delete (t as Obj)[key];
        notify();
        return true;
      },
    });
    proxies.set(target, p);
    return p;
  };
  return wrap(unwrap(value)) as T;
}
