// The desk's sync worker in the staff console: the hub (or none), the last run, the live progress
// of kiosk://sync-progress, and "sync now" / "export bundle" with their roles and refusals.

import { emit } from '@tauri-apps/api/event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { act } from 'preact/test-utils';
import { useState } from 'preact/hooks';
import { EVENTS } from '../src/api';
import { App } from '../src/app';
import { formatTimestamp } from '../src/format';
import { DeskStatusPanel, type SyncControls } from '../src/staff/Panels';
import { SYNC_SETTLE_MS, StaffApp } from '../src/staff/StaffApp';
import type { AppInfo, DeskStatus, Documents, Locale, Staff, SyncProgressEvent, SyncWorker } from '../src/types';
import { $, $$, clearMocks, click, fixture, flush, mockCommands, mount, text, unmount, waitFor } from './helpers';

const desk = (worker: Partial<SyncWorker> = {}, patch: Partial<DeskStatus['sync']> = {}): DeskStatus => {
  const status = fixture<DeskStatus>('desk-status.json');
  return { ...status, sync: { ...status.sync, ...patch, worker: { ...status.sync.worker, ...worker } } };
};
const progress = (patch: Partial<SyncProgressEvent> = {}): SyncProgressEvent => ({ ...fixture<SyncProgressEvent>('event-sync-progress.json'), ...patch });
const OFFLINE: Partial<SyncWorker> = { hub: null, canExport: true, intervalSecs: null, last: null };

afterEach(() => {
  unmount();
  clearMocks();
  vi.useRealTimers();
  location.hash = '';
});

function panel(
  status: DeskStatus,
  options: { sync?: SyncProgressEvent | null; role?: Staff['role'] | null; locale?: Locale; controls?: boolean; busy?: SyncControls['busy'] } = {},
) {
  const clicks: string[] = [];
  const controls: SyncControls | undefined =
    options.controls === false
      ? undefined
      : {
          role: options.role === undefined ? 'operator' : options.role,
          busy: options.busy ?? null,
          onSyncNow: () => clicks.push('push'),
          onExport: () => clicks.push('export'),
        };
  const root = mount(<DeskStatusPanel status={status} updatedAt={null} sync={options.sync ?? null} controls={controls} />, options.locale ?? 'zh-CN');
  const button = (id: string) => $(`#${id}`, root) as HTMLButtonElement;
  const hints = () => $$('.sync__hints li', root).map((li) => li.dataset.why);
  return { root, clicks, button, hints };
}

