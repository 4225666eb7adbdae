// The scheme sender keys are measured against: every message gets a fresh AES-256-GCM key,
// wrapped with RSA-OAEP to every recipient (as pyMessenger does). To give it the same
// guarantee as a Sealroom group message, the sender also signs it (RSA-PSS); without the
// signature, any member could forge messages from any other.
//
// WebCrypto only, same primitives and sizes as the protocol (DESIGN.md §3.1). Used only by
// the benchmark; nothing ships it.
//
// Envelope: header (version u8, room id 32, sender 32, message id 16) ‖ IV 12 ‖
// ciphertext length u32 ‖ ciphertext ‖ recipient count u16 ‖ per recipient: member id 32 ‖
// wrapped key (RSA modulus bytes) ‖ signature (RSA modulus bytes) over all that precedes it.

const subtle = () => globalThis.crypto.subtle;

type Bytes = Uint8Array<ArrayBuffer>;

/** WebCrypto takes only ArrayBuffer-backed views; copies anything else (a few hundred bytes at most). */
function asBytes(view: Uint8Array): Bytes {
  return view.buffer instanceof ArrayBuffer ? (view as Bytes) : new Uint8Array(view);
}

const NAIVE_VERSION = 1;
const ROOM_ID_BYTES = 32;
const MEMBER_ID_BYTES = 32;
/** 128-bit random message ids, as the protocol uses. */
const MESSAGE_ID_BYTES = 16;
const HEADER_BYTES = 1 + ROOM_ID_BYTES + MEMBER_ID_BYTES + MESSAGE_ID_BYTES;
/** AES-GCM: fresh random 96-bit IV per message (NIST SP 800-38D §8.2.2). */
const IV_BYTES = 12;
const AES_KEY_BITS = 256;
const U32_BYTES = 4;
const U16_BYTES = 2;
/** RSA-PSS salt = hash length (SHA-256), as the protocol uses. */
const PSS_SALT_BYTES = 32;

export interface NaiveRecipient {
  memberId: Uint8Array;
  /** RSA-OAEP-3072/SHA-256 public key, usage `encrypt`. */
  encryptionKey: CryptoKey;
}

export interface NaiveSender {
  memberId: Uint8Array;
  /** RSA-PSS-3072/SHA-256 private key, usage `sign`. */
  signingKey: CryptoKey;
  /** Bytes of one RSA signature/ciphertext (the modulus length). */
  modulusBytes: number;
}

export async function sealNaive(options: { roomId: Uint8Array; sender: NaiveSender; recipients: NaiveRecipient[]; payload: Uint8Array }): Promise<Uint8Array> {
  const { roomId, sender, recipients } = options;
  const payload = asBytes(options.payload);
  const header = new Uint8Array(HEADER_BYTES);
  header[0] = NAIVE_VERSION;
  header.set(roomId, 1);
  header.set(sender.memberId, 1 + ROOM_ID_BYTES);
  header.set(crypto.getRandomValues(new Uint8Array(MESSAGE_ID_BYTES)), 1 + ROOM_ID_BYTES + MEMBER_ID_BYTES);
  const rawKey = crypto.getRandomValues(new Uint8Array(AES_KEY_BITS / 8));
  const key = await subtle().importKey('raw', rawKey, 'AES-GCM', false, ['encrypt']);
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const ciphertext = new Uint8Array(await subtle().encrypt({ name: 'AES-GCM', iv, additionalData: header }, key, payload));
  // One RSA-OAEP encryption per recipient: this is the cost that grows with the room.
  const wrapped = await Promise.all(recipients.map((recipient) => subtle().encrypt({ name: 'RSA-OAEP' }, recipient.encryptionKey, rawKey)));
  const body = new Uint8Array(
    HEADER_BYTES + IV_BYTES + U32_BYTES + ciphertext.length + U16_BYTES + recipients.length * (MEMBER_ID_BYTES + sender.modulusBytes),
  );
  const view = new DataView(body.buffer);
  let offset = 0;
  body.set(header, offset);
  offset += HEADER_BYTES;
  body.set(iv, offset);
  offset += IV_BYTES;
  view.setUint32(offset, ciphertext.length);
  offset += U32_BYTES;
  body.set(ciphertext, offset);
  offset += ciphertext.length;
  view.setUint16(offset, recipients.length);
  offset += U16_BYTES;
  recipients.forEach((recipient, index) => {
    body.set(recipient.memberId, offset);
    offset += MEMBER_ID_BYTES;
    body.set(new Uint8Array(wrapped[index]!), offset);
    offset += sender.modulusBytes;
  });
  const signature = new Uint8Array(await subtle().sign({ name: 'RSA-PSS', saltLength: PSS_SALT_BYTES }, sender.signingKey, body));
  const envelope = new Uint8Array(body.length + signature.length);
  envelope.set(body, 0);
  envelope.set(signature, body.length);
  return envelope;
}

