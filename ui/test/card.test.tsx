// The ID card read by the camera: the offer after a failed chip read (only where the desk can),
// the capture screen (which side, the hint of `kiosk://card-capture`, the preview NOT mirrored with
// the card-shaped frame), the way back to the reader; and for staff the review of what the camera
// read (both sides, every field, the marks) and the import of two card images.

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { emit } from '@tauri-apps/api/event';
import { act } from 'preact/test-utils';
import { useState } from 'preact/hooks';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EVENTS } from '../src/api';
import { App } from '../src/app';
import { CandidateScreen } from '../src/candidate/CandidateApp';
import { captureKey, cardHintTone, sideOfFrame, sideOfStatus } from '../src/candidate/cardCapture';
import { cardGuideShape, CARD_ASPECT } from '../src/candidate/cameraFeed';
import { cardImageError, fileBytes } from '../src/staff/CardImages';
import { confidencePercent, OcrSection } from '../src/staff/Ocr';
import { ReviewPanel } from '../src/staff/Panels';
import { StaffApp } from '../src/staff/StaffApp';
import { CommandError } from '../src/api';
import { makeI18n } from '../src/i18n';
import type { AppInfo, CameraFrame, CardCaptureEvent, DeviceStatusEvent, Documents, Locale, Review, Staff, View } from '../src/types';
import { $, $$, clearMocks, click, fakeActions, fixture, flush, mockCommands, mount, text, UI_ROOT, unmount, waitFor } from './helpers';

const view = (name: string, patch: Partial<View> = {}): View => ({ ...fixture<View>(name), ...patch });
/** The card step with the camera, before any result (attempt 1, nothing failed). */
const cameraView = (patch: Partial<View> = {}) => view('view-idcard-failed.json', { attempt: 1, lastReason: null, cardDevice: 'camera', ...patch });
const cameraFailed = (patch: Partial<View> = {}) =>
  view('view-idcard-failed.json', {
    attempt: 3,
    cardDevice: 'camera',
    lastReason: {
      code: 'card.camera_unreadable',
      zh: '未能从摄像头识别身份证，请将证件对准取景框，保持平稳、避免反光，并按提示翻面。',
      en: 'The card could not be read by the camera; hold it inside the frame, steady and out of glare, and turn it over when asked.',
    },
    ...patch,
  });
const capture = (patch: Partial<CardCaptureEvent> = {}): CardCaptureEvent => ({ ...fixture<CardCaptureEvent>('event-card-capture.json'), ...patch });
const waiting = (device: 'card_camera' | 'card_camera_back'): DeviceStatusEvent => ({ device, state: 'waiting', kind: null, message: null });
/** A card frame: the fixture's picture, no face, the card-shaped frame on the left of the frame. */
const cardFrame = (patch: Partial<CameraFrame> = {}): CameraFrame => ({
  ...fixture<CameraFrame>('event-camera-frame.json'),
  step: 'card',
  phase: 'cardFront',
  remainingMs: 28000,
  faces: 0,
  face: null,
  inGuide: null,
  hint: 'noFace',
  guide: { x: 0.1, y: 0.2, width: 0.5, height: 0.4 },
  ...patch,
});
const info = fixture<AppInfo>('app-info.json');
const docs = fixture<Documents>('documents.json');

function screen(v: View, options: { locale?: Locale; cameraReadsCards?: boolean } = {}) {
  const actions = fakeActions();
  const root = mount(
    <CandidateScreen view={v} docs={docs} devices={{}} actions={actions} busy={new Set()} cameraReadsCards={options.cameraReadsCards ?? true} />,
    options.locale ?? 'zh-CN',
  );
  return { root, actions, names: () => actions.calls.map((c) => c.name) };
}

async function send(event: string, payload: unknown) {
  await act(async () => {
    await emit(event, payload);
  });
  await flush(2);
}

beforeEach(() => {
  mockCommands({});
});

afterEach(() => {
  unmount();
  clearMocks();
  vi.useRealTimers();
});

