/**
 * Whether `work` succeeds within `ms`: a failure or a late answer is false (readiness probes and
 * start-up waits must answer in bounded time even when a connection hangs). The timer neither
 * outlives the answer nor holds the process open.
 */
export async function succeedsWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
    timer.unref();
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
