// Rate limiting of calls: throttle (drag updates) and debounce (settled camera).

/**
 * Call `fn` at most once per `ms`; the last call of a burst is never lost, and `flush`
 * runs a pending call at once.
 *
 * @template {any[]} A
 * @param {(...args: A) => void} fn
 * @param {number} ms
 * @returns {{ call: (...args: A) => void, flush: () => void, cancel: () => void }}
 */
export function throttle(fn, ms) {
  let last = -Infinity;
  /** @type {A | null} */
  let pending = null;
  /** @type {ReturnType<typeof setTimeout> | null} */
  let timer = null;
  const run = () => {
    timer = null;
    if (!pending) return;
    const args = pending;
    pending = null;
    last = performance.now();
    fn(...args);
  };
  return {
    call: (...args) => {
      pending = args;
      const wait = last + ms - performance.now();
      if (wait <= 0 && timer === null) run();
      else if (timer === null) timer = setTimeout(run, wait);
    },
    flush: () => {
      if (timer !== null) clearTimeout(timer);
      run();
    },
    cancel: () => {
      if (timer !== null) clearTimeout(timer);
      timer = null;
      pending = null;
    },
  };
}

/**
 * Call `fn` once `ms` after the last of a burst of calls.
 *
 * @param {() => void} fn
 * @param {number} ms
 * @returns {{ call: () => void, cancel: () => void }}
 */
export function debounce(fn, ms) {
  /** @type {ReturnType<typeof setTimeout> | null} */
  let timer = null;
  return {
    call: () => {
      if (timer !== null) clearTimeout(timer);
      timer = setTimeout(() => {
        timer = null;
        fn();
      }, ms);
    },
    cancel: () => {
      if (timer !== null) clearTimeout(timer);
      timer = null;
    },
  };
}