describe('the contract fixtures', () => {
  it('every view has the card device, the desk says whether its camera reads cards', () => {
    for (const name of ['consent', 'idcard-failed', 'liveness', 'photo', 'pledge', 'signature-preview', 'awaiting-staff', 'confirmed', 'ended']) {
      expect(fixture<View>(`view-${name}.json`).cardDevice, name).toBe('reader');
    }
    expect(info.cameraReadsCards).toBe(true);
    expect(fixture<Review>('review.json').ocr).toBeNull();
  });

  it('event-card-capture.json and review-ocr.json have the shapes of docs/ipc.md', () => {
    expect(fixture('event-card-capture.json')).toEqual({
      side: 'front',
      hint: 'card.glare',
      message: 'a reflection covers the text: tilt the card slightly or move it out of the light',
    });
    const review = fixture<Review>('review-ocr.json');
    expect(review.step).toBe('idCard');
    expect(review.reason?.code).toBe('card.read_by_camera');
    expect(Object.keys(review).sort()).toEqual(['attempt', 'identity', 'images', 'ocr', 'reason', 'reasons', 'scores', 'step']);
    const ocr = review.ocr!;
    expect(Object.keys(ocr).sort()).toEqual(['backImage', 'fields', 'frontImage']);
    expect(ocr.fields.map((f) => [f.field, f.side])).toEqual([
      ['name', 'front'],
      ['sex', 'front'],
      ['ethnicity', 'front'],
      ['birth_date', 'front'],
      ['address', 'front'],
      ['id_number', 'front'],
      ['authority', 'back'],
      ['validity', 'back'],
    ]);
    for (const field of ocr.fields) {
      expect(Object.keys(field).sort()).toEqual(['confidence', 'field', 'problem', 'side', 'text']);
      expect(field.confidence >= 0 && field.confidence <= 1).toBe(true);
      // Rust keeps the confidence as an f32: only values an f32 holds exactly come back the same
      expect(Math.fround(field.confidence)).toBe(field.confidence);
    }
    expect(ocr.fields.filter((f) => f.problem !== null).map((f) => [f.field, f.problem])).toEqual([['address', 'low_confidence']]);
    for (const url of [ocr.frontImage, ocr.backImage]) {
      expect(url).toMatch(/^data:image\/jpeg;base64,/);
      expect(atob(url.slice('data:image/jpeg;base64,'.length)).slice(0, 3)).toBe('\xff\xd8\xff');
    }
  });
});

describe('the camera after a failed chip read', () => {
  it('is offered only where the desk can read cards with the camera', () => {
    const without = screen(view('view-idcard-failed.json'), { cameraReadsCards: false });
    expect(without.root.querySelector('#use-camera')).toBeNull();
    expect(without.root.querySelector('#retry')).not.toBeNull();

    const { root, names } = screen(view('view-idcard-failed.json'));
    expect($('#use-camera', root).textContent).toBe('用摄像头识别身份证');
    click('#use-camera');
    expect(names()).toEqual(['readCardByCamera']);
  });

  it('is not offered while the reader still waits for the card', () => {
    const { root } = screen(view('view-idcard-failed.json', { lastReason: null, attempt: 1 }));
    expect(root.querySelector('#use-camera')).toBeNull();
  });

  it('reads in English too', () => {
    const { root } = screen(view('view-idcard-failed.json'), { locale: 'en' });
    expect($('#use-camera', root).textContent).toBe('Read the card with the camera');
  });

  it('the kiosk: read_card_with camera, the capture screen from the events, a failure, back to the reader', async () => {
    const read = { resolve: (_: View) => undefined as void };
    const calls = mockCommands({
      app_info: () => info,
      documents: () => docs,
      current_view: () => view('view-idcard-failed.json'),
      read_card_with: (args) =>
        args?.device === 'camera' ? new Promise<View>((resolve) => (read.resolve = resolve)) : view('view-idcard-failed.json', { lastReason: null, attempt: 3 }),
      activity: () => view('view-idcard-failed.json'),
    });
    const root = mount(<App />);
    await waitFor(() => root.querySelector('#use-camera') !== null, 'the camera offer');
    click('#use-camera');
    await flush();
    expect(calls.filter((c) => c.cmd === 'read_card_with').map((c) => c.args)).toEqual([{ device: 'camera' }]);
    expect($('#use-camera', root).getAttribute('aria-busy')).toBe('true');

    // the kiosk announces the step with the camera, then waits for the photo side
    await send(EVENTS.stepChanged, view('view-idcard-failed.json', { cardDevice: 'camera' }));
    await waitFor(() => root.querySelector('[data-screen="card-camera"]') !== null, 'the capture screen');
    await send(EVENTS.deviceStatus, waiting('card_camera'));
    expect($('h1', root).textContent).toBe('请将身份证对准摄像头');
    expect($('#card-side', root).textContent).toBe('人像面（有照片的一面）');
    expect($('[data-testid="card-capture"]', root).dataset.side).toBe('front');
    expect($('#card-hint', root).textContent).toBe('请将身份证人像面放入取景框内');
    // the failure of the chip read no longer shows while the camera reads
    expect(root.querySelector('#last-reason')).toBeNull();
    expect(root.querySelector('#retry')).toBeNull();

    await send(EVENTS.cardCapture, capture());
    expect($('#card-hint', root).textContent).toBe('证件有反光，请稍微倾斜证件或避开灯光');
    expect($('#card-hint', root).dataset.hint).toBe('card.glare');
    await send(EVENTS.cardCapture, capture({ hint: 'read', message: 'photo side read' }));
    expect($('#card-hint', root).textContent).toBe('人像面已识别，请翻面出示国徽面');
    await send(EVENTS.deviceStatus, waiting('card_camera_back'));
    expect($('#card-side', root).textContent).toBe('国徽面');
    await send(EVENTS.cardCapture, capture({ side: 'back', hint: 'turn_over', message: 'turn the card over' }));
    expect($('#card-hint', root).textContent).toBe('请翻面，出示国徽面');

    // the camera gave up: a new attempt with its reason, "try again" and the way back to the reader
    read.resolve(cameraFailed());
    await waitFor(() => root.querySelector('#last-reason') !== null, 'the failure');
    expect($('#last-reason', root).dataset.reason).toBe('card.camera_unreadable');
    expect(text($('#last-reason', root))).toContain('证件识别未成功');
    expect(root.querySelector('#card-hint')?.textContent ?? '').toBe('');
    expect($('#use-reader', root).textContent).toBe('改用读卡器');
    expect(root.querySelector('#use-camera')).toBeNull();
    click('#use-reader');
    await waitFor(() => root.querySelector('[data-screen="idcard"]') !== null, 'the reader screen');
    expect(calls.filter((c) => c.cmd === 'read_card_with').map((c) => c.args)).toEqual([{ device: 'camera' }, { device: 'reader' }]);
  });
});

