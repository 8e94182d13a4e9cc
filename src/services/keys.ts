/** Formats of object and field keys. */
export const CUSTOM_PREFIX = 'custom_objects.';
export const CUSTOM_OBJECT_KEY = /^custom_objects\.[a-z0-9_]+$/;
/** The last part of a field key: `name` of `custom_objects.pet.name`. */
export const FIELD_NAME = /^[a-z0-9_]+$/;
