// The root with a mocked backend: events drive the screens, commands never block the UI, the idle
// modal, the language toggle and the staff console.

import { emit } from '@tauri-apps/api/event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { act } from 'preact/test-utils';
import { useState } from 'preact/hooks';
import { EVENTS } from '../src/api';
import { App } from '../src/app';
import { CandidateApp } from '../src/candidate/CandidateApp';
import { StaffApp } from '../src/staff/StaffApp';
import type { AppInfo, Documents, Staff, View } from '../src/types';
import { $, $$, clearMocks, click, fixture, flush, mockCommands, mount, text, unmount, waitFor, type IpcCall } from './helpers';

const view = (name: string, patch: Partial<View> = {}): View => ({ ...fixture<View>(name), ...patch });
const info = fixture<AppInfo>('app-info.json');
const docs = fixture<Documents>('documents.json');

afterEach(() => {
  unmount();
  clearMocks();
  vi.useRealTimers();
  location.hash = '';
});

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('the kiosk root', () => {
  it('boots from app_info/documents/current_view and follows kiosk://step-changed while give_consent runs', async () => {
    const consent = deferred<View>();
    const calls = mockCommands({
      app_info: () => info,
      documents: () => docs,
      current_view: () => null,
      start_session: () => view('view-consent.json'),
      give_consent: () => consent.promise,
      artefact_image: () => fixture('artefact-image.json'),
    });
    const root = mount(<App />);
    await waitFor(() => root.querySelector('#start') !== null, 'the welcome screen');
    expect($('#sim-banner', root).textContent).toContain('演示模式');
    expect(root.querySelector('.progress')).toBeNull();

    click('#start');
    await waitFor(() => root.querySelector('[data-screen="consent"]') !== null, 'the consent screen');
    expect(root.querySelector('.progress')).not.toBeNull();

    click('#give-consent');
    await flush();
    // give_consent has not returned; the events move the screens along
    expect($('#give-consent', root).getAttribute('aria-busy')).toBe('true');
    await act(() => emit(EVENTS.stepChanged, view('view-idcard-failed.json', { lastReason: null, attempt: 1 })));
    await waitFor(() => root.querySelector('[data-screen="idcard"]') !== null, 'the card screen');
    await act(() => emit(EVENTS.stepChanged, view('view-liveness.json')));
    await waitFor(() => root.querySelector('#digits') !== null, 'the digits');
    await act(() => emit(EVENTS.stepChanged, view('view-photo.json')));
    await waitFor(() => root.querySelector('[data-screen="photo"]') !== null, 'the photo screen');
    consent.resolve(view('view-pledge.json'));
    await waitFor(() => root.querySelector('[data-screen="pledge"]') !== null, 'the pledge screen');
    expect(calls.map((c) => c.cmd)).toEqual(['app_info', 'documents', 'current_view', 'start_session', 'give_consent']);
  });

  it('shows a command error in the screen language and offers retry when Rust says so', async () => {
    let fail = true;
    mockCommands({
      app_info: () => info,
      documents: () => docs,
      current_view: () => null,
      start_session: () => (fail ? Promise.reject({ code: 'device', message: 'camera busy', retryable: true }) : view('view-consent.json')),
    });
    const root = mount(<App />);
    await waitFor(() => root.querySelector('#start') !== null, 'welcome');
    click('#start');
    await waitFor(() => root.querySelector('[data-error="device"]') !== null, 'the error');
    expect(text($('[data-error="device"]', root))).toContain('设备出现问题，请重试或联系工作人员。');
    fail = false;
    click($('[data-error="device"] .btn--secondary', root));
    await waitFor(() => root.querySelector('[data-screen="consent"]') !== null, 'consent after retry');
    expect(root.querySelector('[data-error]')).toBeNull();
  });

  it('an open session is shown instead of an error', async () => {
    mockCommands({
      app_info: () => info,
      documents: () => docs,
      current_view: () => null,
      start_session: () => Promise.reject(fixture('error.json')),
    });
    const root = mount(<App />);
    await waitFor(() => root.querySelector('#start') !== null, 'welcome');
    mockCommands({ current_view: () => view('view-photo.json'), start_session: () => Promise.reject(fixture('error.json')) });
    click('#start');
    await waitFor(() => root.querySelector('[data-screen="photo"]') !== null, 'the running session');
  });

  it('the language toggle switches every text, and the start screen goes back to the default', async () => {
    mockCommands({ app_info: () => info, documents: () => docs, current_view: () => view('view-ended.json') });
    const root = mount(<App />);
    await waitFor(() => root.querySelector('[data-screen="ended"]') !== null, 'the ended screen');
    expect($('h1', root).textContent).toBe('本次确认已结束');
    click('#lang-toggle');
    expect($('h1', root).textContent).toBe('This confirmation has ended');
    expect(document.documentElement.lang).toBe('en');
    expect($('#ended-reason', root).textContent).toContain('The pledge was not accepted');
    expect($('#lang-toggle', root).textContent).toBe('中文');
    click('#finish');
    expect($('h1', root).textContent).toBe('自学考试报名现场确认');
  });

  it('a failed boot says so and can be retried', async () => {
    let up = false;
    mockCommands({
      app_info: () => (up ? info : Promise.reject({ code: 'config', message: 'no config', retryable: false })),
      documents: () => docs,
      current_view: () => null,
    });
    const root = mount(<App />);
    await waitFor(() => root.querySelector('#boot-retry') !== null, 'the boot error');
    expect(text(root)).toContain('本机配置有误');
    up = true;
    click('#boot-retry');
    await waitFor(() => root.querySelector('#start') !== null, 'welcome');
  });

  it('a long press on the emblem opens the staff console', async () => {
    mockCommands({ app_info: () => info, documents: () => docs, current_view: () => null });
    const root = mount(<App />);
    await waitFor(() => root.querySelector('#start') !== null, 'welcome');
    vi.useFakeTimers();
    const emblem = $('[data-testid="emblem"]', root);
    act(() => {
      emblem.dispatchEvent(new Event('pointerdown', { bubbles: true }));
      vi.advanceTimersByTime(1500);
      emblem.dispatchEvent(new Event('pointerup', { bubbles: true }));
      vi.advanceTimersByTime(3000);
    });
    expect(root.querySelector('[data-route="staff"]')).toBeNull();
    act(() => {
      emblem.dispatchEvent(new Event('pointerdown', { bubbles: true }));
      vi.advanceTimersByTime(3000);
    });
    expect(root.querySelector('[data-route="staff"]')).not.toBeNull();
    expect(location.hash).toBe('#/staff');
  });
});

