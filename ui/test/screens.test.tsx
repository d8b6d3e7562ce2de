// Each candidate screen rendered from the contract fixtures, and what its buttons do.

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { act } from 'preact/test-utils';
import { CandidateScreen, type DeviceMap } from '../src/candidate/CandidateApp';
import { FIRST_FRAME_GRACE_MS } from '../src/candidate/Liveness';
import { Progress, progressIndex } from '../src/candidate/Shell';
import type { Documents, View } from '../src/types';
import { $, $$, clearMocks, click, fakeActions, fixture, flush, mockCommands, mount, text, unmount, waitFor } from './helpers';

const docs = fixture<Documents>('documents.json');
const view = (name: string, patch: Partial<View> = {}): View => ({ ...fixture<View>(name), ...patch });

function screen(v: View | null, options: { locale?: 'zh-CN' | 'en'; devices?: DeviceMap; busy?: Set<never> } = {}) {
  const actions = fakeActions();
  const root = mount(
    <CandidateScreen view={v} docs={docs} devices={options.devices ?? {}} actions={actions} busy={options.busy ?? new Set()} />,
    options.locale ?? 'zh-CN',
  );
  return { root, actions, names: () => actions.calls.map((c) => c.name) };
}

beforeEach(() => {
  mockCommands({
    artefact_image: (args) => ({ mime: 'image/png', dataUrl: `data:image/png;base64,${btoa(String(args?.id))}` }),
  });
});

afterEach(() => {
  unmount();
  clearMocks();
  vi.useRealTimers();
});

describe('welcome', () => {
  it('starts a session', () => {
    const { root, names } = screen(null);
    expect($('h1', root).textContent).toBe('自学考试报名现场确认');
    click('#start');
    expect(names()).toEqual(['start']);
  });
});

describe('consent', () => {
  it('shows the consent text from documents() and both choices', () => {
    const { root, names } = screen(view('view-consent.json'));
    expect($('[data-testid="consent-text"] h3', root).textContent).toContain('人脸与声音信息处理告知');
    expect($$('[data-testid="consent-text"] ol li', root)).toHaveLength(4);
    expect(text(root)).toContain('不同意不会影响您报名');
    expect($('#decline-consent', root).getAttribute('aria-describedby')).toBe('decline-note');
    click('#give-consent');
    click('#decline-consent');
    expect(names()).toEqual(['giveConsent', 'declineConsent']);
  });

  it('shows the English text in English', () => {
    const { root } = screen(view('view-consent.json'), { locale: 'en' });
    expect($('[data-testid="consent-text"] h3', root).textContent).toContain('Notice and separate consent');
    expect($('#give-consent', root).textContent).toBe('Agree');
    expect($('#decline-consent', root).textContent).toBe('Decline');
  });
});

describe('id card', () => {
  it('a failed read shows the reason, the attempt and a retry button', () => {
    const { root, names } = screen(view('view-idcard-failed.json'));
    expect($('#last-reason', root).textContent).toContain('未能读取身份证，请将证件平放在读卡区并保持不动。');
    expect($('#last-reason', root).dataset.reason).toBe('card.unreadable');
    expect($('[data-testid="attempt"]', root).textContent).toBe('第 2 次，共 3 次');
    click('#retry');
    expect(names()).toEqual(['retry']);
  });

  it('while waiting it animates the card and has no retry', () => {
    const { root } = screen(view('view-idcard-failed.json', { lastReason: null, attempt: 1 }), {
      devices: { id_card_reader: { device: 'id_card_reader', state: 'waiting', kind: null, message: null } },
    });
    expect(root.querySelector('.reader-art__card')).not.toBeNull();
    expect(root.querySelector('#retry')).toBeNull();
    expect(root.querySelector('[data-testid="attempt"]')).toBeNull();
    expect(text(root)).toContain('等待放置身份证');
  });

  it('says when the reader has a problem', () => {
    const { root } = screen(view('view-idcard-failed.json', { lastReason: null }), {
      locale: 'en',
      devices: { id_card_reader: { device: 'id_card_reader', state: 'problem', kind: 'Disconnected', message: 'unplugged' } },
    });
    expect($('.status-line--problem', root).textContent).toContain('The card reader is not available');
  });
});

