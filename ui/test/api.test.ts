import { emit } from '@tauri-apps/api/event';
import { afterEach, describe, expect, it } from 'vitest';
import * as api from '../src/api';
import type { CameraFrame, CardCaptureEvent, CommandErrorPayload, DeskStatus, SyncProgressEvent, View } from '../src/types';
import { clearMocks, fixture, flush, mockCommands } from './helpers';

afterEach(() => clearMocks());

describe('CommandError mapping', () => {
  it('a rejection with the contract JSON becomes a typed CommandError', async () => {
    const payload = fixture<CommandErrorPayload>('error.json');
    mockCommands({ start_session: () => Promise.reject(payload) });
    const error = await api.startSession().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(api.CommandError);
    expect(error).toBeInstanceOf(Error);
    const typed = error as api.CommandError;
    expect(typed.code).toBe('session.open');
    expect(typed.message).toBe(payload.message);
    expect(typed.retryable).toBe(false);
  });

  it('keeps retryable from Rust', async () => {
    mockCommands({ retry: () => Promise.reject({ code: 'device', message: 'camera busy', retryable: true }) });
    const error = (await api.retry().catch((e: unknown) => e)) as api.CommandError;
    expect(error.code).toBe('device');
    expect(error.retryable).toBe(true);
  });

  it('a bare string from Tauri (unknown command, denied permission) becomes internal, not retryable', async () => {
    mockCommands({});
    const error = (await api.documents().catch((e: unknown) => e)) as api.CommandError;
    expect(error).toBeInstanceOf(api.CommandError);
    expect(error.code).toBe('internal');
    expect(error.message).toBe('command documents not found');
    expect(error.retryable).toBe(false);
  });

  it('a JSON string with the contract shape is parsed', () => {
    const error = api.toCommandError('{"code":"staff.expired","message":"sign in again","retryable":false}');
    expect(error.code).toBe('staff.expired');
  });

  it('anything else is internal with its text', () => {
    expect(api.toCommandError(new TypeError('boom')).message).toBe('boom');
    expect(api.toCommandError(42).code).toBe('internal');
    expect(api.toCommandError({ code: 'x' }).code).toBe('internal');
  });
});

describe('commands', () => {
  it('pass their arguments by the contract names', async () => {
    const view = fixture<View>('view-signature-preview.json');
    const calls = mockCommands({
      accept_pledge: () => view,
      signature_stroke: () => null,
      artefact_image: () => fixture('artefact-image.json'),
      staff_command: () => view,
      staff_sign_in: () => fixture('staff.json'),
      review: () => null,
      sync_now: () => ({ ...fixture<DeskStatus>('desk-status.json').sync.worker, running: 'push' }),
      sync_export: () => ({ ...fixture<DeskStatus>('desk-status.json').sync.worker, running: 'export' }),
    });
    expect(await api.acceptPledge([{ key: 'health.fever_14d', value: false }])).toEqual(view);
    expect(await api.signatureStroke([{ x: 0.1, y: 0.2, pressure: 0.5, t: 0 }])).toBeNull();
    expect((await api.artefactImage('abc')).dataUrl).toMatch(/^data:image\/png;base64,/);
    await api.staffCommand('tok', { kind: 'approve', reason: null, note: 'checked', secondToken: null });
    expect((await api.staffSignIn('demo-staff', '1234')).role).toBe('operator');
    expect(await api.review('tok')).toBeNull();
    expect((await api.syncNow('tok')).running).toBe('push');
    expect((await api.syncExport('tok')).running).toBe('export');
    expect(calls.map((c) => [c.cmd, c.args])).toEqual([
      ['accept_pledge', { declaration: [{ key: 'health.fever_14d', value: false }] }],
      ['signature_stroke', { points: [{ x: 0.1, y: 0.2, pressure: 0.5, t: 0 }] }],
      ['artefact_image', { id: 'abc' }],
      ['staff_command', { token: 'tok', command: { kind: 'approve', reason: null, note: 'checked', secondToken: null } }],
      ['staff_sign_in', { operator: 'demo-staff', secret: '1234' }],
      ['review', { token: 'tok' }],
      ['sync_now', { token: 'tok' }],
      ['sync_export', { token: 'tok' }],
    ]);
  });

  it('read_card_with and card_from_images pass their arguments by the contract names', async () => {
    const view = fixture<View>('view-idcard-failed.json');
    const calls = mockCommands({ read_card_with: () => ({ ...view, cardDevice: 'camera' }), card_from_images: () => view });
    expect((await api.readCardWith('camera')).cardDevice).toBe('camera');
    await api.readCardWith('reader');
    expect(await api.cardFromImages('tok', [255, 216, 255], [137, 80])).toEqual(view);
    expect(calls.map((c) => [c.cmd, c.args])).toEqual([
      ['read_card_with', { device: 'camera' }],
      ['read_card_with', { device: 'reader' }],
      ['card_from_images', { token: 'tok', front: [255, 216, 255], back: [137, 80] }],
    ]);
  });

  it('card_from_images rejects with card.image, retryable, the reason in the message', async () => {
    mockCommands({ card_from_images: () => Promise.reject({ code: 'card.image', message: 'the front image: blurred', retryable: true }) });
    const error = (await api.cardFromImages('tok', [1], [2]).catch((e: unknown) => e)) as api.CommandError;
    expect(error).toBeInstanceOf(api.CommandError);
    expect([error.code, error.message, error.retryable]).toEqual(['card.image', 'the front image: blurred', true]);
  });

  it('sync_now without a hub rejects with sync.not_configured', async () => {
    mockCommands({ sync_now: () => Promise.reject({ code: 'sync.not_configured', message: 'no hub', retryable: false }) });
    const error = (await api.syncNow('tok').catch((e: unknown) => e)) as api.CommandError;
    expect(error).toBeInstanceOf(api.CommandError);
    expect(error.code).toBe('sync.not_configured');
  });
});

