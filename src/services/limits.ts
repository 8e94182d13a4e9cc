/** Caps the real service enforces (highlevel-behavior.md), in one place. */
export const MAX_CUSTOM_OBJECTS = 10;
export const MAX_SEARCHABLE_PROPERTIES = 3;
export const MAX_OWNERS = 1;
export const MAX_FOLLOWERS = 10;
export const MAX_UNIQUE_FIELDS = 10;
