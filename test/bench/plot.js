'use strict';
// A line plot as a PNG, with no dependency: a tiny rasteriser (lines,
// squares, a 5x7 upper-case bitmap font) and a PNG encoder over
// node:zlib's deflate. Used by test/bench/run.js for goodput against
// message size (log2 x axis, linear y axis from 0).
//
//   plotPng({title, xLabel, yLabel, series: [{name, points: [[x, y], ...]}]}) -> Buffer

const zlib = require('node:zlib');

// 5x7 glyphs, one string of 7 rows of 5 pixels each ('#' set).
const FONT = {
  ' ': '.....|.....|.....|.....|.....|.....|.....',
  '0': '.###.|#...#|#..##|#.#.#|##..#|#...#|.###.',
  '1': '..#..|.##..|..#..|..#..|..#..|..#..|.###.',
  '2': '.###.|#...#|....#|...#.|..#..|.#...|#####',
  '3': '####.|....#|....#|.###.|....#|....#|####.',
  '4': '...#.|..##.|.#.#.|#..#.|#####|...#.|...#.',
  '5': '#####|#....|####.|....#|....#|#...#|.###.',
  '6': '.###.|#....|#....|####.|#...#|#...#|.###.',
  '7': '#####|....#|...#.|..#..|.#...|.#...|.#...',
  '8': '.###.|#...#|#...#|.###.|#...#|#...#|.###.',
  '9': '.###.|#...#|#...#|.####|....#|....#|.###.',
  'A': '.###.|#...#|#...#|#####|#...#|#...#|#...#',
  'B': '####.|#...#|#...#|####.|#...#|#...#|####.',
  'C': '.###.|#...#|#....|#....|#....|#...#|.###.',
  'D': '####.|#...#|#...#|#...#|#...#|#...#|####.',
  'E': '#####|#....|#....|####.|#....|#....|#####',
  'F': '#####|#....|#....|####.|#....|#....|#....',
  'G': '.###.|#...#|#....|#.###|#...#|#...#|.###.',
  'H': '#...#|#...#|#...#|#####|#...#|#...#|#...#',
  'I': '.###.|..#..|..#..|..#..|..#..|..#..|.###.',
  'J': '..###|...#.|...#.|...#.|...#.|#..#.|.##..',
  'K': '#...#|#..#.|#.#..|##...|#.#..|#..#.|#...#',
  'L': '#....|#....|#....|#....|#....|#....|#####',
  'M': '#...#|##.##|#.#.#|#.#.#|#...#|#...#|#...#',
  'N': '#...#|#...#|##..#|#.#.#|#..##|#...#|#...#',
  'O': '.###.|#...#|#...#|#...#|#...#|#...#|.###.',
  'P': '####.|#...#|#...#|####.|#....|#....|#....',
  'Q': '.###.|#...#|#...#|#...#|#.#.#|#..#.|.##.#',
  'R': '####.|#...#|#...#|####.|#.#..|#..#.|#...#',
  'S': '.####|#....|#....|.###.|....#|....#|####.',
  'T': '#####|..#..|..#..|..#..|..#..|..#..|..#..',
  'U': '#...#|#...#|#...#|#...#|#...#|#...#|.###.',
  'V': '#...#|#...#|#...#|#...#|#...#|.#.#.|..#..',
  'W': '#...#|#...#|#...#|#.#.#|#.#.#|#.#.#|.#.#.',
  'X': '#...#|#...#|.#.#.|..#..|.#.#.|#...#|#...#',
  'Y': '#...#|#...#|.#.#.|..#..|..#..|..#..|..#..',
  'Z': '#####|....#|...#.|..#..|.#...|#....|#####',
  '.': '.....|.....|.....|.....|.....|.##..|.##..',
  ',': '.....|.....|.....|.....|.##..|..#..|.#...',
  '/': '.....|....#|...#.|..#..|.#...|#....|.....',
  '(': '...#.|..#..|.#...|.#...|.#...|..#..|...#.',
  ')': '.#...|..#..|...#.|...#.|...#.|..#..|.#...',
  '-': '.....|.....|.....|.###.|.....|.....|.....',
  ':': '.....|.##..|.##..|.....|.##..|.##..|.....',
  '@': '.###.|#...#|#.###|#.#.#|#.###|#....|.###.',
  '%': '##..#|##..#|...#.|..#..|.#...|#..##|#..##',
};

class Canvas {
  constructor(width, height) {
    this.width = width;
    this.height = height;
    this.pixels = Buffer.alloc(width * height * 3, 255);
  }

  set(x, y, [r, g, b]) {
    x = Math.round(x);
    y = Math.round(y);
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const i = (y * this.width + x) * 3;
    this.pixels[i] = r;
    this.pixels[i + 1] = g;
    this.pixels[i + 2] = b;
  }