describe('the sync section of the desk status', () => {
  it('shows the hub, the automatic interval, the records waiting and the last push time', () => {
    const { root } = panel(desk());
    expect($('[data-testid="sync-hub"]', root).textContent).toBe('https://hub.example.cn:8443');
    expect(root.querySelector('[data-testid="sync-no-hub"]')).toBeNull();
    expect($('.sync__interval', root).textContent).toBe('有待上传记录时每 5 分钟一次');
    expect($('[data-testid="unacked"]', root).textContent).toBe('3');
    expect(text(root)).toContain(formatTimestamp(1796000000000, 'zh-CN'));
    expect($('#sync-title', root).textContent).toBe('数据同步');
  });

  it('an interval that is not whole minutes, or none, is said so', () => {
    expect($('.sync__interval', panel(desk({ intervalSecs: 90 })).root).textContent).toBe('有待上传记录时每 90 秒一次');
    expect($('.sync__interval', panel(desk({ intervalSecs: null }), { locale: 'en' }).root).textContent).toBe('Only on request');
  });

  it('an offline desk says it has no hub and to export a bundle file; sync now is off and says why', () => {
    const zh = panel(desk(OFFLINE));
    expect($('[data-testid="sync-no-hub"]', zh.root).textContent).toBe('未配置上级服务器（离线工作站）——请导出数据包');
    expect(zh.root.querySelector('[data-testid="sync-hub"]')).toBeNull();
    expect(zh.root.querySelector('.sync__interval')).toBeNull();
    expect(zh.button('sync-now').disabled).toBe(true);
    expect(zh.button('sync-now').getAttribute('aria-describedby')).toBe('sync-why-noHub');
    expect($('#sync-why-noHub', zh.root).textContent).toBe('立即同步：本机未配置上级服务器。');

    const en = panel(desk(OFFLINE), { locale: 'en', role: 'admin' });
    expect($('[data-testid="sync-no-hub"]', en.root).textContent).toBe('No hub configured (offline desk) — export a bundle file');
    expect(en.button('sync-now').disabled).toBe(true);
    expect(en.button('sync-export').disabled).toBe(false);
    expect(en.hints()).toEqual(['noHub']);
    click(en.button('sync-export'));
    expect(en.clicks).toEqual(['export']);
  });

  it('a failed last run shows its message in the alert style', () => {
    const { root } = panel(desk());
    const last = $('[data-testid="sync-last"]', root);
    expect(last.dataset.ok).toBe('false');
    expect(last.classList.contains('inline-error')).toBe(true);
    expect($('.sync__title', last).textContent).toBe(`上次上传失败（${formatTimestamp(1796000100000, 'zh-CN')}）`);
    expect($('.sync__detail', last).textContent).toBe(
      'the hub at https://hub.example.cn:8443 is unreachable or failing after 6 attempts: connection refused',
    );

    const failedExport = panel(
      desk({ last: { job: 'export', ok: false, done: 0, at: 1796000100000, message: 'cannot write /media/usb: read-only', file: null } }),
      { locale: 'en' },
    );
    expect($('[data-testid="sync-last"] .sync__title', failedExport.root).textContent).toBe(
      `The last export failed (${formatTimestamp(1796000100000, 'en')})`,
    );
    expect(text(failedExport.root)).toContain('cannot write /media/usb: read-only');
  });

  it('a good run says what was sent, or which bundle was written', () => {
    const at = 1796000200000;
    const pushed = panel(desk({ last: { job: 'push', ok: true, done: 120, at, message: null, file: null } }), { locale: 'en' });
    const last = $('[data-testid="sync-last"]', pushed.root);
    expect(last.dataset.ok).toBe('true');
    expect(last.classList.contains('inline-ok')).toBe(true);
    expect(last.textContent).toBe(`Records sent at ${formatTimestamp(at, 'en')}: 120`);

    const nothing = panel(desk({ last: { job: 'push', ok: true, done: 0, at, message: null, file: null } }));
    expect($('[data-testid="sync-last"]', nothing.root).textContent).toBe(`已于 ${formatTimestamp(at, 'zh-CN')} 检查：没有待上传的记录`);

    const file = '/media/usb/desk-01-1796000200000.zkbundle';
    const exported = panel(desk({ last: { job: 'export', ok: true, done: 3, at, message: null, file } }));
    expect($('[data-testid="sync-last"]', exported.root).textContent).toBe(`已于 ${formatTimestamp(at, 'zh-CN')} 导出数据包（3 条记录）：${file}`);

    expect(panel(desk({ last: null })).root.querySelector('[data-testid="sync-last"]')).toBeNull();
  });

  it('shows the live progress of a run, and turns both buttons off while it runs', () => {
    const { root, button, hints } = panel(desk(), { sync: progress(), role: 'admin' });
    const line = $('[data-testid="sync-progress"]', root);
    expect(line.textContent).toBe('正在上传… 40 / 120');
    expect(line.getAttribute('role')).toBe('status');
    const bar = $('progress', line) as HTMLProgressElement;
    expect([bar.value, bar.max]).toEqual([40, 120]);
    expect(button('sync-now').disabled).toBe(true);
    expect(button('sync-export').disabled).toBe(true);
    expect(hints()).toEqual(['running']);
    expect($('#sync-why-running', root).textContent).toBe('同步正在进行中。');
    expect(button('sync-export').getAttribute('aria-describedby')).toBe('sync-why-running');
  });

  it('says each stage: started, sending, retrying with its message, an export', () => {
    const en = (event: SyncProgressEvent) => $('[data-testid="sync-progress"]', panel(desk(), { sync: event, locale: 'en' }).root);
    expect(en(progress({ stage: 'started', done: 0 })).textContent).toBe('Starting the upload… 0 / 120');
    expect(en(progress({ stage: 'sending', done: 80 })).textContent).toBe('Sending… 80 / 120');
    const retrying = en(progress({ stage: 'retrying', message: 'attempt 2: connection refused' }));
    expect(retrying.classList.contains('is-retrying')).toBe(true);
    expect($('.sync__line', retrying).textContent).toBe('Retrying… 40 / 120');
    expect($('.sync__detail', retrying).textContent).toBe('attempt 2: connection refused');
    expect(en(progress({ job: 'export', stage: 'sending', done: 2, total: 3 })).textContent).toBe('Writing the bundle file… 2 / 3');
    // nothing waiting: no bar
    expect(en(progress({ stage: 'started', done: 0, total: 0 })).querySelector('progress')).toBeNull();
  });

  it('a run that ended shows no progress; a run queued before its first event says it runs', () => {
    for (const stage of ['finished', 'failed'] as const) {
      const { root, button } = panel(desk(), { sync: progress({ stage }) });
      expect(root.querySelector('[data-testid="sync-progress"]')).toBeNull();
      expect(root.querySelector('[data-testid="sync-running"]')).toBeNull();
      expect(button('sync-now').disabled).toBe(false);
    }
    const queued = panel(desk({ running: 'export' }), { role: 'admin' });
    expect($('[data-testid="sync-running"]', queued.root).textContent).toBe('正在写出数据包…');
    expect(queued.button('sync-now').disabled).toBe(true);
    expect(queued.button('sync-export').disabled).toBe(true);
  });

  it('export is for a site admin only: an operator or a reviewer sees it off and why', () => {
    for (const role of ['operator', 'reviewer'] as const) {
      const { root, button, hints, clicks } = panel(desk(), { role });
      expect(button('sync-now').disabled).toBe(false);
      expect(button('sync-export').disabled).toBe(true);
      expect(hints()).toEqual(['adminOnly']);
      expect($('#sync-why-adminOnly', root).textContent).toBe('导出数据包：仅限站点管理员。');
      click(button('sync-export'));
      click(button('sync-now'));
      expect(clicks).toEqual(['push']);
    }
  });

  it('an admin can sync and export; without a hub key export is off and says why', () => {
    const admin = panel(desk(), { role: 'admin' });
    expect(admin.button('sync-now').disabled).toBe(false);
    expect(admin.button('sync-export').disabled).toBe(false);
    expect(admin.hints()).toEqual([]);
    expect(admin.root.querySelector('.sync__hints')).toBeNull();
    click(admin.button('sync-now'));
    click(admin.button('sync-export'));
    expect(admin.clicks).toEqual(['push', 'export']);
    // keyboard: real buttons, in the tab order, with their names
    expect(admin.button('sync-now').tagName).toBe('BUTTON');
    expect(admin.button('sync-now').getAttribute('type')).toBe('button');
    expect([admin.button('sync-now').textContent, admin.button('sync-export').textContent]).toEqual(['立即同步', '导出数据包']);
    expect(admin.button('sync-now').classList.contains('btn--md')).toBe(true);

    const noKey = panel(desk({ canExport: false }), { role: 'admin', locale: 'en' });
    expect(noKey.button('sync-export').disabled).toBe(true);
    expect(noKey.hints()).toEqual(['noHubKey']);
    expect($('#sync-why-noHubKey', noKey.root).textContent).toBe('Export bundle: no hub public key is configured.');
  });

  it('a call waiting for its answer shows busy on its button', () => {
    const { button } = panel(desk(), { role: 'admin', busy: 'push' });
    expect(button('sync-now').getAttribute('aria-busy')).toBe('true');
    expect(button('sync-now').disabled).toBe(true);
    expect(button('sync-export').getAttribute('aria-busy')).toBeNull();
  });

  it('without controls (not signed in) there are no buttons', () => {
    const { root } = panel(desk(), { controls: false });
    expect(root.querySelector('#sync-now')).toBeNull();
    expect(root.querySelector('[data-testid="sync-hub"]')).not.toBeNull();
  });
});

