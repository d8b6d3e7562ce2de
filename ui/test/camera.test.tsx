// The live preview (`kiosk://camera-frame`): the frame mirrored with its face box, the head-sized
// oval the kiosk sends as `guide` (the photo's shoulders under it) and what the candidate should do
// (which way, on the mirrored screen; smoothed over the frames), at most one render per animation
// frame, the placeholder when frames stop; the phases driving the digits (lead-in: spoken once,
// not recording; recording: the ring follows the time left) and the photo countdown. Frames are
// ui/fixtures/event-camera-frame.json and variants of it.

import { emit } from '@tauri-apps/api/event';
import { act } from 'preact/test-utils';
import { useState } from 'preact/hooks';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EVENTS } from '../src/api';
import { CandidateScreen } from '../src/candidate/CandidateApp';
import {
  faceRect,
  faceState,
  guidanceOf,
  guideShape,
  HintSmoother,
  outsideDirection,
  secondsLeft,
  STALE_MS,
  type Guidance,
} from '../src/candidate/cameraFeed';
import { FIRST_FRAME_GRACE_MS } from '../src/candidate/Liveness';
import { prompts, type AudioElementLike } from '../src/prompts';
import type { CameraFrame, Locale, View } from '../src/types';
import { $, $$, clearMocks, fakeActions, fixture, flush, mockCommands, mount, text, unmount, waitFor } from './helpers';

const base = fixture<CameraFrame>('event-camera-frame.json');
const frame = (patch: Partial<CameraFrame> = {}): CameraFrame => ({ ...base, ...patch });
const view = (name: string, patch: Partial<View> = {}): View => ({ ...fixture<View>(name), ...patch });

function screen(v: View, locale: Locale = 'zh-CN') {
  const actions = fakeActions();
  const root = mount(<CandidateScreen view={v} docs={null} devices={{}} actions={actions} busy={new Set()} />, locale);
  return { root, actions };
}

/** A screen whose view can change, as the root changes it (the screen stays mounted). */
function switchable(v: View, locale: Locale = 'zh-CN') {
  let setView!: (next: View) => void;
  function Harness() {
    const [current, setCurrent] = useState(v);
    setView = setCurrent;
    return <CandidateScreen view={current} docs={null} devices={{}} actions={fakeActions()} busy={new Set()} />;
  }
  const root = mount(<Harness />, locale);
  return { root, show: (next: View) => act(() => setView(next)) };
}

/** Sends frames as the kiosk does (the listener was registered when the screen mounted). */
async function send(...frames: CameraFrame[]) {
  for (const f of frames) {
    await act(async () => {
      await emit(EVENTS.cameraFrame, f);
    });
  }
}

/** With fake timers: the next animation frame, and the render it asks for. */
async function paint() {
  await act(async () => {
    vi.advanceTimersToNextFrame();
  });
}

const figure = () => $('figure.camera');
const preview = () => $('#camera-preview') as HTMLImageElement;
/** The picture shown (Preact clears a dropped `src` to "", which shows nothing). */
const shown = () => preview().getAttribute('src') || null;

beforeEach(() => {
  mockCommands({});
});

afterEach(() => {
  unmount();
  clearMocks();
  vi.useRealTimers();
  prompts.stop();
  prompts.setMuted(false);
  prompts.setRecording(false);
});

describe('the face box and its meaning (pure)', () => {
  it('places the box in percent of the preview, mirrored', () => {
    // the fixture's face is centred: mirroring leaves it where it is
    expect(faceRect(base, null)).toEqual({ left: 37.5, top: 25, width: 25, height: 37.5 });
    // a face on the frame's left (x 0.1..0.35) shows on the right of the mirror (0.65..0.9)
    const left = faceRect(frame({ face: { x: 0.1, y: 0.5, width: 0.25, height: 0.3 } }), null)!;
    expect(left.left).toBeCloseTo(65, 6);
    expect(left.width).toBeCloseTo(25, 6);
    expect(left.top).toBeCloseTo(50, 6);
    expect(left.height).toBeCloseTo(30, 6);
  });

  it('follows the crop of a box of another shape, and clips to it', () => {
    // 640×480 covering a 300×400 box: shown 533⅓×400, 116⅔ px cut off each side
    const wide = frame({ width: 640, height: 480, face: { x: 0.1, y: 0.25, width: 0.25, height: 0.25 } });
    const box = faceRect(wide, { width: 300, height: 400 })!;
    // on screen from -116⅔ + 0.65 × 533⅓ = 230 px to 363⅓ px, clipped at 300
    expect(box.left).toBeCloseTo((100 * 230) / 300, 6);
    expect(box.width).toBeCloseTo((100 * 70) / 300, 6);
    expect(box.top).toBeCloseTo(25, 6);
    expect(box.height).toBeCloseTo(25, 6);
    // the same frame in a wider box: cropped top and bottom instead
    const flat = faceRect(wide, { width: 800, height: 400 })!;
    // shown 800×600, 100 px cut off top and bottom: y 0.25 → 150 - 100 = 50 px of 400
    expect(flat.top).toBeCloseTo(12.5, 6);
    expect(flat.height).toBeCloseTo(37.5, 6);
    expect(flat.left).toBeCloseTo(65, 6);
    // a face only in the part cut off shows no box
    expect(faceRect(frame({ width: 640, height: 480, face: { x: 0.9, y: 0.3, width: 0.08, height: 0.1 } }), { width: 300, height: 400 })).toBeNull();
    expect(faceRect(frame({ face: null, faces: 0, inGuide: null }), null)).toBeNull();
  });

  it('colours by what the candidate should do: ok, outside (any way to move), several faces, none', () => {
    expect(faceState('good')).toBe('ok');
    for (const g of ['outside', 'closer', 'further', 'yourLeft', 'yourRight', 'up', 'down'] as const) expect(faceState(g)).toBe('outside');
    expect(faceState('severalFaces')).toBe('many');
    expect(faceState('noFace')).toBe('none');
  });

  it('counts whole seconds up', () => {
    expect([3200, 3000, 2999, 1, 0, -40].map(secondsLeft)).toEqual([4, 3, 3, 1, 0, 0]);
  });
});

