import type { FixtureDoc } from '../src/services/fixture-format.js';
import type { PropertyValue } from '../src/services/field-types.js';

/**
 * The benchmark's data model: one location with a `custom_objects.pet` object of many field
 * types, and a deterministic generator of varied pet records. Values are produced directly in
 * their stored form (E.164 phones, `{currency, value}` money, …) so that generated rows can be
 * written without going through validation; `generate.ts` proves that on a sample.
 */

export const OBJECT_KEY = 'custom_objects.pet';
export const LOCATION_NAME = 'Bench Pet Clinic';
export const BENCH_SCOPES = ['objects/record.readonly', 'objects/record.write'] as const;

const f = (key: string) => `${OBJECT_KEY}.${key}`;
const options = (...keys: string[]) => keys.map((key) => ({ key, label: key[0]!.toUpperCase() + key.slice(1) }));

export const SPECIES = ['dog', 'cat', 'rabbit', 'parrot', 'hamster', 'turtle'];
const VACCINES = ['rabies', 'distemper', 'parvo', 'leptospirosis', 'bordetella'];
const ALLERGIES = ['pollen', 'chicken', 'penicillin', 'dust', 'grain'];
const SIZES = ['small', 'medium', 'large'];
const DIET = ['morning', 'evening'];

/** The location, its users, the two tokens and the pet object; records are appended in code. */
export function benchFixture(userCount: number): FixtureDoc {
  return {
    locations: [
      {
        name: LOCATION_NAME,
        users: Array.from({ length: userCount }, (_, i) => ({ name: `Vet ${i + 1}`, email: `vet${i + 1}@bench.example.com` })),
        tokens: [
          { type: 'private-integration', scopes: [...BENCH_SCOPES] },
          // 30 days: long enough for any run; a reused database (--db) gets fresh tokens anyway.
          { type: 'oauth', scopes: [...BENCH_SCOPES], expiresIn: 30 * 86_400 },
        ],
        objects: [
          {
            key: OBJECT_KEY,
            labels: { singular: 'Pet', plural: 'Pets' },
            description: 'Patients (benchmark data)',
            primaryDisplayProperty: f('name'),
            searchableProperties: [f('name'), f('owner_email')],
            fields: [
              { fieldKey: f('name'), name: 'Name', dataType: 'TEXT' },
              { fieldKey: f('notes'), name: 'Notes', dataType: 'LARGE_TEXT' },
              { fieldKey: f('weight_kg'), name: 'Weight (kg)', dataType: 'NUMERICAL' },
              { fieldKey: f('owner_phone'), name: 'Owner phone', dataType: 'PHONE' },
              { fieldKey: f('owner_email'), name: 'Owner email', dataType: 'EMAIL' },
              { fieldKey: f('balance'), name: 'Balance', dataType: 'MONETORY' },
              { fieldKey: f('vaccines'), name: 'Vaccines', dataType: 'CHECKBOX', options: options(...VACCINES) },
              { fieldKey: f('species'), name: 'Species', dataType: 'SINGLE_OPTIONS', options: options(...SPECIES) },
              { fieldKey: f('allergies'), name: 'Allergies', dataType: 'MULTIPLE_OPTIONS', options: options(...ALLERGIES) },
              { fieldKey: f('size'), name: 'Size', dataType: 'RADIO', allowCustomOption: true, options: options(...SIZES) },
              { fieldKey: f('birthday'), name: 'Birthday', dataType: 'DATE' },
              { fieldKey: f('diet'), name: 'Diet', dataType: 'TEXTBOX_LIST', options: options(...DIET) },
              { fieldKey: f('xrays'), name: 'X-rays', dataType: 'FILE_UPLOAD', acceptedFormats: '.png', maxFileLimit: 3 },
            ],
          },
        ],
      },
    ],
  };
}

/** mulberry32: a tiny seeded PRNG, so every run generates the same data for the same N. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NAMES = ['Rex', 'Misty', 'Clover', 'Luna', 'Milo', 'Bella', 'Oscar', 'Nala', 'Pepper', 'Ziggy', 'Mochi', 'Biscuit'];
const WORDS = 'annual check-up vaccinated healthy limping prescribed antibiotics follow-up weight stable dental cleaning recommended skin rash resolved x-ray clear owner reports good appetite'.split(' ');

/** A random subset, in the list's order: option lists are stored without duplicates. */
function subset(rand: () => number, items: readonly string[]): string[] {
  return items.filter(() => rand() < 0.35);
}

function sentence(rand: () => number, words: number): string {
  const out: string[] = [];
  for (let i = 0; i < words; i++) out.push(WORDS[Math.floor(rand() * WORDS.length)]!);
  return out.join(' ');
}

/**
 * The properties of pet number `i`: every record has a name, the rest vary in presence and size
 * (notes from none to a few hundred characters), so bodies range from ~300 B to ~2 KB.
 */
export function petProperties(rand: () => number, i: number): Record<string, PropertyValue> {
  const p: Record<string, PropertyValue> = { name: `${NAMES[i % NAMES.length]} ${i}` };
  if (rand() < 0.9) p.species = SPECIES[Math.floor(rand() * SPECIES.length)]!;
  if (rand() < 0.8) p.weight_kg = Math.round(rand() * 600) / 10;
  if (rand() < 0.7) p.owner_email = `owner${i}@pets.example.com`;
  if (rand() < 0.6) p.owner_phone = `+1415${String(Math.floor(rand() * 1e7)).padStart(7, '0')}`;
  if (rand() < 0.5) p.balance = { currency: 'default', value: Math.round(rand() * 50_000) / 100 };
  if (rand() < 0.7) p.vaccines = subset(rand, VACCINES);
  if (rand() < 0.4) p.allergies = subset(rand, ALLERGIES);
  if (rand() < 0.6) p.size = rand() < 0.9 ? SIZES[Math.floor(rand() * SIZES.length)]! : 'extra-large';
  if (rand() < 0.8) {
    const year = 2005 + Math.floor(rand() * 20);
    const month = 1 + Math.floor(rand() * 12);
    const day = 1 + Math.floor(rand() * 28);
    p.birthday = `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
  }
  if (rand() < 0.5) p.notes = sentence(rand, Math.floor(rand() * 60));
  if (rand() < 0.3) {
    p['diet.morning'] = `Dry food, ${50 + Math.floor(rand() * 300)} g`;
    p['diet.evening'] = `Wet food, ${50 + Math.floor(rand() * 300)} g`;
  }
  if (rand() < 0.15) {
    const n = 1 + Math.floor(rand() * 3);
    p.xrays = Array.from({ length: n }, (_, k) => ({ url: `https://files.example.com/xrays/${i}-${k}.png`, name: `${i}-${k}.png` }));
  }
  return p;
}
