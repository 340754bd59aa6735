/**
 * PGlite runs PostgreSQL inside this thread and answers through promises alone, so a chain of queries (the demo
 * brand's first load, an import) never let the event loop reach its I/O phase: on first start the server accepted
 * no request for the whole ~30 s of the load. Taking a connection gives the loop a turn when it has gone without one
 * for `busyMs`, so requests that arrived meanwhile are read and queue for the connection (FIFO) between transactions.
 */
export function loopTurns(busyMs = 10): () => Promise<void> | undefined {
  let lastTurn = performance.now();
  return () => {
    if (performance.now() - lastTurn < busyMs) return undefined;
    return new Promise<void>((resolve) =>
      setImmediate(() => {
        lastTurn = performance.now();
        resolve();
      }),
    );
  };
}