describe('idle warning', () => {
  function candidate(v: View, calls: IpcCall[] = []) {
    const applied: (View | null)[] = [];
    function Harness() {
      const [current, setCurrent] = useState<View | null>(v);
      return (
        <CandidateApp
          info={info}
          docs={docs}
          view={current}
          devices={{}}
          applyView={(next) => {
            applied.push(next);
            setCurrent(next);
          }}
          onToggleLocale={() => undefined}
          onOpenStaff={() => undefined}
        />
      );
    }
    return { root: mount(<Harness />), applied, calls };
  }

  it('shows "are you still there" with a countdown, and Continue calls activity()', async () => {
    const calls = mockCommands({ activity: () => view('view-pledge.json') });
    const { root, applied } = candidate(view('view-pledge.json', { idleWarningSecs: 20 }), calls);
    expect($('[data-testid="idle-modal"]', root).textContent).toContain('您还在吗？');
    expect($('.idle__count', root).textContent).toBe('20');
    expect($('[role="dialog"]', root).getAttribute('aria-modal')).toBe('true');
    click('#idle-continue');
    await flush();
    expect(calls.filter((c) => c.cmd === 'activity')).toHaveLength(1);
    expect(applied.at(-1)?.idleWarningSecs).toBeNull();
    expect(document.querySelector('[data-testid="idle-modal"]')).toBeNull();
  });

  it('counts down each second', () => {
    vi.useFakeTimers();
    mockCommands({});
    const { root } = candidate(view('view-pledge.json', { idleWarningSecs: 20 }));
    act(() => {
      vi.advanceTimersByTime(3100);
    });
    expect($('.idle__count', root).textContent).toBe('17');
    expect(text($('[data-testid="idle-modal"]', root))).toContain('17 秒后将结束本次确认');
  });

  it('any touch during a session calls activity(), at most once every 2 s', async () => {
    const calls = mockCommands({ activity: () => view('view-pledge.json') });
    const now = vi.spyOn(Date, 'now');
    now.mockReturnValue(10_000);
    const { root } = candidate(view('view-pledge.json'), calls);
    const touch = () => act(() => void root.querySelector('.document')!.dispatchEvent(new Event('pointerdown', { bubbles: true })));
    touch();
    touch();
    now.mockReturnValue(11_500);
    touch();
    expect(calls.filter((c) => c.cmd === 'activity')).toHaveLength(1);
    now.mockReturnValue(12_100);
    touch();
    expect(calls.filter((c) => c.cmd === 'activity')).toHaveLength(2);
    await flush();
  });

  it('no activity() without a session', async () => {
    const calls = mockCommands({ app_info: () => info, documents: () => docs, current_view: () => null, activity: () => null });
    const root = mount(<App />);
    await waitFor(() => root.querySelector('#start') !== null, 'welcome');
    act(() => void root.querySelector('.welcome')!.dispatchEvent(new Event('pointerdown', { bubbles: true })));
    expect(calls.filter((c) => c.cmd === 'activity')).toHaveLength(0);
  });
});