describe('what the candidate should do (pure)', () => {
  // the fixture's guide (the oval's box): x 0.3357..0.6643, y 0.2148..0.7852 of the frame; centred,
  // so on the mirrored screen x 0.3357..0.6643 too
  const at = (cx: number, cy: number, size = 0.2) => ({ x: cx - size / 2, y: cy - size / 2, width: size, height: size });

  it('takes the kiosk\'s hint as it is, except outside', () => {
    expect(guidanceOf(base)).toBe('good');
    const hints = ['good', 'noFace', 'severalFaces', 'closer', 'further'] as const;
    for (const hint of hints) expect(guidanceOf(frame({ hint }))).toBe(hint);
  });

  it('outside: the face on the frame\'s left shows on the screen\'s right, so the candidate moves to their left', () => {
    // frame x 0.1 → mirrored 0.9, right of the guide's mirrored right edge (0.6643)
    const face = at(0.1, 0.5);
    expect(outsideDirection(face, base.guide)).toBe('yourLeft');
    expect(guidanceOf(frame({ hint: 'outside', inGuide: false, face }))).toBe('yourLeft');
  });

  it('outside: the face on the frame\'s right shows on the screen\'s left, so the candidate moves to their right', () => {
    // frame x 0.9 → mirrored 0.1, left of the guide's mirrored left edge (0.3357)
    const face = at(0.9, 0.5);
    expect(outsideDirection(face, base.guide)).toBe('yourRight');
    expect(guidanceOf(frame({ hint: 'outside', inGuide: false, face }))).toBe('yourRight');
  });

  it('mirrors an off-centre guide too', () => {
    // the guide on the frame's left (x 0.05..0.35) is on the screen's right (0.65..0.95)
    const guide = { x: 0.05, y: 0.1, width: 0.3, height: 0.8 };
    // a face at frame x 0.5 shows at 0.5 on screen: left of the guide, so to the candidate's right
    expect(outsideDirection(at(0.5, 0.5), guide)).toBe('yourRight');
    // frame x 0.02 → screen 0.98: right of it
    expect(outsideDirection(at(0.02, 0.5, 0.02), guide)).toBe('yourLeft');
    // frame x 0.2 → screen 0.8: inside
    expect(outsideDirection(at(0.2, 0.5), guide)).toBeNull();
  });

  it('outside: up and down are not mirrored', () => {
    const guide = { x: 0.2, y: 0.2, width: 0.6, height: 0.6 };
    // centre above the guide: move down
    expect(outsideDirection(at(0.5, 0.1), guide)).toBe('down');
    // centre below it: move up
    expect(outsideDirection(at(0.5, 0.9), guide)).toBe('up');
    expect(guidanceOf(frame({ hint: 'outside', inGuide: false, guide, face: at(0.5, 0.9) }))).toBe('up');
  });

  it('off two ways: the larger overshoot wins, in pixels of the frame', () => {
    const guide = { x: 0.2, y: 0.2, width: 0.6, height: 0.6 };
    // centre at frame (0.05, 0.9): on screen 0.95, 0.15 right of the guide; 0.1 below it
    expect(outsideDirection(at(0.05, 0.9, 0.04), guide)).toBe('yourLeft');
    // centre at frame (0.12, 0.05): on screen 0.88, 0.08 right; 0.15 above
    expect(outsideDirection(at(0.12, 0.05, 0.04), guide)).toBe('down');
    // 0.1 right, 0.11 below as fractions — but of a 640×480 frame: 64 px right, 52.8 px below
    expect(outsideDirection(at(0.1, 0.91, 0.04), guide)).toBe('up');
    expect(outsideDirection(at(0.1, 0.91, 0.04), guide, { width: 640, height: 480 })).toBe('yourLeft');
  });

  it('outside by the kiosk\'s larger box (not sent): the way past the oval is the way out of it', () => {
    // the rules' box of the default [matcher.guide]: 0.6×0.9 centred, x 0.2..0.8, y 0.05..0.95;
    // the oval (the fixture's guide) 0.3357..0.6643 × 0.2148..0.7852; a 640×480 frame
    const size = { width: 640, height: 480 };
    // centre (0.19, 0.06): out of the rules' box sideways only (0.01 left of it), yet past the oval
    // both ways: on screen 0.81, (0.81 - 0.6643) × 640 = 93.2 px right; (0.2148 - 0.06) × 480 =
    // 74.3 px above — sideways wins, to the candidate's left
    expect(outsideDirection(at(0.19, 0.06, 0.04), base.guide, size)).toBe('yourLeft');
    // centre (0.21, 0.04): out of it upwards only: on screen 0.79, 0.1257 × 640 = 80.4 px right;
    // 0.1748 × 480 = 83.9 px above — up/down wins, down
    expect(outsideDirection(at(0.21, 0.04, 0.04), base.guide, size)).toBe('down');
    // the fixture's own face (centred) is inside the oval: no way to tell
    expect(outsideDirection(base.face!, base.guide, size)).toBeNull();
  });

  it('outside without a way to tell (no face box, or its centre inside): line up with the oval', () => {
    expect(guidanceOf(frame({ hint: 'outside', inGuide: false, face: null }))).toBe('outside');
    expect(guidanceOf(frame({ hint: 'outside', inGuide: false }))).toBe('outside');
  });

  it('a frame without a hint (an older kiosk): from faces and inGuide', () => {
    const old = (patch: Partial<CameraFrame>) => {
      const f: Partial<CameraFrame> = frame(patch);
      delete f.hint;
      return f as CameraFrame;
    };
    expect(guidanceOf(old({}))).toBe('good');
    expect(guidanceOf(old({ faces: 2, inGuide: false }))).toBe('severalFaces');
    expect(guidanceOf(old({ faces: 0, face: null, inGuide: null }))).toBe('noFace');
    expect(guidanceOf(old({ inGuide: false, face: at(0.9, 0.5) }))).toBe('yourRight');
  });
});

