/** `/locations/0/users/1/id` (JSON Pointer, as Ajv reports) to `$.locations[0].users[1].id`. */
export function pointerToPath(pointer: string, root = '$'): string {
  let out = root;
  for (const raw of pointer.split('/').slice(1)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(part) ? `[${part}]` : /^[A-Za-z_$][\w$]*$/.test(part) ? `.${part}` : `[${JSON.stringify(part)}]`;
  }
  return out;
}
