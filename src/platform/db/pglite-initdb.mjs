// Creates a PGlite data folder (initdb) in a process of its own, then exits: initdb grows PGlite's WebAssembly heap to
// ~700 MB, which a process never hands back, so the server that then opens the folder starts as small as on a restart.
// Usage: node pglite-initdb.mjs DIR [startParam…]
import { PGlite } from '@electric-sql/pglite';

const [dir, ...startParams] = process.argv.slice(2);
const db = new PGlite(dir, { startParams });
await db.waitReady;
await db.close();
