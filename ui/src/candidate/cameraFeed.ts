// The live camera preview (`kiosk://camera-frame`, ~15 frames a second while a camera step runs).
// Frames may arrive faster than the screen paints: only the latest is kept, and it is shown at
// most once per animation frame. When none has arrived for STALE_MS the picture is dropped (the
// screen shows the neutral placeholder, never a frozen frame). Every frame's hint goes through a
// HintSmoother, so the words and colours under the picture do not flicker. The pure helpers place
// the face box and the guide over the mirrored picture and say what they mean.

import { useEffect, useRef, useState } from 'preact/hooks';
import * as api from '../api';
import type { CameraFrame, CameraStep, FaceBox, GuideHint } from '../types';

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
  /** What the candidate should do, smoothed over the frames (HintSmoother); null with no frame. */
  guidance: Guidance | null;
  /** The guide of the last frame of this step, kept when the picture goes stale; null: none yet. */
  guide: GuideSource | null;
}

interface Shown {
  frame: CameraFrame | null;
  latest: { frame: CameraFrame; key: unknown } | null;
  fps: number;
  guidance: Guidance | null;
  guide: GuideSource | null;
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
  const [shown, setShown] = useState<Shown>({ frame: null, latest: null, fps: 0, guidance: null, guide: null });
  // The key a frame belongs to is the one on screen when it arrives.
  const keyRef = useRef(key);
  keyRef.current = key;