describe('liveness', () => {
  it('shows the digits large and apart, the recording dot, the ring and the camera slot', () => {
    vi.useFakeTimers();
    const { root } = screen(view('view-liveness.json'));
    expect($$('#digits .digits__digit', root).map((d) => d.textContent)).toEqual(['4', '8', '2', '1']);
    expect($('#digits', root).getAttribute('aria-label')).toBe('需要朗读的数字：4 8 2 1');
    // no camera frame comes (a kiosk without the preview): after the grace, the timed recording
    expect(root.querySelector('.recording__dot')).toBeNull();
    act(() => {
      vi.advanceTimersByTime(FIRST_FRAME_GRACE_MS);
    });
    expect(root.querySelector('.recording__dot')).not.toBeNull();
    expect($('.ring__value', root).textContent).toBe('4');
    expect($('.ring__bar', root).getAttribute('style')).toContain('animation-duration: 4s');
    expect($('img#camera-preview', root)).toBeTruthy();
    expect(root.querySelector('.camera__oval')).not.toBeNull();
    act(() => {
      vi.advanceTimersByTime(2100);
    });
    expect($('.ring__value', root).textContent).toBe('2');
    act(() => {
      vi.advanceTimersByTime(5000);
    });
    expect($('.ring__value', root).textContent).toBe('0');
  });

  it('before the digits: prepares; after a failure: the reason and retry', () => {
    const { root } = screen(view('view-liveness.json', { challenge: null }));
    expect(text(root)).toContain('正在准备摄像头和麦克风');
    expect(root.querySelector('#retry')).toBeNull();
    unmount();
    const failed = screen(
      view('view-liveness.json', {
        challenge: null,
        attempt: 2,
        lastReason: { code: 'liveness.no_speech', zh: '未听到朗读声音，请大声读出屏幕上的数字。', en: 'No speech was heard; read the digits on the screen aloud.' },
      }),
      { locale: 'en' },
    );
    expect($('#last-reason', failed.root).textContent).toContain('No speech was heard');
    click('#retry');
    expect(failed.names()).toEqual(['retry']);
  });
});

describe('photo', () => {
  it('shows the framing guide over the preview slot and the tips', () => {
    const { root } = screen(view('view-photo.json'));
    expect($('img#camera-preview', root)).toBeTruthy();
    expect(root.querySelector('.camera__oval')).not.toBeNull();
    expect(root.querySelector('.camera__shoulders')).not.toBeNull();
    expect($$('.tips li', root)).toHaveLength(4);
    expect(text(root)).toContain('坐在蓝色背景前');
    expect(root.querySelector('#retry')).toBeNull();
  });

  it('a rejected photo shows why, with retry', () => {
    const { root, names } = screen(
      view('view-photo.json', { lastReason: { code: 'photo.glare', zh: '照片有反光，请摘下眼镜或调整角度。', en: 'There is glare in the photo; take off glasses or turn slightly.' } }),
    );
    expect($('#last-reason', root).dataset.reason).toBe('photo.glare');
    click('#retry');
    expect(names()).toEqual(['retry']);
  });
});

