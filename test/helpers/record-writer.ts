/**
 * A process that writes records to an SQLite store as fast as it can, until it is killed, for
 * tests that kill it: batches of 50 concurrent creates, and after each batch a line
 * `acked N` on stdout, meaning records rid(1)…rid(N) were acknowledged.
 *
 *   node --import tsx test/helpers/record-writer.ts DB_PATH
 */
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { PET, petDataset, recordRow, rid } from '../store/store.contract.js';

const BATCH = 50;
const store = openSqliteStore(process.argv[2]!);
await store.loadDataset(petDataset([]), { reset: false });
for (let acked = 0; ; acked += BATCH) {
  await Promise.all(Array.from({ length: BATCH }, (_, i) => store.insertRecord(recordRow(PET, rid(acked + i + 1), { name: `pet ${acked + i + 1}`, notes: 'x'.repeat(500) }), [])));
  process.stdout.write(`acked ${acked + BATCH}\n`);
}