  useEffect(() => {
    let pending: CameraFrame | null = null;
    let latest: Shown['latest'] = null;
    let arrivals: number[] = [];
    let cancelPaint: (() => void) | null = null;
    let stale: ReturnType<typeof setTimeout> | undefined;
    const smoother = new HintSmoother();
    let guidance: Guidance | null = null;
    let guide: GuideSource | null = null;

    const show = () => {
      cancelPaint = null;
      const now = Date.now();
      arrivals = arrivals.filter((at) => now - at < RATE_WINDOW_MS);
      setShown({ frame: pending, latest, fps: arrivals.length, guidance, guide });
      clearTimeout(stale);
      const last = arrivals.length > 0 ? arrivals[arrivals.length - 1]! : now;
      stale = setTimeout(
        () => {
          pending = null;
          arrivals = [];
          // the next picture starts afresh: its first hint shows at once
          smoother.reset();
          guidance = null;
          setShown((current) => ({ ...current, frame: null, fps: 0, guidance: null }));
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
      // every frame counts for the smoothing, also those never painted; the card step has no face
      // to guide (its frames say `noFace`, which means nothing there)
      guidance = step === 'card' ? null : smoother.push(guidanceOf(frame));
      if (frame.guide) guide = { guide: frame.guide, width: frame.width, height: frame.height };
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
  return { frame: shown.frame, latest, fps: shown.fps, guidance: shown.guidance, guide: shown.guide };
}

/** Whole seconds left (what a countdown shows): 3200 ms → 4, 3000 → 3, 0 → 0. */
export function secondsLeft(remainingMs: number): number {
  return Math.max(0, Math.ceil(remainingMs / 1000));
}

/**
 * What the words under the picture say: the kiosk's hint, with `outside` made a direction the
 * candidate can follow (`yourLeft` / `yourRight`: to their own left / right; `up` / `down`), or
 * left as `outside` ("line up with the oval") when the boxes do not say which way.
 */
export type Guidance = GuideHint | Direction;
/** Which way the candidate moves, in their own terms: `yourLeft` is to their left. */
export type Direction = 'yourLeft' | 'yourRight' | 'up' | 'down';

const HINTS: readonly GuideHint[] = ['good', 'noFace', 'severalFaces', 'outside', 'closer', 'further'];

/**
 * Which way the candidate should move so that the centre of `face` gets into `guide` (both in
 * fractions of the unmirrored frame; `size`, the frame in px, weighs the two axes alike), or null
 * when it is inside. Judged as the candidate sees it, on the mirrored screen: a mirror image
 * moves the way its original does, so a face left of the guide on screen must move to the
 * candidate's own right (and the other way round); up and down are not mirrored. Several ways
 * off: the largest overshoot wins.
 *
 * `guide` is the frame's oval (the head-sized box the kiosk sends); the kiosk says `outside` by
 * a larger box it does not send, centred like the oval and around it. A centre outside that box is
 * outside the oval too, on the same side, so the direction is right; which axis wins is judged by
 * the oval's edges, near enough to the larger box's as the margin between them is much the same
 * on every side in px (the default `[matcher.guide]`, 0.6×0.9 around the oval's 0.329×0.570 of a
 * 640×480 frame: 87 px left and right, 79 px above and below).
 */
export function outsideDirection(face: FaceBox, guide: FaceBox, size?: { width: number; height: number }): Direction | null {
  const sx = size && size.width > 0 ? size.width : 1;
  const sy = size && size.height > 0 ? size.height : 1;
  // on the mirrored screen
  const x = 1 - (face.x + face.width / 2);
  const left = 1 - (guide.x + guide.width);
  const right = 1 - guide.x;
  const y = face.y + face.height / 2;
  const overshoots: [Direction, number][] = [
    ['yourRight', (left - x) * sx],
    ['yourLeft', (x - right) * sx],
    ['down', (guide.y - y) * sy],
    ['up', (y - (guide.y + guide.height)) * sy],
  ];
  let best: Direction | null = null;
  let most = 0;
  for (const [direction, overshoot] of overshoots) {
    if (overshoot > most) {
      most = overshoot;
      best = direction;
    }
  }
  return best;
}

/** What one frame tells the candidate (a kiosk without `hint`: worked out from faces and inGuide). */
export function guidanceOf(frame: CameraFrame): Guidance {
  const hint: GuideHint = HINTS.includes(frame.hint)
    ? frame.hint
    : frame.faces > 1
      ? 'severalFaces'
      : frame.faces < 1 || !frame.face
        ? 'noFace'
        : frame.inGuide === true
          ? 'good'
          : 'outside';
  if (hint !== 'outside') return hint;
  return (frame.face && frame.guide && outsideDirection(frame.face, frame.guide, frame)) || 'outside';
}

/** ok: one face, in the guide, of a good size; outside: one face, to move; many: more than one face; none: no face. */
export type FaceState = 'ok' | 'outside' | 'many' | 'none';

/** The colour of the face box and of the words for what they say. */
export function faceState(guidance: Guidance): FaceState {
  switch (guidance) {
    case 'good':
      return 'ok';
    case 'severalFaces':
      return 'many';
    case 'noFace':
      return 'none';
    default:
      return 'outside';
  }
}

/** Frames a new guidance must hold before it shows: "good" is let through quickly. */
export const HOLD_FRAMES = 3;
export const GOOD_HOLD_FRAMES = 2;

const holdFor = (guidance: Guidance) => (guidance === 'good' ? GOOD_HOLD_FRAMES : HOLD_FRAMES);

/**
 * Keeps the words under the picture from flickering with the detector's frame-to-frame noise. The
 * first guidance shows at once; a new one shows when it has held for HOLD_FRAMES frames in a row
 * (GOOD_HOLD_FRAMES for "good": green as soon as that is reliable), so a one-frame blip never
 * changes what shows. A face that wavers between two ways off (near a corner of the guide) is
 * still "off": once HOLD_FRAMES frames in a row are of another colour (FaceState) than the one
 * shown, the latest shows. Pure: frames in, what to show out.
 */
export class HintSmoother {
  private shown: Guidance | null = null;
  /** The latest guidance other than the shown one, and for how many frames in a row. */
  private run: { guidance: Guidance; frames: number } | null = null;
  /** How many frames in a row were of `state`, a colour other than the shown one. */
  private stateRun: { state: FaceState; frames: number } | null = null;

  /** The next frame's guidance; what to show now. */
  push(next: Guidance): Guidance {
    if (this.shown === null || next === this.shown) {
      this.shown = next;
      this.run = null;
      this.stateRun = null;
      return next;
    }
    this.run = this.run?.guidance === next ? { guidance: next, frames: this.run.frames + 1 } : { guidance: next, frames: 1 };
    const state = faceState(next);
    if (state === faceState(this.shown)) this.stateRun = null;
    else this.stateRun = this.stateRun?.state === state ? { state, frames: this.stateRun.frames + 1 } : { state, frames: 1 };
    const hold = holdFor(next);
    if (this.run.frames >= hold || (this.stateRun !== null && this.stateRun.frames >= hold)) {
      this.shown = next;
      this.run = null;
      this.stateRun = null;
    }
    return this.shown;
  }

  /** What shows now (null: nothing yet). */
  get current(): Guidance | null {
    return this.shown;
  }

  /** Forgets it all: the next guidance shows at once. */
  reset(): void {
    this.shown = null;
    this.run = null;
    this.stateRun = null;
  }
}

/** A rectangle in percent of the preview box. */
export interface BoxPercent {
  left: number;
  top: number;
  width: number;
  height: number;
}

type Size = { width: number; height: number };

/** A box's size when measured (width and height above 0), else null. */
const measured = (box: Size | null): Size | null => (box !== null && box.width > 0 && box.height > 0 ? box : null);

/**
 * Where `rect` (fractions of the unmirrored `frame`) shows, in px of a `box` the picture covers:
 * mirrored (a selfie view; `mirrored` false: as the camera sees it, for the card step), scaled to
 * cover the box and centred (CSS `object-fit: cover`), so a wider or narrower box crops it. Not
 * clipped.
 */
function placeInBox(rect: FaceBox, frame: Size, box: Size, mirrored = true): { left: number; top: number; right: number; bottom: number } {
  const scale = Math.max(box.width / frame.width, box.height / frame.height);
  const shownW = frame.width * scale;
  const shownH = frame.height * scale;
  const offsetX = (box.width - shownW) / 2;
  const offsetY = (box.height - shownH) / 2;
  // mirrored: the rect's right edge in the frame is its left edge on screen
  const left = mirrored ? 1 - rect.x - rect.width : rect.x;
  return {
    left: offsetX + left * shownW,
    right: offsetX + (left + rect.width) * shownW,
    top: offsetY + rect.y * shownH,
    bottom: offsetY + (rect.y + rect.height) * shownH,
  };
}

/**
 * Where the face box goes, in percent of the preview box. The picture is shown mirrored (a selfie
 * view) and scaled to cover the box, centred (CSS `object-fit: cover`), so a wider or narrower box
 * crops it; `box` is the box's size in px (null or empty: not measured yet, taken as the frame's
 * own shape). Clipped to the box; null when there is no face or none of it shows.
 */
export function faceRect(frame: CameraFrame, box: Size | null): BoxPercent | null {
  const face = frame.face;
  if (!face || !(frame.width > 0) || !(frame.height > 0)) return null;
  const size = measured(box) ?? frame;
  const placed = placeInBox(face, frame, size);
  const left = Math.max(0, placed.left);
  const right = Math.min(size.width, placed.right);
  const top = Math.max(0, placed.top);
  const bottom = Math.min(size.height, placed.bottom);
  if (right - left <= 0 || bottom - top <= 0) return null;
  return {
    left: (100 * left) / size.width,
    top: (100 * top) / size.height,
    width: (100 * (right - left)) / size.width,
    height: (100 * (bottom - top)) / size.height,
  };
}

/** The guide of a frame, with the frame's size to place it over the picture. */
export interface GuideSource {
  guide: FaceBox;
  width: number;
  height: number;
}

/** The oval of the guide, the shoulders' line (the photo step) and the stroke, in px of a box `width`×`height`. */
export interface GuideShape {
  width: number;
  height: number;
  cx: number;
  cy: number;
  rx: number;
  ry: number;
  /** The shoulders under the oval (SVG path), when the photo step draws them and they fit. */
  shoulders: string | null;
  stroke: number;
  dash: string;
}

/**
 * Before any frame: the design's own guide, drawn in a 300×400 area fitted and centred in the box
 * (SVG "xMidYMid meet"): the head-sized oval, centred like the kiosk's (with the default
 * `[matcher.guide]`, a 4:3 frame covering a 3:4 box gives an oval of rx 87.6, ry 114 there), and
 * for the photo the shoulders under it.
 */
const DEFAULT_AREA = { width: 300, height: 400 };
const DEFAULT_OVAL = { cx: 150, cy: 200, rx: 88, ry: 116 };
/** The head oval the design drew the shoulders under (the path in `shouldersPath`). */
const DESIGN_HEAD = { cx: 150, cy: 165, rx: 88, ry: 116 };
/** Part of the box kept clear around a guide that reaches past the picture, so all of its line shows. */
const GUIDE_INSET = 0.01;

const round = (n: number) => Math.round(n * 100) / 100;

/**
 * The guide to draw over the preview box (`box` in px; null: not measured yet, taken as the
 * frame's shape — or 3:4 before any frame). From a frame: the oval the kiosk sends (its bounding
 * box `guide`: head-sized, centred), placed like the picture (mirrored, cover-cropped) and kept
 * inside the box. Without one: the design's default geometry. The photo adds the shoulders under
 * the oval, where they fit.
 */
export function guideShape(kind: 'face' | 'portrait', source: GuideSource | null, box: Size | null): GuideShape {
  const usable = source !== null && source.width > 0 && source.height > 0 && source.guide.width > 0 && source.guide.height > 0;
  const size = measured(box) ?? (usable ? { width: source.width, height: source.height } : DEFAULT_AREA);
  const { width: W, height: H } = size;
  // the design's unit: stroke and dashes as the default guide draws them at this size
  const unit = Math.min(W / DEFAULT_AREA.width, H / DEFAULT_AREA.height);
  let oval: { cx: number; cy: number; rx: number; ry: number };
  if (usable) {
    const placed = placeInBox(source.guide, source, size);
    const left = Math.max(W * GUIDE_INSET, placed.left);
    const right = Math.min(W * (1 - GUIDE_INSET), placed.right);
    const top = Math.max(H * GUIDE_INSET, placed.top);
    const bottom = Math.min(H * (1 - GUIDE_INSET), placed.bottom);
    oval = { cx: (left + right) / 2, cy: (top + bottom) / 2, rx: Math.max(0, (right - left) / 2), ry: Math.max(0, (bottom - top) / 2) };
  } else {
    const d = DEFAULT_OVAL;
    const offsetX = (W - DEFAULT_AREA.width * unit) / 2;
    const offsetY = (H - DEFAULT_AREA.height * unit) / 2;
    oval = { cx: offsetX + d.cx * unit, cy: offsetY + d.cy * unit, rx: d.rx * unit, ry: d.ry * unit };
  }
  return {
    width: round(W),
    height: round(H),
    cx: round(oval.cx),
    cy: round(oval.cy),
    rx: round(oval.rx),
    ry: round(oval.ry),
    shoulders: kind === 'portrait' ? shouldersPath(oval, H) : null,
    stroke: round(4 * unit),
    dash: `${round(14 * unit)} ${round(10 * unit)}`,
  };
}

/**
 * The design's shoulders (drawn under its head oval, DESIGN_HEAD: their top 7 px under the oval's
 * 281, their ends at 372) moved and scaled with the oval; null when their top would be in the last
 * 5 % of the box or below it (no room to line them up with).
 */
function shouldersPath(oval: { cx: number; cy: number; rx: number; ry: number }, boxHeight: number): string | null {
  const { cx, cy, rx, ry } = DESIGN_HEAD;
  const x = (u: number) => round(oval.cx + ((u - cx) * oval.rx) / rx);
  const y = (v: number) => round(oval.cy + ((v - cy) * oval.ry) / ry);
  if (y(288) > boxHeight * 0.95) return null;
  return `M${x(30)} ${y(372)}C${x(48)} ${y(310)} ${x(100)} ${y(288)} ${x(150)} ${y(288)}S${x(252)} ${y(310)} ${x(270)} ${y(372)}`;
}

/** An ID card's width over its height (85.6 × 54 mm, ISO/IEC 7810 ID-1). */
export const CARD_ASPECT = 85.6 / 54;
/** Before any frame: the card frame's width, as a part of the preview box's (centred). */
const DEFAULT_CARD_WIDTH = 0.7;
/** The card's corner radius, as a part of its width (3.18 of 85.6 mm). */
const CARD_CORNER = 3.18 / 85.6;

/** The card-shaped frame of the card step, in px of a box `width`×`height`: a rounded rectangle. */
export interface CardGuideShape {
  width: number;
  height: number;
  x: number;
  y: number;
  w: number;
  h: number;
  /** The corners' radius. */
  rx: number;
  stroke: number;
  dash: string;
}

/**
 * The card frame to draw over the card step's preview box (`box` in px; null: not measured yet,
 * taken as the frame's shape — or 4:3 before any frame). From a frame: the card-shaped rectangle
 * the kiosk sends as `guide`, placed like the picture — NOT mirrored (the card's text must read the
 * right way round), cover-cropped — and kept inside the box. Without one: a card-shaped frame
 * centred in the box, 70 % of its width (less if the box is too flat for that).
 */
export function cardGuideShape(source: GuideSource | null, box: Size | null): CardGuideShape {
  const usable = source !== null && source.width > 0 && source.height > 0 && source.guide.width > 0 && source.guide.height > 0;
  const size = measured(box) ?? (usable ? { width: source.width, height: source.height } : { width: 400, height: 300 });
  const { width: W, height: H } = size;
  const unit = Math.min(W / DEFAULT_AREA.width, H / DEFAULT_AREA.height);
  let rect: { left: number; top: number; right: number; bottom: number };
  if (usable) {
    const placed = placeInBox(source.guide, source, size, false);
    rect = {
      left: Math.max(W * GUIDE_INSET, placed.left),
      right: Math.min(W * (1 - GUIDE_INSET), placed.right),
      top: Math.max(H * GUIDE_INSET, placed.top),
      bottom: Math.min(H * (1 - GUIDE_INSET), placed.bottom),
    };
  } else {
    const w = Math.min(W * DEFAULT_CARD_WIDTH, H * 0.8 * CARD_ASPECT);
    const h = w / CARD_ASPECT;
    rect = { left: (W - w) / 2, right: (W + w) / 2, top: (H - h) / 2, bottom: (H + h) / 2 };
  }
  const w = Math.max(0, rect.right - rect.left);
  const h = Math.max(0, rect.bottom - rect.top);
  return {
    width: round(W),
    height: round(H),
    x: round(rect.left),
    y: round(rect.top),
    w: round(w),
    h: round(h),
    rx: round(Math.min(w * CARD_CORNER, h / 4)),
    stroke: round(4 * unit),
    dash: `${round(14 * unit)} ${round(10 * unit)}`,
  };
}