describe('smoothing the hint (pure)', () => {
  const run = (frames: Guidance[]) => {
    const smoother = new HintSmoother();
    return frames.map((g) => smoother.push(g));
  };

  it('shows the first at once', () => {
    expect(run(['yourLeft'])).toEqual(['yourLeft']);
    expect(run(['good'])).toEqual(['good']);
  });

  it('a one-frame blip changes nothing', () => {
    expect(run(['good', 'noFace', 'good', 'good'])).toEqual(['good', 'good', 'good', 'good']);
    expect(run(['yourLeft', 'good', 'yourLeft'])).toEqual(['yourLeft', 'yourLeft', 'yourLeft']);
    expect(run(['closer', 'severalFaces', 'closer'])).toEqual(['closer', 'closer', 'closer']);
  });

  it('a new hint shows after three frames in a row', () => {
    expect(run(['good', 'closer', 'closer', 'closer', 'closer'])).toEqual(['good', 'good', 'good', 'closer', 'closer']);
    // interrupted: counts again
    expect(run(['good', 'closer', 'closer', 'good', 'closer', 'closer'])).toEqual(['good', 'good', 'good', 'good', 'good', 'good']);
    // one way to another, within amber
    expect(run(['yourLeft', 'up', 'up', 'up'])).toEqual(['yourLeft', 'yourLeft', 'yourLeft', 'up']);
  });

  it('green after two frames', () => {
    expect(run(['yourRight', 'good', 'good', 'yourRight'])).toEqual(['yourRight', 'yourRight', 'good', 'good']);
  });

  it('a face wavering between two ways off is off: the latest shows after three frames', () => {
    expect(run(['good', 'yourLeft', 'up', 'yourLeft', 'up', 'yourLeft'])).toEqual(['good', 'good', 'good', 'yourLeft', 'yourLeft', 'yourLeft']);
  });

  it('starts afresh after reset', () => {
    const smoother = new HintSmoother();
    smoother.push('good');
    smoother.reset();
    expect(smoother.current).toBeNull();
    expect(smoother.push('noFace')).toBe('noFace');
  });
});

describe('the guide (pure)', () => {
  it('before any frame: the design\'s default oval, fitted in the box', () => {
    // a 3:4 box: the 300×400 design as it is
    // a 3:4 box: the 300×400 design as it is, the head-sized oval centred
    expect(guideShape('face', null, null)).toMatchObject({ width: 300, height: 400, cx: 150, cy: 200, rx: 88, ry: 116, shoulders: null, stroke: 4, dash: '14 10' });
    // twice the size: all doubled; the design's shoulders (y 288..372 under its head at cy 165)
    // move down with the oval by 35 and double: y 400 + 2 × (288 - 165) = 646 .. 400 + 2 × 207 = 814
    const portrait = guideShape('portrait', null, { width: 600, height: 800 });
    expect(portrait).toMatchObject({ cx: 300, cy: 400, rx: 176, ry: 232, stroke: 8, dash: '28 20' });
    expect(portrait.shoulders).toBe('M60 814C96 690 200 646 300 646S504 690 540 814');
    // a 4:3 box: the design fitted to its height (× 1.5) and centred
    expect(guideShape('face', null, { width: 800, height: 600 })).toMatchObject({ cx: 400, cy: 300, rx: 132, ry: 174, stroke: 6 });
  });

  it('the default looks like the kiosk\'s oval, so the first frame hardly moves it', () => {
    // the fixture's oval of a 640×480 frame covering a 3:4 box (shown 533⅓×400): rx 0.3286 × 533⅓ / 2
    // = 87.63, ry 0.5704 × 400 / 2 = 114.08, centred — against the default's 88 and 116
    const frameOval = guideShape('portrait', { guide: base.guide, width: 640, height: 480 }, { width: 300, height: 400 });
    const defaultOval = guideShape('portrait', null, { width: 300, height: 400 });
    expect(frameOval).toMatchObject({ cx: 150, cy: 200, rx: 87.63, ry: 114.08 });
    expect(defaultOval).toMatchObject({ cx: 150, cy: 200, rx: 88, ry: 116 });
    // in a 4:3 box (800×600, the picture uncropped): rx 0.3286 × 400 = 131.44, ry 0.5704 × 300 =
    // 171.12, against the default's 132 and 174
    expect(guideShape('face', { guide: base.guide, width: 640, height: 480 }, { width: 800, height: 600 })).toMatchObject({ cx: 400, cy: 300, rx: 131.44, ry: 171.12 });
  });

  it('from a frame: the oval in the guide box, mirrored like the picture', () => {
    // the fixture (32×24): the oval's box x 0.3357..0.6643 (10.74..21.26 px), y 0.2148..0.7852
    // (5.16..18.84 px), centred: rx 0.3286 × 32 / 2 = 5.26, ry 0.5704 × 24 / 2 = 6.84
    const source = { guide: base.guide, width: 32, height: 24 };
    expect(guideShape('face', source, null)).toMatchObject({ width: 32, height: 24, cx: 16, cy: 12, rx: 5.26, ry: 6.84 });
    // a guide on the frame's left (the kiosk sends it centred, but whatever comes is mirrored) (x 0.05..0.45) shows on the right (0.55..0.95)
    const left = guideShape('face', { guide: { x: 0.05, y: 0.1, width: 0.4, height: 0.5 }, width: 640, height: 480 }, { width: 800, height: 600 });
    expect(left).toMatchObject({ cx: 600, cy: 210, rx: 160, ry: 150 });
  });

  it('follows the crop of the box and keeps the line inside it', () => {
    // 640×480 covering a 300×400 box: shown 533⅓×400, 116⅔ px cut off each side
    const shape = guideShape('face', { guide: { x: 0.3, y: 0.25, width: 0.4, height: 0.5 }, width: 640, height: 480 }, { width: 300, height: 400 });
    // mirrored 0.3..0.7 of 533⅓ px, less 116⅔: 43⅓..256⅔ px
    expect(shape).toMatchObject({ cx: 150, cy: 200, rx: 106.67, ry: 100 });
    // the fixture's oval fits in the cropped picture: mirrored 0.3357..0.6643 of 533⅓ px, less
    // 116⅔: 62.37..237.63 px; y 0.2148..0.7852 of 400: 85.92..314.08 px
    const oval = guideShape('face', { guide: base.guide, width: 640, height: 480 }, { width: 300, height: 400 });
    expect(oval).toMatchObject({ cx: 150, rx: 87.63, cy: 200, ry: 114.08 });
    // a guide 0.6 of the frame's width is wider than the cropped picture (-10..310 px): kept 1 %
    // inside, 3..297 px; y 0.05..0.95: 20..380 px, inside already
    const wide = guideShape('face', { guide: { x: 0.2, y: 0.05, width: 0.6, height: 0.9 }, width: 640, height: 480 }, { width: 300, height: 400 });
    expect(wide).toMatchObject({ cx: 150, rx: 147, cy: 200, ry: 180 });
  });

  it('the photo\'s shoulders go with the oval, and only where they fit', () => {
    // the fixture's oval of a 640×480 frame in the photo's 3:4 box (300×400): cx 150, cy 200,
    // rx 87.63, ry 114.08. The design's shoulders, drawn under its head (cx 150, cy 165, rx 88,
    // ry 116), scaled by 87.63 / 88 across and 114.08 / 116 down: x 150 ± 120 × 0.9958 = 30.51,
    // 269.49; their top y 200 + 123 × 0.9834 = 320.96, 6.9 px under the oval (314.08); their ends
    // y 200 + 207 × 0.9834 = 403.57, just past the bottom edge
    const photo = guideShape('portrait', { guide: base.guide, width: 640, height: 480 }, { width: 300, height: 400 });
    expect(photo.shoulders).toBe('M30.51 403.57C48.43 342.6 100.21 320.96 150 320.96S251.57 342.6 269.49 403.57');
    const low = guideShape('portrait', { guide: { x: 0.3, y: 0.1, width: 0.4, height: 0.4 }, width: 300, height: 400 }, null);
    expect(low.shoulders).not.toBeNull();
    // an oval down to 0.95 of the frame (cy 200, ry 180 in 300×400): their top at 200 + 123 × 180
    // / 116 = 390.9, past 0.95 of the box (380): no room
    expect(guideShape('portrait', { guide: { x: 0.2, y: 0.05, width: 0.6, height: 0.9 }, width: 300, height: 400 }, null).shoulders).toBeNull();
    expect(guideShape('face', null, null).shoulders).toBeNull();
    expect(guideShape('face', { guide: base.guide, width: 640, height: 480 }, { width: 300, height: 400 }).shoulders).toBeNull();
  });
});