describe('pledge', () => {
  it('needs every declaration answered, then sends the answers in order', () => {
    const { root, actions } = screen(view('view-pledge.json'));
    expect($('[data-testid="pledge-text"]', root).textContent).toContain('诚信考试承诺');
    const items = $$('.declaration__item', root);
    expect(items.map((i) => i.dataset.key)).toEqual(['health.fever_14d', 'health.contact_14d', 'exam.special_needs']);
    expect(($('#accept-pledge', root) as HTMLButtonElement).disabled).toBe(true);
    expect($('#answer-all', root).textContent).toContain('3');
    click($('[data-value="false"]', items[0]));
    click($('[data-value="false"]', items[1]));
    expect(($('#accept-pledge', root) as HTMLButtonElement).disabled).toBe(true);
    click($('[data-value="true"]', items[2]));
    expect($('[data-value="true"]', items[2]).getAttribute('aria-checked')).toBe('true');
    expect(($('#accept-pledge', root) as HTMLButtonElement).disabled).toBe(false);
    click('#accept-pledge');
    expect(actions.calls).toEqual([
      {
        name: 'acceptPledge',
        args: [
          [
            { key: 'health.fever_14d', value: false },
            { key: 'health.contact_14d', value: false },
            { key: 'exam.special_needs', value: true },
          ],
        ],
      },
    ]);
  });

  it('declining asks first, and going back does not decline', () => {
    const { root, names } = screen(view('view-pledge.json'));
    click('#decline-pledge');
    expect($('[role="dialog"]', root).textContent).toContain('确定不签署诚信承诺吗');
    click('#decline-back');
    expect(root.querySelector('[role="dialog"]')).toBeNull();
    expect(names()).toEqual([]);
    click('#decline-pledge');
    click('#decline-confirm');
    expect(names()).toEqual(['declinePledge']);
  });
});

describe('signature', () => {
  function pointer(type: string, x: number, y: number, t: number, pressure = 0.6) {
    const event = new Event(type, { bubbles: true, cancelable: true }) as PointerEvent;
    Object.assign(event, { clientX: x, clientY: y, pressure, pointerId: 1, pointerType: 'touch', button: 0 });
    Object.defineProperty(event, 'timeStamp', { value: t });
    return event;
  }

  it('sends each finished stroke in pad space, then Done', async () => {
    const { root, actions } = screen(view('view-signature-preview.json', { signaturePreview: null }));
    const pad = $('#signature-pad', root) as HTMLCanvasElement;
    pad.getBoundingClientRect = () => ({ left: 0, top: 0, width: 500, height: 200, right: 500, bottom: 200, x: 0, y: 0, toJSON() {} }) as DOMRect;
    expect(($('#signature-done', root) as HTMLButtonElement).disabled).toBe(true);
    act(() => {
      pad.dispatchEvent(pointer('pointerdown', 50, 100, 1000));
      pad.dispatchEvent(pointer('pointermove', 250, 50, 1040, 0.8));
      pad.dispatchEvent(pointer('pointerup', 250, 50, 1050));
    });
    const strokes = actions.calls.filter((c) => c.name === 'signatureStroke');
    expect(strokes).toHaveLength(1);
    expect(strokes[0]!.args[0]).toEqual([
      { x: 0.1, y: 0.5, pressure: 0.6, t: 0 },
      { x: 0.5, y: 0.25, pressure: 0.8, t: 40 },
    ]);
    expect(($('#signature-done', root) as HTMLButtonElement).disabled).toBe(false);
    click('#signature-done');
    expect(actions.signatureDone).toHaveBeenCalledTimes(1);
    await flush();
    expect(text(root)).toContain('正在生成签名');
  });

  it('Clear empties the pad and tells Rust', () => {
    const { root, names } = screen(view('view-signature-preview.json', { signaturePreview: null }));
    const pad = $('#signature-pad', root);
    pad.getBoundingClientRect = () => ({ left: 0, top: 0, width: 500, height: 200 }) as DOMRect;
    act(() => {
      pad.dispatchEvent(pointer('pointerdown', 10, 10, 0));
      pad.dispatchEvent(pointer('pointerup', 10, 10, 5));
    });
    click('#clear-signature');
    expect(names()).toEqual(['signatureStroke', 'signatureClear']);
    expect(($('#signature-done', root) as HTMLButtonElement).disabled).toBe(true);
  });

  it('shows the rendered signature to accept or redo', async () => {
    const { root, names } = screen(view('view-signature-preview.json'));
    await waitFor(() => root.querySelector('img#signature-preview') !== null, 'the signature image');
    expect($('img#signature-preview', root).getAttribute('src')).toBe(`data:image/png;base64,${btoa('c9e05b7a-signature')}`);
    click('#accept-signature');
    click('#redo-signature');
    expect(names()).toEqual(['acceptSignature', 'redoSignature']);
  });

  it('a rejected signature shows the reason above an empty pad', () => {
    const { root } = screen(
      view('view-signature-preview.json', {
        signaturePreview: null,
        attempt: 2,
        lastReason: { code: 'signature.too_short', zh: '签名过短，请完整书写您的姓名。', en: 'The signature is too short; write your full name.' },
      }),
    );
    expect($('#last-reason', root).textContent).toContain('签名过短');
    expect(root.querySelector('.pad__placeholder')).not.toBeNull();
  });
});