export type NaiveOpenResult =
  { ok: true; payload: Uint8Array } | { ok: false; code: 'MALFORMED' | 'NOT_A_RECIPIENT' | 'BAD_SIGNATURE' | 'BAD_KEY' | 'BAD_TAG' };

/** Finds my wrapped key, checks the signature, unwraps (one RSA-OAEP decryption) and decrypts. */
export async function openNaive(options: {
  envelope: Uint8Array;
  me: { memberId: Uint8Array; decryptionKey: CryptoKey };
  senderVerifyKey: CryptoKey;
  modulusBytes: number;
}): Promise<NaiveOpenResult> {
  const { me, modulusBytes } = options;
  const envelope = asBytes(options.envelope);
  if (envelope.length < HEADER_BYTES + IV_BYTES + U32_BYTES + U16_BYTES + modulusBytes) return { ok: false, code: 'MALFORMED' };
  const view = new DataView(envelope.buffer, envelope.byteOffset, envelope.byteLength);
  const header = envelope.subarray(0, HEADER_BYTES);
  const iv = envelope.subarray(HEADER_BYTES, HEADER_BYTES + IV_BYTES);
  const ciphertextLength = view.getUint32(HEADER_BYTES + IV_BYTES);
  let offset = HEADER_BYTES + IV_BYTES + U32_BYTES;
  if (offset + ciphertextLength + U16_BYTES > envelope.length) return { ok: false, code: 'MALFORMED' };
  const ciphertext = envelope.subarray(offset, offset + ciphertextLength);
  offset += ciphertextLength;
  const count = view.getUint16(offset);
  offset += U16_BYTES;
  const bodyLength = offset + count * (MEMBER_ID_BYTES + modulusBytes);
  if (bodyLength + modulusBytes !== envelope.length) return { ok: false, code: 'MALFORMED' };
  let wrapped: Bytes | undefined;
  for (let index = 0; index < count; index += 1) {
    const entry = offset + index * (MEMBER_ID_BYTES + modulusBytes);
    if (sameBytes(envelope.subarray(entry, entry + MEMBER_ID_BYTES), me.memberId)) {
      wrapped = envelope.subarray(entry + MEMBER_ID_BYTES, entry + MEMBER_ID_BYTES + modulusBytes);
      break;
    }
  }
  if (!wrapped) return { ok: false, code: 'NOT_A_RECIPIENT' };
  const verified = await subtle().verify(
    { name: 'RSA-PSS', saltLength: PSS_SALT_BYTES },
    options.senderVerifyKey,
    envelope.subarray(bodyLength),
    envelope.subarray(0, bodyLength),
  );
  if (!verified) return { ok: false, code: 'BAD_SIGNATURE' };
  let rawKey: ArrayBuffer;
  try {
    rawKey = await subtle().decrypt({ name: 'RSA-OAEP' }, me.decryptionKey, wrapped);
  } catch {
    return { ok: false, code: 'BAD_KEY' };
  }
  const key = await subtle().importKey('raw', rawKey, 'AES-GCM', false, ['decrypt']);
  try {
    return { ok: true, payload: new Uint8Array(await subtle().decrypt({ name: 'AES-GCM', iv, additionalData: header }, key, ciphertext)) };
  } catch {
    return { ok: false, code: 'BAD_TAG' };
  }
}

/** Member ids are public; a plain comparison leaks nothing. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return false;
  return true;
}