describe('the camera preview', () => {
  it('shows the latest frame as a JPEG with the face box, green, and says so', async () => {
    const { root } = screen(view('view-liveness.json'));
    expect(shown()).toBeNull();
    expect(root.querySelector('#face-box')).toBeNull();
    await send(base);
    await waitFor(() => shown() !== null, 'the frame');
    expect(shown()).toBe(`data:image/jpeg;base64,${base.jpeg}`);
    const box = $('#face-box', root);
    expect(box.className).toBe('face-box face-box--ok');
    expect(box.getAttribute('aria-hidden')).toBe('true');
    expect([box.style.left, box.style.top, box.style.width, box.style.height]).toEqual(['37.50%', '25.00%', '25.00%', '37.50%']);
    expect($('#face-hint', root).textContent).toBe('很好，请保持不动');
    expect($('#face-hint', root).dataset.hint).toBe('good');
    expect($('#face-hint', root).getAttribute('role')).toBe('status');
    expect(figure().dataset.seq).toBe('42');
    expect(figure().dataset.fps).toBe('1');
    expect(figure().classList.contains('has-frame')).toBe(true);
  });

  it('mirrors the box of a face off centre', async () => {
    const { root } = screen(view('view-photo.json'));
    await send(frame({ step: 'photo', phase: 'framing', face: { x: 0.05, y: 0.1, width: 0.2, height: 0.3 } }));
    await waitFor(() => root.querySelector('#face-box') !== null, 'the face box');
    expect($('#face-box', root).style.left).toBe('75.00%');
    expect($('#face-box', root).style.width).toBe('20.00%');
  });

  it('says what to do, each hint held for three frames; the box amber to move, red with several faces, none without a face', async () => {
    const { root } = screen(view('view-liveness.json'));
    const cases: [Partial<CameraFrame>, string | null, string, string][] = [
      [{ hint: 'closer', inGuide: false }, 'face-box--outside', '请再靠近一点', 'outside'],
      [{ hint: 'further', inGuide: false }, 'face-box--outside', '请稍微往后退一点', 'outside'],
      [{ hint: 'severalFaces', faces: 2, inGuide: false }, 'face-box--many', '画面中只能有考生本人', 'many'],
      [{ hint: 'noFace', faces: 0, face: null, inGuide: null }, null, '看不到您的脸，请正对摄像头', 'none'],
      // the face on the frame's right, on the screen's left: to the candidate's right
      [{ hint: 'outside', inGuide: false, face: { x: 0.85, y: 0.4, width: 0.1, height: 0.15 } }, 'face-box--outside', '请向右移动一点', 'outside'],
      [{ hint: 'outside', inGuide: false, face: { x: 0.05, y: 0.4, width: 0.1, height: 0.15 } }, 'face-box--outside', '请向左移动一点', 'outside'],
      [{ hint: 'outside', inGuide: false, face: { x: 0.45, y: 0, width: 0.1, height: 0.08 } }, 'face-box--outside', '请向下移动一点', 'outside'],
      [{ hint: 'outside', inGuide: false, face: { x: 0.45, y: 0.92, width: 0.1, height: 0.08 } }, 'face-box--outside', '请向上移动一点', 'outside'],
      [{ hint: 'outside', inGuide: false }, 'face-box--outside', '请将面部对准椭圆框', 'outside'],
      [{}, 'face-box--ok', '很好，请保持不动', 'ok'],
    ];
    let seq = 100;
    for (const [patch, modifier, hint, state] of cases) {
      for (let i = 0; i < 3; i++) {
        seq += 1;
        await send(frame({ ...patch, seq }));
        await waitFor(() => figure().dataset.seq === String(seq), `frame ${seq}`);
      }
      const box = root.querySelector('#face-box');
      if (modifier) expect(box?.classList.contains(modifier), `${modifier} on ${box?.className}`).toBe(true);
      else expect(box).toBeNull();
      expect($('#face-hint', root).textContent).toBe(hint);
      expect($('#face-hint', root).dataset.state).toBe(state);
      expect($('#face-hint', root).classList.contains(`camera__status--${state}`)).toBe(true);
    }
  });

  it('a one-frame blip changes neither the words nor the colour; green comes back after two frames', async () => {
    const { root } = screen(view('view-liveness.json'), 'en');
    const hint = () => $('#face-hint', root).textContent;
    const box = () => root.querySelector('#face-box')?.className;
    let seq = 200;
    const next = async (patch: Partial<CameraFrame>) => {
      seq += 1;
      await send(frame({ ...patch, seq }));
      await waitFor(() => figure().dataset.seq === String(seq), `frame ${seq}`);
    };
    await next({});
    expect(hint()).toBe("That's it: hold still");
    await next({ hint: 'severalFaces', faces: 2, inGuide: false });
    expect(hint()).toBe("That's it: hold still");
    expect(box()).toBe('face-box face-box--ok');
    await next({});
    await next({ hint: 'closer', inGuide: false });
    await next({ hint: 'closer', inGuide: false });
    expect(hint()).toBe("That's it: hold still");
    await next({ hint: 'closer', inGuide: false });
    expect(hint()).toBe('Come a little closer');
    expect(box()).toBe('face-box face-box--outside');
    await next({});
    expect(hint()).toBe('Come a little closer');
    await next({});
    expect(hint()).toBe("That's it: hold still");
    expect(box()).toBe('face-box face-box--ok');
  });

  it('speaks English in English', async () => {
    const { root } = screen(view('view-liveness.json'), 'en');
    const cases: [Partial<CameraFrame>, string][] = [
      [{ hint: 'severalFaces', faces: 2 }, 'Only the candidate should be in view'],
      [{ hint: 'noFace', faces: 0, face: null, inGuide: null }, "We can't see your face: look at the camera"],
      [{ hint: 'closer', inGuide: false }, 'Come a little closer'],
      [{ hint: 'further', inGuide: false }, 'Move back a little'],
      [{ hint: 'outside', inGuide: false, face: { x: 0.85, y: 0.4, width: 0.1, height: 0.15 } }, 'Move a little to your right'],
      [{ hint: 'outside', inGuide: false, face: { x: 0.05, y: 0.4, width: 0.1, height: 0.15 } }, 'Move a little to your left'],
      [{ hint: 'outside', inGuide: false, face: { x: 0.45, y: 0, width: 0.1, height: 0.08 } }, 'Move down a little'],
      [{ hint: 'outside', inGuide: false, face: { x: 0.45, y: 0.92, width: 0.1, height: 0.08 } }, 'Move up a little'],
      [{ hint: 'outside', inGuide: false }, 'Line up your face with the oval'],
      [{}, "That's it: hold still"],
    ];
    let seq = 300;
    for (const [patch, words] of cases) {
      for (let i = 0; i < 3; i++) {
        seq += 1;
        await send(frame({ ...patch, seq }));
        await waitFor(() => figure().dataset.seq === String(seq), `frame ${seq}`);
      }
      expect($('#face-hint', root).textContent).toBe(words);
    }
  });

  it('draws the guide from the frames, mirrored, and keeps it when the picture goes stale', async () => {
    const { root } = screen(view('view-liveness.json'));
    vi.useFakeTimers();
    const svg = () => $('svg.camera__guide', root);
    const oval = () => {
      const e = $('.camera__oval', root);
      return ['cx', 'cy', 'rx', 'ry'].map((a) => Number(e.getAttribute(a)));
    };
    // before any frame: the design's default (a 300×400 area)
    expect(svg().dataset.guide).toBe('default');
    expect(svg().getAttribute('viewBox')).toBe('0 0 300 400');
    expect(oval()).toEqual([150, 200, 88, 116]);
    // the fixture's oval, centred: x 0.3357..0.6643, y 0.2148..0.7852 of its 32×24 picture
    await send(base);
    await paint();
    expect(svg().dataset.guide).toBe('frame');
    expect(svg().getAttribute('viewBox')).toBe('0 0 32 24');
    expect(oval()).toEqual([16, 12, 5.26, 6.84]);
    // a guide on the frame's left (the kiosk's is centred; any other is mirrored all the same) (x 0.1..0.4) is drawn on the right (0.6..0.9 of 32 px)
    await send(frame({ seq: 43, guide: { x: 0.1, y: 0.25, width: 0.3, height: 0.5 } }));
    await paint();
    expect(oval()).toEqual([24, 12, 4.8, 6]);
    expect($('mask ellipse', root).getAttribute('cx')).toBe('24');
    // no frames: no picture, the last guide stays
    await act(async () => {
      vi.advanceTimersByTime(STALE_MS + 100);
    });
    expect(shown()).toBeNull();
    expect(oval()).toEqual([24, 12, 4.8, 6]);
  });

  it('the photo: the shoulders under the oval, the default\'s and the frame\'s; a guide with no room for them, no shoulders and no word of them', async () => {
    const { root } = screen(view('view-photo.json'));
    const shoulders = () => root.querySelector('.camera__shoulders')?.getAttribute('d') ?? null;
    // the default: the head-sized oval centred in 300×400 (bottom at 316), the design's shoulders
    // moved down with it by 35 (its head was at cy 165): top at 323, ends at 407, past the edge
    expect($('.camera__oval', root).getAttribute('cy')).toBe('200');
    expect(shoulders()).toBe('M30 407C48 345 100 323 150 323S252 345 270 407');
    expect($('.camera__hint', root).textContent).toBe('头部对准椭圆框，肩膀对准横线');
    // the fixture's oval in its 32×24 picture (cy 12, rx 5.26, ry 6.84, bottom at 18.84): the
    // shoulders scaled by 5.2576 / 88 across and 6.8448 / 116 down, top at 12 + 123 × 0.059 = 19.26
    await send(frame({ step: 'photo', phase: 'framing' }));
    await waitFor(() => $('svg.camera__guide', root).dataset.guide === 'frame', 'the frame\'s guide');
    expect(shoulders()).toBe('M8.83 24.21C9.91 20.56 13.01 19.26 16 19.26S22.09 20.56 23.17 24.21');
    expect($('.camera__hint', root).textContent).toBe('头部对准椭圆框，肩膀对准横线');
    // an oval reaching down to 0.95 of the frame leaves no room for them (top at 23.45 of 24)
    await send(frame({ step: 'photo', phase: 'framing', seq: 43, guide: { x: 0.2, y: 0.05, width: 0.6, height: 0.9 } }));
    await waitFor(() => shoulders() === null, 'no shoulders');
    expect($('.camera__hint', root).textContent).toBe('头部对准椭圆框');
    // the kiosk's oval again: they are back
    await send(frame({ step: 'photo', phase: 'framing', seq: 44 }));
    await waitFor(() => shoulders() !== null, 'the shoulders');
    expect($('.camera__hint', root).textContent).toBe('头部对准椭圆框，肩膀对准横线');
  });

  it('ignores the frames of the other camera step', async () => {
    const { root } = screen(view('view-photo.json'));
    await send(base); // a liveness frame
    await flush();
    expect(shown()).toBeNull();
    expect(root.querySelector('#face-box')).toBeNull();
  });

  it('keeps only the latest of frames that come faster than the screen paints', async () => {
    const { root } = screen(view('view-liveness.json'));
    vi.useFakeTimers();
    const changes: string[] = [];
    const observer = new MutationObserver(() => changes.push(preview().getAttribute('src') ?? ''));
    observer.observe(preview(), { attributes: true, attributeFilter: ['src'] });
    const frames = [1, 2, 3, 4, 5].map((seq) => frame({ seq, jpeg: `${base.jpeg.slice(0, -4)}${seq}AAA` }));
    await send(...frames);
    // nothing is drawn between paints
    expect(shown()).toBeNull();
    await paint();
    expect(figure().dataset.seq).toBe('5');
    expect(figure().dataset.fps).toBe('5');
    expect(shown()).toBe(`data:image/jpeg;base64,${frames[4]!.jpeg}`);
    await act(async () => {
      await Promise.resolve();
    });
    observer.disconnect();
    expect(changes).toEqual([`data:image/jpeg;base64,${frames[4]!.jpeg}`]);
    expect($$('#face-box', root)).toHaveLength(1);
  });

  it('counts the frames of the last second', async () => {
    screen(view('view-liveness.json'));
    vi.useFakeTimers();
    for (let seq = 1; seq <= 15; seq++) {
      await send(frame({ seq }));
      await act(async () => {
        vi.advanceTimersByTime(66);
      });
    }
    // 15 frames 66 ms apart: all within the last second
    expect(figure().dataset.fps).toBe('15');
    for (let seq = 16; seq <= 20; seq++) {
      await send(frame({ seq }));
      await act(async () => {
        vi.advanceTimersByTime(300);
      });
    }
    // now the last second holds four frames, 300 ms apart
    expect(figure().dataset.fps).toBe('4');
    expect(figure().dataset.seq).toBe('20');
  });

  it('goes back to the placeholder when no frame came for 1.5 s, and back to the picture with the next', async () => {
    const { root } = screen(view('view-liveness.json'));
    vi.useFakeTimers();
    await send(base);
    await paint();
    expect(shown()).not.toBeNull();
    await act(async () => {
      vi.advanceTimersByTime(STALE_MS - 100);
    });
    expect(shown()).not.toBeNull();
    await act(async () => {
      vi.advanceTimersByTime(150);
    });
    // no stale picture, no box, no hint: the guide over the neutral background
    expect(shown()).toBeNull();
    expect(root.querySelector('#face-box')).toBeNull();
    expect($('#face-hint', root).textContent).toBe('');
    expect(root.querySelector('.camera__oval')).not.toBeNull();
    expect(figure().dataset.fps).toBe('0');
    expect(figure().dataset.seq).toBeUndefined();
    expect(figure().classList.contains('has-frame')).toBe(false);
    await send(frame({ seq: 50 }));
    await paint();
    expect(figure().dataset.seq).toBe('50');
    expect(shown()).not.toBeNull();
  });

  it('a steady stream never goes stale', async () => {
    screen(view('view-liveness.json'));
    vi.useFakeTimers();
    for (let seq = 1; seq <= 40; seq++) {
      await send(frame({ seq }));
      await act(async () => {
        vi.advanceTimersByTime(100);
      });
      expect(shown(), `frame ${seq}`).not.toBeNull();
    }
  });

  it('listens while the screen shows, and stops when it goes', async () => {
    const internals = (window as unknown as { __TAURI_INTERNALS__: { invoke: (cmd: string, args?: { event?: string }, options?: unknown) => Promise<unknown> } })
      .__TAURI_INTERNALS__;
    const invoke = internals.invoke;
    const seen: string[] = [];
    internals.invoke = (cmd, args, options) => {
      if (args?.event === EVENTS.cameraFrame) seen.push(cmd);
      return invoke(cmd, args, options);
    };
    screen(view('view-liveness.json'));
    await flush();
    expect(seen).toEqual(['plugin:event|listen']);
    unmount();
    await flush();
    expect(seen).toEqual(['plugin:event|listen', 'plugin:event|unlisten']);
  });
});

