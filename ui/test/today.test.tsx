// Today's list in the staff console (`today_list`): the table under the "today" counts, its
// outcome labels and upload badges, the empty state, and its fetch with the desk status.

import { afterEach, describe, expect, it, vi } from 'vitest';
import { act } from 'preact/test-utils';
import { useState } from 'preact/hooks';
import * as api from '../src/api';
import { formatTimestamp } from '../src/format';
import { DeskStatusPanel, TodayList } from '../src/staff/Panels';
import { DESK_REFRESH_MS, SYNC_SETTLE_MS, StaffApp } from '../src/staff/StaffApp';
import type { DeskStatus, Staff, SyncProgressEvent, TodaySession } from '../src/types';
import { $, $$, clearMocks, click, fixture, flush, mockCommands, mount, unmount, waitFor } from './helpers';

const rows = () => fixture<TodaySession[]>('today-list.json');
const cells = (row: HTMLElement) => [...row.children].map((cell) => (cell.textContent ?? '').replace(/\s+/g, ' ').trim());

afterEach(() => {
  unmount();
  clearMocks();
  vi.useRealTimers();
});

describe('the today list', () => {
  it('is a table with a caption and column headers, one row per session, newest first', () => {
    const root = mount(<TodayList rows={rows()} />);
    const table = $('[data-testid="today-list"]', root);
    expect(table.tagName).toBe('TABLE');
    expect($('caption', table).textContent).toBe('本机今日考生（3 人）');
    const heads = $$('thead th', table);
    expect(heads.map((th) => th.textContent)).toEqual(['开始时间', '结果', '报名号', '上传']);
    expect(heads.every((th) => th.getAttribute('scope') === 'col')).toBe(true);
    const trs = $$('[data-testid="today-row"]', table);
    expect(trs.map((tr) => tr.dataset.session)).toEqual(['12', '11', '10']);
    expect(trs.map((tr) => tr.dataset.outcome)).toEqual(['running', 'ended', 'confirmed']);
    // the start time as HH:MM, a row header
    for (const [i, row] of rows().entries()) {
      const time = $('th', trs[i]);
      expect(time.getAttribute('scope')).toBe('row');
      expect(time.textContent).toBe(formatTimestamp(row.startedAt, 'zh-CN', { timeOnly: true }));
      expect(time.textContent).toMatch(/^\d{2}:\d{2}$/);
    }
  });

  it('says confirmed with the admission number in monospace, the reason code, or in progress', () => {
    const root = mount(<TodayList rows={rows()} />);
    const [running, rejected, confirmed] = $$('[data-testid="today-row"]', root);
    expect(cells(running).slice(1)).toEqual(['进行中', '—无', '—无']);
    expect(cells(rejected)[1]).toBe('已结束 staff.rejected');
    expect($('code', rejected).textContent).toBe('staff.rejected');
    expect(cells(confirmed)[1]).toBe('已确认 42 01 271 00001');
    const admission = $('[data-testid="today-admission"]', confirmed);
    expect(admission.classList.contains('mono')).toBe(true);
    expect(cells(confirmed)[2]).toBe('271420100001');
    expect($('[data-testid="today-synced"]', confirmed).textContent).toBe('已上传');
    // only confirmed rows carry an upload badge
    expect(running.querySelector('[data-testid="today-synced"]')).toBeNull();
    expect(rejected.querySelector('[data-testid="today-synced"]')).toBeNull();
  });

  it('a confirmed session not yet uploaded says waiting; English labels', () => {
    const list = rows();
    list[2] = { ...list[2], synced: false };
    list[1] = { ...list[1], outcome: 'consent.declined' };
    const root = mount(<TodayList rows={list} />, 'en');
    const [running, declined, confirmed] = $$('[data-testid="today-row"]', root);
    expect($('caption', root).textContent).toBe("Today's candidates at this desk (3)");
    expect($$('thead th', root).map((th) => th.textContent)).toEqual(['Started', 'Outcome', 'Registration no.', 'Upload']);
    expect(cells(running)[1]).toBe('In progress');
    expect(cells(declined)[1]).toBe('Ended consent.declined');
    expect(cells(confirmed)[1]).toBe('Confirmed 42 01 271 00001');
    const badge = $('[data-testid="today-synced"]', confirmed);
    expect(badge.textContent).toBe('Waiting');
    expect(badge.dataset.synced).toBe('false');
    expect($('.visually-hidden', running).textContent).toBe('None');
  });

  it('an empty day says so, without a table', () => {
    const zh = mount(<TodayList rows={[]} />);
    expect(zh.querySelector('[data-testid="today-list"]')).toBeNull();
    expect($('[data-testid="today-empty"]', zh).textContent).toBe('今天还没有考生');
    const en = mount(<TodayList rows={[]} />, 'en');
    expect($('[data-testid="today-empty"]', en).textContent).toBe('No candidates yet today');
  });

  it('sits in the desk status under the today counts; not fetched yet: nothing', () => {
    const status = fixture<DeskStatus>('desk-status.json');
    const root = mount(<DeskStatusPanel status={status} updatedAt={null} sync={null} today={rows()} />);
    const counts = $('.stats--today', root);
    const table = $('[data-testid="today-list"]', root);
    expect(counts.compareDocumentPosition(table) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
    const none = mount(<DeskStatusPanel status={status} updatedAt={null} sync={null} today={null} />);
    expect(none.querySelector('[data-testid="today-list"]')).toBeNull();
    expect(none.querySelector('[data-testid="today-empty"]')).toBeNull();
  });
});

describe('today_list', () => {
  it('api.todayList invokes today_list with the token', async () => {
    const calls = mockCommands({ today_list: () => rows() });
    const answer = await api.todayList('stf_token');
    expect(calls).toEqual([{ cmd: 'today_list', args: { token: 'stf_token' } }]);
    expect(answer.map((row) => row.session)).toEqual([12, 11, 10]);
  });

  async function console(handlers: Parameters<typeof mockCommands>[0] = {}) {
    const staff = fixture<Staff>('staff.json');
    let list = rows();
    const calls = mockCommands({
      staff_sign_in: () => staff,
      desk_status: () => fixture<DeskStatus>('desk-status.json'),
      today_list: () => list,
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
    await waitFor(() => root.querySelector('[data-testid="devices"]') !== null, 'the desk status');
    const count = (cmd: string) => calls.filter((c) => c.cmd === cmd).length;
    return {
      root,
      staff,
      calls,
      count,
      setList: (next: TodaySession[]) => (list = next),
      emitSync: (event: SyncProgressEvent) => act(() => setSync(event)),
    };
  }

  it('the console fetches it with the desk status, with the token, and shows it', async () => {
    const { root, staff, calls } = await console();
    await waitFor(() => root.querySelector('[data-testid="today-list"]') !== null, 'the today list');
    expect(calls.filter((c) => c.cmd === 'today_list').map((c) => c.args)).toEqual([{ token: staff.token }]);
    expect($$('[data-testid="today-row"]', root)).toHaveLength(3);
  });

  it('refreshes on the desk poll and at the end of a sync run, like the desk status', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const { root, count, setList, emitSync } = await console();
    await waitFor(() => root.querySelector('[data-testid="today-list"]') !== null, 'the today list');
    const before = count('today_list');
    setList([]);
    await act(async () => {
      vi.advanceTimersByTime(DESK_REFRESH_MS + 10);
    });
    await flush();
    expect(count('today_list')).toBe(before + 1);
    expect(count('desk_status')).toBe(count('today_list'));
    expect($('[data-testid="today-empty"]', root).textContent).toBe('今天还没有考生');

    emitSync({ ...fixture<SyncProgressEvent>('event-sync-progress.json'), stage: 'finished' });
    await flush();
    expect(count('today_list')).toBe(before + 2);
    await act(async () => {
      vi.advanceTimersByTime(SYNC_SETTLE_MS + 10);
    });
    await flush();
    expect(count('today_list')).toBe(before + 3);
    expect(count('desk_status')).toBe(count('today_list'));
  });

  it('a failing today_list leaves the desk status shown and the console signed in', async () => {
    const { root } = await console({ today_list: () => Promise.reject({ code: 'store', message: 'db locked', retryable: true }) });
    await flush();
    expect(root.querySelector('[data-testid="today-list"]')).toBeNull();
    expect(root.querySelector('[data-testid="devices"]')).not.toBeNull();
    expect(root.querySelector('#staff-sign-out')).not.toBeNull();
  });
});