describe('events', () => {
  it('kiosk://step-changed hands the View to the handler, and unlisten stops it', async () => {
    mockCommands({});
    const seen: View[] = [];
    const unlisten = await api.listenAll([api.onStepChanged((view) => seen.push(view))]);
    const view = fixture<View>('view-liveness.json');
    await emit(api.EVENTS.stepChanged, view);
    await flush(1);
    expect(seen).toEqual([view]);
    unlisten();
    await flush(1);
    await emit(api.EVENTS.stepChanged, fixture<View>('view-photo.json'));
    await flush(1);
    expect(seen).toHaveLength(1);
  });

  it('device-status and staff-alert payloads arrive as sent', async () => {
    mockCommands({});
    const devices: unknown[] = [];
    const alerts: unknown[] = [];
    await api.listenAll([api.onDeviceStatus((d) => devices.push(d)), api.onStaffAlert((a) => alerts.push(a))]);
    await emit(api.EVENTS.deviceStatus, fixture('event-device-status.json'));
    await emit(api.EVENTS.staffAlert, fixture('event-staff-alert.json'));
    await flush(1);
    expect(devices).toEqual([fixture('event-device-status.json')]);
    expect(alerts).toEqual([fixture('event-staff-alert.json')]);
  });

  it('kiosk://sync-progress hands the progress to the handler as sent', async () => {
    mockCommands({});
    const seen: SyncProgressEvent[] = [];
    const unlisten = await api.onSyncProgress((progress) => seen.push(progress));
    const progress = fixture<SyncProgressEvent>('event-sync-progress.json');
    await emit('kiosk://sync-progress', progress);
    await flush(1);
    expect(seen).toEqual([progress]);
    expect(api.EVENTS.syncProgress).toBe('kiosk://sync-progress');
    expect(Object.keys(progress).sort()).toEqual(['done', 'file', 'job', 'message', 'stage', 'total']);
    unlisten();
  });

  it('the desk status fixture has the sync worker with every field of the contract', () => {
    const worker = fixture<DeskStatus>('desk-status.json').sync.worker;
    expect(Object.keys(worker).sort()).toEqual(['canExport', 'hub', 'intervalSecs', 'last', 'running']);
    expect(worker.last && Object.keys(worker.last).sort()).toEqual(['at', 'done', 'file', 'job', 'message', 'ok']);
  });

  it('kiosk://card-capture hands the hint to the handler as sent', async () => {
    mockCommands({});
    const seen: CardCaptureEvent[] = [];
    const unlisten = await api.onCardCapture((capture) => seen.push(capture));
    const capture = fixture<CardCaptureEvent>('event-card-capture.json');
    await emit('kiosk://card-capture', capture);
    await flush(1);
    expect(seen).toEqual([capture]);
    expect(api.EVENTS.cardCapture).toBe('kiosk://card-capture');
    expect(Object.keys(capture).sort()).toEqual(['hint', 'message', 'side']);
    unlisten();
  });

  it('kiosk://camera-frame hands the frame to the handler as sent', async () => {
    mockCommands({});
    const frames: CameraFrame[] = [];
    const unlisten = await api.onCameraFrame((frame) => frames.push(frame));
    const frame = fixture<CameraFrame>('event-camera-frame.json');
    await emit('kiosk://camera-frame', frame);
    await flush(1);
    expect(frames).toEqual([frame]);
    expect(api.EVENTS.cameraFrame).toBe('kiosk://camera-frame');
    // the fixture has every field of the contract, with its type
    expect(Object.keys(frame).sort()).toEqual(['face', 'faces', 'guide', 'height', 'hint', 'inGuide', 'jpeg', 'phase', 'remainingMs', 'seq', 'step', 'width']);
    expect(frame.face && Object.keys(frame.face).sort()).toEqual(['height', 'width', 'x', 'y']);
    expect(Object.keys(frame.guide).sort()).toEqual(['height', 'width', 'x', 'y']);
    expect(['good', 'noFace', 'severalFaces', 'outside', 'closer', 'further']).toContain(frame.hint);
    for (const value of [...Object.values(frame.face!), ...Object.values(frame.guide)]) {
      expect(value >= 0 && value <= 1, `${value} is a fraction of the frame`).toBe(true);
    }
    expect(atob(frame.jpeg).slice(0, 3)).toBe('\xff\xd8\xff');
    unlisten();
  });
});
