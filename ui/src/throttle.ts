// `activity()` on any touch, at most once per interval (the idle timer only needs a nudge).

export function throttle(fn: () => void, intervalMs: number, now: () => number = Date.now): () => boolean {
  let last = -Infinity;
  return () => {
    const at = now();
    if (at - last < intervalMs) return false;
    last = at;
    fn();
    return true;
  };
}