class FakeAudio implements AudioElementLike {
  static log: string[] = [];
  src = '';
  onended: ((this: unknown, ev: Event) => unknown) | null = null;
  onerror: unknown = null;
  play() {
    FakeAudio.log.push(this.src);
    setTimeout(() => this.onended?.call(this, new Event('ended')), 5);
    return Promise.resolve();
  }
  pause() {
    FakeAudio.log.push(`pause ${this.src}`);
  }
}

const played = () => FakeAudio.log.filter((entry) => !entry.startsWith('pause'));
const sleep = (ms: number) => act(() => new Promise<void>((resolve) => setTimeout(resolve, ms)));

describe('the digits: lead-in, then recording', () => {
  beforeEach(() => {
    FakeAudio.log = [];
    vi.stubGlobal('Audio', FakeAudio);
  });

  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('lead-in: the digits large, "listen" and when recording starts, no recording indicator, no ring', async () => {
    const { root } = screen(view('view-liveness.json'));
    await send(base);
    await waitFor(() => root.querySelector('[data-phase="leadIn"]') !== null, 'the lead-in');
    expect($$('#digits .digits__digit', root).map((d) => d.textContent)).toEqual(['4', '8', '2', '1']);
    expect($('#lead-in', root).textContent).toBe('请先听读数字，开始录制后再大声朗读');
    expect($('#lead-in-start', root).textContent).toBe('4 秒后开始录制');
    expect(root.querySelector('.recording')).toBeNull();
    expect(root.querySelector('.recording__dot')).toBeNull();
    expect(root.querySelector('.ring')).toBeNull();
    expect(figure().classList.contains('is-recording')).toBe(false);
    await send(frame({ seq: 43, remainingMs: 900 }));
    await waitFor(() => $('#lead-in-start', root).textContent === '1 秒后开始录制', 'a second left');
  });

  it('recording: the indicator and the ring follow remainingMs', async () => {
    const { root } = screen(view('view-liveness.json'), 'en');
    await send(frame({ phase: 'recording', remainingMs: 2500 }));
    await waitFor(() => root.querySelector('[data-phase="recording"]') !== null, 'recording');
    expect($('.recording', root).textContent).toBe('Recording');
    expect(root.querySelector('.recording__dot')).not.toBeNull();
    expect(root.querySelector('#lead-in')).toBeNull();
    expect(figure().classList.contains('is-recording')).toBe(true);
    expect($('.ring__value', root).textContent).toBe('3');
    expect($('.ring', root).getAttribute('aria-label')).toBe('3 s left');
    const bar = $('.ring__bar', root);
    expect(bar.classList.contains('ring__bar--live')).toBe(true);
    // 2.5 s of the challenge's 4 s left: 3/8 of the ring's length is gone
    const length = 2 * Math.PI * 54;
    expect(Number(bar.style.strokeDashoffset)).toBeCloseTo(length * (1 - 2500 / 4000), 1);
    await send(frame({ phase: 'recording', remainingMs: 400, seq: 60 }));
    await waitFor(() => $('.ring__value', root).textContent === '1', 'the last second');
    expect(Number($('.ring__bar', root).style.strokeDashoffset)).toBeCloseTo(length * 0.9, 1);
  });

  it('without camera frames for this challenge: waits for the first one, then records as before', async () => {
    const { root, show } = switchable(view('view-liveness.json'));
    await send(frame({ phase: 'recording', remainingMs: 1000 }));
    await waitFor(() => root.querySelector('[data-phase="recording"]') !== null, 'recording');
    expect($('.ring__value', root).textContent).toBe('1');
    // the next attempt: the frames of the earlier challenge do not count for this one
    show(view('view-liveness.json', { attempt: 2, challenge: { digits: '5093', seconds: 5 } }));
    await flush();
    // first the digits wait for their first frame: not recording yet
    expect($('[data-testid="challenge"]', root).dataset.phase).toBe('waiting');
    expect(root.querySelector('.recording__dot')).toBeNull();
    expect(root.querySelector('.ring')).toBeNull();
    // the picture itself is still the camera's
    expect(shown()).not.toBeNull();
    // none came within the grace: a kiosk without the preview records from the view's seconds
    await waitFor(() => root.querySelector('.recording__dot') !== null, 'recording after the grace', FIRST_FRAME_GRACE_MS + 1000);
    expect($('[data-testid="challenge"]', root).dataset.phase).toBeUndefined();
    expect(root.querySelector('#lead-in')).toBeNull();
    expect($('.ring__value', root).textContent).toBe('5');
    expect($('.ring__bar', root).classList.contains('ring__bar--live')).toBe(false);
    expect($('.ring__bar', root).getAttribute('style')).toContain('animation-duration: 5s');
    expect(figure().classList.contains('is-recording')).toBe(true);
    // its first frame takes over
    await send(frame({ seq: 90, remainingMs: 2000 }));
    await waitFor(() => $('[data-testid="challenge"]', root).dataset.phase === 'leadIn', 'the lead-in');
    expect(root.querySelector('.recording__dot')).toBeNull();
  });

  it('speaks the digits once in the lead-in, and nothing once recording starts', async () => {
    const { root } = screen(view('view-liveness.json'));
    await send(base);
    await waitFor(() => played().length === 4, 'four digits');
    expect(played()).toEqual(['4', '8', '2', '1'].map((d) => `./prompts/zh-CN/digit-${d}.ogg`));
    // more lead-in frames do not repeat them
    await send(frame({ seq: 43, remainingMs: 2000 }), frame({ seq: 44, remainingMs: 1500 }));
    await sleep(200);
    expect(played()).toHaveLength(4);
    await send(frame({ seq: 45, phase: 'recording', remainingMs: 4000 }));
    await waitFor(() => root.querySelector('[data-phase="recording"]') !== null, 'recording');
    expect(prompts.isRecording).toBe(true);
    // whatever asks, nothing plays while the clip records (an idle warning, a late prompt)
    await act(() => prompts.play('zh-CN', ['idle'], 0));
    await send(frame({ seq: 46, phase: 'recording', remainingMs: 3000 }));
    await sleep(100);
    expect(played()).toHaveLength(4);
    // a late lead-in frame does not speak them again
    await send(frame({ seq: 47, remainingMs: 100 }));
    await waitFor(() => root.querySelector('[data-phase="leadIn"]') !== null, 'the late frame');
    await sleep(100);
    expect(played()).toHaveLength(4);
    unmount();
    expect(prompts.isRecording).toBe(false);
  });

  it('a kiosk without a lead-in (recording at once) speaks nothing', async () => {
    const { root } = screen(view('view-liveness.json'));
    await send(frame({ phase: 'recording', remainingMs: 4000 }));
    await waitFor(() => root.querySelector('[data-phase="recording"]') !== null, 'recording');
    await sleep(200);
    expect(FakeAudio.log).toEqual([]);
  });

  it('stops the digits when recording starts before they are done', async () => {
    const { root } = screen(view('view-liveness.json'));
    await send(base);
    await waitFor(() => played().length === 1, 'the first digit');
    await send(frame({ seq: 43, phase: 'recording', remainingMs: 4000 }));
    await waitFor(() => root.querySelector('[data-phase="recording"]') !== null, 'recording');
    await sleep(400);
    expect(played()).toHaveLength(1);
    expect(FakeAudio.log).toContain('pause ./prompts/zh-CN/digit-4.ogg');
  });

  it('a new challenge is spoken again', async () => {
    const { show } = switchable(view('view-liveness.json'));
    await send(base);
    await waitFor(() => played().length === 4, 'four digits');
    await send(frame({ seq: 43, phase: 'recording' }));
    show(view('view-liveness.json', { attempt: 2, challenge: null, lastReason: { code: 'liveness.no_speech', zh: '未听到朗读声音', en: 'No speech was heard' } }));
    show(view('view-liveness.json', { attempt: 2, challenge: { digits: '507', seconds: 4 } }));
    await send(frame({ seq: 80 }));
    await waitFor(() => played().length === 7, 'three more digits');
    expect(played().slice(4)).toEqual(['5', '0', '7'].map((d) => `./prompts/zh-CN/digit-${d}.ogg`));
  });

  it('muted by staff: nothing is spoken and the line does not say "listen"', async () => {
    prompts.setMuted(true);
    const { root } = screen(view('view-liveness.json'), 'en');
    await send(base);
    await waitFor(() => root.querySelector('#lead-in') !== null, 'the lead-in');
    expect($('#lead-in', root).textContent).toBe('Get ready: read the digits aloud when recording starts');
    await sleep(100);
    expect(played()).toEqual([]);
    act(() => prompts.setMuted(false));
    expect($('#lead-in', root).textContent).toBe('Listen, then read the digits aloud when recording starts');
  });
});

