import { describe, expect, it } from 'vitest';
import { normalisePoint, StrokeRecorder } from '../src/signature';

const rect = { left: 100, top: 50, width: 500, height: 200 };
const at = (clientX: number, clientY: number, timeStamp: number, pressure = 0.5) => ({ clientX, clientY, timeStamp, pressure });

describe('normalisePoint', () => {
  it('maps the pad to 0..1 in both axes', () => {
    expect(normalisePoint(at(100, 50, 10), rect, 10)).toEqual({ x: 0, y: 0, pressure: 0.5, t: 0 });
    expect(normalisePoint(at(600, 250, 10), rect, 10)).toMatchObject({ x: 1, y: 1 });
    expect(normalisePoint(at(350, 100, 10), rect, 10)).toMatchObject({ x: 0.5, y: 0.25 });
  });

  it('clamps points outside the pad (a captured pointer can leave it)', () => {
    expect(normalisePoint(at(40, 400, 0), rect, 0)).toMatchObject({ x: 0, y: 1 });
    expect(normalisePoint(at(9999, -9, 0), rect, 0)).toMatchObject({ x: 1, y: 0 });
  });

  it('rounds coordinates to four decimals and t to whole milliseconds since the origin', () => {
    const point = normalisePoint(at(100 + 500 / 3, 50 + 200 / 7, 1234.56), rect, 1000.2);
    expect(point.x).toBe(0.3333);
    expect(point.y).toBe(0.1429);
    expect(point.t).toBe(234);
  });

  it('keeps real pressure, clamps it, and counts a contact without pressure as 0.5', () => {
    expect(normalisePoint(at(100, 50, 0, 0.73), rect, 0).pressure).toBe(0.73);
    expect(normalisePoint(at(100, 50, 0, 1.7), rect, 0).pressure).toBe(1);
    expect(normalisePoint(at(100, 50, 0, 0), rect, 0).pressure).toBe(0.5);
    expect(normalisePoint(at(100, 50, 0, Number.NaN), rect, 0).pressure).toBe(0.5);
  });

  it('does not divide by zero on a pad with no size', () => {
    expect(normalisePoint(at(5, 5, 0), { left: 0, top: 0, width: 0, height: 0 }, 0)).toMatchObject({ x: 0, y: 0 });
  });
});

describe('StrokeRecorder', () => {
  it('shares one clock across the strokes of a signature', () => {
    const recorder = new StrokeRecorder();
    recorder.begin(at(100, 50, 5000), rect);
    recorder.move(at(200, 60, 5016), rect);
    const first = recorder.end()!;
    recorder.begin(at(300, 70, 5600), rect);
    const second = recorder.end()!;
    expect(first.map((p) => p.t)).toEqual([0, 16]);
    expect(second[0]!.t).toBe(600);
    expect(recorder.strokes).toBe(2);
  });

  it('drops a repeated point and ignores moves outside a stroke', () => {
    const recorder = new StrokeRecorder();
    expect(recorder.move(at(1, 1, 1), rect)).toBeNull();
    recorder.begin(at(100, 50, 0), rect);
    expect(recorder.move(at(100, 50, 0), rect)).toBeNull();
    expect(recorder.move(at(101, 50, 1), rect)).not.toBeNull();
    expect(recorder.end()).toHaveLength(2);
    expect(recorder.end()).toBeNull();
  });

  it('clear() starts a new signature with a new clock', () => {
    const recorder = new StrokeRecorder();
    recorder.begin(at(100, 50, 100), rect);
    recorder.end();
    recorder.clear();
    expect(recorder.strokes).toBe(0);
    expect(recorder.begin(at(100, 50, 900), rect).t).toBe(0);
  });
});
