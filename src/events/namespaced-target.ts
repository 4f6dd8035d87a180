/**
 * `target` with every topic prefixed by `namespace`, for publishing and listening alike: deployments
 * sharing one Redis server each use their own channels (Redis pub/sub ignores the database number).
 */
export function namespacedTarget(target: EventTarget, namespace: string): EventTarget {
  const channel = (topic: string) => `${namespace}:${topic}`;
  return {
    addEventListener(topic, listener, options) {
      target.addEventListener(channel(topic), listener, options);
    },
    removeEventListener(topic, listener, options) {
      target.removeEventListener(channel(topic), listener, options);
    },
    dispatchEvent(event) {
      return target.dispatchEvent(new CustomEvent(channel(event.type), { detail: (event as CustomEvent<unknown>).detail }));
    },
  };
}
