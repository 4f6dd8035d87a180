import { setFlagsFromString } from 'node:v8';

/**
 * How many times V8's default threshold a function must run before TurboFan optimizes it. A sync run
 * is seconds of many short tasks: with the default, TurboFan's background compiles took about a fifth
 * of a fresh process's CPU on 2000 small objects, for code that mostly stopped running before the
 * compile paid for itself. Code that stays hot (a long-running service's) is still optimized, later.
 */
const TURBOFAN_THRESHOLD_FACTOR = 15;

/** V8 11 (Node 20) counts bytecode executed; V8 12 and later (Node 22+) count calls. */
const V8_11_INTERRUPT_BUDGET = 66 * 1024;
const V8_12_TURBOFAN_INVOCATIONS = 3000;

/**
 * The flags that raise TurboFan's threshold for this V8 version, or none for a version whose flag
 * names are not known here (a flag V8 does not know is reported on stderr and changes nothing).
 */
export function tieringFlags(v8Version: string): string[] {
  const major = Number.parseInt(v8Version, 10);
  if (major === 11) return [`--interrupt-budget=${V8_11_INTERRUPT_BUDGET * TURBOFAN_THRESHOLD_FACTOR}`];
  if (major >= 12 && major <= 13) return [`--invocation-count-for-turbofan=${V8_12_TURBOFAN_INVOCATIONS * TURBOFAN_THRESHOLD_FACTOR}`];
  return [];
}

// Imported by every entry point: the thresholds apply to every function that runs after V8 reads them.
for (const flag of tieringFlags(process.versions.v8)) setFlagsFromString(flag);
