'use strict';
// The mock CDN's WebP files: Tinder serves `processedFiles` as WebP in four sizes (640x800,
// 320x400, 172x216, 84x106; see tests/mock/README.md). The fixtures are JPEGs, so the mock
// decodes one (npm `jpeg-js`), crops it to 4:5 around the centre, scales it down by averaging
// and writes a lossless WebP (VP8L) with the simplest valid bitstream: no transforms, no
// colour cache, one fixed 8-bit prefix code per channel. Real files are lossy (VP8); every
// decoder reads both. Results are cached on disk, so each fixture is converted once.

const fs = require('node:fs');
const path = require('node:path');

/** Bits, least significant first, as VP8L reads them. */
class BitWriter {
  constructor(capacity) {
    this.buf = Buffer.alloc(capacity);
    this.pos = 0;
    this.acc = 0;
    this.n = 0;
  }

  put(value, nbits) {
    this.acc |= (value & ((1 << nbits) - 1)) << this.n;
    this.n += nbits;
    while (this.n >= 8) {
      this.buf[this.pos++] = this.acc & 0xff;
      this.acc >>>= 8;
      this.n -= 8;
    }
  }

  finish() {
    if (this.n > 0) this.buf[this.pos++] = this.acc & 0xff;
    this.acc = 0;
    this.n = 0;
    return this.buf.subarray(0, this.pos);
  }
}

const REVERSED = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  let r = 0;
  for (let b = 0; b < 8; b++) if (i & (1 << b)) r |= 1 << (7 - b);
  REVERSED[i] = r;
}

/**
 * A prefix code in which each of the first 256 symbols has 8 bits: the code-length code has
 * one symbol (length 8), which then takes no bits at all.
 */
function putFlat256(w, alphabet) {
  w.put(0, 1); // not a simple code
  // Code-length code lengths in the order 17, 18, 0, 1, 2, 3, 4, 5, 16, 6, 7, 8: only "8".
  w.put(12 - 4, 4);
  for (let i = 0; i < 12; i++) w.put(i === 11 ? 1 : 0, 3);
  if (alphabet === 256) {
    w.put(0, 1); // lengths for the whole alphabet
  } else {
    w.put(1, 1); // only the first 256 symbols: max_symbol = 2 + 254, in 2 + 2 * 3 = 8 bits
    w.put(3, 3);
    w.put(254, 8);
  }
}

/** Encodes RGB(A) pixels (`rgba`, 4 bytes each) as a lossless WebP file (opaque). */
function encodeWebp(rgba, width, height) {
  if (width < 1 || height < 1 || width > 16384 || height > 16384) throw new Error(`bad size ${width}x${height}`);
  const w = new BitWriter(64 + width * height * 3);
  w.put(0x2f, 8); // VP8L signature
  w.put(width - 1, 14);
  w.put(height - 1, 14);
  w.put(0, 1); // alpha not used
  w.put(0, 3); // version 0
  w.put(0, 1); // no transform
  w.put(0, 1); // no colour cache
  w.put(0, 1); // no meta prefix codes
  putFlat256(w, 256 + 24); // green + length prefixes
  putFlat256(w, 256); // red
  putFlat256(w, 256); // blue
  w.put(1, 1); // alpha: simple code, one 8-bit symbol: 255
  w.put(0, 1);
  w.put(1, 1);
  w.put(255, 8);
  w.put(1, 1); // distance: simple code, one 1-bit symbol: 0
  w.put(0, 1);
  w.put(0, 1);
  w.put(0, 1);
  const n = width * height;
  for (let i = 0; i < n; i++) {
    const o = i * 4;
    w.put(REVERSED[rgba[o + 1]] | (REVERSED[rgba[o]] << 8) | (REVERSED[rgba[o + 2]] << 16), 24);
  }
  const data = w.finish();
  const pad = data.length & 1;
  const out = Buffer.alloc(20 + data.length + pad);
  out.write('RIFF', 0, 'ascii');
  out.writeUInt32LE(12 + data.length + pad, 4);
  out.write('WEBP', 8, 'ascii');
  out.write('VP8L', 12, 'ascii');
  out.writeUInt32LE(data.length, 16);
  data.copy(out, 20);
  return out;
}

/** Crops `img` ({width, height, data: RGBA}) to the aspect of w:h around the centre and scales it to w x h. */
function cropScale(img, w, h) {
  const sw = img.width;
  const sh = img.height;
  let cw = sw;
  let ch = Math.round((sw * h) / w);
  if (ch > sh) {
    ch = sh;
    cw = Math.round((sh * w) / h);
  }
  const x0 = Math.floor((sw - cw) / 2);
  const y0 = Math.floor((sh - ch) / 2);
  const out = Buffer.alloc(w * h * 4);
  for (let y = 0; y < h; y++) {
    const ya = y0 + Math.floor((y * ch) / h);
    const yb = Math.max(ya + 1, y0 + Math.floor(((y + 1) * ch) / h));
    for (let x = 0; x < w; x++) {
      const xa = x0 + Math.floor((x * cw) / w);
      const xb = Math.max(xa + 1, x0 + Math.floor(((x + 1) * cw) / w));
      let r = 0;
      let g = 0;
      let b = 0;
      let k = 0;
      for (let yy = ya; yy < yb; yy++) {
        let o = (yy * sw + xa) * 4;
        for (let xx = xa; xx < xb; xx++, o += 4) {
          r += img.data[o];
          g += img.data[o + 1];
          b += img.data[o + 2];
          k++;
        }
      }
      const d = (y * w + x) * 4;
      out[d] = Math.round(r / k);
      out[d + 1] = Math.round(g / k);
      out[d + 2] = Math.round(b / k);
      out[d + 3] = 255;
    }
  }
  return out;
}

/**
 * The WebP of fixture `file` at w x h, from the disk cache under `cacheDir` when there
 * (made and stored otherwise).
 */
function webpOf(file, w, h, cacheDir) {
  const key = `${path.basename(path.dirname(file))}-${path.basename(file, path.extname(file))}-${w}x${h}.webp`;
  const cached = cacheDir ? path.join(cacheDir, key) : null;
  if (cached) {
    try {
      return fs.readFileSync(cached);
    } catch {
      // not made yet
    }
  }
  const jpeg = require('jpeg-js');
  const img = jpeg.decode(fs.readFileSync(file), { useTArray: true, maxMemoryUsageInMB: 1024, maxResolutionInMP: 100 });
  const out = encodeWebp(cropScale(img, w, h), w, h);
  if (cached) {
    try {
      fs.mkdirSync(cacheDir, { recursive: true });
      fs.writeFileSync(`${cached}.tmp${process.pid}`, out);
      fs.renameSync(`${cached}.tmp${process.pid}`, cached);
    } catch {
      // a read-only fixtures folder: convert again next time
    }
  }
  return out;
}

/** Width and height from a WebP file's VP8L header (for tests); null for anything else. */
function webpSize(buf) {
  if (buf.length < 25 || buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WEBP') return null;
  if (buf.toString('ascii', 12, 16) !== 'VP8L' || buf[20] !== 0x2f) return null;
  const bits = buf.readUInt32LE(21);
  return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
}

module.exports = { encodeWebp, cropScale, webpOf, webpSize };