  rect(x, y, w, h, color) {
    for (let j = 0; j < h; j++) for (let i = 0; i < w; i++) this.set(x + i, y + j, color);
  }

  // A line `thick` pixels wide (square brush), by sampling along it.
  line(x0, y0, x1, y1, color, thick = 1) {
    const n = Math.max(1, Math.ceil(Math.hypot(x1 - x0, y1 - y0) * 2));
    const h = Math.floor(thick / 2);
    for (let k = 0; k <= n; k++) {
      const x = x0 + (x1 - x0) * k / n;
      const y = y0 + (y1 - y0) * k / n;
      this.rect(Math.round(x) - h, Math.round(y) - h, thick, thick, color);
    }
  }

  // Upper-case text at (x, y) (top left), `scale` pixels per font pixel.
  text(x, y, s, color, scale = 2) {
    for (const ch of String(s).toUpperCase()) {
      const glyph = FONT[ch] || FONT[' '];
      glyph.split('|').forEach((row, j) => {
        for (let i = 0; i < 5; i++) if (row[i] === '#') this.rect(x + i * scale, y + j * scale, scale, scale, color);
      });
      x += 6 * scale;
    }
  }

  static textWidth(s, scale = 2) {
    return String(s).length * 6 * scale - scale;
  }

  png() {
    const raw = Buffer.alloc((this.width * 3 + 1) * this.height);
    for (let y = 0; y < this.height; y++) {
      raw[y * (this.width * 3 + 1)] = 0; // filter: none
      this.pixels.copy(raw, y * (this.width * 3 + 1) + 1, y * this.width * 3, (y + 1) * this.width * 3);
    }
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(this.width, 0);
    ihdr.writeUInt32BE(this.height, 4);
    ihdr[8] = 8; // bit depth
    ihdr[9] = 2; // colour type: RGB
    return Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      chunk('IHDR', ihdr),
      chunk('IDAT', zlib.deflateSync(raw, { level: 9 })),
      chunk('IEND', Buffer.alloc(0)),
    ]);
  }
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf) {
  let c = 0xffffffff;
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

// A round step for about `n` ticks between 0 and max.
function niceStep(max, n) {
  const raw = max / n;
  const p = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw);
}

const COLORS = [[200, 30, 30], [30, 90, 200], [20, 150, 60], [150, 80, 180]];
const BLACK = [0, 0, 0];
const GREY = [215, 215, 215];

function plotPng({ title, xLabel, yLabel, series, width = 900, height = 560 }) {
  const c = new Canvas(width, height);
  const left = 90;
  const right = 30;
  const top = 50;
  const bottom = 130;
  const pw = width - left - right;
  const ph = height - top - bottom;
  const xs = [...new Set(series.flatMap((s) => s.points.map((p) => p[0])))].sort((a, b) => a - b);
  const ymax0 = Math.max(1, ...series.flatMap((s) => s.points.map((p) => p[1])));
  const step = niceStep(ymax0, 6);
  const ymax = Math.ceil(ymax0 / step) * step;
  const lx0 = Math.log2(xs[0] || 1);
  const lx1 = Math.log2(xs[xs.length - 1] || 2);
  const X = (x) => left + (lx1 > lx0 ? (Math.log2(x) - lx0) / (lx1 - lx0) : 0.5) * pw;
  const Y = (y) => top + ph - y / ymax * ph;

  c.text((width - Canvas.textWidth(title)) / 2, 16, title, BLACK);
  for (let y = 0; y <= ymax + step / 2; y += step) {
    c.line(left, Y(y), left + pw, Y(y), GREY);
    const label = String(Math.round(y * 100) / 100);
    c.text(left - 10 - Canvas.textWidth(label), Y(y) - 7, label, BLACK);
  }
  for (const x of xs) {
    c.line(X(x), top, X(x), top + ph, GREY);
    const label = String(x);
    c.text(X(x) - Canvas.textWidth(label) / 2, top + ph + 10, label, BLACK);
  }
  c.line(left, top, left, top + ph, BLACK, 2);
  c.line(left, top + ph, left + pw, top + ph, BLACK, 2);
  c.text(left + (pw - Canvas.textWidth(xLabel)) / 2, top + ph + 34, xLabel, BLACK);
  c.text(left + 8, top + 6, yLabel, BLACK);

  series.forEach((s, k) => {
    const color = COLORS[k % COLORS.length];
    const pts = s.points.slice().sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < pts.length; i++) c.line(X(pts[i - 1][0]), Y(pts[i - 1][1]), X(pts[i][0]), Y(pts[i][1]), color, 3);
    for (const [x, y] of pts) c.rect(X(x) - 4, Y(y) - 4, 9, 9, color);
    const ly = top + ph + 64 + k * 20;
    c.rect(left, ly + 3, 24, 6, color);
    c.text(left + 34, ly, s.name, BLACK);
  });
  return c.png();
}

module.exports = { plotPng, Canvas };
