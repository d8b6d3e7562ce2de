// The camera reading the ID card (the card step with `cardDevice: "camera"`): what the kiosk says
// while it looks for each side. Three sources, all per attempt of the step:
// - `kiosk://device-status` `waiting` for `card_camera` (show the photo side) then
//   `card_camera_back` (show the emblem side);
// - `kiosk://card-capture` `{side, hint}` when what the camera sees changes (no card, too small,
//   blurred, glare, the wrong side, read);
// - `kiosk://camera-frame` with step `card` (the live preview; phase `cardFront` / `cardBack`).
// Any of them for the view's current attempt means the camera is reading now; a result (pass, a
// failure: a new attempt) ends it.

import { useEffect, useRef, useState } from 'preact/hooks';
import * as api from '../api';
import type { CameraFrame, CardCaptureEvent, CardHint, CardSide, View } from '../types';
import { useCameraFeed, type CameraFeed } from './cameraFeed';

export interface CardCapture {
  /** Something of the camera's read arrived for this attempt: the camera is reading the card. */
  active: boolean;
  /** The side the kiosk wants now. */
  side: CardSide;
  /** The latest `kiosk://card-capture` of this attempt (null: none yet). */
  capture: CardCaptureEvent | null;
  /** The live preview (frames of the card step). */
  feed: CameraFeed;
}

/** What the camera read belongs to: the attempt (a result always starts a new one, or leaves the step). */
export function captureKey(view: View): string {
  return `${view.attempt}:${view.lastReason?.code ?? ''}`;
}

/** The side a card frame looks for (null: not a card frame). */
export function sideOfFrame(frame: CameraFrame | null): CardSide | null {
  if (!frame || frame.step !== 'card') return null;
  if (frame.phase === 'cardBack') return 'back';
  if (frame.phase === 'cardFront') return 'front';
  return null;
}

/** The side a device status asks for (null: not the card camera waiting). */
export function sideOfStatus(device: string, state: string): CardSide | null {
  if (state !== 'waiting') return null;
  if (device === 'card_camera') return 'front';
  if (device === 'card_camera_back') return 'back';
  return null;
}

/** How a hint reads: done (green), to act on (amber), or waiting for the card (neutral). */
export type CardHintTone = 'ok' | 'outside' | 'none';

export function cardHintTone(hint: CardHint | string): CardHintTone {
  if (hint === 'read') return 'ok';
  if (hint === 'no_card') return 'none';
  return 'outside';
}

interface Signals {
  key: string;
  /** From the device status and card-capture events, which arrive in order (null: none yet). */
  side: CardSide | null;
  capture: CardCaptureEvent | null;
}

export function useCardCapture(key: string): CardCapture {
  const feed = useCameraFeed('card', key);
  const [signals, setSignals] = useState<Signals | null>(null);
  const keyRef = useRef(key);
  keyRef.current = key;

  useEffect(() => {
    const update = (patch: Partial<Omit<Signals, 'key'>>) =>
      setSignals((current) => {
        const now = keyRef.current;
        const base: Signals = current && current.key === now ? current : { key: now, side: null, capture: null };
        return { ...base, ...patch };
      });
    let stop: (() => void) | null = null;
    let stopped = false;
    api
      .listenAll([
        api.onCardCapture((capture) => update({ capture, side: capture.side })),
        api.onDeviceStatus((status) => {
          const side = sideOfStatus(status.device, status.state);
          if (side) update({ side });
        }),
      ])
      .then(
        (unlisten) => {
          if (stopped) unlisten();
          else stop = unlisten;
        },
        () => undefined,
      );
    return () => {
      stopped = true;
      stop?.();
    };
  }, []);

  const current = signals && signals.key === key ? signals : null;
  const frameSide = sideOfFrame(feed.latest);
  return {
    active: current !== null || frameSide !== null,
    side: current?.side ?? frameSide ?? 'front',
    capture: current?.capture ?? null,
    feed,
  };
}
