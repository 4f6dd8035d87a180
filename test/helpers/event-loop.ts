/** How many turns the event loop took (an HTTP request needs one) while `work` ran. */
export async function turnsDuring(work: () => Promise<unknown>): Promise<number> {
  let turns = 0;
  let working = true;
  const spin = () => {
    if (!working) return;
    turns += 1;
    setImmediate(spin);
  };
  setImmediate(spin);
  await work();
  working = false;
  return turns;
}
