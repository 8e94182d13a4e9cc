import type { Store } from '../store/store.js';
import { FieldService } from './fields.js';
import { ObjectService } from './objects.js';
import { RecordService } from './records.js';
import { SchemaRegistry } from './schema-registry.js';
import { loadSigningKey } from './signing-key.js';
import { TokenService } from './tokens.js';

/** The services over one store: what the HTTP layer and the CLI both work with. */
export interface Services {
  store: Store;
  tokens: TokenService;
  schemas: SchemaRegistry;
  records: RecordService;
  objects: ObjectService;
  fields: FieldService;
  /** Drops every cache; the next request reads from the store. */
  invalidate(): void;
}

export async function createServices(store: Store): Promise<Services> {
  const key = await loadSigningKey(store);
  const tokens = new TokenService(store, key);
  const schemas = new SchemaRegistry(store);
  // Users change only with a fixture load (which bumps the revision), so each location's are read once.
  let users = new Map<string, Promise<ReadonlySet<string>>>();
  const usersOf = (locationId: string): Promise<ReadonlySet<string>> => {
    let hit = users.get(locationId);
    if (!hit) {
      hit = store.userIds(locationId).then((ids) => new Set(ids));
      hit.catch(() => users.delete(locationId));
      users.set(locationId, hit);
    }
    return hit;
  };
  return {
    store,
    tokens,
    schemas,
    records: new RecordService(store, schemas, usersOf),
    objects: new ObjectService(store, schemas),
    fields: new FieldService(store, schemas),
    invalidate() {
      tokens.clear();
      schemas.clear();
      users = new Map();
    },
  };
}

/**
 * Polls the store's revision and drops the caches when another process changed something they
 * hold. Returns a function that stops the polling.
 */
export async function watchRevisions(services: Services, intervalMs: number, onError: (err: unknown) => void): Promise<() => void> {
  let seen = await services.store.revision();
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    services.store
      .revision()
      .then((rev) => {
        if (rev !== seen) services.invalidate();
        seen = rev;
      }, onError)
      .finally(() => {
        busy = false;
      });
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
