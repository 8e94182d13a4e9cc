import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { Store } from '../store/store.js';

const META_KEY = 'oauth_signing_key';

export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** Key id in the JWT header, so a later key rotation can tell tokens apart. */
  kid: string;
}

/**
 * The RS256 key that signs OAuth access tokens. Made on the first start and kept in the
 * database, so every process on that database, and every restart, signs and verifies alike.
 */
export async function loadSigningKey(store: Store): Promise<SigningKey> {
  let pem = await store.getMeta(META_KEY);
  if (pem === undefined) {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    // Two processes starting at once may both generate one; the first stored wins for both.
    pem = await store.putMetaIfAbsent(META_KEY, privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
  }
  const privateKey = createPrivateKey(pem);
  const publicKey = createPublicKey(privateKey);
  const kid = createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('base64url').slice(0, 16);
  return { privateKey, publicKey, kid };
}