describe('the capture screen', () => {
  it('before the first sign of the camera: the card step with the camera starts, the photo side first', () => {
    const { root } = screen(cameraView());
    expect($('[data-screen="card-camera"] h1', root).textContent).toBe('请将身份证对准摄像头');
    expect($('#card-side', root).textContent).toBe('人像面（有照片的一面）');
    expect(text(root)).toContain('正在打开摄像头');
    expect($('.card-side', root).dataset.side).toBe('front');
    expect(root.querySelector('#retry')).toBeNull();
  });

  it('says each hint for the side it is about, in both languages', async () => {
    const cases: [Partial<CardCaptureEvent>, string, string][] = [
      [{ side: 'front', hint: 'no_card' }, '请将身份证人像面放入取景框内', 'Put the photo side of your card inside the frame'],
      [{ side: 'front', hint: 'card.too_small' }, '请将证件靠近摄像头，使其充满取景框', 'Bring the card closer so that it fills the frame'],
      [{ side: 'front', hint: 'card.blurred' }, '画面模糊，请保持证件稳定', 'The picture is blurred: hold the card steady'],
      [{ side: 'front', hint: 'card.glare' }, '证件有反光，请稍微倾斜证件或避开灯光', 'There is a reflection on the card: tilt it slightly or move it out of the light'],
      [{ side: 'front', hint: 'turn_over' }, '请出示带照片的一面', 'Show the side with your photo'],
      [{ side: 'front', hint: 'read' }, '人像面已识别，请翻面出示国徽面', 'Photo side read: now turn the card over to the emblem side'],
      [{ side: 'back', hint: 'turn_over' }, '请翻面，出示国徽面', 'Turn the card over to show the emblem side'],
      [{ side: 'back', hint: 'card.glare' }, '证件有反光，请稍微倾斜证件或避开灯光', 'There is a reflection on the card: tilt it slightly or move it out of the light'],
      [{ side: 'back', hint: 'read' }, '已识别，请稍候', 'Read: please wait'],
    ];
    for (const locale of ['zh-CN', 'en'] as const) {
      const { root } = screen(cameraView(), { locale });
      for (const [patch, zh, en] of cases) {
        await send(EVENTS.cardCapture, capture(patch));
        const hint = $('#card-hint', root);
        expect(hint.textContent, `${patch.side} ${patch.hint}`).toBe(locale === 'zh-CN' ? zh : en);
        expect(hint.classList.contains(`camera__status--${cardHintTone(patch.hint!)}`)).toBe(true);
        expect($('[data-testid="card-capture"]', root).dataset.side).toBe(patch.side);
      }
      unmount();
    }
  });

  it('turn_over on the back: the emblem side is wanted', async () => {
    const { root } = screen(cameraView(), { locale: 'en' });
    await send(EVENTS.cardCapture, capture({ side: 'back', hint: 'turn_over', message: 'turn it over' }));
    expect($('#card-hint', root).textContent).toBe('Turn the card over to show the emblem side');
    expect($('#card-side', root).textContent).toBe('the emblem side');
    expect($('h1', root).textContent).toBe('Hold your ID card up to the camera');
    expect($('.card-side', root).dataset.side).toBe('back');
  });

  it('an unknown hint shows the kiosk\'s own words', async () => {
    const { root } = screen(cameraView());
    await send(EVENTS.cardCapture, { side: 'front', hint: 'card.upside_down', message: 'turn the card the right way up' });
    expect($('#card-hint', root).textContent).toBe('turn the card the right way up');
  });

  it('the preview is not mirrored: the card-shaped frame is a rounded rectangle where the kiosk puts it, no face oval, no face hint', async () => {
    const { root } = screen(cameraView());
    const figure = $('figure.camera', root);
    expect(figure.classList.contains('camera--card')).toBe(true);
    expect(figure.dataset.mirrored).toBe('false');
    expect(root.querySelector('.camera__oval')).toBeNull();
    expect(root.querySelector('ellipse')).toBeNull();
    // before any frame: a card-shaped frame centred in a 4:3 box
    const guide = () => $('#card-guide', root);
    expect(guide().tagName.toLowerCase()).toBe('rect');
    expect($('svg.camera__guide', root).dataset.guide).toBe('default');
    const w = Number(guide().getAttribute('width'));
    const h = Number(guide().getAttribute('height'));
    expect(w / h).toBeCloseTo(CARD_ASPECT, 1);

    // a frame (32×24) with the card frame on its left: x 0.1..0.6 → 3.2..19.2 px, not 12.8..28.8
    await send(EVENTS.cameraFrame, cardFrame());
    await waitFor(() => figure.dataset.seq === '42', 'the frame shown');
    expect(($('#camera-preview', root) as HTMLImageElement).getAttribute('src')).toMatch(/^data:image\/jpeg;base64,/);
    expect($('svg.camera__guide', root).dataset.guide).toBe('frame');
    expect($('svg.camera__guide', root).getAttribute('viewBox')).toBe('0 0 32 24');
    expect(['x', 'y', 'width', 'height'].map((a) => Number(guide().getAttribute(a)))).toEqual([3.2, 4.8, 16, 9.6]);
    expect(Number(guide().getAttribute('rx'))).toBeGreaterThan(0);
    expect($('mask rect[fill="#000"]', root).getAttribute('x')).toBe('3.2');
    // the frame says noFace (it looks for a card): no face box, no face words
    expect(root.querySelector('#face-box')).toBeNull();
    expect(root.querySelector('#face-hint')).toBeNull();
    expect(text(root)).not.toContain('看不到您的脸');
    // the frame alone tells the side it looks for
    expect($('#card-hint', root).textContent).toBe('请将身份证人像面放入取景框内');
    await send(EVENTS.cameraFrame, cardFrame({ seq: 43, phase: 'cardBack' }));
    await waitFor(() => figure.dataset.seq === '43', 'the next frame');
    expect($('#card-side', root).textContent).toBe('国徽面');
  });

  it('the stylesheet shows the card\'s picture as it is (no mirror)', () => {
    const css = readFileSync(resolve(UI_ROOT, 'src/styles.css'), 'utf8');
    expect(css).toMatch(/\.camera--card \.camera__image \{\s*transform: none;/);
  });

  it('frames of the other camera steps are not card frames, and card frames do not reach them', async () => {
    const { root } = screen(view('view-liveness.json'));
    await send(EVENTS.cameraFrame, cardFrame({ seq: 77 }));
    await flush(3);
    expect($('figure.camera', root).dataset.seq).toBeUndefined();
  });

  it('after a failed camera read: the reason, try again (the camera) and the reader', () => {
    const { root, names } = screen(cameraFailed());
    expect($('#last-reason', root).dataset.reason).toBe('card.camera_unreadable');
    expect($('[data-testid="card-capture"]', root).dataset.live).toBe('false');
    click('#retry');
    click('#use-reader');
    expect(names()).toEqual(['retry', 'readCardByReader']);
  });

  it('signs of the camera for an earlier attempt do not hide a new failure', async () => {
    let setView!: (v: View) => void;
    function Harness() {
      const [v, set] = useState(cameraView());
      setView = set;
      return <CandidateScreen view={v} docs={docs} devices={{}} actions={fakeActions()} busy={new Set()} cameraReadsCards />;
    }
    const root = mount(<Harness />);
    await send(EVENTS.deviceStatus, waiting('card_camera'));
    await send(EVENTS.cardCapture, capture());
    expect($('[data-testid="card-capture"]', root).dataset.live).toBe('true');
    act(() => setView(cameraFailed({ attempt: 2 })));
    expect($('[data-testid="card-capture"]', root).dataset.live).toBe('false');
    expect(root.querySelector('#last-reason')).not.toBeNull();
    // a retry: the first sign of the camera shows the capture again, the photo side first
    await send(EVENTS.deviceStatus, waiting('card_camera'));
    expect($('[data-testid="card-capture"]', root).dataset.live).toBe('true');
    expect($('#card-hint', root).textContent).toBe('请将身份证人像面放入取景框内');
  });
});

describe('the end of a camera run', () => {
  it('a run that ended is over even when its result kept the attempt', async () => {
    type Busy = ReadonlySet<'retry'>;
    let set!: (next: { view: View; busy: Busy }) => void;
    function Harness() {
      const [state, setState] = useState<{ view: View; busy: Busy }>({ view: cameraFailed(), busy: new Set() });
      set = setState;
      return <CandidateScreen view={state.view} docs={docs} devices={{}} actions={fakeActions()} busy={state.busy} cameraReadsCards />;
    }
    const root = mount(<Harness />);
    expect($('[data-testid="card-capture"]', root).dataset.live).toBe('false');
    // "try again": the camera reads while the command runs
    act(() => set({ view: cameraFailed(), busy: new Set(['retry']) }));
    expect($('[data-testid="card-capture"]', root).dataset.live).toBe('true');
    await send(EVENTS.deviceStatus, waiting('card_camera'));
    await send(EVENTS.cardCapture, capture({ hint: 'card.blurred' }));
    expect($('#card-hint', root).dataset.hint).toBe('card.blurred');
    // it returns with the same attempt and reason: the failure shows, not the old hint
    act(() => set({ view: cameraFailed(), busy: new Set() }));
    expect($('[data-testid="card-capture"]', root).dataset.live).toBe('false');
    expect(root.querySelector('#last-reason')).not.toBeNull();
    expect($('#card-hint', root).textContent).toBe('');
  });
});

describe('the card capture helpers (pure)', () => {
  it('the side from a status or a frame, the tone of a hint, the key of an attempt', () => {
    expect(sideOfStatus('card_camera', 'waiting')).toBe('front');
    expect(sideOfStatus('card_camera_back', 'waiting')).toBe('back');
    expect(sideOfStatus('card_camera', 'problem')).toBeNull();
    expect(sideOfStatus('id_card_reader', 'waiting')).toBeNull();
    expect(sideOfFrame(cardFrame())).toBe('front');
    expect(sideOfFrame(cardFrame({ phase: 'cardBack' }))).toBe('back');
    expect(sideOfFrame(fixture<CameraFrame>('event-camera-frame.json'))).toBeNull();
    expect(sideOfFrame(null)).toBeNull();
    expect(cardHintTone('read')).toBe('ok');
    expect(cardHintTone('no_card')).toBe('none');
    for (const hint of ['card.too_small', 'card.blurred', 'card.glare', 'turn_over']) expect(cardHintTone(hint)).toBe('outside');
    expect(captureKey(cameraView())).toBe('1:');
    expect(captureKey(cameraFailed())).toBe('3:card.camera_unreadable');
  });

  it('places the card frame unmirrored, cover-cropped and inside the box', () => {
    const source = { guide: { x: 0.1, y: 0.2, width: 0.5, height: 0.4 }, width: 640, height: 480 };
    // the frame's own shape
    const same = cardGuideShape(source, { width: 640, height: 480 });
    expect([same.x, same.y, same.w, same.h]).toEqual([64, 96, 320, 192]);
    // a 4:3 frame covering a square box: 80 px cut off each side, so x 64..384 → -16..304, kept
    // 1 % inside the box on the left
    const square = cardGuideShape(source, { width: 480, height: 480 });
    expect([square.x, square.y, square.w, square.h]).toEqual([4.8, 96, 299.2, 192]);
    // the default: card-shaped, centred
    const fallback = cardGuideShape(null, { width: 800, height: 600 });
    expect(fallback.x + fallback.w / 2).toBeCloseTo(400, 1);
    expect(fallback.y + fallback.h / 2).toBeCloseTo(300, 1);
    expect(fallback.w / fallback.h).toBeCloseTo(CARD_ASPECT, 3);
    expect(fallback.rx).toBeGreaterThan(0);
  });
});

describe('the staff review of a card read by the camera', () => {
  const review = fixture<Review>('review-ocr.json');
  const panel = (r: Review, locale: Locale = 'zh-CN') => {
    mockCommands({ artefact_image: (args) => ({ mime: 'image/png', dataUrl: `data:image/png;base64,${btoa(String(args?.id))}` }) });
    return mount(<ReviewPanel review={r} loading={false} onRefresh={() => undefined} command={async () => undefined} view={null} />, locale);
  };
  const row = (root: HTMLElement, field: string) => $(`[data-testid="ocr"] tr[data-field="${field}"]`, root);

  it('both straightened sides side by side, every field as read with its confidence, the doubtful one marked', () => {
    const root = panel(review);
    const section = $('[data-testid="ocr"]', root);
    expect($('#ocr-title', root).textContent).toBe('拍照识别的证件信息');
    expect($('[data-testid="ocr-instruction"]', root).textContent).toBe('请对照证件原件逐项核对，确认无误后通过');
    const images = $$('.ocr__images figure', section);
    expect(images.map((f) => f.dataset.side)).toEqual(['front', 'back']);
    expect(($('[data-testid="ocr-image-front"]', root) as HTMLImageElement).getAttribute('src')).toBe(review.ocr!.frontImage);
    expect(($('[data-testid="ocr-image-back"]', root) as HTMLImageElement).getAttribute('src')).toBe(review.ocr!.backImage);
    expect(images.map((f) => $('figcaption', f).textContent)).toEqual(['人像面', '国徽面']);

    const rows = $$('tbody tr', section);
    expect(rows.map((tr) => tr.dataset.field)).toEqual(['name', 'sex', 'ethnicity', 'birth_date', 'address', 'id_number', 'authority', 'validity']);
    expect(rows.map((tr) => $('.ocr__label', tr).textContent)).toEqual(['姓名', '性别', '民族', '出生', '住址', '公民身份号码', '签发机关', '有效期限']);
    expect(rows.map((tr) => $('[data-testid="ocr-text"]', tr).textContent)).toEqual(review.ocr!.fields.map((f) => f.text));
    expect(rows.map((tr) => $('[data-testid="ocr-confidence"]', tr).textContent)).toEqual(['97%', '99%', '98%', '94%', '56%', '95%', '91%', '92%']);
    // digits and dates in a monospace font
    expect($('[data-testid="ocr-text"]', row(root, 'id_number')).classList.contains('mono')).toBe(true);
    expect($('[data-testid="ocr-text"]', row(root, 'validity')).classList.contains('mono')).toBe(true);
    expect($('[data-testid="ocr-text"]', row(root, 'name')).classList.contains('mono')).toBe(false);

    // the low-confidence field: a tinted row, an icon and the word, and more for a screen reader
    const address = row(root, 'address');
    expect(address.classList.contains('has-problem')).toBe(true);
    expect(address.dataset.problem).toBe('low_confidence');
    const mark = $('[data-testid="ocr-problem"]', address);
    expect(mark.querySelector('svg.icon')).not.toBeNull();
    expect(mark.textContent).toBe('识别置信度低：请重点核对');
    expect($$('[data-testid="ocr-problem"]', root)).toHaveLength(1);
    expect($('[data-testid="ocr-problems"]', root).textContent).toBe('1 项需要重点核对');
    for (const field of ['name', 'id_number', 'validity']) expect(row(root, field).classList.contains('has-problem')).toBe(false);

    // the rest of the review stays: the card against the registration, the reasons, approve/reject
    expect(root.querySelector('[data-testid="identity"]')).not.toBeNull();
    expect($$('[data-testid="review-reasons"] code', root).map((c) => c.textContent)).toEqual(['card.read_by_camera']);
    expect(root.querySelector('.scores')).toBeNull();
    expect($('#review-kind-approve', root)).toBeTruthy();
    expect($('#review-kind-reject', root)).toBeTruthy();
    expect($('#review-decision-submit', root)).toBeTruthy();
    // what the camera read comes first
    const order = $$('.panel--review > *', root).map((el) => el.className);
    expect(order.indexOf('ocr')).toBeLessThan(order.indexOf('evidence'));
  });

  it('explains every problem, in both languages', () => {
    const problems = {
      unreadable: ['未能识别', 'Unreadable'],
      bad_format: ['格式不符', 'Wrong format'],
      bad_number: ['号码校验未通过', 'Number fails its check digit'],
      differs_from_number: ['与号码不一致', 'Does not match the number'],
      low_confidence: ['识别置信度低', 'Low confidence'],
      implausible: ['有效期不合理', 'Implausible validity'],
    } as const;
    const fields = Object.keys(problems).map((problem, i) => ({ ...review.ocr!.fields[i]!, problem: problem as keyof typeof problems }));
    for (const [locale, index] of [['zh-CN', 0], ['en', 1]] as const) {
      const root = mount(<OcrSection ocr={{ ...review.ocr!, fields }} />, locale);
      expect($$('[data-testid="ocr-problem"]', root).map((m) => m.dataset.problem)).toEqual(Object.keys(problems));
      expect($$('[data-testid="ocr-problem"]', root).map((m) => m.firstChild!.nextSibling!.textContent)).toEqual(
        Object.values(problems).map((words) => words[index]),
      );
      unmount();
    }
  });

  it('English: the instruction and the labels', () => {
    const root = panel(review, 'en');
    expect($('[data-testid="ocr-instruction"]', root).textContent).toBe('Check every field against the card in hand; approve only if all match');
    expect($('.ocr__label', row(root, 'id_number')).textContent).toBe('ID card number');
    expect($('[data-testid="ocr-problem"]', root).textContent).toBe('Low confidence: check this field closely');
  });

  it('a side can be looked at larger', () => {
    const root = panel(review);
    click('#ocr-image-back');
    const dialog = $('[role="dialog"]', document);
    expect(($('img.ocr__zoomed', dialog) as HTMLImageElement).getAttribute('src')).toBe(review.ocr!.backImage);
    expect($('#ocr-zoom-title', dialog).textContent).toBe('国徽面');
    click($('.modal__actions button', dialog));
    expect(root.querySelector('[role="dialog"]')).toBeNull();
  });

  it('a review of a chip read has no OCR section', () => {
    const root = panel(fixture<Review>('review.json'));
    expect(root.querySelector('[data-testid="ocr"]')).toBeNull();
    expect($$('.score', root)).toHaveLength(5);
  });

  it('confidence as a whole percentage', () => {
    expect([0, 0.5625, 0.999, 1, 1.2, -1, Number.NaN].map(confidencePercent)).toEqual(['0%', '56%', '100%', '100%', '100%', '0%', '0%']);
  });
});

describe('staff import card images', () => {
  const staff = fixture<Staff>('staff.json');

  function signedInConsole(v: View, handlers: Parameters<typeof mockCommands>[0], cameraReadsCards = true) {
    const calls = mockCommands({
      desk_status: () => fixture('desk-status.json'),
      today_list: () => [],
      review: () => null,
      staff_sign_out: () => null,
      ...handlers,
    });
    const applied: (View | null)[] = [];
    function Harness() {
      const [signedIn, setSignedIn] = useState<Staff | null>(staff);
      return (
        <StaffApp
          view={v}
          alerts={[]}
          sync={null}
          applyView={(next) => applied.push(next)}
          dismissAlert={() => undefined}
          onToggleLocale={() => undefined}
          onBack={() => undefined}
          staff={signedIn}
          setStaff={setSignedIn}
          cameraReadsCards={cameraReadsCards}
        />
      );
    }
    return { root: mount(<Harness />), calls, applied };
  }

  function choose(id: string, bytes: number[], name: string) {
    const input = $(id) as HTMLInputElement;
    const file = new File([new Uint8Array(bytes)], name, { type: 'image/jpeg' });
    Object.defineProperty(input, 'files', { value: [file], configurable: true });
    act(() => {
      input.dispatchEvent(new Event('change', { bubbles: true }));
    });
  }

  it('at the card step, where the camera reads cards: two image inputs, and the card step\'s device', () => {
    const { root } = signedInConsole(view('view-idcard-failed.json'), {});
    const form = $('[data-testid="card-images"]', root);
    expect($('#card-images-title', form).textContent).toBe('导入证件图片');
    for (const side of ['front', 'back']) {
      const input = $(`#card-image-${side}`, form) as HTMLInputElement;
      expect(input.type).toBe('file');
      expect(input.getAttribute('accept')).toBe('image/jpeg,image/png');
    }
    expect($('label[for="card-image-front"]', form).textContent).toBe('人像面图片');
    expect($('label[for="card-image-back"]', form).textContent).toBe('国徽面图片');
    expect(($('#card-images-submit', form) as HTMLButtonElement).disabled).toBe(true);
    expect($('[data-testid="live-card-device"]', root).textContent).toBe('读卡器');
  });

  it('not offered elsewhere, nor where the camera cannot read cards', () => {
    expect(signedInConsole(view('view-liveness.json'), {}).root.querySelector('[data-testid="card-images"]')).toBeNull();
    unmount();
    expect(signedInConsole(view('view-idcard-failed.json'), {}, false).root.querySelector('[data-testid="card-images"]')).toBeNull();
    unmount();
    expect(signedInConsole(view('view-ended.json', { step: 'idCard' }), {}).root.querySelector('[data-testid="card-images"]')).toBeNull();
  });

  it('sends the bytes of both files to card_from_images and shows the view it returns', async () => {
    const after = view('view-awaiting-staff.json', { step: 'idCard' });
    const { root, calls, applied } = signedInConsole(view('view-idcard-failed.json'), { card_from_images: () => after });
    expect($('[data-testid="card-image-front-pick"]', root).textContent).toBe('选择图片…');
    choose('#card-image-front', [0xff, 0xd8, 0xff, 1, 2], 'front.jpg');
    // the chosen file shows by its name
    expect($('[data-testid="card-image-front-pick"]', root).textContent).toBe('front.jpg');
    expect($('[data-testid="card-image-back-pick"]', root).textContent).toBe('选择图片…');
    expect(($('#card-images-submit', root) as HTMLButtonElement).disabled).toBe(true);
    choose('#card-image-back', [0x89, 0x50, 0x4e, 0x47], 'back.png');
    expect(($('#card-images-submit', root) as HTMLButtonElement).disabled).toBe(false);
    click('#card-images-submit');
    await waitFor(() => calls.some((c) => c.cmd === 'card_from_images'), 'card_from_images');
    expect(calls.find((c) => c.cmd === 'card_from_images')?.args).toEqual({ token: staff.token, front: [0xff, 0xd8, 0xff, 1, 2], back: [0x89, 0x50, 0x4e, 0x47] });
    await waitFor(() => applied.length === 1, 'the view applied');
    expect(applied[0]).toEqual(after);
    await waitFor(() => root.querySelector('[data-testid="card-images-done"]') !== null, 'done');
    // what was read waits for review
    await waitFor(() => calls.some((c) => c.cmd === 'review'), 'the review fetched');
  });

  it('card.image: says the image could not be read, and why', async () => {
    const { root } = signedInConsole(view('view-idcard-failed.json'), {
      card_from_images: () => Promise.reject({ code: 'card.image', message: 'the back image: no card found in it', retryable: true }),
    });
    choose('#card-image-front', [1, 2, 3], 'front.jpg');
    choose('#card-image-back', [4, 5, 6], 'back.jpg');
    click('#card-images-submit');
    await waitFor(() => root.querySelector('[data-testid="card-images-error"]') !== null, 'the error');
    const error = $('[data-testid="card-images-error"]', root);
    expect(error.dataset.error).toBe('card.image');
    expect(error.textContent).toBe('证件图片无法识别：the back image: no card found in it');
    expect(($('#card-images-submit', root) as HTMLButtonElement).disabled).toBe(false);
  });

  it('the error text: card.image with the reason after it, other codes by their own text', () => {
    const en = makeI18n('en');
    expect(cardImageError(new CommandError({ code: 'card.image', message: 'blurred', retryable: true }), en.tOr)).toBe('The card image could not be read: blurred');
    expect(cardImageError(new CommandError({ code: 'input.rejected', message: 'not at the card step', retryable: false }), en.tOr)).toBe(
      'That is not possible at this step; please follow the screen.',
    );
  });

  it('reads a file\'s bytes', async () => {
    expect(await fileBytes(new Blob([new Uint8Array([0, 127, 255])]))).toEqual([0, 127, 255]);
  });
});
