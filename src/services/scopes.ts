/** The OAuth scopes of the Objects API (highlevel-oauth/Scopes.md). */
export const SCOPES = [
  'objects/record.readonly',
  'objects/record.write',
  'objects/schema.readonly',
  'objects/schema.write',
  'locations/customFields.readonly',
  'locations/customFields.write',
  'associations.readonly',
  'associations.write',
  'associations/relation.readonly',
  'associations/relation.write',
] as const;
export type Scope = (typeof SCOPES)[number];

export const isScope = (s: unknown): s is Scope => typeof s === 'string' && (SCOPES as readonly string[]).includes(s);
