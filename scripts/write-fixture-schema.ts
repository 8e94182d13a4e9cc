// Writes fixtures/fixture.schema.json from the TypeBox definition of the fixture format.
import { writeFileSync } from 'node:fs';
import { fixtureJsonSchema } from '../src/services/fixture-format.js';

writeFileSync(new URL('../fixtures/fixture.schema.json', import.meta.url), fixtureJsonSchema());
