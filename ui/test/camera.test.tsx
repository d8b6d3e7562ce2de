// The live preview (`kiosk://camera-frame`): the frame mirrored with its face box and hint, at most
// one render per animation frame, the placeholder when frames stop; the phases driving the digits
// (lead-in: spoken once, not recording; recording: the ring follows the time left) and the photo
// countdown. Frames are ui/fixtures/event-camera-frame.json and variants of it.

import { emit } from '@tauri-apps/api/event';
import { act } from 'preact/test-utils';
import { useState } from 'preact/hooks';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EVENTS } from '../src/api';
import { CandidateScreen } from '../src/candidate/CandidateApp';
import { faceRect, faceState, secondsLeft, STALE_MS } from '../src/candidate/cameraFeed';
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

  it('says ok, outside, several faces or none', () => {
    expect(faceState(base)).toBe('ok');
    expect(faceState(frame({ inGuide: false }))).toBe('outside');
    expect(faceState(frame({ inGuide: null }))).toBe('outside');
    expect(faceState(frame({ faces: 2, inGuide: false }))).toBe('many');
    expect(faceState(frame({ faces: 3, inGuide: true }))).toBe('many');
    expect(faceState(frame({ faces: 0, face: null, inGuide: null }))).toBe('none');
  });

  it('counts whole seconds up', () => {
    expect([3200, 3000, 2999, 1, 0, -40].map(secondsLeft)).toEqual([4, 3, 3, 1, 0, 0]);
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
    expect($('#face-hint', root).textContent).toBe('已检测到人脸');
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

  it('amber outside the guide, red with several faces, no box without a face — each with words', async () => {
    const { root } = screen(view('view-liveness.json'));
    const cases: [Partial<CameraFrame>, string | null, string][] = [
      [{ inGuide: false }, 'face-box--outside', '请将面部对准椭圆框'],
      [{ faces: 2, inGuide: false }, 'face-box--many', '画面中只能有一人'],
      [{ faces: 0, face: null, inGuide: null }, null, '未检测到人脸，请正对摄像头'],
      [{}, 'face-box--ok', '已检测到人脸'],
    ];
    let seq = 100;
    for (const [patch, modifier, hint] of cases) {
      seq += 1;
      await send(frame({ ...patch, seq }));
      await waitFor(() => figure().dataset.seq === String(seq), `frame ${seq}`);
      const box = root.querySelector('#face-box');
      if (modifier) expect(box?.classList.contains(modifier), `${modifier} on ${box?.className}`).toBe(true);
      else expect(box).toBeNull();
      expect($('#face-hint', root).textContent).toBe(hint);
      expect($('#face-hint', root).dataset.state).toBe(faceState(frame(patch)));
    }
  });

  it('speaks English in English', async () => {
    const { root } = screen(view('view-liveness.json'), 'en');
    await send(frame({ faces: 2 }));
    await waitFor(() => root.querySelector('#face-box') !== null, 'the face box');
    expect($('#face-hint', root).textContent).toBe('Only one person, please');
    await send(frame({ seq: 43, inGuide: false }));
    await waitFor(() => figure().dataset.seq === '43', 'frame 43');
    expect($('#face-hint', root).textContent).toBe('Line up your face with the oval');
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
