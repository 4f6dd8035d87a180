/**
 * Whether `work` succeeds within `ms`: a failure or a late answer is false (readiness probes and
 * start-up waits must answer in bounded time even when a connection hangs). The timer never
 * outlives the answer, and holds the process open only with `holdOpen` (a shutdown that waits for
 * its runs must not end before the wait does).
 */
export async function succeedsWithin(work: Promise<unknown>, ms: number, { holdOpen = false } = {}): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
    if (!holdOpen) timer.unref();
  });
  try {
    return await Promise.race([
      work.then(
        () => true,
        () => false,
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