describe('sync in the staff console', () => {
  const admin: Staff = { ...fixture<Staff>('staff.json'), role: 'admin' };

  /** The console signed in as `staff`; `sync` is the latest kiosk://sync-progress (settable). */
  async function signedIn(staff: Staff, handlers: Parameters<typeof mockCommands>[0] = {}) {
    let status = desk();
    const calls = mockCommands({
      staff_sign_in: () => staff,
      desk_status: () => status,
      review: () => null,
      staff_sign_out: () => null,
      ...handlers,
    });
    let setSync: (event: SyncProgressEvent | null) => void = () => undefined;
    function Harness() {
      const [signed, setSigned] = useState<Staff | null>(null);
      const [sync, setSyncState] = useState<SyncProgressEvent | null>(null);
      setSync = setSyncState;
      return (
        <StaffApp
          view={null}
          alerts={[]}
          sync={sync}
          applyView={() => undefined}
          dismissAlert={() => undefined}
          onToggleLocale={() => undefined}
          onBack={() => undefined}
          staff={signed}
          setStaff={setSigned}
        />
      );
    }
    const root = mount(<Harness />);
    act(() => {
      const operator = $('#staff-operator', root) as HTMLInputElement;
      const secret = $('#staff-secret', root) as HTMLInputElement;
      operator.value = staff.operator;
      operator.dispatchEvent(new Event('input', { bubbles: true }));
      secret.value = '2468';
      secret.dispatchEvent(new Event('input', { bubbles: true }));
    });
    click('#staff-sign-in');
    await waitFor(() => root.querySelector('#sync-now') !== null, 'the sync section');
    return {
      root,
      calls,
      deskCalls: () => calls.filter((c) => c.cmd === 'desk_status').length,
      setDesk: (next: DeskStatus) => (status = next),
      emitSync: (event: SyncProgressEvent) => act(() => setSync(event)),
    };
  }

  it('sync now sends the token, and the queued push turns the buttons off at once', async () => {
    const { root, calls } = await signedIn(admin, { sync_now: () => ({ ...desk().sync.worker, running: 'push' }) });
    click('#sync-now');
    await waitFor(() => root.querySelector('[data-testid="sync-running"]') !== null, 'the queued push');
    expect(calls.filter((c) => c.cmd === 'sync_now').map((c) => c.args)).toEqual([{ token: admin.token }]);
    expect($('[data-testid="sync-running"]', root).textContent).toBe('正在上传到上级服务器…');
    expect(($('#sync-now', root) as HTMLButtonElement).disabled).toBe(true);
    expect(($('#sync-export', root) as HTMLButtonElement).disabled).toBe(true);
    expect(root.querySelector('[role="alert"][data-error]')).toBeNull();
  });

  it('export bundle sends the token to sync_export', async () => {
    const { root, calls } = await signedIn(admin, { sync_export: () => ({ ...desk().sync.worker, running: 'export' }) });
    click('#sync-export');
    await waitFor(() => root.querySelector('[data-testid="sync-running"][data-job="export"]') !== null, 'the queued export');
    expect(calls.filter((c) => c.cmd === 'sync_export').map((c) => c.args)).toEqual([{ token: admin.token }]);
  });

  it('sync.not_configured shows through the console error, localised, and the buttons come back', async () => {
    const { root } = await signedIn(admin, {
      sync_now: () => Promise.reject({ code: 'sync.not_configured', message: 'no hub is configured for this desk', retryable: false }),
    });
    click('#sync-now');
    await waitFor(() => root.querySelector('[data-error="sync.not_configured"]') !== null, 'the error');
    expect($('[data-error="sync.not_configured"]', root).getAttribute('role')).toBe('alert');
    expect($('[data-error="sync.not_configured"] .notice__text', root).textContent).toBe(
      '本机未配置上级服务器（或其公钥），无法执行此操作；请导出数据包或联系管理员。',
    );
    expect(($('#sync-now', root) as HTMLButtonElement).disabled).toBe(false);
    expect($('#sync-now', root).getAttribute('aria-busy')).toBeNull();
    // still signed in
    expect(root.querySelector('#sync-now')).not.toBeNull();
  });

  it('a refused role shows staff.role', async () => {
    const { root } = await signedIn(admin, {
      sync_export: () => Promise.reject({ code: 'staff.role', message: 'export needs admin', retryable: false }),
    });
    click('#sync-export');
    await waitFor(() => root.querySelector('[data-error="staff.role"]') !== null, 'the error');
    expect(text(root)).toContain('当前账号权限不足，无法执行此操作。');
  });

  it('an operator signed in cannot export', async () => {
    const { root } = await signedIn(fixture<Staff>('staff.json'));
    expect(($('#sync-export', root) as HTMLButtonElement).disabled).toBe(true);
    expect(($('#sync-now', root) as HTMLButtonElement).disabled).toBe(false);
    expect($('#sync-why-adminOnly', root)).toBeTruthy();
  });

  it('the end of a run refreshes the desk status at once, and again as the worker settles', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const { root, deskCalls, setDesk, emitSync } = await signedIn(admin);
    emitSync(progress());
    await flush();
    expect($('[data-testid="sync-progress"]', root).textContent).toBe('正在上传… 40 / 120');
    const before = deskCalls();
    expect(before).toBeGreaterThan(0);
    setDesk(desk({ last: { job: 'push', ok: true, done: 120, at: 1796000200000, message: null, file: null } }, { unacked: 0 }));
    emitSync(progress({ stage: 'finished', done: 120 }));
    await flush();
    expect(deskCalls()).toBe(before + 1);
    expect(root.querySelector('[data-testid="sync-progress"]')).toBeNull();
    expect($('[data-testid="unacked"]', root).textContent).toBe('0');
    expect($('[data-testid="sync-last"]', root).dataset.ok).toBe('true');
    await act(async () => {
      vi.advanceTimersByTime(SYNC_SETTLE_MS + 10);
    });
    await flush();
    expect(deskCalls()).toBe(before + 2);
  });

  it('a failed run refreshes too; progress events mid-run do not', async () => {
    const { deskCalls, emitSync } = await signedIn(admin);
    const before = deskCalls();
    emitSync(progress({ stage: 'sending' }));
    emitSync(progress({ stage: 'retrying', message: 'attempt 2' }));
    await flush();
    expect(deskCalls()).toBe(before);
    emitSync(progress({ stage: 'failed', done: 0, total: 0, message: 'unreachable' }));
    await flush();
    expect(deskCalls()).toBe(before + 1);
  });

  it('the root passes kiosk://sync-progress to the console', async () => {
    const info = fixture<AppInfo>('app-info.json');
    mockCommands({
      app_info: () => info,
      documents: () => fixture<Documents>('documents.json'),
      current_view: () => null,
      staff_sign_in: () => admin,
      desk_status: () => desk(),
      review: () => null,
    });
    location.hash = '#/staff';
    const root = mount(<App />);
    await flush();
    act(() => {
      const operator = $('#staff-operator', root) as HTMLInputElement;
      const secret = $('#staff-secret', root) as HTMLInputElement;
      operator.value = admin.operator;
      operator.dispatchEvent(new Event('input', { bubbles: true }));
      secret.value = '2468';
      secret.dispatchEvent(new Event('input', { bubbles: true }));
    });
    click('#staff-sign-in');
    await waitFor(() => root.querySelector('#sync-now') !== null, 'the sync section');
    await act(() => emit(EVENTS.syncProgress, fixture('event-sync-progress.json')));
    await waitFor(() => root.querySelector('[data-testid="sync-progress"]') !== null, 'the progress');
    expect($('[data-testid="sync-progress"]', root).textContent).toBe('正在上传… 40 / 120');
  });
});
