// Layout tests of the built UI (ui/dist) in Debian's headless Chromium, with the Tauri IPC mocked
// through @tauri-apps/api/mocks (e2e/browser/backend.js). Files are served with page.route: no
// server, no port. Walks a whole candidate and the staff review in portrait (1080×1920) and
// landscape (1920×1080), checks the layout rules on every screen (the review's identity section
// included) and saves a screenshot of each to test-results/screens/.
//
// Run: npm run test:web (builds first). Needs /usr/bin/chromium (apt-get install -y chromium) or
// CHROMIUM_PATH; a missing browser is a failure, never a skip.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const UI = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(UI, 'dist');
const API = join(UI, 'node_modules/@tauri-apps/api');
const SCREENS = join(UI, 'test-results/screens');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const ORIGIN = 'http://kiosk.test';

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.ogg': 'audio/ogg',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.svg': 'image/svg+xml',
  '.md': 'text/markdown; charset=utf-8',
};

function dataUrl(path) {
  const mime = MIME[extname(path)] ?? 'application/octet-stream';
  return { mime, dataUrl: `data:${mime};base64,${readFileSync(path).toString('base64')}` };
}

function signatureSvg() {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 500 200"><rect width="500" height="200" fill="#fff"/>
<path d="M60 130 C 80 40, 120 40, 110 120 S 150 160, 170 90 M 190 70 L 200 140 M 185 100 L 240 95 M 260 60 C 250 120, 280 150, 300 110 C 320 70, 330 140, 360 120 M 380 80 C 400 60, 430 90, 400 130 C 380 150, 420 150, 450 120"
 fill="none" stroke="#000" stroke-width="5" stroke-linecap="round" stroke-linejoin="round"/></svg>`;
  return { mime: 'image/svg+xml', dataUrl: `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}` };
}

function loadFixtures() {
  const fixtures = {};
  for (const name of readdirSync(join(UI, 'fixtures'))) {
    if (name.endsWith('.json')) fixtures[name] = JSON.parse(readFileSync(join(UI, 'fixtures', name), 'utf8'));
  }
  // The artefacts the fixtures name: the demo photos of assets/demo (see its SOURCES.md).
  const demo = resolve(UI, '../assets/demo');
  const view = fixtures['view-confirmed.json'];
  const review = fixtures['review.json'];
  fixtures.images = {
    [view.images.idPhoto]: dataUrl(join(demo, 'candidate-c-id.png')),
    [view.images.registrationPhoto]: dataUrl(join(demo, 'candidate-c-live.png')),
    [review.images.liveFrame]: dataUrl(join(demo, 'candidate-b-live.jpg')),
    [fixtures['review-ocr.json'].images.idPhoto]: dataUrl(join(demo, 'candidate-c-id.png')),
    [fixtures['view-signature-preview.json'].signaturePreview]: signatureSvg(),
  };
  return fixtures;
}

/** Serves ui/dist, the Tauri API modules, and the mock backend, all from memory routes. */
async function routeFiles(page, requests) {
  await page.route(`${ORIGIN}/**`, async (route) => {
    const url = new URL(route.request().url());
    const path = decodeURIComponent(url.pathname);
    requests.push(path);
    let file;
    if (path.startsWith('/__tauri_api/')) file = join(API, path.slice('/__tauri_api/'.length));
    else if (path.startsWith('/__e2e/')) file = join(UI, 'e2e/browser', path.slice('/__e2e/'.length));
    else file = join(DIST, path === '/' ? 'index.html' : path);
    if (!file.startsWith(UI) || !existsSync(file)) return route.fulfill({ status: 404, body: `not found: ${path}` });
    let body = readFileSync(file);
    if (path === '/') {
      // the mock backend runs before the app's module script
      body = Buffer.from(body.toString('utf8').replace('<script type="module"', '<script type="module" src="/__e2e/backend.js"></script>\n    <script type="module"'));
    }
    return route.fulfill({ status: 200, body, headers: { 'content-type': MIME[extname(file)] ?? 'application/octet-stream' } });
  });
}

/** The layout rules, measured in the page. Returns a list of problems (empty = fine). */
function layoutProblems() {
  const problems = [];
  const vw = window.innerWidth;
  const vh = window.innerHeight;
  const visible = (el) => {
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden' || Number(style.opacity) === 0) return false;
    if (el.closest('.visually-hidden')) return false;
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  };
  const name = (el) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.className && typeof el.className === 'string' ? `.${el.className.trim().split(/\s+/).join('.')}` : ''} "${(el.textContent || '').trim().slice(0, 30)}"`;

  if (document.documentElement.scrollWidth > vw) problems.push(`page scrolls horizontally: ${document.documentElement.scrollWidth} > ${vw}`);
  for (const el of document.querySelectorAll('body *')) {
    if (!visible(el) || el.closest('svg') && el.tagName.toLowerCase() !== 'svg') continue;
    const r = el.getBoundingClientRect();
    if (r.right > vw + 0.5 || r.left < -0.5) problems.push(`overflows horizontally: ${name(el)} [${Math.round(r.left)}, ${Math.round(r.right)}]`);
  }
  // the candidate screens fit the screen: no scrolling needed to reach the buttons
  const main = document.querySelector('.kiosk__main');
  if (main && main.scrollHeight > main.clientHeight + 1) problems.push(`candidate screen needs scrolling: ${main.scrollHeight} > ${main.clientHeight}`);

  for (const el of document.querySelectorAll('.btn--lg')) {
    if (!visible(el)) continue;
    const r = el.getBoundingClientRect();
    if (r.height < 64) problems.push(`primary button lower than 64 px: ${name(el)} ${r.height}`);
  }
  const interactive = 'button, a[href], input, select, textarea, [role="radio"], [role="button"], [tabindex="0"]';
  for (const el of document.querySelectorAll(interactive)) {
    if (!visible(el)) continue;
    const r = el.getBoundingClientRect();
    if (r.width < 44 || r.height < 44) problems.push(`target smaller than 44×44: ${name(el)} ${Math.round(r.width)}×${Math.round(r.height)}`);
  }
  // buttons of one action bar never overlap each other
  for (const bar of document.querySelectorAll('.screen__actions, .modal__actions, .staff-actions')) {
    const boxes = [...bar.children].filter(visible).map((el) => [el, el.getBoundingClientRect()]);
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const [a, ra] = boxes[i];
        const [b, rb] = boxes[j];
        if (ra.left < rb.right - 0.5 && rb.left < ra.right - 0.5 && ra.top < rb.bottom - 0.5 && rb.top < ra.bottom - 0.5) problems.push(`overlap: ${name(a)} / ${name(b)}`);
      }
    }
  }
  if (vh <= 0) problems.push('no viewport');
  return problems;
}

/** WCAG contrast of the text of each selector against its effective background. */
function contrastReport(selectors) {
  const parse = (c) => {
    const m = c.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const [r, g, b, a = '1'] = m[1].split(/[ ,/]+/).filter(Boolean);
    return { r: +r, g: +g, b: +b, a: +a };
  };
  const over = (top, bottom) => ({
    r: top.r * top.a + bottom.r * (1 - top.a),
    g: top.g * top.a + bottom.g * (1 - top.a),
    b: top.b * top.a + bottom.b * (1 - top.a),
    a: 1,
  });
  const background = (el) => {
    const layers = [];
    for (let node = el; node; node = node.parentElement) {
      const c = parse(getComputedStyle(node).backgroundColor);
      if (c && c.a > 0) {
        layers.push(c);
        if (c.a >= 1) break;
      }
    }
    return layers.reverse().reduce((acc, layer) => over(layer, acc), { r: 255, g: 255, b: 255, a: 1 });
  };
  const luminance = ({ r, g, b }) => {
    const f = (v) => {
      const s = v / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const out = [];
  for (const selector of selectors) {
    for (const el of document.querySelectorAll(selector)) {
      if (!el.getBoundingClientRect().width) continue;
      const bg = background(el);
      const fg = over(parse(getComputedStyle(el).color), bg);
      const [l1, l2] = [luminance(fg), luminance(bg)].sort((a, b) => b - a);
      out.push({ selector, text: (el.textContent || '').trim().slice(0, 24), ratio: (l1 + 0.05) / (l2 + 0.05) });
    }
  }
  return out;
}

const KEY_TEXT = [
  'h1',
  '.screen__lead',
  '.btn--primary:not(:disabled)',
  '.btn--secondary:not(:disabled)',
  '.lang-toggle',
  '.progress__step.is-current .progress__label',
  '.progress__step.is-todo .progress__label',
  '.footbar',
  '.sim-banner',
  '.notice__text',
  '.status-line',
  '.actions-hint',
  '.digits__digit',
  '.recording',
  '.lead-in',
  '.lead-in__start',
  '.camera__status',
  '.camera__countdown-value',
  '.camera__countdown-label',
  '.admission__number',
  '.panel h2',
  '.pill',
  '.stats dt',
  '.score__numbers',
  '.sync__line',
  '.sync__hints li',
  '.inline-ok',
  '.inline-error',
  '.sync__no-hub',
  '.field label',
  '.identity thead th',
  '.identity tbody th',
  '.identity tbody td',
  '.identity__differs',
  '.today thead th',
  '.today tbody th',
  '.today__confirmed',
  '.today__code',
  '.identity dt',
  '.identity dd',
  '.card-panel__label',
  '.card-panel__side',
  '.card-panel__step',
  '.card-panel__note',
  '.camera__hint',
  '.ocr__table thead th',
  '.ocr__table tbody th',
  '.ocr__table tbody td',
  '.ocr__problem',
  '.ocr__images figcaption',
  '.card-images__lead',
  '.card-images__hint',
  '.field__error',
];

/** The identity section of the review: its rows, markers, and whether everything fits its cell. */
function identityReport() {
  const section = document.querySelector('[data-testid="identity"]');
  if (!section) return null;
  const table = section.querySelector('table');
  const panel = section.closest('.panel').getBoundingClientRect();
  const box = section.getBoundingClientRect();
  const cells = [...section.querySelectorAll('th, td, dt, dd')];
  return {
    rows: [...section.querySelectorAll('tbody tr')].map((tr) => ({
      field: tr.dataset.field,
      differs: tr.dataset.differs,
      // what shows, and what a screen reader reads (the visually hidden text added)
      marker: (() => {
        const m = tr.querySelector('[data-testid="differs"]');
        return m ? [...m.childNodes].filter((n) => !n.classList?.contains('visually-hidden')).map((n) => n.textContent).join('').trim() : null;
      })(),
      label: tr.querySelector('[data-testid="differs"]')?.textContent.trim() ?? null,
      icon: tr.querySelector('[data-testid="differs"] svg') !== null,
      background: getComputedStyle(tr.querySelector('td')).backgroundColor,
      cells: [...tr.querySelectorAll('td')].map((td) => td.innerText.trim()),
    })),
    numbers: [...section.querySelectorAll('dd')].map((dd) => dd.innerText.trim()),
    insidePanel: box.left >= panel.left - 0.5 && box.right <= panel.right + 0.5,
    tableFits: table.scrollWidth <= table.clientWidth + 1,
    clipped: cells.filter((el) => el.scrollWidth > el.clientWidth + 1).map((el) => el.innerText.trim()),
    // the marker stays on the header's line or wraps whole, never cut
    markerFits: [...section.querySelectorAll('[data-testid="differs"]')].every((m) => {
      const r = m.getBoundingClientRect();
      const th = m.closest('th').getBoundingClientRect();
      return r.left >= th.left - 0.5 && r.right <= th.right + 0.5;
    }),
  };
}

/** Where the face box is against where the face is in the mirrored, cover-scaled picture. */
function faceBoxGeometry([width, height, face]) {
  const frame = document.querySelector('.camera__frame').getBoundingClientRect();
  const box = document.querySelector('#face-box').getBoundingClientRect();
  const img = document.querySelector('#camera-preview');
  const shown = img.getBoundingClientRect();
  const scale = Math.max(frame.width / width, frame.height / height);
  const [w, h] = [width * scale, height * scale];
  const left = frame.left + (frame.width - w) / 2 + (1 - face.x - face.width) * w;
  const top = frame.top + (frame.height - h) / 2 + face.y * h;
  const style = getComputedStyle(img);
  return {
    expected: [left, top, face.width * w, face.height * h].map(Math.round),
    actual: [box.left, box.top, box.width, box.height].map(Math.round),
    natural: [img.naturalWidth, img.naturalHeight],
    transform: style.transform,
    objectFit: style.objectFit,
    fills: [shown.left - frame.left, shown.top - frame.top, shown.width - frame.width, shown.height - frame.height].every((d) => Math.abs(d) < 1),
  };
}

/** Where the guide's oval is against the frame's guide box placed like the picture (mirrored, cover-scaled, kept 1 % inside). */
function guideGeometry([width, height, guide]) {
  const frame = document.querySelector('.camera__frame').getBoundingClientRect();
  const oval = document.querySelector('.camera__oval').getBoundingClientRect();
  const scale = Math.max(frame.width / width, frame.height / height);
  const [w, h] = [width * scale, height * scale];
  const left = Math.max(frame.width * 0.01, (frame.width - w) / 2 + (1 - guide.x - guide.width) * w);
  const right = Math.min(frame.width * 0.99, (frame.width - w) / 2 + (1 - guide.x) * w);
  const top = Math.max(frame.height * 0.01, (frame.height - h) / 2 + guide.y * h);
  const bottom = Math.min(frame.height * 0.99, (frame.height - h) / 2 + (guide.y + guide.height) * h);
  return {
    expected: [frame.left + left, frame.top + top, right - left, bottom - top].map(Math.round),
    actual: [oval.left, oval.top, oval.width, oval.height].map(Math.round),
    source: document.querySelector('svg.camera__guide').dataset.guide,
  };
}

/** Where the card frame is against the frame's guide placed like the picture (NOT mirrored, cover-scaled, kept 1 % inside). */
function cardGuideGeometry([width, height, guide]) {
  const frame = document.querySelector('.camera__frame').getBoundingClientRect();
  const rect = document.querySelector('#card-guide').getBoundingClientRect();
  const scale = Math.max(frame.width / width, frame.height / height);
  const [w, h] = [width * scale, height * scale];
  const left = Math.max(frame.width * 0.01, (frame.width - w) / 2 + guide.x * w);
  const right = Math.min(frame.width * 0.99, (frame.width - w) / 2 + (guide.x + guide.width) * w);
  const top = Math.max(frame.height * 0.01, (frame.height - h) / 2 + guide.y * h);
  const bottom = Math.min(frame.height * 0.99, (frame.height - h) / 2 + (guide.y + guide.height) * h);
  const img = document.querySelector('#camera-preview');
  return {
    expected: [frame.left + left, frame.top + top, right - left, bottom - top].map(Math.round),
    actual: [rect.left, rect.top, rect.width, rect.height].map(Math.round),
    source: document.querySelector('svg.camera__guide').dataset.guide,
    transform: getComputedStyle(img).transform,
    natural: [img.naturalWidth, img.naturalHeight],
    rx: Number(document.querySelector('#card-guide').getAttribute('rx')),
    oval: document.querySelector('.camera__oval') !== null,
    faceBox: document.querySelector('#face-box') !== null,
  };
}

/**
 * Defines window.__drawCard (a specimen ID card, either side, drawn on a canvas) and
 * window.__cardImage (one side as a straightened JPEG data URL), for the card step's camera frames
 * and the staff's OCR review. Made-up details; system CJK fonts.
 */
function installCardArt() {
  const round = (g, x, y, w, h, r) => {
    g.beginPath();
    g.moveTo(x + r, y);
    g.arcTo(x + w, y, x + w, y + h, r);
    g.arcTo(x + w, y + h, x, y + h, r);
    g.arcTo(x, y + h, x, y, r);
    g.arcTo(x, y, x + w, y, r);
    g.closePath();
  };
  window.__drawCard = (g, x, y, w, h, side) => {
    const u = w / 856;
    g.save();
    round(g, x, y, w, h, 30 * u);
    const fill = g.createLinearGradient(x, y, x + w, y + h);
    fill.addColorStop(0, side === 'front' ? '#f4f1ea' : '#eaf1f6');
    fill.addColorStop(1, side === 'front' ? '#dfe9f2' : '#f3eadb');
    g.fillStyle = fill;
    g.fill();
    g.clip();
    g.fillStyle = '#1b1b1b';
    const text = (t, tx, ty, size, colour = '#1b1b1b', weight = 400, font = 'Noto Sans CJK SC, sans-serif') => {
      g.fillStyle = colour;
      g.font = `${weight} ${size * u}px ${font}`;
      g.fillText(t, x + tx * u, y + ty * u);
    };
    if (side === 'front') {
      const label = '#2f5d8a';
      text('姓名', 60, 110, 30, label);
      text('张伟', 160, 110, 38, '#111', 500);
      text('性别', 60, 180, 30, label);
      text('男', 160, 180, 34);
      text('民族', 260, 180, 30, label);
      text('汉', 360, 180, 34);
      text('出生', 60, 250, 30, label);
      text('1998 年 3 月 14 日', 160, 250, 34);
      text('住址', 60, 320, 30, label);
      text('湖北省武汉市汉阳区', 160, 320, 32);
      text('鹦鹉大道100号', 160, 366, 32);
      text('公民身份号码', 60, 470, 30, label);
      text('420105199803143416', 270, 472, 40, '#111', 500, 'DejaVu Sans Mono, monospace');
      g.fillStyle = '#c9d6e6';
      g.fillRect(x + 590 * u, y + 70 * u, 210 * u, 270 * u);
      g.fillStyle = '#8ea6c4';
      g.beginPath();
      g.arc(x + 695 * u, y + 170 * u, 62 * u, 0, Math.PI * 2);
      g.fill();
      g.beginPath();
      g.ellipse(x + 695 * u, y + 340 * u, 105 * u, 90 * u, 0, Math.PI, 0);
      g.fill();
    } else {
      g.fillStyle = '#c8102e';
      g.beginPath();
      g.arc(x + 150 * u, y + 150 * u, 90 * u, 0, Math.PI * 2);
      g.fill();
      g.fillStyle = '#ffd23f';
      g.beginPath();
      for (let i = 0; i < 10; i++) {
        const r = (i % 2 ? 22 : 55) * u;
        const a = -Math.PI / 2 + (i * Math.PI) / 5;
        g.lineTo(x + 150 * u + r * Math.cos(a), y + 150 * u + r * Math.sin(a));
      }
      g.fill();
      text('中华人民共和国', 300, 130, 56, '#111', 700);
      text('居民身份证', 330, 230, 64, '#111', 700);
      text('签发机关', 150, 400, 30, '#2f5d8a');
      text('武汉市公安局汉阳分局', 300, 400, 34);
      text('有效期限', 150, 466, 30, '#2f5d8a');
      text('2016.05.20-2026.05.20', 300, 468, 36, '#111', 400, 'DejaVu Sans Mono, monospace');
    }
    g.restore();
    g.save();
    round(g, x, y, w, h, 30 * u);
    g.strokeStyle = 'rgba(0, 0, 0, 0.25)';
    g.lineWidth = 2 * u;
    g.stroke();
    g.restore();
  };
  window.__cardImage = (side) => {
    const canvas = document.createElement('canvas');
    canvas.width = 856;
    canvas.height = 540;
    const g = canvas.getContext('2d');
    g.fillStyle = '#fff';
    g.fillRect(0, 0, 856, 540);
    window.__drawCard(g, 0, 0, 856, 540, side);
    return canvas.toDataURL('image/jpeg', 0.85);
  };
}

/** Frames received over a second (data-fps) and frames shown in it (data-seq). */
async function previewRate() {
  const figure = document.querySelector('figure.camera');
  const first = Number(figure.dataset.seq);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  return { fps: Number(figure.dataset.fps), shown: Number(figure.dataset.seq) - first };
}

/** 30 frames as separate tasks, faster than the screen paints: how often the preview rendered. */
async function previewBurst(template) {
  window.__kiosk.stopCamera();
  const figure = document.querySelector('figure.camera');
  let changes = 0;
  const observer = new MutationObserver((records) => (changes += records.length));
  observer.observe(figure, { attributes: true, attributeFilter: ['data-seq'] });
  const channel = new MessageChannel();
  let seq = 500000;
  await new Promise((resolve) => {
    channel.port1.onmessage = () => {
      void window.__kiosk.emit('kiosk://camera-frame', { ...template, seq: seq++ });
      if (seq < 500030) channel.port2.postMessage(null);
      else resolve();
    };
    channel.port2.postMessage(null);
  });
  await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
  observer.disconnect();
  return { changes, seq: document.querySelector('figure.camera').dataset.seq };
}

/** Stops the frames; how long until the picture gives way to the placeholder. */
async function previewStale() {
  window.__kiosk.stopCamera();
  const started = performance.now();
  const img = document.querySelector('#camera-preview');
  while (img.getAttribute('src') && performance.now() - started < 5000) await new Promise((resolve) => setTimeout(resolve, 20));
  return {
    ms: performance.now() - started,
    src: img.getAttribute('src'),
    display: getComputedStyle(img).display,
    box: document.querySelector('#face-box') !== null,
    hint: document.querySelector('#face-hint').textContent,
    fps: document.querySelector('figure.camera').dataset.fps,
  };
}

async function until(check, what, timeoutMs = 8000) {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

it('has Chromium and the built UI', () => {
  assert.ok(existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM}: install it (apt-get install -y chromium) or set CHROMIUM_PATH`);
  assert.ok(existsSync(join(DIST, 'index.html')), 'ui/dist is missing: run `npm run build` first');
});

