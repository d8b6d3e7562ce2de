// The only module that talks to Rust. One typed function per command and per event of
// docs/ipc.md; components import these and never call `invoke`/`listen` themselves.

import { invoke } from '@tauri-apps/api/core';
import { listen, type UnlistenFn } from '@tauri-apps/api/event';
import type {
  AppInfo,
  ArtefactImage,
  CameraFrame,
  CardCaptureEvent,
  CardDevice,
  CommandErrorPayload,
  DeclarationAnswer,
  DeskStatus,
  DeviceStatusEvent,
  Documents,
  Review,
  SessionEndedEvent,
  Staff,
  StaffAlertEvent,
  StaffCommand,
  StrokePoint,
  SyncProgressEvent,
  SyncWorker,
  TodaySession,
  View,
} from './types';

/** A command's rejection (`CommandError` of docs/ipc.md), as a real `Error`. */
export class CommandError extends Error implements CommandErrorPayload {
  readonly code: string;
  readonly retryable: boolean;

  constructor(payload: CommandErrorPayload) {
    super(payload.message);
    this.name = 'CommandError';
    this.code = payload.code;
    this.retryable = payload.retryable;
  }
}

function isPayload(value: unknown): value is CommandErrorPayload {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.code === 'string' && typeof v.message === 'string' && typeof v.retryable === 'boolean';
}

/**
 * Turns whatever a rejected `invoke` gave into a `CommandError`. Rust sends the JSON object; Tauri
 * itself rejects with a bare string (an unknown command, a denied permission); anything else is a
 * bug on one side. Those two become `internal`, not retryable.
 */
export function toCommandError(raw: unknown): CommandError {
  if (raw instanceof CommandError) return raw;
  if (isPayload(raw)) return new CommandError(raw);
  if (typeof raw === 'string') {
    try {
      const parsed: unknown = JSON.parse(raw);
      if (isPayload(parsed)) return new CommandError(parsed);
    } catch {
      // not JSON: a message from Tauri itself
    }
    return new CommandError({ code: 'internal', message: raw, retryable: false });
  }
  if (raw instanceof Error) return new CommandError({ code: 'internal', message: raw.message, retryable: false });
  return new CommandError({ code: 'internal', message: String(raw), retryable: false });
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (raw) {
    throw toCommandError(raw);
  }
}

// Candidate commands (no token)
export const appInfo = () => call<AppInfo>('app_info');
export const documents = () => call<Documents>('documents');
export const currentView = () => call<View | null>('current_view');
export const startSession = () => call<View>('start_session');
export const giveConsent = () => call<View>('give_consent');
export const declineConsent = () => call<View>('decline_consent');
export const retry = () => call<View>('retry');
/**
 * At the card step: read the card with `device` (the camera after a failed chip read, or the reader
 * again). Blocks while the camera reads (up to about a minute); progress comes as events.
 */
export const readCardWith = (device: CardDevice) => call<View>('read_card_with', { device });
export const acceptPledge = (declaration: DeclarationAnswer[]) => call<View>('accept_pledge', { declaration });
export const declinePledge = () => call<View>('decline_pledge');
export const signatureStroke = (points: StrokePoint[]) => call<null>('signature_stroke', { points });
export const signatureDone = () => call<null>('signature_done');
export const signatureClear = () => call<null>('signature_clear');
export const acceptSignature = () => call<View>('accept_signature');
export const activity = () => call<View>('activity');
export const artefactImage = (id: string) => call<ArtefactImage>('artefact_image', { id });

// Staff commands (every one carries the token from staffSignIn)
export const staffSignIn = (operator: string, secret: string) => call<Staff>('staff_sign_in', { operator, secret });
export const staffSignOut = (token: string) => call<null>('staff_sign_out', { token });
export const deskStatus = (token: string) => call<DeskStatus>('desk_status', { token });
/** Today's candidate sessions at this desk, newest first. */
export const todayList = (token: string) => call<TodaySession[]>('today_list', { token });
export const staffCommand = (token: string, command: StaffCommand) => call<View>('staff_command', { token, command });
export const review = (token: string) => call<Review | null>('review', { token });
/** At the card step: staff read the card from two image files (the bytes of the photo side and the emblem side). */
export const cardFromImages = (token: string, front: number[], back: number[]) =>
  call<View>('card_from_images', { token, front, back });
/** Queues a push of the waiting records to the hub (any staff); progress comes as kiosk://sync-progress. */
export const syncNow = (token: string) => call<SyncWorker>('sync_now', { token });
/** Queues writing the waiting records into a bundle file for the hub (admin only). */
export const syncExport = (token: string) => call<SyncWorker>('sync_export', { token });

// Events
export const EVENTS = {
  stepChanged: 'kiosk://step-changed',
  deviceStatus: 'kiosk://device-status',
  staffAlert: 'kiosk://staff-alert',
  sessionEnded: 'kiosk://session-ended',
  syncProgress: 'kiosk://sync-progress',
  cameraFrame: 'kiosk://camera-frame',
  cardCapture: 'kiosk://card-capture',
} as const;

function on<T>(event: string, handler: (payload: T) => void): Promise<UnlistenFn> {
  return listen<T>(event, (e) => handler(e.payload));
}

export const onStepChanged = (handler: (view: View) => void) => on<View>(EVENTS.stepChanged, handler);
export const onDeviceStatus = (handler: (status: DeviceStatusEvent) => void) =>
  on<DeviceStatusEvent>(EVENTS.deviceStatus, handler);
export const onStaffAlert = (handler: (alert: StaffAlertEvent) => void) => on<StaffAlertEvent>(EVENTS.staffAlert, handler);
export const onSessionEnded = (handler: (ended: SessionEndedEvent) => void) =>
  on<SessionEndedEvent>(EVENTS.sessionEnded, handler);
export const onSyncProgress = (handler: (progress: SyncProgressEvent) => void) =>
  on<SyncProgressEvent>(EVENTS.syncProgress, handler);
export const onCameraFrame = (handler: (frame: CameraFrame) => void) => on<CameraFrame>(EVENTS.cameraFrame, handler);
export const onCardCapture = (handler: (capture: CardCaptureEvent) => void) => on<CardCaptureEvent>(EVENTS.cardCapture, handler);

/** Listens to several events and returns one function that stops them all. */
export async function listenAll(subscriptions: Promise<UnlistenFn>[]): Promise<UnlistenFn> {
  const unlisteners = await Promise.all(subscriptions);
  return () => unlisteners.forEach((unlisten) => unlisten());
}
