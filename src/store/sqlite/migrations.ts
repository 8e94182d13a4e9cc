/**
 * Versioned schema migrations. `PRAGMA user_version` holds the number of migrations applied;
 * each runs once, in order, in its own transaction. Never edit a migration that has shipped:
 * add the next one.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: locations, users, tokens, object schemas, fields, records.
  `
  CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
  ) STRICT;

  CREATE TABLE locations (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at TEXT NOT NULL
  ) STRICT;

  CREATE TABLE users (
    id          TEXT PRIMARY KEY,
    location_id TEXT NOT NULL REFERENCES locations(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    email       TEXT
  ) STRICT;
  CREATE INDEX users_location ON users(location_id);

  CREATE TABLE tokens (
    id          TEXT PRIMARY KEY,
    location_id TEXT NOT NULL REFERENCES locations(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('pit', 'oauth')),
    hash        TEXT UNIQUE,
    scopes      TEXT NOT NULL,
    client_id   TEXT,
    created_at  TEXT NOT NULL,
    expires_at  TEXT,
    revoked_at  TEXT
  ) STRICT;
  CREATE INDEX tokens_location ON tokens(location_id);

  CREATE TABLE objects (
    id                       TEXT PRIMARY KEY,
    location_id              TEXT NOT NULL REFERENCES locations(id) ON DELETE CASCADE,
    key                      TEXT NOT NULL,
    standard                 INTEGER NOT NULL,
    type                     TEXT NOT NULL,
    label_singular           TEXT NOT NULL,
    label_plural             TEXT NOT NULL,
    description              TEXT,
    primary_display_property TEXT NOT NULL,
    searchable_properties    TEXT NOT NULL,
    created_at               TEXT NOT NULL,
    updated_at               TEXT NOT NULL,
    UNIQUE (location_id, key)
  ) STRICT;

  CREATE TABLE fields (
    id                  TEXT PRIMARY KEY,
    location_id         TEXT NOT NULL REFERENCES locations(id) ON DELETE CASCADE,
    object_id           TEXT NOT NULL REFERENCES objects(id) ON DELETE CASCADE,
    field_key           TEXT NOT NULL,
    name                TEXT NOT NULL,
    data_type           TEXT NOT NULL,
    description         TEXT,
    placeholder         TEXT,
    show_in_forms       INTEGER NOT NULL,
    options             TEXT NOT NULL,
    accepted_formats    TEXT,
    max_file_limit      INTEGER,
    allow_custom_option INTEGER NOT NULL,
    parent_id           TEXT,
    standard            INTEGER NOT NULL,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    UNIQUE (object_id, field_key)
  ) STRICT;
  CREATE INDEX fields_location ON fields(location_id);

  CREATE TABLE records (
    id              TEXT PRIMARY KEY,
    location_id     TEXT NOT NULL REFERENCES locations(id) ON DELETE CASCADE,
    object_id       TEXT NOT NULL REFERENCES objects(id) ON DELETE CASCADE,
    owner           TEXT NOT NULL,
    followers       TEXT NOT NULL,
    properties      TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    created_by      TEXT NOT NULL,
    last_updated_by TEXT NOT NULL
  ) STRICT;
  CREATE INDEX records_object_updated ON records(object_id, updated_at, id);

  INSERT INTO meta (key, value) VALUES ('revision', '0');
  `,
  // 2: custom-field folders; every custom object and business gets a default one.
  `
  CREATE TABLE folders (
    id          TEXT PRIMARY KEY,
    location_id TEXT NOT NULL REFERENCES locations(id) ON DELETE CASCADE,
    object_id   TEXT NOT NULL REFERENCES objects(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
  ) STRICT;
  CREATE INDEX folders_location ON folders(location_id);
  CREATE INDEX fields_parent ON fields(parent_id);

  INSERT INTO folders (id, location_id, object_id, name, created_at, updated_at)
    SELECT lower(hex(randomblob(12))), location_id, id, 'General Info', created_at, created_at
    FROM objects WHERE key NOT IN ('contact', 'opportunity');
  UPDATE fields SET parent_id = (SELECT f.id FROM folders f WHERE f.object_id = fields.object_id)
    WHERE parent_id IS NULL;
  `,
  // 3: unique fields. A field marked unique holds each value in at most one record of its object;
  // the primary key of unique_values enforces it inside the writing transaction, races included.
  `
  ALTER TABLE fields ADD COLUMN is_unique INTEGER NOT NULL DEFAULT 0;

  CREATE TABLE unique_values (
    object_id TEXT NOT NULL,
    field_key TEXT NOT NULL,
    value     TEXT NOT NULL,
    record_id TEXT NOT NULL REFERENCES records(id) ON DELETE CASCADE,
    PRIMARY KEY (object_id, field_key, value)
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX unique_values_record ON unique_values(record_id);
  CREATE INDEX records_object_created ON records(object_id, created_at, id);
  `,
  // 4: search reads per-object value tables (object-values.ts), which the store builds and keeps
  // current itself; the per-field indexes on records go when it first opens the file. The version
  // also marks the file, so that an older ghl-objects, which would write records without their
  // search rows, refuses it. records_object_updated stays: deletes by object_id use it.
  `
  DROP INDEX records_object_created;
  `,
];
