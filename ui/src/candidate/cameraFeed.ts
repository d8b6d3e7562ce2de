// The live camera preview (`kiosk://camera-frame`, ~15 frames a second while a camera step runs).
// Frames may arrive faster than the screen paints: only the latest is kept, and it is shown at
// most once per animation frame. When none has arrived for STALE_MS the picture is dropped (the
// screen shows the neutral placeholder, never a frozen frame). The pure helpers place the face
// box over the mirrored picture and say what it means.

import { useEffect, useRef, useState } from 'preact/hooks';
import * as api from '../api';
import type { CameraFrame, CameraStep } from '../types';

/** No frame for this long: the preview goes back to the placeholder. */
export const STALE_MS = 1500;
const RATE_WINDOW_MS = 1000;

export interface CameraFeed {
  /** The frame to show: the latest, or null when none arrived for STALE_MS. */
  frame: CameraFrame | null;
  /**
   * The latest frame since `key` (the challenge, the attempt) last changed, kept when the picture
   * goes stale: its phase and time left drive the screen. Null: none yet for this key.
   */
  latest: CameraFrame | null;
  /** Frames received over the last second. */
  fps: number;
}

interface Shown {
  frame: CameraFrame | null;
  latest: { frame: CameraFrame; key: unknown } | null;
  fps: number;
}

function nextPaint(fn: () => void): () => void {
  if (typeof requestAnimationFrame === 'function') {
    const id = requestAnimationFrame(() => fn());
    return () => cancelAnimationFrame(id);
  }
  const id = setTimeout(fn, 16);
  return () => clearTimeout(id);
}

/** The frames of `step`, at most one render per animation frame. */
export function useCameraFeed(step: CameraStep, key: unknown): CameraFeed {
  const [shown, setShown] = useState<Shown>({ frame: null, latest: null, fps: 0 });
  // The key a frame belongs to is the one on screen when it arrives.
  const keyRef = useRef(key);
  keyRef.current = key;

  useEffect(() => {
    let pending: CameraFrame | null = null;
    let latest: Shown['latest'] = null;
    let arrivals: number[] = [];
    let cancelPaint: (() => void) | null = null;
    let stale: ReturnType<typeof setTimeout> | undefined;

    const show = () => {
      cancelPaint = null;
      const now = Date.now();
      arrivals = arrivals.filter((at) => now - at < RATE_WINDOW_MS);
      setShown({ frame: pending, latest, fps: arrivals.length });
      clearTimeout(stale);
      const last = arrivals.length > 0 ? arrivals[arrivals.length - 1]! : now;
      stale = setTimeout(
        () => {
          pending = null;
          arrivals = [];
          setShown((current) => ({ frame: null, latest: current.latest, fps: 0 }));
        },
        Math.max(0, last + STALE_MS - now),
      );
    };

    const onFrame = (frame: CameraFrame) => {
      if (frame.step !== step) return;
      const now = Date.now();
      while (arrivals.length > 0 && now - arrivals[0]! >= RATE_WINDOW_MS) arrivals.shift();
      arrivals.push(now);
      pending = frame;
      latest = { frame, key: keyRef.current };
      if (!cancelPaint) cancelPaint = nextPaint(show);
    };

    let stop: (() => void) | null = null;
    let stopped = false;
    api.onCameraFrame(onFrame).then(
      (unlisten) => {
        if (stopped) unlisten();
        else stop = unlisten;
      },
      () => undefined,
    );
    return () => {
      stopped = true;
      stop?.();
      cancelPaint?.();
      clearTimeout(stale);
    };
  }, [step]);

  const latest = shown.latest && shown.latest.key === key ? shown.latest.frame : null;
  return { frame: shown.frame, latest, fps: shown.fps };
}

/** Whole seconds left (what a countdown shows): 3200 ms → 4, 3000 → 3, 0 → 0. */
export function secondsLeft(remainingMs: number): number {
  return Math.max(0, Math.ceil(remainingMs / 1000));
}

/** ok: one face, in the guide; outside: one face, not in it (or not of a good size); many: more than one face; none: no face. */
export type FaceState = 'ok' | 'outside' | 'many' | 'none';

export function faceState(frame: CameraFrame): FaceState {
  if (frame.faces > 1) return 'many';
  if (frame.faces < 1 || !frame.face) return 'none';
  return frame.inGuide === true ? 'ok' : 'outside';
}

/** A rectangle in percent of the preview box. */
export interface BoxPercent {
  left: number;
  top: number;
  width: number;
  height: number;
}

/**
 * Where the face box goes, in percent of the preview box. The picture is shown mirrored (a selfie
 * view) and scaled to cover the box, centred (CSS `object-fit: cover`), so a wider or narrower box
 * crops it; `box` is the box's size in px (null or empty: not measured yet, taken as the frame's
 * own shape). Clipped to the box; null when there is no face or none of it shows.
 */
export function faceRect(frame: CameraFrame, box: { width: number; height: number } | null): BoxPercent | null {
  const face = frame.face;
  if (!face || !(frame.width > 0) || !(frame.height > 0)) return null;
  const measured = box !== null && box.width > 0 && box.height > 0;
  const boxW = measured ? box.width : frame.width;
  const boxH = measured ? box.height : frame.height;
  const scale = Math.max(boxW / frame.width, boxH / frame.height);
  const shownW = frame.width * scale;
  const shownH = frame.height * scale;
  const offsetX = (boxW - shownW) / 2;
  const offsetY = (boxH - shownH) / 2;
  // mirrored: the face's right edge in the frame is its left edge on screen
  const left = Math.max(0, offsetX + (1 - face.x - face.width) * shownW);
  const right = Math.min(boxW, offsetX + (1 - face.x) * shownW);
  const top = Math.max(0, offsetY + face.y * shownH);
  const bottom = Math.min(boxH, offsetY + (face.y + face.height) * shownH);
  if (right - left <= 0 || bottom - top <= 0) return null;
  return {
    left: (100 * left) / boxW,
    top: (100 * top) / boxH,
    width: (100 * (right - left)) / boxW,
    height: (100 * (bottom - top)) / boxH,
  };
}
