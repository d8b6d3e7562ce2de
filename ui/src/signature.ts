// Touch signature: pointer events → strokes in the pad's 0..1 space (docs/ipc.md
// `signature_stroke`). `t` is milliseconds since the first point of the whole signature, so the
// strokes of one signature share a clock; `clear()` starts a new one.

import type { StrokePoint } from './types';

export interface PadRect {
  left: number;
  top: number;
  width: number;
  height: number;
}

export interface PointerSample {
  clientX: number;
  clientY: number;
  /** `PointerEvent.pressure`: 0..1; 0.5 on hardware without pressure, 0 for a hovering pen. */
  pressure: number;
  /** `PointerEvent.timeStamp` (ms, any origin: only differences are used). */
  timeStamp: number;
}

/** The pad's aspect ratio (width / height); fixed so Rust can render the 0..1 strokes faithfully. */
export const PAD_ASPECT = 2.5;

const clamp01 = (value: number) => (value < 0 ? 0 : value > 1 ? 1 : value);
const round4 = (value: number) => Math.round(value * 10_000) / 10_000;

/** One pointer sample in pad space. A contact without a pressure reading counts as 0.5. */
export function normalisePoint(sample: PointerSample, rect: PadRect, originMs: number): StrokePoint {
  const x = rect.width > 0 ? (sample.clientX - rect.left) / rect.width : 0;
  const y = rect.height > 0 ? (sample.clientY - rect.top) / rect.height : 0;
  const pressure = Number.isFinite(sample.pressure) && sample.pressure > 0 ? clamp01(sample.pressure) : 0.5;
  return {
    x: round4(clamp01(x)),
    y: round4(clamp01(y)),
    pressure: round4(pressure),
    t: Math.max(0, Math.round(sample.timeStamp - originMs)),
  };
}

/** Collects the points of the stroke being drawn; `end()` hands the finished stroke over. */
export class StrokeRecorder {
  private originMs: number | null = null;
  private current: StrokePoint[] | null = null;
  private strokeCount = 0;

  get strokes(): number {
    return this.strokeCount;
  }

  get drawing(): boolean {
    return this.current !== null;
  }

  begin(sample: PointerSample, rect: PadRect): StrokePoint {
    if (this.originMs === null) this.originMs = sample.timeStamp;
    const point = normalisePoint(sample, rect, this.originMs);
    this.current = [point];
    return point;
  }

  /** Adds a point to the stroke; a point at the same place and time as the last one is dropped. */
  move(sample: PointerSample, rect: PadRect): StrokePoint | null {
    if (!this.current || this.originMs === null) return null;
    const point = normalisePoint(sample, rect, this.originMs);
    const last = this.current[this.current.length - 1];
    if (last && last.x === point.x && last.y === point.y && last.t === point.t) return null;
    this.current.push(point);
    return point;
  }

  /** Ends the stroke and returns its points (null when no stroke was being drawn). */
  end(): StrokePoint[] | null {
    const stroke = this.current;
    this.current = null;
    if (!stroke) return null;
    this.strokeCount += 1;
    return stroke;
  }

  clear(): void {
    this.originMs = null;
    this.current = null;
    this.strokeCount = 0;
  }
}
