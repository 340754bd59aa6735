import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The message crypto WeChat (safe mode) and WeCom callbacks share, as published (WXBizMsgCrypt):
 * - signature = sha1 of the sorted, concatenated strings (token, timestamp, nonce[, encrypt]);
 * - AESKey = base64decode(EncodingAESKey + "="), 32 bytes; AES-256-CBC, IV = first 16 bytes of the key;
 * - plaintext = 16 random bytes + 4-byte network-order length + msg + receiveid (appid / corpid), PKCS#7 padded to 32.
 */
export function wxSignature(...parts: string[]): string {
  return createHash('sha1').update([...parts].sort().join('')).digest('hex');
}

export function signatureMatches(expected: string, given: string | undefined): boolean {
  if (!given || given.length !== expected.length) return false;
  return timingSafeEqual(Buffer.from(expected), Buffer.from(given));
}

export function aesKeyOf(encodingAesKey: string): Buffer {
  const key = Buffer.from(`${encodingAesKey}=`, 'base64');
  if (key.length !== 32) throw new Error('EncodingAESKey must be 43 characters of base64 (32 bytes)');
  return key;
}

const BLOCK = 32;

function pkcs7Pad(data: Buffer): Buffer {
  const n = BLOCK - (data.length % BLOCK);
  return Buffer.concat([data, Buffer.alloc(n, n)]);
}

function pkcs7Unpad(data: Buffer): Buffer {
  const n = data[data.length - 1] ?? 0;
  if (n < 1 || n > BLOCK || n > data.length) throw new Error('bad padding');
  return data.subarray(0, data.length - n);
}

export function wxEncrypt(encodingAesKey: string, message: string, receiveId: string, random: Buffer = randomBytes(16)): string {
  const key = aesKeyOf(encodingAesKey);
  const msg = Buffer.from(message, 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(msg.length);
  const plain = pkcs7Pad(Buffer.concat([random, length, msg, Buffer.from(receiveId, 'utf8')]));
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16));
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(plain), cipher.final()]).toString('base64');
}

/** Decrypts and returns the message and the receive id it was addressed to (the caller checks it). */
export function wxDecrypt(encodingAesKey: string, encrypted: string): { message: string; receiveId: string } {
  const key = aesKeyOf(encodingAesKey);
  const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16));
  decipher.setAutoPadding(false);
  const plain = pkcs7Unpad(Buffer.concat([decipher.update(Buffer.from(encrypted, 'base64')), decipher.final()]));
  if (plain.length < 20) throw new Error('decrypted message too short');
  const length = plain.readUInt32BE(16);
  if (20 + length > plain.length) throw new Error('decrypted length out of range');
  return {
    message: plain.subarray(20, 20 + length).toString('utf8'),
    receiveId: plain.subarray(20 + length).toString('utf8'),
  };
}