describe('result', () => {
  it('shows the admission number grouped and both photos', async () => {
    const { root, names } = screen(view('view-confirmed.json'));
    expect($$('#admission-number .admission__group', root).map((g) => g.textContent)).toEqual(['42', '01', '271', '00042']);
    await waitFor(() => $$('.photo-pair img', root).length === 2, 'both photos');
    expect($$('.photo-pair img', root).map((img) => img.dataset.artefact)).toEqual(['a7c3e9f1-idphoto', 'b41d22c8-photo']);
    expect($$('.photo-pair figcaption', root).map((f) => f.textContent)).toEqual(['身份证照片', '报名照片']);
    click('#finish');
    expect(names()).toEqual(['finish']);
  });

  it('a photo that cannot be loaded shows a placeholder, not a broken image', async () => {
    mockCommands({ artefact_image: () => Promise.reject({ code: 'artefact.not_found', message: 'gone', retryable: false }) });
    const { root } = screen(view('view-confirmed.json'), { locale: 'en' });
    await waitFor(() => $$('.artefact--empty', root).length === 2, 'placeholders');
    expect(text(root)).toContain('No image');
  });

  it('returns to the start by itself after a while', () => {
    vi.useFakeTimers();
    const { names } = screen(view('view-confirmed.json'));
    act(() => {
      vi.advanceTimersByTime(91_000);
    });
    expect(names()).toContain('finish');
  });
});

describe('failure and staff states', () => {
  it('an ended session shows the reason and what to do next', () => {
    const { root, names } = screen(view('view-ended.json'));
    expect($('h1', root).textContent).toBe('本次确认已结束');
    expect($('#ended-reason', root).textContent).toContain('未签署诚信承诺，无法完成确认');
    click('#finish');
    expect(names()).toEqual(['finish']);
  });

  it('awaiting staff replaces the step with a "please wait for staff" screen', () => {
    const { root } = screen(view('view-awaiting-staff.json'));
    expect($('h1', root).textContent).toBe('请工作人员协助');
    expect($('#staff-reason', root).textContent).toContain('多次尝试未通过，请工作人员协助。');
    expect(text(root)).toContain('当前步骤：朗读数字');
    expect($$('button', root)).toHaveLength(0);
  });

  it('awaiting staff without a reason still says so', () => {
    const { root } = screen(view('view-awaiting-staff.json', { staffReason: null }), { locale: 'en' });
    expect($('h1', root).textContent).toBe('Please wait for the staff');
    expect(root.querySelector('#staff-reason')).toBeNull();
  });

  it('the commit step shows a saving screen', () => {
    const { root } = screen(view('view-pledge.json', { step: 'commit' }));
    expect($('h1', root).textContent).toBe('正在保存确认信息…');
  });
});

describe('progress bar', () => {
  it('marks steps done, current and to do', () => {
    const root = mount(<Progress view={view('view-photo.json')} />);
    const steps = $$('.progress__step', root);
    expect(steps).toHaveLength(6);
    expect(steps.map((s) => s.className.match(/is-(\w+)/)![1])).toEqual(['done', 'done', 'done', 'current', 'todo', 'todo']);
    expect(steps[3]!.getAttribute('aria-current')).toBe('step');
    expect(progressIndex(view('view-confirmed.json'))).toBe(6);
    expect(progressIndex(null)).toBe(-1);
  });
});
