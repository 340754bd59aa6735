import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadSecretKey, parseSecretKey, seal, unseal } from '../../src/modules/channels/secret-box.js';
import { addTracking, signTrackingToken, trackingUrls, verifyTrackingToken } from '../../src/modules/channels/tracking.js';
import { wxDecrypt, wxEncrypt, wxSignature } from '../../src/modules/channels/wx-crypto.js';
import './support.js';

describe('sealed credentials (AES-256-GCM)', () => {
  it('round-trips any text and never stores it in the clear', () => {
    const key = randomBytes(32);
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (text) => {
        const sealed = seal(`{"secret":"${text}"}`, key);
        expect(unseal(sealed, key)).toBe(`{"secret":"${text}"}`);
        expect(sealed).not.toContain('{"secret"');
      }),
      { numRuns: 100 },
    );
  });

  it('refuses another key and any tampering', () => {
    const key = randomBytes(32);
    const sealed = seal('{"appSecret":"s3cret"}', key);
    expect(() => unseal(sealed, randomBytes(32))).toThrow(/another secret key/);
    const parts = sealed.split('.');
    const body = Buffer.from(parts[4]!, 'base64url');
    body[0] = body[0]! ^ 1;
    parts[4] = body.toString('base64url');
    expect(() => unseal(parts.join('.'), key)).toThrow();
  });

  it('generates the embedded key file once and reads the same key afterwards; the env key wins', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'siyu-key-'));
    const first = loadSecretKey({ dataDir: dir });
    const second = loadSecretKey({ dataDir: dir });
    expect(first.equals(second)).toBe(true);
    expect(fs.statSync(path.join(dir, 'secret.key')).mode & 0o777).toBe(0o600);
    const hex = randomBytes(32).toString('hex');
    expect(loadSecretKey({ env: hex, dataDir: dir }).toString('hex')).toBe(hex);
    expect(() => parseSecretKey('too-short')).toThrow(/32 bytes/);
    expect(() => loadSecretKey({ dataDir: 'memory://' })).toThrow(/SIYU_SECRET_KEY/);
    fs.rmSync(dir, { recursive: true });
  });
});

describe('tracking tokens', () => {
  it('verifies genuine tokens of the right kind only', () => {
    const token = signTrackingToken({ kind: 'click', workspaceId: 'ws_1', deliveryId: 'dl_1', url: 'https://brand.cn/a?b=1' });
    expect(verifyTrackingToken(token, 'click')).toEqual({ kind: 'click', workspaceId: 'ws_1', deliveryId: 'dl_1', url: 'https://brand.cn/a?b=1' });
    expect(verifyTrackingToken(token, 'open')).toBeUndefined();
    const [body, sig] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ k: 'c', w: 'ws_1', d: 'dl_1', u: 'https://evil.example' })).toString('base64url');
    expect(verifyTrackingToken(`${forged}.${sig}`, 'click')).toBeUndefined();
    expect(verifyTrackingToken(`${body}`, 'click')).toBeUndefined();
  });

  it('rewrites http links to signed redirects, keeps mailto and opted-out links, adds the pixel', () => {
    const urls = trackingUrls('https://siyu.example', 'ws_1', 'dl_1');
    const html = '<html><body><a href="https://brand.cn/x?a=1&amp;b=2">x</a> <a href="mailto:a@b.cn">m</a> <a data-siyu-notrack href="https://keep.cn">k</a></body></html>';
    const out = addTracking(html, urls);
    const hrefs = [...out.matchAll(/href="([^"]+)"/g)].map((m) => m[1]!);
    expect(hrefs[0]).toMatch(/^https:\/\/siyu\.example\/t\/c\//);
    const token = hrefs[0]!.split('/t/c/')[1]!;
    expect(verifyTrackingToken(token, 'click')?.url).toBe('https://brand.cn/x?a=1&b=2');
    expect(hrefs.slice(1)).toEqual(['mailto:a@b.cn', 'https://keep.cn']);
    expect(out).toMatch(/<img src="https:\/\/siyu\.example\/t\/o\/[^"]+\.gif"[^>]*><\/body>/);
  });
});

describe('WeChat / WeCom message crypto (WXBizMsgCrypt)', () => {
  it('matches the published WeCom sample (URL verification)', () => {
    // From the WeCom callback documentation: token QDG6eK, corp id wx5823bf96d3bd56c7.
    const aesKey = 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C';
    const echostr = 'P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==';
    expect(wxSignature('QDG6eK', '1409659589', '263014780', echostr)).toBe('5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3');
    expect(wxDecrypt(aesKey, echostr)).toEqual({ message: '1616140317555161061', receiveId: 'wx5823bf96d3bd56c7' });
  });

  it('decrypts what it encrypts, for any message and receive id, padded to 32-byte blocks', () => {
    const aesKey = randomBytes(32).toString('base64').slice(0, 43);
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), fc.stringMatching(/^[a-z0-9]{1,20}$/), (message, receiveId) => {
        const encrypted = wxEncrypt(aesKey, message, receiveId);
        expect(Buffer.from(encrypted, 'base64').length % 32).toBe(0);
        expect(wxDecrypt(aesKey, encrypted)).toEqual({ message, receiveId });
      }),
      { numRuns: 100 },
    );
  });

  it('signs with the sorted parts, whatever their order', () => {
    expect(wxSignature('b', 'a', 'c')).toBe(wxSignature('c', 'b', 'a'));
    expect(wxSignature('token', '1', '2')).not.toBe(wxSignature('token', '1', '3'));
  });
});