describe('the photo countdown', () => {
  const framing = (patch: Partial<CameraFrame> = {}) => frame({ step: 'photo', phase: 'framing', ...patch });

  it('framing: a big "hold still" countdown over the preview', async () => {
    const { root } = screen(view('view-photo.json'));
    expect(root.querySelector('#photo-countdown')).toBeNull();
    await send(framing({ remainingMs: 2400 }));
    await waitFor(() => root.querySelector('#photo-countdown') !== null, 'the countdown');
    const countdown = $('#photo-countdown', root);
    expect(countdown.closest('.camera__frame')).not.toBeNull();
    expect($('.camera__countdown-value', countdown).textContent).toBe('3');
    expect($('.camera__countdown-label', countdown).textContent).toBe('请保持不动');
    expect(countdown.getAttribute('role')).toBe('timer');
    expect(countdown.getAttribute('aria-label')).toBe('请保持不动，3 秒后拍照');
    await send(framing({ seq: 43, remainingMs: 700 }));
    await waitFor(() => $('.camera__countdown-value', root).textContent === '1', 'one second');
    // the photo is taken at 0: the countdown goes, "taking the photo" stays
    await send(framing({ seq: 44, remainingMs: 0 }));
    await waitFor(() => root.querySelector('#photo-countdown') === null, 'no countdown');
    expect(text(root)).toContain('正在拍照，请保持不动');
  });

  it('in English', async () => {
    const { root } = screen(view('view-photo.json'), 'en');
    await send(framing({ remainingMs: 3000 }));
    await waitFor(() => root.querySelector('#photo-countdown') !== null, 'the countdown');
    expect($('#photo-countdown', root).getAttribute('aria-label')).toBe('Hold still: the photo is taken in 3 s');
    expect($('.camera__countdown-label', root).textContent).toBe('Hold still');
  });

  it('a retake after a rejected photo keeps the reason but offers no "try again" while it counts down', async () => {
    const rejected = view('view-photo.json', {
      attempt: 2,
      lastReason: { code: 'photo.glare', zh: '照片有反光，请摘下眼镜或调整角度。', en: 'There is glare in the photo; take off glasses or turn slightly.' },
    });
    const { root } = screen(rejected);
    expect(root.querySelector('#retry')).not.toBeNull();
    await send(framing({ remainingMs: 3000 }));
    await waitFor(() => root.querySelector('#photo-countdown') !== null, 'the countdown');
    expect(root.querySelector('#retry')).toBeNull();
    expect($('#last-reason', root).dataset.reason).toBe('photo.glare');
  });

  it('liveness frames do not count down the photo', async () => {
    const { root } = screen(view('view-photo.json'));
    await send(frame({ phase: 'leadIn' }));
    await flush();
    expect(root.querySelector('#photo-countdown')).toBeNull();
  });
});