let browser;
before(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: install it (apt-get install -y chromium) or set CHROMIUM_PATH`);
  }
  if (!existsSync(join(DIST, 'index.html'))) throw new Error('ui/dist is missing: run `npm run build` first');
  rmSync(SCREENS, { recursive: true, force: true });
  mkdirSync(SCREENS, { recursive: true });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required', '--mute-audio'],
  });
});

after(async () => {
  await browser?.close();
});

const ORIENTATIONS = [
  { name: 'portrait', viewport: { width: 1080, height: 1920 } },
  { name: 'landscape', viewport: { width: 1920, height: 1080 } },
];

for (const orientation of ORIENTATIONS) {
  describe(`${orientation.name} ${orientation.viewport.width}×${orientation.viewport.height}`, () => {
    let page;
    let requests;
    const errors = [];
    const shots = [];

    async function check(label) {
      await page.evaluate(() => document.fonts.ready);
      await page.waitForTimeout(120);
      const problems = await page.evaluate(layoutProblems);
      const contrast = await page.evaluate(contrastReport, KEY_TEXT);
      const low = contrast.filter((c) => c.ratio < 4.5).map((c) => `${c.selector} "${c.text}" ${c.ratio.toFixed(2)}`);
      const file = join(SCREENS, `${orientation.name}-${String(shots.length + 1).padStart(2, '0')}-${label}.png`);
      await page.screenshot({ path: file });
      shots.push(file);
      assert.deepEqual(problems, [], `${label}: layout problems`);
      assert.deepEqual(low, [], `${label}: text contrast below 4.5`);
      assert.ok(contrast.length >= 3, `${label}: measured the contrast of ${contrast.length} elements only`);
      assert.deepEqual(errors, [], `${label}: page errors`);
    }

    const kiosk = (fn, arg) => page.evaluate(fn, arg);
    const view = (name, patch = {}) => page.evaluate(([n, p]) => ({ ...JSON.parse(JSON.stringify(window.__FIXTURES__[n])), ...p }), [name, patch]);

    // A 640×480 camera frame made in the page from the demo photo, the face where FACE says, or
    // moved `shift` of the frame's width to the right (the picture's face with it).
    const FACE = { x: 0.4, y: 0.2375, width: 0.2, height: 0.425 };
    const jpegs = new Map();
    async function cameraFrame(patch, shift = 0) {
      if (!jpegs.has(shift)) jpegs.set(shift, await page.evaluate(async (shift) => {
        const F = window.__FIXTURES__;
        const img = new Image();
        img.src = F.images[F['review.json'].images.liveFrame].dataUrl;
        await img.decode();
        const canvas = document.createElement('canvas');
        canvas.width = 640;
        canvas.height = 480;
        const g = canvas.getContext('2d');
        // a blurred room behind; the 577×880 photo at 0.6: its face (x 190..405, y 130..470) lands on FACE
        g.filter = 'blur(14px) brightness(0.7)';
        g.drawImage(img, 0, 80, 577, 400, -40, -40, 720, 560);
        g.filter = 'none';
        g.drawImage(img, 320 - 297 * 0.6 + shift * 640, 216 - 300 * 0.6, 577 * 0.6, 880 * 0.6);
        return canvas.toDataURL('image/jpeg', 0.8).slice('data:image/jpeg;base64,'.length);
      }, shift));
      const fixture = await page.evaluate(() => window.__FIXTURES__['event-camera-frame.json']);
      const face = { ...FACE, x: FACE.x + shift };
      return { ...fixture, width: 640, height: 480, jpeg: jpegs.get(shift), faces: 1, face, inGuide: true, ...patch };
    }
    const startCamera = async (patch, shift = 0) => {
      const frame = await cameraFrame(patch, shift);
      await kiosk((f) => window.__kiosk.startCamera(f), frame);
      return frame;
    };

    // The card step's frames: a 640×480 picture of a hand-held card (tilted a little, slightly
    // smaller than the card-shaped frame the kiosk draws) on a blurred desk; no face.
    const CARD_GUIDE = { x: 0.1375, y: 0.2, width: 0.725, height: 0.6 };
    const cardJpegs = new Map();
    async function startCardCamera(side, patch = {}) {
      if (!cardJpegs.has(side)) {
        await page.evaluate(installCardArt);
        cardJpegs.set(side, await page.evaluate(([side, guide]) => {
          const canvas = document.createElement('canvas');
          canvas.width = 640;
          canvas.height = 480;
          const g = canvas.getContext('2d');
          const room = g.createLinearGradient(0, 0, 640, 480);
          room.addColorStop(0, '#7a6a58');
          room.addColorStop(1, '#3e3a36');
          g.fillStyle = room;
          g.fillRect(0, 0, 640, 480);
          g.translate(320, 240);
          g.rotate(-0.03);
          const w = guide.width * 640 * 0.94;
          const h = (w * 54) / 85.6;
          window.__drawCard(g, -w / 2, -h / 2 + 6, w, h, side);
          return canvas.toDataURL('image/jpeg', 0.85).slice('data:image/jpeg;base64,'.length);
        }, [side, CARD_GUIDE]));
      }
      const fixture = await page.evaluate(() => window.__FIXTURES__['event-camera-frame.json']);
      const frame = {
        ...fixture,
        step: 'card',
        phase: side === 'front' ? 'cardFront' : 'cardBack',
        remainingMs: 30000,
        width: 640,
        height: 480,
        jpeg: cardJpegs.get(side),
        faces: 0,
        face: null,
        inGuide: null,
        hint: 'noFace',
        guide: CARD_GUIDE,
        ...patch,
      };
      await kiosk((f) => window.__kiosk.startCamera(f), frame);
      return frame;
    }

    async function checkFaceBox(label, frame, state) {
      await page.waitForSelector(`#face-box.face-box--${state}`);
      await page.waitForTimeout(300);
      const geometry = await page.evaluate(faceBoxGeometry, [frame.width, frame.height, frame.face]);
      assert.deepEqual(geometry.natural, [frame.width, frame.height], `${label}: the frame's JPEG is shown`);
      assert.equal(geometry.transform, 'matrix(-1, 0, 0, 1, 0, 0)', `${label}: the picture is mirrored`);
      assert.equal(geometry.objectFit, 'cover');
      assert.ok(geometry.fills, `${label}: the picture fills the preview box`);
      for (let i = 0; i < 4; i++) {
        assert.ok(Math.abs(geometry.actual[i] - geometry.expected[i]) <= 2, `${label}: face box ${geometry.actual} where the face is ${geometry.expected}`);
      }
    }

    before(async () => {
      const context = await browser.newContext({ viewport: orientation.viewport, deviceScaleFactor: 1, locale: 'zh-CN', hasTouch: false });
      page = await context.newPage();
      page.on('pageerror', (error) => errors.push(String(error)));
      page.on('console', (message) => {
        if (message.type() === 'error') errors.push(message.text());
      });
      requests = [];
      await routeFiles(page, requests);
      await page.addInitScript((fixtures) => {
        window.__FIXTURES__ = fixtures;
      }, loadFixtures());
      await page.goto(`${ORIGIN}/`);
    });

    after(async () => {
      await page?.context().close();
    });

    it('walks a whole candidate: welcome → consent → card → digits → photo → pledge → signature → result', async () => {
      await page.waitForSelector('#start');
      assert.equal(await page.textContent('#sim-banner span'), '演示模式：当前使用模拟设备，不采集真实个人信息');
      await check('welcome');

      await page.click('#start');
      await page.waitForSelector('[data-screen="consent"] .markdown h3');
      assert.equal(await page.getAttribute('.progress__step.is-current', 'data-step'), 'consent');
      await check('consent');

      await page.click('#give-consent');
      await kiosk(async ([v]) => {
        await window.__kiosk.setView(v);
        await window.__kiosk.emit('kiosk://device-status', { device: 'id_card_reader', state: 'waiting', kind: null, message: null });
      }, [await view('view-idcard-failed.json', { lastReason: null, attempt: 1 })]);
      await page.waitForSelector('[data-screen="idcard"] .reader-art');
      await check('idcard');

      await kiosk((v) => window.__kiosk.setView(v), await view('view-idcard-failed.json'));
      await page.waitForSelector('#last-reason');
      assert.match(await page.textContent('#last-reason'), /未能读取身份证/);
      await check('idcard-failed');

      await kiosk((v) => window.__kiosk.setView(v), await view('view-liveness.json'));
      await page.waitForSelector('#digits');
      assert.deepEqual(await page.$$eval('#digits .digits__digit', (els) => els.map((e) => e.textContent)), ['4', '8', '2', '1']);
      const digitSize = await page.$eval('#digits', (el) => parseFloat(getComputedStyle(el).fontSize));
      assert.ok(digitSize >= 96, `digits are ${digitSize}px`);
      assert.ok(await page.$('img#camera-preview'), 'camera preview slot');
      // no camera frame yet: the digits wait for the first (not recording), then, none coming, mean
      // recording (a kiosk without the preview)
      assert.equal(await page.$('.recording__dot'), null, 'not recording before the first frame');
      await page.waitForSelector('.recording__dot', { timeout: 5000 });
      await check('liveness');

      // The lead-in: the live picture with a green face box, the digits spoken, not recording.
      const leadIn = await startCamera({ step: 'liveness', phase: 'leadIn', remainingMs: 9000 });
      await page.waitForSelector('[data-phase="leadIn"] #lead-in');
      assert.equal(await page.$('.recording'), null, 'no recording indicator in the lead-in');
      assert.equal(await page.$('figure.camera.is-recording'), null, 'no recording frame in the lead-in');
      assert.equal(await page.textContent('#face-hint'), '很好，请保持不动');
      assert.match(await page.textContent('#lead-in-start'), /^\d 秒后开始录制$/);
      await checkFaceBox('lead-in', leadIn, 'ok');
      const rate = await page.evaluate(previewRate);
      assert.ok(rate.fps >= 8 && rate.fps <= 20, `preview received ${rate.fps} frames a second (sent 15)`);
      assert.ok(rate.shown >= 8, `preview showed ${rate.shown} new frames in a second`);
      const burst = await page.evaluate(previewBurst, leadIn);
      assert.equal(burst.seq, '500029', 'the last frame of a burst is shown');
      assert.ok(burst.changes <= 5, `30 frames faster than the screen paints rendered ${burst.changes} times`);
      await startCamera({ step: 'liveness', phase: 'leadIn', remainingMs: 9000 });
      await check('liveness-lead-in');
      const digitsSpoken = () => requests.filter((path) => /\/prompts\/zh-CN\/digit-\d\.(ogg|wav)$/.test(path));
      await until(() => digitsSpoken().length >= 4, 'the four digits spoken in the lead-in');
      assert.deepEqual(digitsSpoken().map((path) => path.match(/digit-(\d)/)[1]), ['4', '8', '2', '1'], 'each digit spoken once, in order');

      // Recording: the indicator, the ring from remainingMs, the face box amber: the face moved to
      // the frame's right (x 0.575..0.775, its centre at 0.675), so on the mirrored screen at
      // 0.225..0.425 (still in the portrait box's crop, 0.219..0.781), its centre 0.325 left of the
      // fixture's centred oval (0.3357..0.6643): the candidate moves to their right. (The kiosk says
      // `outside` by its own rules' box, not sent: so with `[matcher.guide]` narrower than 0.35 of
      // the width; the oval it sends is the fixture's either way.)
      const recording = await startCamera({ step: 'liveness', phase: 'recording', remainingMs: 4000, inGuide: false, hint: 'outside' }, 0.175);
      const guide = recording.guide;
      await page.waitForSelector('[data-phase="recording"] .recording__dot');
      const spokenBefore = requests.length;
      assert.ok(await page.$('figure.camera.is-recording'), 'the preview shows it records');
      assert.ok(await page.$('.ring__bar--live'), 'the ring follows the frames');
      await page.waitForSelector('#face-hint[data-hint="yourRight"]');
      assert.equal(await page.textContent('#face-hint'), '请向右移动一点');
      await checkFaceBox('recording', recording, 'outside');
      const drawn = await page.evaluate(guideGeometry, [recording.width, recording.height, guide]);
      assert.equal(drawn.source, 'frame');
      for (let i = 0; i < 4; i++) {
        assert.ok(Math.abs(drawn.actual[i] - drawn.expected[i]) <= 2, `guide oval ${drawn.actual} where the guide is ${drawn.expected}`);
      }
      await check('liveness-recording');
      await page.waitForTimeout(600);
      assert.deepEqual(requests.slice(spokenBefore).filter((path) => path.includes('/prompts/')), [], 'nothing spoken while recording');

      const stale = await page.evaluate(previewStale);
      assert.ok(stale.ms >= 1300 && stale.ms <= 2600, `the picture went stale after ${Math.round(stale.ms)} ms (1.5 s without frames)`);
      assert.deepEqual([stale.src, stale.display, stale.box, stale.hint, stale.fps], ['', 'none', false, '', '0'], 'placeholder, no stale picture');

      await kiosk((v) => window.__kiosk.setView(v), await view('view-photo.json'));
      await page.waitForSelector('[data-screen="photo"] .camera__shoulders');
      // Framing: the "hold still" countdown over the live picture.
      const framing = await startCamera({ step: 'photo', phase: 'framing', remainingMs: 5000 });
      await page.waitForSelector('#photo-countdown');
      assert.match(await page.textContent('.camera__countdown-value'), /^[1-5]$/);
      assert.equal(await page.textContent('.camera__countdown-label'), '请保持不动');
      const countdownSize = await page.$eval('.camera__countdown-value', (el) => parseFloat(getComputedStyle(el).fontSize));
      assert.ok(countdownSize >= 72, `the countdown is ${countdownSize}px`);
      await checkFaceBox('photo', framing, 'ok');
      // the fixture's head-sized oval (y 0.2148..0.7852 of the frame) and the shoulders' line under
      // it as the design draws it under its 176×232 px head (240 px across, its top 7 px under the
      // oval), scaled with the oval: it starts above the last 5 % of the box, so it shows
      const photoGuide = await page.evaluate(guideGeometry, [framing.width, framing.height, framing.guide]);
      assert.equal(photoGuide.source, 'frame');
      for (let i = 0; i < 4; i++) {
        assert.ok(Math.abs(photoGuide.actual[i] - photoGuide.expected[i]) <= 2, `photo guide oval ${photoGuide.actual} where the guide is ${photoGuide.expected}`);
      }
      const shoulders = await page.evaluate(() => {
        const frame = document.querySelector('.camera__frame').getBoundingClientRect();
        const oval = document.querySelector('.camera__oval').getBoundingClientRect();
        const line = document.querySelector('.camera__shoulders')?.getBoundingClientRect();
        return line && { gap: line.top - oval.bottom, ovalHeight: oval.height, room: (frame.bottom - line.top) / frame.height, wider: line.width / oval.width };
      });
      assert.ok(shoulders, 'the shoulders under the fixture\'s oval');
      assert.ok(Math.abs(shoulders.gap - shoulders.ovalHeight * (7 / 232)) <= 2, `the shoulders ${shoulders.gap} px under the oval (${shoulders.ovalHeight} px high)`);
      assert.ok(shoulders.room > 0.05, `the shoulders' top ${shoulders.room} of the box above its bottom edge`);
      assert.ok(Math.abs(shoulders.wider - 240 / 176) < 0.05, `the shoulders ${shoulders.wider} times as wide as the oval`);
      assert.equal(await page.textContent('.camera__hint'), '头部对准椭圆框，肩膀对准横线');
      await check('photo');
      await kiosk(() => window.__kiosk.stopCamera());

      await kiosk((v) => window.__kiosk.finish('give_consent', v), await view('view-pledge.json'));
      await page.waitForSelector('[data-screen="pledge"] .declaration__item');
      assert.equal(await page.isDisabled('#accept-pledge'), true);
      await check('pledge');
      for (const item of await page.$$('.declaration__item')) await (await item.$('[data-value="false"]')).click();
      assert.equal(await page.isDisabled('#accept-pledge'), false);
      await page.click('#accept-pledge');
      const pledge = await kiosk(() => window.__kiosk.calls('accept_pledge'));
      assert.deepEqual(pledge[0].args.declaration, [
        { key: 'health.fever_14d', value: false },
        { key: 'health.contact_14d', value: false },
        { key: 'exam.special_needs', value: false },
      ]);

      await page.waitForSelector('#signature-pad');
      await check('signature');
      const pad = await page.$('#signature-pad');
      const box = await pad.boundingBox();
      const stroke = async (points) => {
        await page.mouse.move(box.x + points[0][0] * box.width, box.y + points[0][1] * box.height);
        await page.mouse.down();
        for (const [x, y] of points.slice(1)) await page.mouse.move(box.x + x * box.width, box.y + y * box.height, { steps: 4 });
        await page.mouse.up();
      };
      await stroke([[0.15, 0.6], [0.2, 0.3], [0.27, 0.65], [0.33, 0.35]]);
      await stroke([[0.42, 0.3], [0.45, 0.7], [0.5, 0.45], [0.58, 0.5]]);
      await stroke([[0.65, 0.35], [0.7, 0.65], [0.8, 0.4], [0.86, 0.62]]);
      await page.waitForFunction(() => window.__kiosk.calls('signature_stroke').length === 3);
      const strokes = await kiosk(() => window.__kiosk.calls('signature_stroke').map((c) => c.args.points));
      for (const points of strokes) {
        assert.ok(points.length >= 4, 'a stroke has its points');
        for (const p of points) {
          assert.ok(p.x >= 0 && p.x <= 1 && p.y >= 0 && p.y <= 1, `point in pad space: ${JSON.stringify(p)}`);
          assert.ok(p.pressure > 0 && p.pressure <= 1);
        }
      }
      assert.ok(Math.abs(strokes[0][0].x - 0.15) < 0.01 && Math.abs(strokes[0][0].y - 0.6) < 0.01, JSON.stringify(strokes[0][0]));
      assert.equal(strokes[0][0].t, 0);
      assert.ok(strokes[2][0].t > strokes[1].at(-1).t, 'one clock across strokes');
      await check('signature-drawn');

      await page.click('#signature-done');
      await page.waitForSelector('img#signature-preview');
      await check('signature-preview');

      await page.click('#accept-signature');
      await page.waitForSelector('#admission-number');
      await page.waitForFunction(() => document.querySelectorAll('.photo-pair img').length === 2);
      assert.deepEqual(await page.$$eval('#admission-number .admission__group', (els) => els.map((e) => e.textContent)), ['42', '01', '271', '00042']);
      await check('result');
      assert.ok(requests.includes('/prompts/zh-CN/consent.ogg'), 'the consent prompt was played');
      assert.ok(!requests.some((path) => /\/prompts\/zh-CN\/liveness\.ogg$/.test(path)), 'the digits step has no spoken instruction');
      assert.ok(requests.includes('/prompts/zh-CN/photo.ogg'), 'the photo prompt was played');

      await page.click('#finish');
      await page.waitForSelector('#start');
    });

    it('shows the staff, idle, ended and English states', async () => {
      await kiosk((v) => window.__kiosk.setView(v), await view('view-awaiting-staff.json'));
      await page.waitForSelector('#staff-reason');
      await check('awaiting-staff');

      await kiosk((v) => window.__kiosk.setView(v), await view('view-pledge.json', { idleWarningSecs: 20 }));
      await page.waitForSelector('[data-testid="idle-modal"]');
      await check('idle');
      await page.click('#idle-continue');
      await page.waitForFunction(() => window.__kiosk.calls('activity').length > 0);

      // six digits (the configured maximum) stay on one line
      await kiosk((v) => window.__kiosk.setView(v), await view('view-liveness.json', { attempt: 2, challenge: { digits: '729384', seconds: 5 } }));
      await page.click('#lang-toggle');
      await page.waitForSelector('h1:has-text("Read these digits aloud")');
      const rows = await page.$$eval('#digits .digits__digit', (els) => new Set(els.map((e) => Math.round(e.getBoundingClientRect().top))).size);
      assert.equal(rows, 1, 'six digits on one line');
      await check('liveness-6-digits-en');

      // The lead-in in English, two people in the picture (red); recording cuts the digits short.
      const spoken = () => requests.filter((path) => /\/prompts\/en\/digit-\d\.(ogg|wav)$/.test(path)).map((path) => path.match(/digit-(\d)/)[1]);
      await startCamera({ step: 'liveness', phase: 'leadIn', remainingMs: 9000, faces: 2, inGuide: false, hint: 'severalFaces' });
      await page.waitForSelector('[data-phase="leadIn"] #lead-in');
      await page.waitForSelector('#face-box.face-box--many');
      assert.equal(await page.textContent('#face-hint'), 'Only the candidate should be in view');
      assert.equal(await page.textContent('#lead-in'), 'Listen, then read the digits aloud when recording starts');
      await check('liveness-6-digits-en-lead-in');
      await until(() => spoken().length >= 1, 'the first digit spoken');
      await startCamera({ step: 'liveness', phase: 'recording', remainingMs: 5000 });
      await page.waitForSelector('[data-phase="recording"]');
      await page.waitForTimeout(150);
      const before = requests.length;
      await page.waitForTimeout(3500);
      assert.deepEqual(requests.slice(before).filter((path) => path.includes('/prompts/')), [], 'nothing spoken once recording started');
      assert.ok(spoken().length < 6 && !spoken().includes('4'), `recording stopped the digits: spoken ${spoken()}`);
      await kiosk(() => window.__kiosk.stopCamera());

      await kiosk((v) => window.__kiosk.setView(v), await view('view-idcard-failed.json'));
      await page.waitForSelector('#last-reason:has-text("The ID card could not be read")');
      await check('idcard-failed-en');

      await page.click('#lang-toggle');
      await kiosk((v) => window.__kiosk.setView(v), await view('view-ended.json'));
      await page.waitForSelector('#ended-reason');
      await check('ended');
      await page.click('#finish');
      await page.waitForSelector('#start');
    });

    it('reads the card with the camera: the offer after a failed chip read, the capture screen (not mirrored), the failure', async () => {
      await kiosk((v) => window.__kiosk.setView(v), await view('view-idcard-failed.json'));
      await page.waitForSelector('#use-camera');
      assert.equal(await page.textContent('#use-camera'), '用摄像头识别身份证');
      await page.click('#use-camera');
      await page.waitForFunction(() => window.__kiosk.calls('read_card_with').length === 1);
      assert.deepEqual((await kiosk(() => window.__kiosk.calls('read_card_with')))[0].args, { device: 'camera' });

      // the kiosk announces the step with the camera, waits for the photo side, sends frames and hints
      await kiosk(async (v) => {
        await window.__kiosk.setView(v);
        await window.__kiosk.emit('kiosk://device-status', { device: 'card_camera', state: 'waiting', kind: null, message: null });
      }, await view('view-idcard-failed.json', { cardDevice: 'camera' }));
      await page.waitForSelector('[data-screen="card-camera"] [data-testid="card-capture"][data-live="true"][data-side="front"]');
      const front = await startCardCamera('front');
      await kiosk(() => window.__kiosk.emit('kiosk://card-capture', window.__FIXTURES__['event-card-capture.json']));
      await page.waitForSelector('#card-hint[data-hint="card.glare"]');
      assert.equal(await page.textContent('#card-hint'), '证件有反光，请稍微倾斜证件或避开灯光');
      assert.equal(await page.textContent('h1'), '请将身份证对准摄像头');
      assert.equal(await page.textContent('#card-side'), '人像面（有照片的一面）');
      await page.waitForFunction(() => document.querySelector('#camera-preview')?.naturalWidth === 640);
      await page.waitForSelector('svg.camera__guide[data-guide="frame"]');
      const drawn = await page.evaluate(cardGuideGeometry, [front.width, front.height, front.guide]);
      assert.equal(drawn.transform, 'none', 'the card is shown as the camera sees it, not mirrored');
      assert.equal(drawn.source, 'frame');
      assert.ok(drawn.rx > 0, 'the card frame has rounded corners');
      assert.equal(drawn.oval, false, 'no face oval');
      assert.equal(drawn.faceBox, false, 'no face box');
      for (let i = 0; i < 4; i++) {
        assert.ok(Math.abs(drawn.actual[i] - drawn.expected[i]) <= 2, `card frame ${drawn.actual} where the guide is ${drawn.expected}`);
      }
      await check('card-camera');

      // the photo side read; then the emblem side, the card still shows its photo side
      await kiosk(() => window.__kiosk.emit('kiosk://card-capture', { side: 'front', hint: 'read', message: 'the photo side is read' }));
      await page.waitForSelector('#card-hint[data-hint="read"]');
      await kiosk(() => window.__kiosk.emit('kiosk://device-status', { device: 'card_camera_back', state: 'waiting', kind: null, message: null }));
      await page.waitForSelector('[data-testid="card-capture"][data-side="back"]');
      await startCardCamera('front', { phase: 'cardBack' });
      await kiosk(() => window.__kiosk.emit('kiosk://card-capture', { side: 'back', hint: 'turn_over', message: 'turn the card over' }));
      await page.waitForSelector('#card-hint[data-hint="turn_over"]');
      assert.equal(await page.textContent('#card-hint'), '请翻面，出示国徽面');
      assert.equal(await page.textContent('#card-side'), '国徽面');
      await check('card-camera-turn-over');
      await startCardCamera('back');
      await kiosk(() => window.__kiosk.emit('kiosk://card-capture', { side: 'back', hint: 'card.too_small', message: 'bring the card closer' }));
      await page.waitForSelector('#card-hint[data-hint="card.too_small"]');
      await check('card-camera-back');

      // the camera gave up: the reason, the reader and try again
      await kiosk(() => window.__kiosk.stopCamera());
      const failed = await view('view-idcard-failed.json', {
        attempt: 3,
        cardDevice: 'camera',
        lastReason: {
          code: 'card.camera_unreadable',
          zh: '未能从摄像头识别身份证，请将证件对准取景框，保持平稳、避免反光，并按提示翻面。',
          en: 'The card could not be read by the camera; hold it inside the frame, steady and out of glare, and turn it over when asked.',
        },
      });
      await kiosk((v) => window.__kiosk.finish('read_card_with', v), failed);
      await page.waitForSelector('#use-reader');
      assert.equal(await page.getAttribute('[data-testid="card-capture"]', 'data-live'), 'false');
      await check('card-camera-failed');

      // try again with the camera, in English
      await page.click('#lang-toggle');
      await page.click('#retry');
      await page.waitForSelector('[data-testid="card-capture"][data-live="true"]');
      await startCardCamera('front');
      await kiosk(() => window.__kiosk.emit('kiosk://card-capture', { side: 'front', hint: 'card.blurred', message: 'the picture is blurred' }));
      await page.waitForSelector('#card-hint[data-hint="card.blurred"]');
      assert.equal(await page.textContent('h1'), 'Hold your ID card up to the camera');
      assert.equal(await page.textContent('#card-hint'), 'The picture is blurred: hold the card steady');
      await check('card-camera-en');
      await kiosk(() => window.__kiosk.stopCamera());
      await kiosk((v) => window.__kiosk.finish('retry', v), failed);
      await page.waitForSelector('#use-reader');
      await check('card-camera-failed-en');
      await page.click('#use-reader');
      await page.waitForFunction(() => window.__kiosk.calls('read_card_with').length === 2);
      assert.deepEqual((await kiosk(() => window.__kiosk.calls('read_card_with')))[1].args, { device: 'reader' });
      await kiosk((v) => window.__kiosk.finish('read_card_with', v), await view('view-idcard-failed.json', { attempt: 3, lastReason: null }));
      await page.waitForSelector('[data-screen="idcard"]');
      await page.click('#lang-toggle');
      await kiosk(() => window.__kiosk.setView(null));
    });

    it('staff console: long press, sign in, live step, review with scores, approve with a note', async () => {
      await kiosk((v) => window.__kiosk.setView(v), await view('view-awaiting-staff.json'));
      const emblem = await page.$('[data-testid="emblem"]');
      const box = await emblem.boundingBox();
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      await page.mouse.down();
      await page.waitForTimeout(3200);
      await page.mouse.up();
      await page.waitForSelector('#staff-operator');
      await check('staff-sign-in');

      // keyboard only: type, tab, type, Enter
      await page.focus('#staff-operator');
      await page.keyboard.type('demo-staff');
      await page.keyboard.press('Tab');
      await page.keyboard.type('2468');
      const focusRing = await page.$eval('#staff-secret', (el) => getComputedStyle(el).outlineStyle);
      assert.equal(focusRing, 'solid', 'visible focus ring');
      await page.keyboard.press('Enter');
      await page.waitForSelector('[data-testid="devices"]');
      await page.waitForFunction(() => document.querySelectorAll('.evidence img').length === 2);
      await kiosk(() => window.__kiosk.emit('kiosk://staff-alert', window.__FIXTURES__['event-staff-alert.json']));
      await page.waitForSelector('[data-testid="staff-alert"]');
      assert.equal(await page.$$eval('.score', (els) => els.length), 5);
      await check('staff-console');

      // the card against the registration: the name differs (icon and word), sex and birth date agree
      const identity = await page.evaluate(identityReport);
      assert.ok(identity, 'the review shows the identity section');
      assert.deepEqual(
        identity.rows.map(({ field, differs, marker, icon, cells }) => ({ field, differs, marker, icon, cells })),
        [
          { field: 'name', differs: 'true', marker: '不一致', icon: true, cells: ['张伟', '张玮'] },
          { field: 'sex', differs: 'false', marker: null, icon: false, cells: ['男', '男'] },
          { field: 'birthDate', differs: 'false', marker: null, icon: false, cells: ['1998年3月14日', '1998年3月14日'] },
        ],
      );
      assert.equal(identity.rows[0].label, '不一致：身份证与报名信息不同');
      assert.notEqual(identity.rows[0].background, identity.rows[1].background, 'the differing row is tinted too');
      assert.deepEqual(identity.numbers, ['4201**********3416', '2027420100123']);
      assert.ok(identity.insidePanel && identity.tableFits && identity.markerFits, JSON.stringify(identity));
      assert.deepEqual(identity.clipped, [], 'no identity cell cuts its text');
      await page.$eval('[data-testid="identity"]', (el) => el.scrollIntoView({ block: 'center' }));
      await check('staff-review-identity');

      await page.click('#review-decision-submit');
      await page.waitForSelector('#review-decision-note[aria-invalid="true"]');
      await page.fill('#review-decision-note', 'Compared the card photo and the candidate in person.');
      await page.click('#review-decision-submit');
      await page.waitForFunction(() => window.__kiosk.calls('staff_command').length === 1);
      const [approve] = await kiosk(() => window.__kiosk.calls('staff_command'));
      assert.deepEqual(approve.args, {
        token: 'stf_3q9Zt0cV8r2LwYbXk1mN4pQe',
        command: { kind: 'approve', reason: 'match.face_uncertain', note: 'Compared the card photo and the candidate in person.', secondToken: null },
      });

      await page.click('#staff-approve');
      await page.waitForSelector('[role="dialog"] #live-decision-note');
      await check('staff-approve-dialog');
      await page.keyboard.press('Escape');

      // in English, a card with no registration found: said in the registration column, nothing marked
      await kiosk((r) => window.__kiosk.setReview(r), {
        ...(await page.evaluate(() => window.__FIXTURES__['review.json'])),
        identity: { card: { name: '张伟', sex: 'unspecified', birthDate: '1998-03-14' }, registration: null, idNumber: '4201**********3416', registrationId: null },
      });
      await page.click('#lang-toggle');
      await page.click('#review-refresh');
      await page.waitForSelector('[data-testid="no-registration"]');
      const missing = await page.evaluate(identityReport);
      assert.deepEqual(
        missing.rows.map(({ field, differs, marker, cells }) => ({ field, differs, marker, cells })),
        [
          { field: 'name', differs: 'false', marker: null, cells: ['张伟', 'No registration found'] },
          { field: 'sex', differs: 'false', marker: null, cells: ['Not stated'] },
          { field: 'birthDate', differs: 'false', marker: null, cells: ['14 Mar 1998'] },
        ],
      );
      assert.deepEqual(missing.numbers, ['4201**********3416', 'None']);
      assert.ok(missing.insidePanel && missing.tableFits, JSON.stringify(missing));
      assert.deepEqual(missing.clipped, [], 'no identity cell cuts its text');
      await page.$eval('[data-testid="identity"]', (el) => el.scrollIntoView({ block: 'center' }));
      await check('staff-review-no-registration-en');

      // the differing name in English too
      await kiosk(() => window.__kiosk.setReview(null));
      await page.click('#review-refresh');
      await page.waitForSelector('[data-testid="identity"] [data-testid="differs"]');
      const english = await page.evaluate(identityReport);
      assert.equal(english.rows[0].marker, 'Differs');
      assert.equal(english.rows[0].label, 'Differs: the ID card and the registration do not match');
      assert.deepEqual(english.rows[2].cells, ['14 Mar 1998', '14 Mar 1998']);
      assert.deepEqual(english.clipped, []);
      await check('staff-review-identity-en');
      await page.click('#lang-toggle');

      // the desk's sync worker: the last push failed; "sync now", the live progress, a retry, the end
      await page.$eval('[data-testid="sync"]', (el) => el.scrollIntoView({ block: 'center' }));
      assert.equal(await page.textContent('[data-testid="sync-hub"]'), 'https://hub.example.cn:8443');
      assert.equal(await page.getAttribute('[data-testid="sync-last"]', 'data-ok'), 'false');
      assert.equal(await page.isDisabled('#sync-export'), true, 'export is an admin task: the operator cannot');
      assert.equal(await page.textContent('[data-why="adminOnly"]'), '导出数据包：仅限站点管理员。');
      await check('staff-sync-failed');
      await page.focus('#sync-now');
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => window.__kiosk.calls('sync_now').length === 1);
      assert.deepEqual((await kiosk(() => window.__kiosk.calls('sync_now')))[0].args, { token: 'stf_3q9Zt0cV8r2LwYbXk1mN4pQe' });
      await page.waitForSelector('#sync-now:disabled');
      await kiosk(() => window.__kiosk.emit('kiosk://sync-progress', window.__FIXTURES__['event-sync-progress.json']));
      await page.waitForSelector('[data-testid="sync-progress"][data-stage="acked"]');
      assert.equal((await page.textContent('[data-testid="sync-progress"]')).trim(), '正在上传… 40 / 120');
      await check('staff-sync-progress');
      await kiosk(() =>
        window.__kiosk.emit('kiosk://sync-progress', {
          ...window.__FIXTURES__['event-sync-progress.json'],
          stage: 'retrying',
          message: 'attempt 2: the hub at https://hub.example.cn:8443/v1/batches answered 503 Service Unavailable; waiting before the next attempt',
        }),
      );
      await page.waitForSelector('[data-testid="sync-progress"][data-stage="retrying"]');
      await check('staff-sync-retrying');
      const refreshes = (await kiosk(() => window.__kiosk.calls('desk_status'))).length;
      const pushed = await page.evaluate(() => {
        const status = JSON.parse(JSON.stringify(window.__FIXTURES__['desk-status.json']));
        status.sync.unacked = 0;
        status.sync.lastPushAt = 1796000200000;
        status.sync.worker.last = { job: 'push', ok: true, done: 120, at: 1796000200000, message: null, file: null };
        return status;
      });
      await kiosk((d) => window.__kiosk.setDesk(d), pushed);
      await kiosk(() => window.__kiosk.emit('kiosk://sync-progress', { ...window.__FIXTURES__['event-sync-progress.json'], stage: 'finished', done: 120 }));
      await page.waitForSelector('[data-testid="sync-last"][data-ok="true"]');
      assert.ok((await kiosk(() => window.__kiosk.calls('desk_status'))).length > refreshes, 'the end of the run refreshes the desk status at once');
      assert.equal(await page.textContent('[data-testid="unacked"]'), '0');
      assert.equal(await page.$('[data-testid="sync-progress"]'), null);
      assert.equal(await page.isDisabled('#sync-now'), false);
      await check('staff-sync-done');

      // today's list under the counts: fetched with the desk status (and again after the run)
      assert.ok((await kiosk(() => window.__kiosk.calls('today_list'))).length >= 2, 'today_list is fetched with desk_status');
      assert.deepEqual((await kiosk(() => window.__kiosk.calls('today_list')))[0].args, { token: 'stf_3q9Zt0cV8r2LwYbXk1mN4pQe' });
      await page.$eval('[data-testid="today-list"]', (el) => el.scrollIntoView({ block: 'center' }));
      const todayRows = await page.$$eval('[data-testid="today-row"]', (rows) =>
        rows.map((row) => [...row.children].map((cell) => cell.textContent.replace(/\s+/g, ' ').trim())),
      );
      assert.equal(todayRows.length, 3);
      assert.deepEqual(todayRows.map((cells) => cells[1]), ['进行中', '已结束 staff.rejected', '已确认 42 01 271 00001']);
      assert.deepEqual(todayRows[2].slice(2), ['271420100001', '已上传']);
      const todayFits = await page.$eval('[data-testid="today-list"]', (table) => {
        const panel = table.closest('.panel').getBoundingClientRect();
        const box = table.getBoundingClientRect();
        const clipped = [...table.querySelectorAll('th, td')].filter((cell) => cell.scrollWidth > cell.clientWidth + 1).length;
        const small = [...table.querySelectorAll('tbody td, tbody th')].filter((cell) => parseFloat(getComputedStyle(cell).fontSize) < 15).length;
        return { inside: box.left >= panel.left - 0.5 && box.right <= panel.right + 0.5, clipped, small };
      });
      assert.deepEqual(todayFits, { inside: true, clipped: 0, small: 0 }, 'the list fits its panel, nothing cut, legible');
      await check('staff-today');

      // an offline desk (no hub) whose last export failed, in English
      const offline = await page.evaluate(() => {
        const status = JSON.parse(JSON.stringify(window.__FIXTURES__['desk-status.json']));
        status.sync.worker = {
          hub: null,
          canExport: true,
          running: null,
          last: { job: 'export', ok: false, done: 0, at: 1796000300000, message: 'cannot write /media/usb/desk-01-1796000300000.zkbundle: No space left on device (os error 28)', file: null },
          intervalSecs: null,
        };
        return status;
      });
      await kiosk((d) => window.__kiosk.setDesk(d), offline);
      await page.click('#lang-toggle');
      await page.waitForSelector('[data-testid="sync-no-hub"]', { timeout: 8000 });
      assert.equal(await page.textContent('[data-testid="sync-no-hub"]'), 'No hub configured (offline desk) — export a bundle file');
      assert.equal(await page.isDisabled('#sync-now'), true);
      await page.$eval('[data-testid="sync"]', (el) => el.scrollIntoView({ block: 'center' }));
      await check('staff-sync-offline-en');
      await page.click('#lang-toggle');
      await kiosk(() => window.__kiosk.setDesk(null));

      // a card read by the camera waits for review: both sides, every field as read, the doubtful one marked
      // (the desk's next refresh turns "sync now" back on first: its colour change is not measured mid-way)
      await page.waitForSelector('#sync-now:not([disabled])', { timeout: 8000 });
      await page.waitForTimeout(300);
      await page.evaluate(installCardArt);
      const sides = await page.evaluate(() => ({ front: window.__cardImage('front'), back: window.__cardImage('back') }));
      const ocrReview = await page.evaluate(() => JSON.parse(JSON.stringify(window.__FIXTURES__['review-ocr.json'])));
      ocrReview.ocr.frontImage = sides.front;
      ocrReview.ocr.backImage = sides.back;
      await kiosk((r) => window.__kiosk.setReview(r), ocrReview);
      await kiosk((v) => window.__kiosk.setView(v), await view('view-awaiting-staff.json', { step: 'idCard', attempt: 1, staffReason: ocrReview.reason }));
      await page.waitForSelector('[data-testid="ocr"]');
      await page.waitForFunction(() => [...document.querySelectorAll('.ocr__img')].every((img) => img.naturalWidth === 856));
      const ocr = await page.evaluate(() => {
        const section = document.querySelector('[data-testid="ocr"]');
        const panel = section.closest('.panel').getBoundingClientRect();
        const box = section.getBoundingClientRect();
        const [front, back] = [...section.querySelectorAll('.ocr__img')].map((img) => img.getBoundingClientRect());
        const table = section.querySelector('table').getBoundingClientRect();
        return {
          rows: [...section.querySelectorAll('tbody tr')].map((tr) => [tr.dataset.field, tr.dataset.problem ?? null]),
          marks: [...section.querySelectorAll('[data-testid="ocr-problem"]')].map((m) => m.textContent),
          mono: getComputedStyle(section.querySelector('tr[data-field="id_number"] td')).fontFamily,
          sideBySide: Math.abs(front.top - back.top) < 1 && front.right <= back.left,
          besideTable: back.right <= table.left || front.bottom <= table.top,
          inside: box.left >= panel.left - 0.5 && box.right <= panel.right + 0.5,
          clipped: [...section.querySelectorAll('th, td')].filter((cell) => cell.scrollWidth > cell.clientWidth + 1).map((cell) => cell.innerText.trim()),
        };
      });
      assert.deepEqual(ocr.rows.map(([field]) => field), ['name', 'sex', 'ethnicity', 'birth_date', 'address', 'id_number', 'authority', 'validity']);
      assert.deepEqual(ocr.rows.filter(([, problem]) => problem), [['address', 'low_confidence']]);
      assert.deepEqual(ocr.marks, ['识别置信度低：请重点核对']);
      assert.match(ocr.mono, /mono/i, 'the number in a monospace font');
      assert.ok(ocr.sideBySide, 'the two sides side by side');
      assert.ok(ocr.besideTable, 'the images beside (or above) the table');
      assert.ok(ocr.inside, 'the section fits its panel');
      assert.deepEqual(ocr.clipped, [], 'no OCR cell cuts its text');
      assert.equal(await page.textContent('[data-testid="ocr-instruction"]'), '请对照证件原件逐项核对，确认无误后通过');
      await page.$eval('[data-testid="ocr"]', (el) => el.scrollIntoView({ block: 'start' }));
      await check('staff-review-ocr');
      await page.click('#lang-toggle');
      await page.waitForSelector('[data-testid="ocr-instruction"]:has-text("Check every field")');
      const clippedEn = await page.$$eval('[data-testid="ocr"] th, [data-testid="ocr"] td', (cells) =>
        cells.filter((cell) => cell.scrollWidth > cell.clientWidth + 1).map((cell) => cell.innerText.trim()),
      );
      assert.deepEqual(clippedEn, [], 'no OCR cell cuts its text in English');
      await page.$eval('[data-testid="ocr"]', (el) => el.scrollIntoView({ block: 'start' }));
      await check('staff-review-ocr-en');
      await page.click('#lang-toggle');
      await page.click('#ocr-image-front');
      await page.waitForSelector('[role="dialog"] img.ocr__zoomed');
      await check('staff-review-ocr-zoom');
      await page.keyboard.press('Escape');
      await kiosk(() => window.__kiosk.setReview(null));

      // at the card step staff may import an image of each side; a file that cannot be read says why
      await kiosk((v) => window.__kiosk.setView(v), await view('view-idcard-failed.json'));
      await page.waitForSelector('[data-testid="card-images"]');
      const jpeg = (url) => Buffer.from(url.slice(url.indexOf(',') + 1), 'base64');
      await page.setInputFiles('#card-image-front', { name: 'front.jpg', mimeType: 'image/jpeg', buffer: jpeg(sides.front) });
      await page.setInputFiles('#card-image-back', { name: 'back.jpg', mimeType: 'image/jpeg', buffer: jpeg(sides.back) });
      await kiosk(() => window.__kiosk.failNext('card_from_images', { code: 'card.image', message: 'the back image: no card found in it', retryable: true }));
      await page.click('#card-images-submit');
      await page.waitForSelector('[data-testid="card-images-error"]');
      assert.equal(await page.textContent('[data-testid="card-images-error"]'), '证件图片无法识别：the back image: no card found in it');
      const [sent] = await kiosk(() => window.__kiosk.calls('card_from_images'));
      assert.equal(sent.args.token, 'stf_3q9Zt0cV8r2LwYbXk1mN4pQe');
      assert.deepEqual(sent.args.front, [...jpeg(sides.front)], 'the front file\'s bytes');
      assert.deepEqual(sent.args.back, [...jpeg(sides.back)], 'the back file\'s bytes');
      await page.$eval('[data-testid="card-images"]', (el) => el.scrollIntoView({ block: 'center' }));
      await check('staff-card-images-error');
      await page.click('#card-images-submit');
      await page.waitForSelector('[data-testid="card-images-done"]');
      await check('staff-card-images-done');

      await page.click('#back-to-kiosk');
      await page.waitForSelector('[data-route="candidate"]');
      assert.equal((await kiosk(() => window.__kiosk.calls('staff_sign_out'))).length, 1, 'leaving the console signs out');
    });

    after(() => {
      process.stdout.write(`# ${orientation.name}: ${shots.length} screenshots\n${shots.map((s) => `#   ${s}`).join('\n')}\n`);
    });
  });
}