describe('staff console', () => {
  const staff = fixture<Staff>('staff.json');

  function console_(v: View | null, handlers: Parameters<typeof mockCommands>[0]) {
    const calls = mockCommands({
      desk_status: () => fixture('desk-status.json'),
      review: () => fixture('review.json'),
      artefact_image: (args) => ({ mime: 'image/png', dataUrl: `data:image/png;base64,${btoa(String(args?.id))}` }),
      staff_sign_out: () => null,
      ...handlers,
    });
    const applied: (View | null)[] = [];
    function Harness() {
      const [signedIn, setSignedIn] = useState<Staff | null>(null);
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
        />
      );
    }
    return { root: mount(<Harness />), calls, applied };
  }

  it('signs in with operator and PIN, then shows desk status', async () => {
    const { root, calls } = console_(null, { staff_sign_in: () => staff });
    const operator = $('#staff-operator', root) as HTMLInputElement;
    const secret = $('#staff-secret', root) as HTMLInputElement;
    expect(($('#staff-sign-in', root) as HTMLButtonElement).disabled).toBe(true);
    act(() => {
      operator.value = 'demo-staff';
      operator.dispatchEvent(new Event('input', { bubbles: true }));
      secret.value = '2468';
      secret.dispatchEvent(new Event('input', { bubbles: true }));
    });
    click('#staff-sign-in');
    await waitFor(() => root.querySelector('[data-testid="devices"]') !== null, 'desk status');
    expect(calls.find((c) => c.cmd === 'staff_sign_in')?.args).toEqual({ operator: 'demo-staff', secret: '2468' });
    expect(calls.find((c) => c.cmd === 'desk_status')?.args).toEqual({ token: staff.token });
    expect($('[data-testid="signed-in-as"]', root).textContent).toBe('demo-staff · 操作员');
    expect($$('[data-testid="devices"] li', root).map((li) => li.dataset.device)).toEqual([
      'id_card_reader',
      'camera',
      'microphone',
      'signature_pad',
    ]);
    expect($('[data-device="signature_pad"]', root).textContent).toContain('serial port /dev/ttyUSB1 disconnected');
    expect($('[data-testid="unacked"]', root).textContent).toBe('3');
    expect($('[data-testid="serials"]', root).textContent).toBe('488');
    expect(text(root)).not.toContain('尚未上传');
    expect($('[data-testid="sync-hub"]', root).textContent).toBe('https://hub.example.cn:8443');
  });

  it('a wrong PIN shows the localised error and keeps the form', async () => {
    const { root } = console_(null, { staff_sign_in: () => Promise.reject({ code: 'staff.sign_in_failed', message: 'refused', retryable: false }) });
    const operator = $('#staff-operator', root) as HTMLInputElement;
    const secret = $('#staff-secret', root) as HTMLInputElement;
    act(() => {
      operator.value = 'x';
      operator.dispatchEvent(new Event('input', { bubbles: true }));
      secret.value = 'y';
      secret.dispatchEvent(new Event('input', { bubbles: true }));
    });
    click('#staff-sign-in');
    await waitFor(() => root.querySelector('[data-error="staff.sign_in_failed"]') !== null, 'the error');
    expect(text(root)).toContain('工号或密码不正确');
    expect(secret.value).toBe('');
  });

  async function signedIn(v: View | null, handlers: Parameters<typeof mockCommands>[0] = {}) {
    const harness = console_(v, { staff_sign_in: () => staff, ...handlers });
    const { root } = harness;
    act(() => {
      const operator = $('#staff-operator', root) as HTMLInputElement;
      const secret = $('#staff-secret', root) as HTMLInputElement;
      operator.value = 'demo-staff';
      operator.dispatchEvent(new Event('input', { bubbles: true }));
      secret.value = '2468';
      secret.dispatchEvent(new Event('input', { bubbles: true }));
    });
    click('#staff-sign-in');
    await waitFor(() => document.querySelector('[data-testid="devices"]') !== null, 'desk status');
    return harness;
  }

  it('shows the live step and the review: three images, score bars with thresholds, reasons', async () => {
    const { root } = await signedIn(view('view-awaiting-staff.json'));
    expect($('[data-testid="live-step"]', root).textContent).toBe('朗读数字');
    expect($('[data-testid="awaiting"]', root)).toBeTruthy();
    await waitFor(() => $$('.evidence img', document).length === 2, 'evidence images');
    expect($$('.evidence figure', root).map((f) => f.dataset.image)).toEqual(['idPhoto', 'liveFrame', 'registrationPhoto']);
    expect($('[data-image="registrationPhoto"] .artefact--empty', root)).toBeTruthy();
    const scores = $$('.score', root);
    expect(scores.map((s) => s.dataset.score)).toEqual(['one_face_fraction', 'speech_secs', 'lip_sync', 'face_distance_median', 'face_distance_review']);
    const lip = $('[data-score="lip_sync"]', root);
    expect(lip.classList.contains('is-failed')).toBe(true);
    expect(lip.textContent).toContain('阈值 0.35');
    expect(($('.score__threshold', lip) as HTMLElement).style.left).toBe('35.0%');
    expect(($('.score__fill', lip) as HTMLElement).style.width).toBe('31.0%');
    expect($$('[data-testid="review-reasons"] li', root).map((li) => li.querySelector('code')!.textContent)).toEqual([
      'match.face_uncertain',
      'liveness.lip_sync',
    ]);
  });

  it('approve needs a note and sends reason, note and no second token', async () => {
    const sent: unknown[] = [];
    const { root, applied } = await signedIn(view('view-awaiting-staff.json'), {
      staff_command: (args) => {
        sent.push(args?.command);
        return view('view-photo.json');
      },
    });
    await waitFor(() => root.querySelector('#review-decision-submit') !== null, 'the decision form');
    click('#review-decision-submit');
    await flush();
    expect(text(root)).toContain('请填写说明');
    expect(sent).toEqual([]);
    const note = $('#review-decision-note', root) as HTMLTextAreaElement;
    act(() => {
      note.value = '  checked the card by eye  ';
      note.dispatchEvent(new Event('input', { bubbles: true }));
    });
    expect(($('#review-decision-reason', root) as HTMLSelectElement).value).toBe('match.face_uncertain');
    click('#review-decision-submit');
    await waitFor(() => sent.length === 1, 'the command');
    expect(sent[0]).toEqual({ kind: 'approve', reason: 'match.face_uncertain', note: 'checked the card by eye', secondToken: null });
    await flush();
    expect(applied.at(-1)?.step).toBe('photo');
  });

  it('an approval refused for the role asks a second member of staff and sends their token', async () => {
    const sent: { command: unknown }[] = [];
    const second: Staff = { token: 'second-token', operator: 'reviewer-2', role: 'reviewer' };
    const { root, calls } = await signedIn(view('view-awaiting-staff.json'), {
      staff_command: (args) => {
        const command = args?.command as { secondToken: string | null };
        sent.push({ command });
        return command.secondToken ? view('view-photo.json') : Promise.reject({ code: 'staff.role', message: 'a second person is required', retryable: false });
      },
    });
    await waitFor(() => root.querySelector('#review-decision-note') !== null, 'the form');
    const note = $('#review-decision-note', root) as HTMLTextAreaElement;
    act(() => {
      note.value = 'ok';
      note.dispatchEvent(new Event('input', { bubbles: true }));
    });
    click('#review-decision-submit');
    await waitFor(() => root.querySelector('#review-decision-second-operator') !== null, 'second sign-in');
    mockCommands({
      staff_sign_in: () => second,
      staff_command: (args) => {
        sent.push({ command: args?.command });
        return view('view-photo.json');
      },
      staff_sign_out: () => null,
      desk_status: () => fixture('desk-status.json'),
      review: () => null,
    });
    act(() => {
      const op = $('#review-decision-second-operator', root) as HTMLInputElement;
      const pin = $('#review-decision-second-secret', root) as HTMLInputElement;
      op.value = 'reviewer-2';
      op.dispatchEvent(new Event('input', { bubbles: true }));
      pin.value = '1357';
      pin.dispatchEvent(new Event('input', { bubbles: true }));
    });
    click($('.second .btn', root));
    await waitFor(() => text(root).includes('已由 reviewer-2 确认'), 'second confirmed');
    click('#review-decision-submit');
    await waitFor(() => sent.length === 2, 'the second attempt');
    expect(sent[1]!.command).toMatchObject({ kind: 'approve', secondToken: 'second-token' });
    expect(calls.length).toBeGreaterThan(0);
  });

  it('take over, retry and a confirmed cancel send their commands', async () => {
    const sent: unknown[] = [];
    const { root } = await signedIn(view('view-liveness.json'), {
      staff_command: (args) => {
        sent.push(args?.command);
        return view('view-liveness.json');
      },
    });
    expect(($('#staff-approve', root) as HTMLButtonElement).disabled).toBe(true);
    click('#staff-take-over');
    await flush();
    click('#staff-retry');
    await flush();
    click('#staff-cancel');
    expect($('[role="dialog"]', root).textContent).toContain('确定取消本次确认吗');
    click('#staff-cancel-confirm');
    await waitFor(() => sent.length === 3, 'three commands');
    expect(sent).toEqual([{ kind: 'takeOver' }, { kind: 'retry' }, { kind: 'cancel' }]);
  });

  it('an expired staff session returns to sign-in and says why', async () => {
    const { root } = await signedIn(view('view-liveness.json'), {
      staff_command: () => Promise.reject({ code: 'staff.expired', message: 'timed out', retryable: false }),
    });
    click('#staff-take-over');
    await waitFor(() => root.querySelector('#sign-in-expired') !== null, 'the sign-in form');
    expect(text(root)).toContain('登录已过期，请重新登录。');
    expect(root.querySelector('[data-testid="devices"]')).toBeNull();
  });

  it('desk status refreshes every 5 s', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const { calls } = await signedIn(null);
    const before = calls.filter((c) => c.cmd === 'desk_status').length;
    await act(async () => {
      vi.advanceTimersByTime(10_100);
    });
    expect(calls.filter((c) => c.cmd === 'desk_status').length - before).toBe(2);
  });

  it('a staff alert shows a banner and plays a tone', async () => {
    const tones: number[] = [];
    class FakeAudioContext {
      currentTime = 0;
      destination = {};
      createGain() {
        return { connect() {}, gain: { setValueAtTime() {}, exponentialRampToValueAtTime() {} } };
      }
      createOscillator() {
        const osc = { type: '', frequency: { value: 0 }, connect() {}, start: () => tones.push(osc.frequency.value), stop() {} };
        return osc;
      }
      close() {
        return Promise.resolve();
      }
    }
    vi.stubGlobal('AudioContext', FakeAudioContext);
    mockCommands({ app_info: () => info, documents: () => docs, current_view: () => view('view-awaiting-staff.json') });
    location.hash = '#/staff';
    const root = mount(<App />);
    await flush();
    await act(() => emit(EVENTS.staffAlert, fixture('event-staff-alert.json')));
    await waitFor(() => root.querySelector('[data-testid="staff-alert"]') !== null, 'the alert');
    expect($('[data-testid="staff-alert"]', root).textContent).toContain('步骤：朗读数字');
    expect(tones).toEqual([880, 660]);
    vi.unstubAllGlobals();
    click('#alert-dismiss');
    expect(root.querySelector('[data-testid="staff-alert"]')).toBeNull();
  });
});
